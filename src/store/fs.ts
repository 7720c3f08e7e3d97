/**
 * Filesystem {@link BlobStore} (the default store, Node only).
 *
 * Layout: `<root>/<h0h1>/<h2h3>/<h>` where `h` is the 64-digit lower-case keccak256 hex of the
 * blob (no `0x`), e.g. `root/3f/a2/3fa2…`. Two fan-out levels keep directories small (65 536
 * leaves). Blobs are written with {@link writeFileAtomic} (temp file in the same directory, fsync,
 * rename, fsync directory), so a reader never sees a partial blob; temp files (`.tmp-…`) left by a
 * crash are invisible to `get`/`has` and can be swept with {@link FsBlobStore.removeStaleTempFiles}.
 */
import * as fsp from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { IntegrityError, NotFoundError } from "../errors.js";
import { normalizeContentHash, type ContentHash } from "../crypto/hash.js";
import { ensureDirectory, isTempFileName, writeFileAtomic } from "./atomic-fs.js";
import { blobId, verifyBlob, type BlobStore } from "./blob-store.js";
import { nodeStreamSuite } from "../crypto/stream-node.js";
import { getStreamFs, openSourceFs, putStreamFs } from "./fs-stream.js";
import type { BlobSource, PutStreamOptions, StreamingBlobStore } from "./stream.js";

/** Options of {@link FsBlobStore}. */
export interface FsBlobStoreOptions {
  /** fsync blobs and directories on `put` (default `true`; disable only for throwaway data). */
  readonly fsync?: boolean;
}

/** Content-addressed blobs in a directory tree; see the module comment for the layout. */
export class FsBlobStore implements BlobStore, StreamingBlobStore {
  /** Absolute root directory of the store. */
  readonly root: string;
  readonly #fsync: boolean;

  /** A store rooted at `root` (created on the first `put`). */
  constructor(root: string, options: FsBlobStoreOptions = {}) {
    this.root = resolve(root);
    this.#fsync = options.fsync ?? true;
  }

  /** Absolute path at which the blob `hash` is (or would be) stored. */
  pathFor(hash: string): string {
    const h = normalizeContentHash(hash).slice(2);
    return join(this.root, h.slice(0, 2), h.slice(2, 4), h);
  }

  /**
   * Store `bytes` durably and return their content hash. Idempotent: when the blob is already
   * present and intact nothing is written; when a present copy is damaged it is replaced.
   */
  async put(bytes: Uint8Array): Promise<ContentHash> {
    const hash = blobId(bytes, nodeStreamSuite);
    const path = this.pathFor(hash);
    const existing = await readIfPresent(path);
    if (existing !== undefined && isIntact(existing, hash)) return hash;
    await ensureDirectory(dirname(path), this.#fsync);
    await writeFileAtomic(path, bytes, { mode: 0o444, fsync: this.#fsync });
    return hash;
  }

  /**
   * The blob stored under `hash`, after checking that it hashes to `hash`.
   *
   * @throws NotFoundError when absent; IntegrityError when the file's bytes do not match.
   */
  async get(hash: string): Promise<Uint8Array> {
    const key = normalizeContentHash(hash);
    const bytes = await readIfPresent(this.pathFor(key));
    if (bytes === undefined) throw new NotFoundError("blob", key);
    verifyBlob(key, bytes, `filesystem blob store ${this.root}`, nodeStreamSuite);
    return bytes;
  }

  /** @inheritdoc */
  putStream(
    chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
    options?: PutStreamOptions,
  ): Promise<ContentHash> {
    return putStreamFs(this.#layout(), chunks, options);
  }

  /** @inheritdoc */
  getStream(hash: string): AsyncIterable<Uint8Array> {
    return getStreamFs(this.#layout(), hash);
  }

  /** @inheritdoc */
  openSource(hash: string): Promise<BlobSource> {
    return openSourceFs(this.#layout(), hash);
  }

  #layout() {
    return { root: this.root, fsync: this.#fsync, pathFor: (h: string) => this.pathFor(h) };
  }

  /** Whether a blob file exists for `hash` (temp files never count; content is not verified). */
  async has(hash: string): Promise<boolean> {
    try {
      return (await fsp.stat(this.pathFor(hash))).isFile();
    } catch (error) {
      if (isMissing(error)) return false;
      throw error;
    }
  }

  /**
   * Delete temp files left by interrupted writes that are older than `olderThanMs` (default one
   * hour, so in-flight writes of other processes are left alone). Returns how many were removed.
   */
  async removeStaleTempFiles(olderThanMs = 60 * 60 * 1000): Promise<number> {
    const cutoff = Date.now() - olderThanMs;
    let removed = 0;
    for (const level1 of await listDirectory(this.root)) {
      if (isTempFileName(level1)) {
        // a streamed put writes its temp file in the root (its id is known only at the end)
        removed += await removeIfStale(join(this.root, level1), cutoff);
        continue;
      }
      for (const level2 of await listDirectory(join(this.root, level1))) {
        const dir = join(this.root, level1, level2);
        for (const name of await listDirectory(dir)) {
          if (isTempFileName(name)) removed += await removeIfStale(join(dir, name), cutoff);
        }
      }
    }
    return removed;
  }
}

function isIntact(bytes: Uint8Array, hash: ContentHash): boolean {
  try {
    return blobId(bytes, nodeStreamSuite) === hash;
  } catch (error) {
    if (error instanceof IntegrityError) return false;
    throw error;
  }
}

async function removeIfStale(path: string, cutoff: number): Promise<number> {
  const stat = await fsp.stat(path).catch(() => undefined);
  if (stat === undefined || stat.mtimeMs > cutoff) return 0;
  await fsp.rm(path, { force: true });
  return 1;
}

async function readIfPresent(path: string): Promise<Uint8Array | undefined> {
  try {
    const buf = await fsp.readFile(path);
    return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
  } catch (error) {
    if (isMissing(error)) return undefined;
    throw error;
  }
}

async function listDirectory(dir: string): Promise<string[]> {
  try {
    return await fsp.readdir(dir);
  } catch (error) {
    if (isMissing(error) || (error as NodeJS.ErrnoException).code === "ENOTDIR") return [];
    throw error;
  }
}

function isMissing(error: unknown): boolean {
  return (error as NodeJS.ErrnoException | undefined)?.code === "ENOENT";
}
