/**
 * Passphrase-encrypted key files for member X25519 keys (browser-safe; Node file helpers are in
 * `keyfile-fs.ts`). The private key is sealed with XChaCha20-Poly1305 under a key derived from the
 * passphrase with scrypt; every other field of the file is bound as associated data, so editing
 * the public key, label or KDF parameters makes the file fail to open.
 *
 * ```json
 * {
 *   "version": 1,
 *   "type": "careledger-x25519-key",
 *   "publicKey": "0x…32 bytes…",
 *   "label": "dr-grey@st-mary",                       // optional, authenticated
 *   "kdf": { "name": "scrypt", "N": 131072, "r": 8, "p": 1, "salt": "0x…32 bytes…" },
 *   "cipher": { "name": "xchacha20-poly1305", "nonce": "0x…24 bytes…", "ciphertext": "0x…48 bytes…" }
 * }
 * ```
 */
import { xchacha20poly1305 } from "@noble/ciphers/chacha.js";
import { equalBytes } from "@noble/ciphers/utils.js";
import { scryptAsync } from "@noble/hashes/scrypt.js";
import { randomBytes } from "@noble/hashes/utils.js";
import * as z from "zod/mini";
import { InvalidArgumentError } from "../errors.js";
import { toBytes, toHex, utf8, wipe, type BytesInput, type Hex } from "./bytes.js";
import { InvalidKeyFileError, WrongPassphraseError } from "./errors.js";
import { memberKeyPairFromPrivateKey, type MemberKeyPair } from "./keys.js";

/** Key file format version written and accepted. */
export const KEY_FILE_VERSION = 1;
/** Value of the key file's `type` field. */
export const KEY_FILE_TYPE = "careledger-x25519-key";

/** scrypt cost parameters. */
export interface ScryptParams {
  /** CPU/memory cost, a power of two. */
  readonly N: number;
  /** Block size. */
  readonly r: number;
  /** Parallelism. */
  readonly p: number;
}

/** Default scrypt cost: N = 2^17, r = 8, p = 1 (128 MiB, about a second in pure JS). */
export const DEFAULT_SCRYPT_PARAMS: ScryptParams = { N: 2 ** 17, r: 8, p: 1 };

/**
 * Bounds a key file's scrypt parameters must satisfy to be loaded (so a hostile file cannot make
 * the loader allocate gigabytes or spin for minutes): 2^10 ≤ N ≤ 2^20, 1 ≤ r ≤ 16, 1 ≤ p ≤ 4,
 * 128·N·r ≤ 1 GiB.
 */
export const SCRYPT_LIMITS = {
  minN: 2 ** 10,
  maxN: 2 ** 20,
  maxR: 16,
  maxP: 4,
  maxMemory: 2 ** 30,
} as const;

/** A parsed key file (the JSON document). */
export interface KeyFile {
  readonly version: 1;
  readonly type: typeof KEY_FILE_TYPE;
  /** X25519 public key, bytes32 hex: the on-chain `encryptionKey`. */
  readonly publicKey: Hex;
  /** Optional human label (authenticated, not secret). */
  readonly label?: string;
  readonly kdf: ScryptParams & { readonly name: "scrypt"; readonly salt: Hex };
  readonly cipher: {
    readonly name: "xchacha20-poly1305";
    readonly nonce: Hex;
    readonly ciphertext: Hex;
  };
}

/** Options of {@link encryptKeyFile}. */
export interface EncryptKeyFileOptions {
  /** scrypt cost (default {@link DEFAULT_SCRYPT_PARAMS}); tests may use N = 2^10. */
  readonly scrypt?: ScryptParams;
  /** Optional label stored in the file (e.g. the member's address). */
  readonly label?: string;
}

const hexOf = (bytes: number) =>
  z
    .string()
    .check(
      z.regex(new RegExp(`^0x[0-9a-fA-F]{${bytes * 2}}$`), `expected ${bytes} bytes of 0x hex`),
    );
const positiveInt = z.int().check(z.positive());

const KeyFileSchema = z.strictObject({
  version: z.literal(KEY_FILE_VERSION),
  type: z.literal(KEY_FILE_TYPE),
  publicKey: hexOf(32),
  label: z.optional(z.string().check(z.maxLength(256))),
  kdf: z.strictObject({
    name: z.literal("scrypt"),
    N: positiveInt,
    r: positiveInt,
    p: positiveInt,
    salt: hexOf(32),
  }),
  cipher: z.strictObject({
    name: z.literal("xchacha20-poly1305"),
    nonce: hexOf(24),
    ciphertext: hexOf(48),
  }),
});

/**
 * Encrypt a member's private key under `passphrase` (NFKC-normalised, UTF-8) into a key file.
 * Resolves after scrypt, which is deliberately slow.
 *
 * @throws InvalidArgumentError on an empty passphrase or out-of-bounds scrypt parameters.
 */
export async function encryptKeyFile(
  privateKey: BytesInput,
  passphrase: string,
  options: EncryptKeyFileOptions = {},
): Promise<KeyFile> {
  if (typeof passphrase !== "string" || passphrase.length === 0) {
    throw new InvalidArgumentError("passphrase must be a non-empty string");
  }
  const params = options.scrypt ?? DEFAULT_SCRYPT_PARAMS;
  checkScryptParams(params, (m) => new InvalidArgumentError(m));
  const pair = memberKeyPairFromPrivateKey(privateKey);
  const salt = randomBytes(32);
  const nonce = randomBytes(24);
  const partial = {
    version: KEY_FILE_VERSION,
    type: KEY_FILE_TYPE,
    publicKey: toHex(pair.publicKey),
    ...(options.label === undefined ? {} : { label: options.label }),
    kdf: { name: "scrypt", N: params.N, r: params.r, p: params.p, salt: toHex(salt) },
  } as const;
  const key = await deriveFileKey(passphrase, salt, params);
  const aad = associatedData(partial);
  const ciphertext = xchacha20poly1305(key, nonce, aad).encrypt(pair.privateKey);
  wipe(key, pair.privateKey);
  const file: KeyFile = {
    ...partial,
    cipher: { name: "xchacha20-poly1305", nonce: toHex(nonce), ciphertext: toHex(ciphertext) },
  };
  return parseKeyFile(file); // self-check against the schema
}

/**
 * Decrypt a key file (object or JSON text) with `passphrase`.
 *
 * @throws WrongPassphraseError (a WrongKeyError) when the passphrase is wrong or the file was edited.
 * @throws InvalidKeyFileError when the file is malformed or its scrypt parameters are out of bounds.
 */
export async function decryptKeyFile(
  keyFile: KeyFile | string,
  passphrase: string,
): Promise<MemberKeyPair> {
  const file = parseKeyFile(keyFile);
  if (typeof passphrase !== "string") throw new InvalidArgumentError("passphrase must be a string");
  const salt = toBytes(file.kdf.salt, "salt");
  const key = await deriveFileKey(passphrase, salt, file.kdf);
  let privateKey: Uint8Array;
  try {
    privateKey = xchacha20poly1305(
      key,
      toBytes(file.cipher.nonce, "nonce"),
      associatedData(file),
    ).decrypt(toBytes(file.cipher.ciphertext, "ciphertext"));
  } catch (cause) {
    throw new WrongPassphraseError({ cause });
  } finally {
    wipe(key);
  }
  const pair = memberKeyPairFromPrivateKey(privateKey);
  wipe(privateKey);
  if (!equalBytes(pair.publicKey, toBytes(file.publicKey, "publicKey"))) {
    throw new InvalidKeyFileError("the decrypted private key does not match publicKey");
  }
  return pair;
}

/**
 * Validate a key file given as JSON text or as a value and return it typed.
 *
 * @throws InvalidKeyFileError on invalid JSON, a schema violation or out-of-bounds scrypt cost.
 */
export function parseKeyFile(input: unknown): KeyFile {
  let value = input;
  if (typeof input === "string") {
    try {
      value = JSON.parse(input);
    } catch (cause) {
      throw new InvalidKeyFileError("not valid JSON", { cause });
    }
  }
  const result = KeyFileSchema.safeParse(value);
  if (!result.success) {
    const issue = result.error.issues[0];
    const where = issue === undefined || issue.path.length === 0 ? "" : `${issue.path.join(".")}: `;
    throw new InvalidKeyFileError(`${where}${issue?.message ?? "schema violation"}`, {
      cause: result.error,
    });
  }
  const file = result.data as KeyFile;
  checkScryptParams(file.kdf, (m) => new InvalidKeyFileError(m));
  return file;
}

/** A key file as pretty-printed JSON text with a trailing newline. */
export function serializeKeyFile(keyFile: KeyFile): string {
  return `${JSON.stringify(parseKeyFile(keyFile), null, 2)}\n`;
}

function checkScryptParams(params: ScryptParams, error: (message: string) => Error): void {
  const { N, r, p } = params;
  const L = SCRYPT_LIMITS;
  const isPow2 = Number.isInteger(N) && N > 0 && (N & (N - 1)) === 0;
  if (!isPow2 || N < L.minN || N > L.maxN)
    throw error(`scrypt N must be a power of two in 2^10..2^20, got ${N}`);
  if (!Number.isInteger(r) || r < 1 || r > L.maxR)
    throw error(`scrypt r must be in 1..${L.maxR}, got ${r}`);
  if (!Number.isInteger(p) || p < 1 || p > L.maxP)
    throw error(`scrypt p must be in 1..${L.maxP}, got ${p}`);
  if (128 * N * r > L.maxMemory) throw error(`scrypt N·r needs more than 1 GiB of memory`);
}

async function deriveFileKey(
  passphrase: string,
  salt: Uint8Array,
  params: ScryptParams,
): Promise<Uint8Array> {
  const password = utf8(passphrase.normalize("NFKC"));
  try {
    return await scryptAsync(password, salt, {
      N: params.N,
      r: params.r,
      p: params.p,
      dkLen: 32,
      maxmem: SCRYPT_LIMITS.maxMemory + 2 ** 20,
    });
  } finally {
    wipe(password);
  }
}

/** Everything in the file except the cipher output, in a fixed order, as the AEAD's associated data. */
function associatedData(file: Omit<KeyFile, "cipher">): Uint8Array {
  return utf8(
    JSON.stringify([
      file.type,
      file.version,
      file.publicKey.toLowerCase(),
      file.label ?? null,
      file.kdf.name,
      file.kdf.N,
      file.kdf.r,
      file.kdf.p,
      file.kdf.salt.toLowerCase(),
      "xchacha20-poly1305",
    ]),
  );
}
