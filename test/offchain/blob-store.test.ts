/**
 * Content-addressed blob stores: the shared contract (both implementations), and for the
 * filesystem store tamper detection, fan-out layout and crash consistency.
 */
import { expect } from "chai";
import { keccak256 } from "ethers";
import { spawnSync } from "node:child_process";
import {
  chmod,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  rm,
  stat,
  utimes,
  writeFile,
} from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { pathToFileURL } from "node:url";
import { contentHash, type ContentHash } from "../../src/crypto/hash.js";
import { IntegrityError, InvalidArgumentError, NotFoundError } from "../../src/errors.js";
import {
  FsBlobStore,
  MemoryBlobStore,
  TEMP_PREFIX,
  withVerification,
  type BlobStore,
} from "../../src/store/index.js";
import { rejection } from "../helpers/index.js";

const enc = (s: string) => new TextEncoder().encode(s);

/** Every regular file under `dir`, relative, sorted. */
async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath, e.name)))
    .sort();
}

let scratch: string;
let stores = 0;
const implementations: ReadonlyArray<[string, () => BlobStore]> = [
  ["FsBlobStore", () => new FsBlobStore(join(scratch, `contract-${stores++}`))],
  ["MemoryBlobStore", () => new MemoryBlobStore()],
];

describe("offchain / blob store", function () {
  before(async function () {
    scratch = await mkdtemp(join(tmpdir(), "careledger-blobs-"));
  });
  after(async function () {
    await rm(scratch, { recursive: true, force: true });
  });

  for (const [name, make] of implementations) {
    describe(`${name}: BlobStore contract`, function () {
      it("put returns keccak256 of the bytes (the chain's record id); get returns them", async function () {
        const store = make();
        const blob = enc("CLE1 envelope bytes, say");
        const hash = await store.put(blob);
        expect(hash).to.equal(keccak256(blob)).and.equal(contentHash(blob));
        expect(await store.get(hash)).to.deep.equal(blob);
        expect(await store.has(hash)).to.equal(true);
      });

      it("stores empty and 3 MB blobs", async function () {
        const store = make();
        const big = new Uint8Array(3 * 1024 * 1024).map((_, i) => i % 251);
        for (const blob of [new Uint8Array(0), big]) {
          expect(await store.get(await store.put(blob))).to.deep.equal(blob);
        }
      });

      it("is idempotent: the same bytes twice (or concurrently) give the same hash", async function () {
        const store = make();
        const blob = enc("same");
        const hashes = await Promise.all(Array.from({ length: 8 }, () => store.put(blob)));
        expect(new Set(hashes).size).to.equal(1);
        expect(await store.put(blob)).to.equal(hashes[0]);
        expect(await store.get(hashes[0]!)).to.deep.equal(blob);
      });

      it("a missing blob is a NotFoundError naming the hash; has() is false", async function () {
        const store = make();
        const hash = keccak256(enc("never stored"));
        const err = await rejection(store.get(hash));
        expect(err).to.be.instanceOf(NotFoundError);
        expect((err as NotFoundError).id).to.equal(hash);
        expect((err as NotFoundError).kind).to.equal("blob");
        expect(await store.has(hash)).to.equal(false);
      });

      it("accepts upper-case hashes and rejects malformed ones with InvalidArgumentError", async function () {
        const store = make();
        const hash = await store.put(enc("case"));
        expect(await store.get(`0x${hash.slice(2).toUpperCase()}`)).to.deep.equal(enc("case"));
        for (const bad of [
          "",
          "0x",
          hash.slice(0, 65),
          `${hash}00`,
          hash.slice(2),
          `0x${"g".repeat(64)}`,
        ]) {
          expect(await rejection(store.get(bad)), bad).to.be.instanceOf(InvalidArgumentError);
          expect(await rejection(store.has(bad)), bad).to.be.instanceOf(InvalidArgumentError);
        }
      });

      it("is not aliased to the caller's buffers", async function () {
        const store = make();
        const blob = enc("immutable");
        const hash = await store.put(blob);
        blob.fill(0);
        const got = await store.get(hash);
        got.fill(0);
        expect(await store.get(hash)).to.deep.equal(enc("immutable"));
      });
    });
  }

  describe("FsBlobStore on disk", function () {
    let root: string;
    let store: FsBlobStore;
    beforeEach(async function () {
      root = await mkdtemp(join(scratch, "fs-"));
      store = new FsBlobStore(root);
    });

    it("lays blobs out as <root>/ab/cd/<64 hex> with owner-read-only files", async function () {
      const hash = await store.put(enc("layout"));
      const h = hash.slice(2);
      expect(await filesUnder(root)).to.deep.equal([join(h.slice(0, 2), h.slice(2, 4), h)]);
      expect(store.pathFor(hash)).to.equal(join(root, h.slice(0, 2), h.slice(2, 4), h));
      expect((await stat(store.pathFor(hash))).mode & 0o777).to.equal(0o400);
    });

    const tampers: ReadonlyArray<[string, (b: Uint8Array) => Uint8Array]> = [
      ["one flipped bit", (b) => b.map((x, i) => (i === 5 ? x ^ 1 : x))],
      ["truncation", (b) => b.subarray(0, b.length - 1)],
      ["an appended byte", (b) => Uint8Array.from([...b, 0])],
      ["an emptied file", () => new Uint8Array(0)],
    ];
    for (const [how, tamper] of tampers) {
      it(`a blob tampered on disk by ${how} is an IntegrityError, never returned`, async function () {
        const blob = enc("lab result envelope");
        const hash = await store.put(blob);
        const path = store.pathFor(hash);
        await chmod(path, 0o644);
        await writeFile(path, tamper(blob));
        const err = await rejection(store.get(hash));
        expect(err).to.be.instanceOf(IntegrityError);
        expect(err.message).to.include(hash);
        expect(await store.has(hash)).to.equal(true); // presence only; get is what verifies
        // Re-putting the genuine bytes repairs the damaged copy.
        expect(await store.put(blob)).to.equal(hash);
        expect(await store.get(hash)).to.deep.equal(blob);
      });
    }

    it("another blob's bytes under a hash are an IntegrityError", async function () {
      const a = await store.put(enc("a"));
      const b = await store.put(enc("b"));
      await chmod(store.pathFor(a), 0o644);
      await writeFile(store.pathFor(a), await readFile(store.pathFor(b)));
      expect(await rejection(store.get(a))).to.be.instanceOf(IntegrityError);
    });

    it("a duplicate put does not rewrite the file", async function () {
      const hash = await store.put(enc("once"));
      const before = await stat(store.pathFor(hash));
      await new Promise((r) => setTimeout(r, 20));
      await store.put(enc("once"));
      const after = await stat(store.pathFor(hash));
      expect(after.ino).to.equal(before.ino);
      expect(after.mtimeMs).to.equal(before.mtimeMs);
    });

    it("a partial temp file from an interrupted write is ignored; a later put succeeds", async function () {
      const blob = enc("a record whose first write was cut short");
      const hash = contentHash(blob);
      const dir = join(store.pathFor(hash), "..");
      await mkdir(dir, { recursive: true });
      const temp = join(dir, `${TEMP_PREFIX}${hash.slice(2)}.deadbeef`);
      await writeFile(temp, blob.subarray(0, 10)); // half-written
      expect(await store.has(hash)).to.equal(false);
      expect(await rejection(store.get(hash))).to.be.instanceOf(NotFoundError);

      expect(await store.put(blob)).to.equal(hash);
      expect(await store.get(hash)).to.deep.equal(blob);
      // The sweep leaves fresh temps (maybe in flight) alone and removes old ones, never blobs.
      expect(await store.removeStaleTempFiles()).to.equal(0);
      await utimes(temp, new Date(0), new Date(0));
      expect(await store.removeStaleTempFiles()).to.equal(1);
      const h = hash.slice(2);
      expect(await filesUnder(root)).to.deep.equal([join(h.slice(0, 2), h.slice(2, 4), h)]);
    });

    it("a process killed between the temp write and the rename leaves the store consistent", async function () {
      // A child process puts a blob with fs.rename patched to SIGKILL the process: a real crash
      // after the temp file is written and fsynced, before it is renamed into place.
      const script = join(scratch, "crash-put.mts");
      await writeFile(
        script,
        [
          'import fs from "node:fs";',
          'import { syncBuiltinESMExports } from "node:module";',
          'fs.promises.rename = async () => { process.kill(process.pid, "SIGKILL"); };',
          "syncBuiltinESMExports();",
          "const { FsBlobStore } = await import(process.argv[2]);",
          "await new FsBlobStore(process.argv[3]).put(new TextEncoder().encode(process.argv[4]));",
          'console.log("survived");',
        ].join("\n"),
      );
      const text = "written by a process that died before rename";
      const moduleUrl = pathToFileURL(join(process.cwd(), "src", "store", "fs.ts")).href;
      const child = spawnSync(
        process.execPath,
        ["--import", "tsx", script, moduleUrl, root, text],
        {
          encoding: "utf8",
          timeout: 60_000,
        },
      );
      expect(child.signal, child.stderr).to.equal("SIGKILL");
      expect(child.stdout).to.not.include("survived");

      const hash = contentHash(enc(text));
      const left = await filesUnder(root);
      expect(left).to.have.length(1);
      expect(left[0]!.split("/").pop()!.startsWith(TEMP_PREFIX)).to.equal(true);
      expect(await store.has(hash)).to.equal(false);
      expect(await rejection(store.get(hash))).to.be.instanceOf(NotFoundError);

      expect(await store.put(enc(text))).to.equal(hash);
      expect(await store.get(hash)).to.deep.equal(enc(text));
      expect(await store.removeStaleTempFiles(0)).to.equal(1);
      expect(await filesUnder(root)).to.have.length(1);
    });

    it("leaves no temp file behind after successful puts", async function () {
      await Promise.all(Array.from({ length: 20 }, (_, i) => store.put(enc(`blob ${i % 5}`))));
      const files = await filesUnder(root);
      expect(files).to.have.length(5);
      expect(files.some((f) => f.includes(TEMP_PREFIX))).to.equal(false);
    });
  });

  describe("withVerification", function () {
    it("refuses bytes from a back end that returns the wrong blob", async function () {
      const honest = new MemoryBlobStore();
      const lying: BlobStore = {
        put: (b) => honest.put(b),
        has: (h) => honest.has(h),
        get: () => Promise.resolve(enc("not what you asked for")),
        delete: (h) => honest.delete(h),
      };
      const store = withVerification(lying);
      const hash = await store.put(enc("real"));
      expect(await rejection(store.get(hash))).to.be.instanceOf(IntegrityError);
      expect(await withVerification(honest).get(hash)).to.deep.equal(enc("real"));
    });

    it("refuses a back end that reports a wrong hash on put", async function () {
      const wrongHash: BlobStore = {
        put: () => Promise.resolve(keccak256(enc("other")) as ContentHash),
        has: () => Promise.resolve(false),
        get: () => Promise.resolve(new Uint8Array(0)),
        delete: () => Promise.resolve(),
      };
      expect(await rejection(withVerification(wrongHash).put(enc("x")))).to.be.instanceOf(
        IntegrityError,
      );
    });
  });
});
