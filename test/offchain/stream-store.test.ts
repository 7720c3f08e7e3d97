/**
 * Streaming blob store methods (`putStream`, `getStream`, `openSource`) on both stores: content
 * ids, idempotence, refusal of a malformed CLE2 envelope, an aborted put that leaves nothing, and
 * a verifying read that stops at a damaged segment.
 */
import { expect } from "chai";
import { chmod, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  collectBytes,
  contentHash,
  contentIdOf,
  generateMemberKeyPair,
  nodeStreamSuite,
  sealEnvelopeStreamNode,
  SegmentIntegrityError,
} from "../../src/crypto/index.js";
import { SEGMENT_SIZE } from "../../src/crypto/stream-format.js";
import { IntegrityError, NotFoundError } from "../../src/errors.js";
import { FsBlobStore, MemoryBlobStore, type StreamingBlobStore } from "../../src/store/index.js";
import { patternBody, rejection } from "../helpers/index.js";

const reader = generateMemberKeyPair();
const PATIENT = "0x5c0ffee5c0ffee5c0ffee5c0ffee5c0ffee5c0ff";

function sealed(length: number) {
  const body = patternBody(length);
  return sealEnvelopeStreamNode({
    body: [body],
    bodyLength: length,
    readers: [reader],
    aad: { patient: PATIENT, category: 5 },
  });
}

async function envelopeBytes(length: number): Promise<{ bytes: Uint8Array; id: string }> {
  const s = sealed(length);
  const bytes = await collectBytes(s);
  return { bytes, id: s.contentId };
}

const STORES: Record<string, (dir: string) => StreamingBlobStore> = {
  filesystem: (dir) => new FsBlobStore(join(dir, "blobs")),
  memory: () => new MemoryBlobStore(nodeStreamSuite),
};

describe("streaming blob stores", function () {
  let dir: string;
  beforeEach(async function () {
    dir = await mkdtemp(join(tmpdir(), "careledger-stream-store-"));
  });
  afterEach(async function () {
    await rm(dir, { recursive: true, force: true });
  });

  for (const [name, make] of Object.entries(STORES)) {
    describe(name, function () {
      it("putStream returns the content id; getStream gives the same bytes back; idempotent", async function () {
        const store = make(dir);
        const { bytes, id } = await envelopeBytes(2 * SEGMENT_SIZE + 5);
        const chunks = [
          bytes.subarray(0, 1000),
          bytes.subarray(1000, 70_000),
          bytes.subarray(70_000),
        ];
        expect(await store.putStream(chunks)).to.equal(id);
        expect(await store.putStream([bytes])).to.equal(id);
        expect(hex(await collectBytes(store.getStream(id)))).to.equal(hex(bytes));
        expect(await store.has(id)).to.equal(true);
      });

      it("a sealed stream goes straight in, under the id its sealer computed", async function () {
        const store = make(dir);
        const s = sealed(SEGMENT_SIZE * 3);
        const id = await store.putStream(s);
        expect(id).to.equal(s.contentId);
        expect(contentIdOf(await collectBytes(store.getStream(id)), nodeStreamSuite)).to.equal(id);
      });

      it("a blob that is not CLE2 is addressed by keccak256, like put", async function () {
        const store = make(dir);
        const bytes = new TextEncoder().encode("not an envelope");
        expect(await store.putStream([bytes])).to.equal(contentHash(bytes));
        expect(await collectBytes(store.getStream(contentHash(bytes)))).to.deep.equal(bytes);
      });

      it("a CLE2 envelope whose segment does not match its table is refused", async function () {
        const store = make(dir);
        const { bytes } = await envelopeBytes(SEGMENT_SIZE + 1);
        const bad = Uint8Array.from(bytes);
        bad[300]! ^= 1;
        expect(await rejection(store.putStream([bad]))).to.be.instanceOf(SegmentIntegrityError);
      });

      it("put and get of a whole CLE2 envelope use its stream id too", async function () {
        const store = make(dir);
        const { bytes, id } = await envelopeBytes(SEGMENT_SIZE + 2);
        expect(await store.put(bytes)).to.equal(id);
        expect(hex(await store.get(id))).to.equal(hex(bytes));
        expect(hex(await collectBytes(store.getStream(id)))).to.equal(hex(bytes));
      });

      it("a beforeCommit refusal stores nothing", async function () {
        const store = make(dir);
        const { bytes, id } = await envelopeBytes(1000);
        const error = await rejection(
          store.putStream([bytes], {
            beforeCommit: () => Promise.reject(new Error("anchor refused")),
          }),
        );
        expect(error.message).to.equal("anchor refused");
        expect(await store.has(id)).to.equal(false);
        expect(await rejection(store.openSource(id))).to.be.instanceOf(NotFoundError);
      });
    });
  }

  it("filesystem: no temp file is left after an aborted put; a damaged segment stops getStream", async function () {
    const store = new FsBlobStore(join(dir, "blobs"));
    const { bytes, id } = await envelopeBytes(3 * SEGMENT_SIZE);
    await rejection(
      store.putStream([bytes.subarray(0, 500)], { beforeCommit: () => Promise.resolve() }),
    );
    expect(await readdir(store.root, { recursive: true })).to.deep.equal([]);
    await store.putStream([bytes]);
    const path = store.pathFor(id);
    const damaged = new Uint8Array(await readFile(path));
    damaged[damaged.length - 100]! ^= 1; // in the trailer: the content id no longer matches
    await chmod(path, 0o644);
    await writeFile(path, damaged);
    const released: Uint8Array[] = [];
    const error = await rejection(
      (async () => {
        for await (const c of store.getStream(id)) released.push(c);
      })(),
    );
    expect(error).to.be.instanceOf(IntegrityError);
    expect(released).to.deep.equal([]);
    // A damaged copy is replaced by the next put of the same envelope.
    expect(await store.putStream([bytes])).to.equal(id);
    expect(hex(await collectBytes(store.getStream(id)))).to.equal(hex(bytes));
  });
});

function hex(b: Uint8Array): string {
  return Buffer.from(b).toString("hex");
}
