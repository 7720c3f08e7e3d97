/**
 * Streamed blobs (`putStream`) keep the filesystem store's promises: owner-only modes, a padded
 * frame (version 2, told apart from `put`'s version 1), typed disk errors, the anchor journal, the
 * temp-file sweep, and verified reads of framed CLE1 and CLE2 blobs through every read path.
 */
import { expect } from "chai";
import { chmod, mkdtemp, readdir, readFile, rm, stat, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  collectBytes,
  generateMemberKeyPair,
  nodeStreamSuite,
  sealEnvelopeStreamNode,
  sealRecord,
} from "../../src/crypto/index.js";
import { IntegrityError, StorageFullError, StorageReadOnlyError } from "../../src/errors.js";
import {
  FsBlobStore,
  MemoryBlobStore,
  paddedSize,
  type AnchorIntent,
  type AnchorJournal,
  type StreamingBlobStore,
} from "../../src/store/index.js";
import { patternBody, tempFilesUnder, withTinyTmpfs, rejection } from "../helpers/index.js";

const reader = generateMemberKeyPair();
const PATIENT = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";
const intent: AnchorIntent = {
  patient: PATIENT,
  category: 5,
  supersedes: undefined,
  author: "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC",
  intentKey: "0x02",
};
/** Header of a streamed (version 2) frame: "CLBP", 0x02, uint64 length. */
const STREAM_HEADER = 13;

function sealed(length: number) {
  return sealEnvelopeStreamNode({
    body: [patternBody(length)],
    bodyLength: length,
    readers: [reader],
    aad: { patient: PATIENT, category: 5 },
  });
}

function cle1(length: number): Uint8Array {
  return sealRecord({
    body: patternBody(length),
    readers: [reader],
    aad: { patient: PATIENT, category: 5 },
  });
}

async function drain(chunks: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  return collectBytes(chunks);
}

describe("offchain / streamed blobs in the filesystem store: privacy, frame, journal", function () {
  let scratch: string;
  beforeEach(async function () {
    scratch = await mkdtemp(join(tmpdir(), "careledger-stream-privacy-"));
  });
  afterEach(async function () {
    await rm(scratch, { recursive: true, force: true });
  });

  it("a streamed blob file is 0400 in 0700 directories, framed (version 2) and padded to its Padmé bucket", async function () {
    const root = join(scratch, "store");
    const store = new FsBlobStore(root, { fsync: false });
    for (const length of [0, 1, 70_000, 200_001]) {
      const s = sealed(length);
      const id = await store.putStream(s);
      const envelope = await collectBytes(sealed(length)); // same readers, new keys: only the size matters
      const path = store.pathFor(id);
      const h = id.slice(2);
      for (const dir of [
        root,
        join(root, h.slice(0, 2)),
        join(root, h.slice(0, 2), h.slice(2, 4)),
      ]) {
        expect((await stat(dir)).mode & 0o777, dir).to.equal(0o700);
      }
      expect((await stat(path)).mode & 0o777).to.equal(0o400);
      const file = new Uint8Array(await readFile(path));
      expect(Buffer.from(file.subarray(0, 5)).toString("latin1")).to.equal("CLBP\x02");
      expect(Number(new DataView(file.buffer).getBigUint64(5))).to.equal(envelope.length);
      expect(file.length).to.equal(paddedSize(STREAM_HEADER + envelope.length));
      expect(file.subarray(STREAM_HEADER + envelope.length).every((b) => b === 0)).to.equal(true);
      // every read path returns the envelope without its frame, verified
      const stored = await store.get(id);
      expect(stored.length).to.equal(envelope.length);
      expect(Buffer.compare(await drain(store.getStream(id)), stored)).to.equal(0);
      const source = await store.openSource(id);
      try {
        expect(source.size).to.equal(envelope.length);
        expect(Buffer.compare(await source.read(0, source.size), stored)).to.equal(0);
      } finally {
        await source.close();
      }
      expect(await store.has(id)).to.equal(true);
    }
    // nothing but the fan-out directories is left in the root (no temp file)
    expect((await readdir(root)).every((n) => /^[0-9a-f]{2}$/.test(n))).to.equal(true);
  });

  it("put (version 1) and putStream (version 2) frames of CLE1 and CLE2 blobs are told apart and read back by get, getStream and openSource", async function () {
    const store = new FsBlobStore(join(scratch, "store"), { fsync: false });
    const whole = await collectBytes(sealed(3000));
    const blobs: { id: string; bytes: Uint8Array; version: number }[] = [];
    const cle2Id = await store.put(whole);
    blobs.push({ id: cle2Id, bytes: whole, version: 1 });
    const small = cle1(500);
    blobs.push({ id: await store.put(small), bytes: small, version: 1 });
    const other = cle1(900);
    blobs.push({ id: await store.putStream([other]), bytes: other, version: 2 });
    // the same CLE2 envelope streamed again is a no-op: the put's copy is intact
    expect(await store.putStream([whole])).to.equal(cle2Id);
    for (const { id, bytes, version } of blobs) {
      const file = new Uint8Array(await readFile(store.pathFor(id)));
      expect(file[4], id).to.equal(version);
      expect(Buffer.compare(await store.get(id), bytes)).to.equal(0);
      expect(Buffer.compare(await drain(store.getStream(id)), bytes)).to.equal(0);
      const source = await store.openSource(id);
      expect(source.size).to.equal(bytes.length);
      await source.close();
    }
  });

  it("with padding off a streamed file keeps its version 2 frame, unpadded, and reads back", async function () {
    const store = new FsBlobStore(join(scratch, "store"), { fsync: false, padding: false });
    const id = await store.putStream(sealed(70_000));
    const stored = await store.get(id);
    expect((await stat(store.pathFor(id))).size).to.equal(STREAM_HEADER + stored.length);
    expect(Buffer.compare(await drain(store.getStream(id)), stored)).to.equal(0);
  });

  it("a streamed file whose padding or frame length was altered is an IntegrityError on every read path", async function () {
    const store = new FsBlobStore(join(scratch, "store"), { fsync: false });
    const id = await store.putStream(sealed(5000));
    const path = store.pathFor(id);
    const original = new Uint8Array(await readFile(path));
    const tamper = async (edit: (file: Uint8Array) => void): Promise<void> => {
      const file = Uint8Array.from(original);
      edit(file);
      await chmod(path, 0o600);
      await writeFile(path, file);
    };
    const edits: Record<string, (file: Uint8Array) => void> = {
      "a padding byte set": (f) => void (f[f.length - 1] = 1),
      // a length off by 64 KiB cannot fit the file (a length off by one may: only the content id
      // check of get/getStream catches that, openSource does not verify content)
      "the length field changed": (f) => void (f[10] = f[10]! ^ 1),
      "an unknown frame version": (f) => void (f[4] = 9),
    };
    for (const [what, edit] of Object.entries(edits)) {
      await tamper(edit);
      expect(await rejection(store.get(id)), what).to.be.instanceOf(IntegrityError);
      expect(await rejection(drain(store.getStream(id))), what).to.be.instanceOf(IntegrityError);
      expect(await rejection(store.openSource(id)), what).to.be.instanceOf(IntegrityError);
    }
    await tamper((f) => void (f[12] = f[12]! ^ 1));
    expect(await rejection(store.get(id))).to.be.instanceOf(IntegrityError);
    expect(await rejection(drain(store.getStream(id)))).to.be.instanceOf(IntegrityError);
  });

  const journals: Record<string, (dir: string) => StreamingBlobStore & AnchorJournal> = {
    filesystem: (dir) => new FsBlobStore(join(dir, "store"), { fsync: false }),
    memory: () => new MemoryBlobStore(nodeStreamSuite),
  };
  for (const [name, make] of Object.entries(journals)) {
    it(`${name}: a streamed put with an intent is listed unanchored until marked; deleteUnanchored removes it`, async function () {
      const store = make(scratch);
      const anchored = await store.putStream(sealed(100));
      const waiting = await store.putStream(sealed(2000), { intent });
      const dropped = await store.putStream(sealed(3000), {
        intent: { ...intent, intentKey: "0x03" },
      });
      expect((await store.listUnanchored()).map((e) => e.contentHash)).to.have.members([
        waiting,
        dropped,
      ]);
      const entry = (await store.listUnanchored()).find((e) => e.contentHash === waiting);
      // the file journal's JSON drops the undefined `supersedes`
      const { supersedes: _none, ...fields } = intent;
      expect(entry?.intent).to.deep.include(fields);
      expect(entry?.intent.supersedes).to.equal(undefined);
      await store.markAnchored(waiting);
      await store.deleteUnanchored(dropped);
      expect(await store.listUnanchored()).to.deep.equal([]);
      expect(await store.has(waiting)).to.equal(true);
      expect(await store.has(anchored)).to.equal(true);
      expect(await store.has(dropped)).to.equal(false);
    });

    it(`${name}: a refused beforeCommit records no intent and stores nothing`, async function () {
      const store = make(scratch);
      const refusal = new Error("anchor refused");
      const error = await rejection(
        store.putStream(sealed(100), {
          intent,
          beforeCommit: () => Promise.reject(refusal),
        }),
      );
      expect(error).to.equal(refusal);
      expect(await store.listUnanchored()).to.deep.equal([]);
    });
  }

  it("a streamed put into a read-only place is StorageReadOnlyError naming the directory (sysfs: EPERM)", async function () {
    const root = "/sys/careledger-stream-store";
    const error = await rejection(new FsBlobStore(root).putStream(sealed(10)));
    expect(error).to.be.instanceOf(StorageReadOnlyError);
    expect(error.message).to.contain(root);
  });

  it("a streamed put on a full disk (64 KiB tmpfs) is StorageFullError and leaves no temp file", async function () {
    await withTinyTmpfs(this, scratch, async (mountPoint) => {
      const store = new FsBlobStore(join(mountPoint, "store"));
      const small = await store.putStream(sealed(1000));
      const error = await rejection(store.putStream(sealed(200_000)));
      expect(error).to.be.instanceOf(StorageFullError);
      expect(await store.get(small)).to.have.length.above(1000);
      expect(await tempFilesUnder(join(mountPoint, "store"))).to.deep.equal([]);
    });
  });

  it("removeStaleTempFiles sweeps a streamed put's temp file in the root and the journal's, and keeps fresh ones", async function () {
    const store = new FsBlobStore(join(scratch, "store"), { fsync: false });
    await store.putStream(sealed(10), { intent });
    const old = Date.now() / 1000 - 7200;
    const stale = [join(store.root, ".tmp-stream.aaaa"), join(store.root, "unanchored", ".tmp-x")];
    for (const path of stale) {
      await writeFile(path, "partial");
      await utimes(path, old, old);
    }
    const fresh = join(store.root, ".tmp-stream.bbbb");
    await writeFile(fresh, "in flight");
    expect(await store.removeStaleTempFiles()).to.equal(2);
    const left = await readdir(store.root);
    expect(left).to.include(".tmp-stream.bbbb");
    expect(left).not.to.include(".tmp-stream.aaaa");
    expect(await store.listUnanchored()).to.have.length(1);
  });
});
