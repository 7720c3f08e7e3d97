/**
 * `BlobStore.delete` in every store: the blob and its anchor-journal entry are gone, a second delete is a
 * no-op, and the filesystem store leaves no file behind (a streamed CLE2 blob included).
 */
import { expect } from "chai";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { NotFoundError } from "../../src/errors.js";
import { FsBlobStore, MemoryBlobStore } from "../../src/store/index.js";
import { rejection } from "../helpers/index.js";

const STORES = [
  ["MemoryBlobStore", () => Promise.resolve({ store: new MemoryBlobStore(), dir: undefined })],
  [
    "FsBlobStore",
    async () => {
      const dir = await mkdtemp(join(tmpdir(), "careledger-delete-"));
      return { store: new FsBlobStore(dir, { fsync: true }), dir };
    },
  ],
] as const;

const INTENT = {
  patient: "0x0000000000000000000000000000000000000001",
  category: 4,
  supersedes: undefined,
  author: "0x0000000000000000000000000000000000000002",
  intentKey: "erasure-test",
};

async function filesIn(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries.filter((e) => e.isFile()).map((e) => e.name);
}

describe("BlobStore.delete", function () {
  for (const [name, make] of STORES) {
    describe(name, function () {
      it("destroys the blob and its journal entry; deleting again is a no-op", async function () {
        const { store, dir } = await make();
        try {
          const kept = await store.put(new TextEncoder().encode("kept"));
          const hash = await store.putUnanchored(new TextEncoder().encode("erase me"), INTENT);
          expect((await store.listUnanchored()).map((u) => u.contentHash)).to.deep.equal([hash]);
          await store.delete(hash);
          expect(await store.has(hash)).to.equal(false);
          expect(await rejection(store.get(hash))).to.be.instanceOf(NotFoundError);
          expect(await store.listUnanchored()).to.deep.equal([]);
          await store.delete(hash);
          await store.delete(hash.toUpperCase().replace("0X", "0x"));
          expect(new TextDecoder().decode(await store.get(kept))).to.equal("kept");
          if (dir !== undefined) expect(await filesIn(dir)).to.deep.equal([kept.slice(2)]);
        } finally {
          if (dir !== undefined) await rm(dir, { recursive: true, force: true });
        }
      });

      it("destroys a streamed blob", async function () {
        const { store, dir } = await make();
        try {
          const hash = await store.putStream([new Uint8Array(70_000).fill(7)]);
          expect(await store.has(hash)).to.equal(true);
          await store.delete(hash);
          expect(await store.has(hash)).to.equal(false);
          if (dir !== undefined) expect(await filesIn(dir)).to.deep.equal([]);
        } finally {
          if (dir !== undefined) await rm(dir, { recursive: true, force: true });
        }
      });
    });
  }
});
