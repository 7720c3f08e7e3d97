/**
 * The filesystem store keeps its metadata to itself (owner-only directories and files, Padmé-padded
 * file sizes), keeps an anchor journal, and reports disk faults as typed errors naming the cause.
 */
import { expect } from "chai";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readdir, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "ethers";
import { contentHash } from "../../src/crypto/hash.js";
import { StorageError, StorageFullError, StorageReadOnlyError } from "../../src/errors.js";
import {
  FsBlobStore,
  MemoryBlobStore,
  paddedSize,
  storageErrorFrom,
  type AnchorIntent,
  type AnchorJournal,
  type BlobStore,
} from "../../src/store/index.js";
import { tempFilesUnder, withTinyTmpfs, rejection } from "../helpers/index.js";

const intent: AnchorIntent = {
  patient: "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
  category: 4,
  supersedes: undefined,
  author: "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC",
  intentKey: "0x01",
};

describe("offchain / store: privacy, anchor journal, disk faults", function () {
  let scratch: string;
  before(async function () {
    scratch = await mkdtemp(join(tmpdir(), "careledger-store-faults-"));
  });
  after(async function () {
    await rm(scratch, { recursive: true, force: true });
  });

  it("creates its root, fan-out and journal directories 0700, blobs 0400 and journal entries 0600", async function () {
    const root = join(scratch, "private", "store");
    const store = new FsBlobStore(root, { fsync: false });
    const hash = await store.putUnanchored(randomBytes(700), intent);
    const h = hash.slice(2);
    for (const dir of [root, join(root, h.slice(0, 2)), join(root, h.slice(0, 2), h.slice(2, 4))]) {
      expect((await stat(dir)).mode & 0o777, dir).to.equal(0o700);
    }
    expect((await stat(join(root, "unanchored"))).mode & 0o777).to.equal(0o700);
    expect((await stat(store.pathFor(hash))).mode & 0o777).to.equal(0o400);
    expect((await stat(join(root, "unanchored", `${h}.json`))).mode & 0o777).to.equal(0o600);
  });

  it("pads file sizes to Padmé buckets (<= 12 % overhead) and returns the exact bytes", async function () {
    const store = new FsBlobStore(join(scratch, "padded"), { fsync: false });
    const sizes = [1, 600, 1000, 1010, 5000, 70_000];
    const fileSizes = new Map<number, number>();
    for (const size of sizes) {
      const blob = randomBytes(size);
      const hash = await store.put(blob);
      expect(await store.get(hash)).to.deep.equal(blob);
      const onDisk = (await stat(store.pathFor(hash))).size;
      expect(onDisk).to.equal(paddedSize(size + 9));
      expect(onDisk).to.be.at.most(Math.max(512, Math.ceil((size + 9) * 1.12)));
      fileSizes.set(size, onDisk);
    }
    // envelopes of 1000 and 1010 bytes cannot be told apart by their files
    expect(fileSizes.get(1000)).to.equal(fileSizes.get(1010));
    const unpadded = new FsBlobStore(join(scratch, "unpadded"), { fsync: false, padding: false });
    const blob = randomBytes(1000);
    expect((await stat(unpadded.pathFor(await unpadded.put(blob)))).size).to.equal(1000);
  });

  const journals: ReadonlyArray<[string, () => BlobStore & AnchorJournal]> = [
    [
      "FsBlobStore",
      () => new FsBlobStore(join(scratch, `journal-${Date.now()}`), { fsync: false }),
    ],
    ["MemoryBlobStore", () => new MemoryBlobStore()],
  ];
  for (const [name, make] of journals) {
    it(`${name}: listUnanchored lists stored-but-unanchored envelopes until marked or deleted`, async function () {
      const store = make();
      const a = await store.putUnanchored(randomBytes(100), intent);
      const b = await store.putUnanchored(randomBytes(100), { ...intent, intentKey: "0x02" });
      await store.put(randomBytes(100)); // a plain put is not journalled
      expect((await store.listUnanchored()).map((e) => e.contentHash).sort()).to.deep.equal(
        [a, b].sort(),
      );
      expect((await store.listUnanchored())[0]?.intent.patient).to.equal(intent.patient);
      await store.markAnchored(a);
      expect((await store.listUnanchored()).map((e) => e.contentHash)).to.deep.equal([b]);
      expect(await store.has(a)).to.equal(true);
      await store.deleteUnanchored(b);
      expect(await store.listUnanchored()).to.deep.equal([]);
      expect(await store.has(b)).to.equal(false);
    });
  }

  it("an intent whose blob never reached the disk (crash in between) is dropped, not listed", async function () {
    const root = join(scratch, "crash");
    const store = new FsBlobStore(root, { fsync: false });
    const blob = randomBytes(64);
    const hash = contentHash(blob);
    await mkdir(join(root, "unanchored"), { recursive: true });
    await writeFile(
      join(root, "unanchored", `${hash.slice(2)}.json`),
      JSON.stringify({ contentHash: hash, intent, storedAt: Date.now() }),
    );
    expect(await store.listUnanchored()).to.deep.equal([]);
    expect(await readdir(join(root, "unanchored"))).to.deep.equal([]);
  });

  // Read-only places that exist on Linux whoever runs the test (root ignores permission bits).
  const readOnly: ReadonlyArray<[string, string]> = [
    ["a directory of procfs (mkdir: ENOENT although the parent exists)", "/proc/careledger-store"],
    ["a directory of sysfs (mkdir: EPERM)", "/sys/careledger-store"],
  ];
  for (const [what, root] of readOnly) {
    it(`a read-only store is StorageReadOnlyError naming the directory: ${what}`, async function () {
      expect(existsSync(join(root, ".."))).to.equal(true);
      const error = await rejection(new FsBlobStore(root).put(randomBytes(10)));
      expect(error).to.be.instanceOf(StorageReadOnlyError);
      expect(error.name).to.equal("StorageReadOnlyError");
      expect((error as StorageReadOnlyError).code).to.equal("STORAGE_READ_ONLY");
      expect(error.message).to.contain(root);
      expect(error.message).not.to.match(/^ENOENT/);
    });
  }

  it("a full disk is StorageFullError (a real ENOSPC, from writing /dev/full)", async function () {
    const enospc = await rejection(writeFile("/dev/full", "x"));
    const error = storageErrorFrom(enospc, "store a blob", "/store/ab/cd/abcd");
    expect(error).to.be.instanceOf(StorageFullError);
    expect(error.name).to.equal("StorageFullError");
    expect((error as StorageFullError).systemCode).to.equal("ENOSPC");
    expect(error.message).to.contain("full");
    expect((error as StorageFullError).cause).to.equal(enospc);
  });

  it("a full disk end to end: a store on a 64 KiB tmpfs fails with StorageFullError and leaves no partial blob", async function () {
    await withTinyTmpfs(this, scratch, async (mountPoint) => {
      const store = new FsBlobStore(join(mountPoint, "store"));
      const small = await store.put(randomBytes(1000));
      const error = await rejection(store.put(randomBytes(200_000)));
      expect(error).to.be.instanceOf(StorageFullError);
      expect(await store.get(small)).to.have.length(1000);
      expect(await tempFilesUnder(join(mountPoint, "store"))).to.deep.equal([]);
    });
  });

  it("other system errors are StorageError with the system code", function () {
    const error = storageErrorFrom(
      Object.assign(new Error("EIO: i/o error"), { code: "EIO" }),
      "read a blob",
      "/x",
    );
    expect(error).to.be.instanceOf(StorageError);
    expect((error as StorageError).systemCode).to.equal("EIO");
  });
});
