/**
 * Member X25519 key pairs and passphrase-encrypted key files.
 */
import { expect } from "chai";
import { AbiCoder, isHexString } from "ethers";
import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  decryptKeyFile,
  encryptKeyFile,
  encryptionKeyHex,
  generateMemberKeyPair,
  InvalidKeyFileError,
  loadKeyFile,
  memberKeyPairFromPrivateKey,
  parseKeyFile,
  readKeyFile,
  saveKeyFile,
  sealRecord,
  openEnvelope,
  serializeKeyFile,
  toHex,
  WrongPassphraseError,
  type KeyFile,
} from "../../src/crypto/index.js";
import { InvalidArgumentError, NotFoundError, WrongKeyError } from "../../src/errors.js";
import { rejection } from "../helpers/index.js";

/** Cheap scrypt cost for tests (the default, N = 2^17, is for real key files). */
const FAST = { scrypt: { N: 2 ** 10, r: 8, p: 1 } } as const;
const PASSPHRASE = "correct horse battery staple";

describe("offchain / member keys and key files", function () {
  describe("key pairs", function () {
    it("generates distinct 32-byte X25519 pairs; the public key is the contract's bytes32 encryptionKey", function () {
      const a = generateMemberKeyPair();
      const b = generateMemberKeyPair();
      expect(a.privateKey).to.have.length(32);
      expect(a.publicKey).to.have.length(32);
      expect(toHex(a.publicKey)).to.not.equal(toHex(b.publicKey));
      const hex = encryptionKeyHex(a.publicKey);
      expect(isHexString(hex, 32)).to.equal(true);
      expect(hex).to.equal(hex.toLowerCase());
      // ABI-encodes as the bytes32 argument of onboardMember / rotateEncryptionKey.
      expect(AbiCoder.defaultAbiCoder().encode(["bytes32"], [hex])).to.equal(hex);
      expect(encryptionKeyHex(hex)).to.equal(hex);
    });

    it("re-derives the public key from the private key (bytes or hex)", function () {
      const a = generateMemberKeyPair();
      expect(memberKeyPairFromPrivateKey(a.privateKey).publicKey).to.deep.equal(a.publicKey);
      expect(memberKeyPairFromPrivateKey(toHex(a.privateKey)).publicKey).to.deep.equal(a.publicKey);
      expect(() => memberKeyPairFromPrivateKey(new Uint8Array(16))).to.throw(
        InvalidArgumentError,
        /32 bytes/,
      );
    });

    it("rejects a zero or malformed encryption key", function () {
      expect(() => encryptionKeyHex(new Uint8Array(32))).to.throw(InvalidArgumentError, /all zero/);
      expect(() => encryptionKeyHex("0x1234")).to.throw(InvalidArgumentError, /32 bytes/);
      expect(() => encryptionKeyHex("1234")).to.throw(InvalidArgumentError, /hex/);
    });
  });

  describe("key files", function () {
    let dir: string;
    before(async function () {
      dir = await mkdtemp(join(tmpdir(), "careledger-keys-"));
    });
    after(async function () {
      await rm(dir, { recursive: true, force: true });
    });

    it("round-trips through JSON text and opens an envelope with the loaded key", async function () {
      const pair = generateMemberKeyPair();
      const file = await encryptKeyFile(pair.privateKey, PASSPHRASE, {
        ...FAST,
        label: "dr-grey@st-mary",
      });
      expect(file.publicKey).to.equal(encryptionKeyHex(pair.publicKey));
      expect(file.kdf).to.include({ name: "scrypt", N: 1024, r: 8, p: 1 });
      const text = serializeKeyFile(file);
      expect(parseKeyFile(text)).to.deep.equal(file);
      const loaded = await decryptKeyFile(text, PASSPHRASE);
      expect(loaded.privateKey).to.deep.equal(pair.privateKey);
      expect(loaded.publicKey).to.deep.equal(pair.publicKey);
      const env = sealRecord({
        body: new Uint8Array([1, 2, 3]),
        readers: [{ publicKey: file.publicKey }],
        aad: { patient: "0x" + "11".repeat(20), category: 0 },
      });
      expect(openEnvelope(env, loaded.privateKey).body).to.deep.equal(new Uint8Array([1, 2, 3]));
    });

    it("never stores the private key in the clear", async function () {
      const pair = generateMemberKeyPair();
      const text = serializeKeyFile(await encryptKeyFile(pair.privateKey, PASSPHRASE, FAST));
      expect(text.toLowerCase()).to.not.include(toHex(pair.privateKey).slice(2));
      expect(text).to.not.include(PASSPHRASE);
    });

    it("a wrong passphrase is a WrongPassphraseError (a WrongKeyError)", async function () {
      const file = await encryptKeyFile(generateMemberKeyPair().privateKey, PASSPHRASE, FAST);
      for (const wrong of ["", "correct horse battery stapl", "Correct horse battery staple"]) {
        const err = await rejection(decryptKeyFile(file, wrong));
        expect(err).to.be.instanceOf(WrongPassphraseError).and.instanceOf(WrongKeyError);
      }
    });

    it("normalises the passphrase (NFKC): composed and decomposed accents open the same file", async function () {
      const composed = "clé secrète";
      const decomposed = composed.normalize("NFD");
      expect(decomposed).to.not.equal(composed);
      const pair = generateMemberKeyPair();
      const file = await encryptKeyFile(pair.privateKey, composed, FAST);
      expect((await decryptKeyFile(file, decomposed)).publicKey).to.deep.equal(pair.publicKey);
    });

    const edits: ReadonlyArray<[string, (f: KeyFile) => KeyFile]> = [
      [
        "publicKey",
        (f) => ({ ...f, publicKey: encryptionKeyHex(generateMemberKeyPair().publicKey) }),
      ],
      ["label", (f) => ({ ...f, label: "someone-else" })],
      ["salt", (f) => ({ ...f, kdf: { ...f.kdf, salt: toHex(new Uint8Array(32).fill(7)) } })],
      ["scrypt r", (f) => ({ ...f, kdf: { ...f.kdf, r: 4 } })],
      ["nonce", (f) => ({ ...f, cipher: { ...f.cipher, nonce: toHex(new Uint8Array(24)) } })],
      [
        "ciphertext",
        (f) => ({ ...f, cipher: { ...f.cipher, ciphertext: toHex(new Uint8Array(48)) } }),
      ],
    ];
    for (const [field, edit] of edits) {
      it(`an edited ${field} makes the file fail to open (authenticated)`, async function () {
        const file = await encryptKeyFile(generateMemberKeyPair().privateKey, PASSPHRASE, {
          ...FAST,
          label: "nurse-1",
        });
        expect(await rejection(decryptKeyFile(edit(file), PASSPHRASE))).to.be.instanceOf(
          WrongPassphraseError,
        );
      });
    }

    const malformed: ReadonlyArray<[string, unknown]> = [
      ["not JSON", "{ nope"],
      ["a missing cipher", { cipher: undefined }], // JSON.stringify drops the key
      ["version 2", { version: 2 }],
      ["an unknown field", { extra: true }],
      ["a short salt", { kdf: { name: "scrypt", N: 1024, r: 8, p: 1, salt: "0x1234" } }],
      [
        "N not a power of two",
        { kdf: { name: "scrypt", N: 1000, r: 8, p: 1, salt: "0x" + "00".repeat(32) } },
      ],
      [
        "N = 2^24 (memory bomb)",
        { kdf: { name: "scrypt", N: 2 ** 24, r: 8, p: 1, salt: "0x" + "00".repeat(32) } },
      ],
      [
        "p = 1000",
        { kdf: { name: "scrypt", N: 1024, r: 8, p: 1000, salt: "0x" + "00".repeat(32) } },
      ],
    ];
    for (const [name, patch] of malformed) {
      it(`rejects a key file with ${name} as InvalidKeyFileError`, async function () {
        const good = await encryptKeyFile(generateMemberKeyPair().privateKey, PASSPHRASE, FAST);
        const input =
          typeof patch === "string" ? patch : JSON.stringify({ ...good, ...(patch as object) });
        expect(() => parseKeyFile(input)).to.throw(InvalidKeyFileError);
        expect(await rejection(decryptKeyFile(input, PASSPHRASE))).to.be.instanceOf(
          InvalidKeyFileError,
        );
      });
    }

    it("rejects an empty passphrase and out-of-bounds cost when creating", async function () {
      const sk = generateMemberKeyPair().privateKey;
      expect(await rejection(encryptKeyFile(sk, ""))).to.be.instanceOf(InvalidArgumentError);
      const weak = { scrypt: { N: 2 ** 4, r: 8, p: 1 } };
      expect(await rejection(encryptKeyFile(sk, PASSPHRASE, weak))).to.be.instanceOf(
        InvalidArgumentError,
      );
    });

    it("saves to disk with mode 0600, reads back, loads, and refuses to overwrite by default", async function () {
      const pair = generateMemberKeyPair();
      const path = join(dir, "nested", "member.key.json");
      const file = await saveKeyFile(path, pair.privateKey, PASSPHRASE, FAST);
      expect((await stat(path)).mode & 0o777).to.equal(0o600);
      expect(await readKeyFile(path)).to.deep.equal(file);
      expect((await loadKeyFile(path, PASSPHRASE)).privateKey).to.deep.equal(pair.privateKey);
      expect(await rejection(loadKeyFile(path, "wrong"))).to.be.instanceOf(WrongPassphraseError);

      const other = generateMemberKeyPair();
      const clobber = await rejection(saveKeyFile(path, other.privateKey, PASSPHRASE, FAST));
      expect((clobber as NodeJS.ErrnoException).code).to.equal("EEXIST");
      expect((await loadKeyFile(path, PASSPHRASE)).publicKey).to.deep.equal(pair.publicKey);
      await saveKeyFile(path, other.privateKey, PASSPHRASE, { ...FAST, overwrite: true });
      expect((await loadKeyFile(path, PASSPHRASE)).publicKey).to.deep.equal(other.publicKey);
    });

    it("a missing key file is a NotFoundError; a corrupt one an InvalidKeyFileError", async function () {
      const missing = await rejection(readKeyFile(join(dir, "absent.json")));
      expect(missing).to.be.instanceOf(NotFoundError);
      const corrupt = join(dir, "corrupt.json");
      await writeFile(corrupt, "{");
      expect(await rejection(loadKeyFile(corrupt, PASSPHRASE))).to.be.instanceOf(
        InvalidKeyFileError,
      );
      expect(await readFile(corrupt, "utf8")).to.equal("{");
    });
  });
});
