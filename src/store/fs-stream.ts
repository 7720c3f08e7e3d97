/**
 * Streaming put and get for the filesystem blob store (Node only): `putStream` writes the chunks
 * to a temp file in the store root while hashing them, fsyncs it, and renames it to the path of
 * its content id (then fsyncs the directories); `getStream` reads a file as a verifying stream.
 */
import { randomBytes } from "node:crypto";
import * as fsp from "node:fs/promises";
import { dirname, join } from "node:path";
import { IntegrityError, NotFoundError } from "../errors.js";
import { normalizeContentHash, type ContentHash } from "../crypto/hash.js";
import { contentIdHasherNode, nodeStreamSuite, openFileSource } from "../crypto/stream-node.js";
import { SealedEnvelopeStream } from "../crypto/stream.js";
import { ensureDirectory, fsyncDirectory, TEMP_PREFIX } from "./atomic-fs.js";
import { verifiedBlobChunks, type BlobSource, type PutStreamOptions } from "./stream.js";

/** What the streaming functions need of a filesystem store. */
export interface FsStoreLayout {
  readonly root: string;
  readonly fsync: boolean;
  pathFor(hash: string): string;
}

/** Mode of stored blobs (read-only, like `FsBlobStore.put`). */
const BLOB_MODE = 0o444;
/** Bytes gathered into one write of a streamed put. */
const WRITE_BATCH = 2 ** 20;
/** Bytes written between background flushes of a streamed put. */
const SYNC_EVERY = 32 * 2 ** 20;

/** Stream `chunks` into the store atomically; see `StreamingBlobStore.putStream`. */
export async function putStreamFs(
  store: FsStoreLayout,
  chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  options: PutStreamOptions = {},
): Promise<ContentHash> {
  await ensureDirectory(store.root, store.fsync);
  const temp = join(store.root, `${TEMP_PREFIX}stream.${randomBytes(6).toString("hex")}`);
  let committed = false;
  try {
    // An envelope sealed in this process comes with the id its sealer computed over the very
    // chunks it yields: hashing them again would only repeat that work.
    const sealed = chunks instanceof SealedEnvelopeStream ? chunks : undefined;
    const hasher = sealed === undefined ? contentIdHasherNode() : undefined;
    const handle = await fsp.open(temp, "wx", BLOB_MODE);
    try {
      let pending: Promise<void> | undefined;
      // Flush to disk in the background every SYNC_EVERY bytes, so the final fsync does not wait
      // for the whole blob and dirty pages stay bounded.
      let flushing: Promise<void> | undefined;
      let flushError: unknown;
      let unsynced = 0;
      // Chunks are gathered into one writev of about WRITE_BATCH bytes; one batch is in flight
      // while the next is produced.
      let batch: Uint8Array[] = [];
      let batched = 0;
      const write = async (): Promise<void> => {
        const buffers = batch;
        const length = batched;
        batch = [];
        batched = 0;
        await pending;
        pending = writeAllV(handle, buffers, length);
        unsynced += length;
        if (store.fsync && unsynced >= SYNC_EVERY && flushing === undefined) {
          unsynced = 0;
          flushing = pending
            .then(() => handle.datasync())
            .catch((error: unknown) => void (flushError ??= error))
            .finally(() => (flushing = undefined));
        }
      };
      for await (const chunk of chunks) {
        hasher?.update(chunk);
        batch.push(chunk);
        batched += chunk.length;
        if (batched >= WRITE_BATCH) await write();
      }
      if (batched > 0) await write();
      await pending;
      await flushing;
      if (flushError !== undefined) throw flushError;
      if (store.fsync) await handle.sync();
    } finally {
      await handle.close();
    }
    const id = hasher === undefined ? (sealed as SealedEnvelopeStream).contentId : hasher.digest();
    await options.beforeCommit?.(id);
    const path = store.pathFor(id);
    if (await intact(path, id)) return id;
    await ensureDirectory(dirname(path), store.fsync);
    await fsp.rename(temp, path);
    committed = true;
    if (store.fsync) {
      await fsyncDirectory(dirname(path));
      await fsyncDirectory(store.root);
    }
    return id;
  } finally {
    if (!committed) await fsp.rm(temp, { force: true });
  }
}

/** The file of blob `hash` as a verifying stream; see `StreamingBlobStore.getStream`. */
export async function* getStreamFs(store: FsStoreLayout, hash: string): AsyncGenerator<Uint8Array> {
  const key = normalizeContentHash(hash);
  const source = await openSourceFs(store, key);
  try {
    yield* verifiedBlobChunks(source, key, nodeStreamSuite, `filesystem blob store ${store.root}`);
  } finally {
    await source.close();
  }
}

/** The file of blob `hash` for random access (unverified); {@link NotFoundError} when absent. */
export async function openSourceFs(store: FsStoreLayout, hash: string): Promise<BlobSource> {
  const key = normalizeContentHash(hash);
  try {
    return await openFileSource(store.pathFor(key));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") throw new NotFoundError("blob", key);
    throw error;
  }
}

/** Whether `path` holds an intact copy of blob `id` (a damaged copy is replaced by the caller). */
async function intact(path: string, id: ContentHash): Promise<boolean> {
  let source: BlobSource;
  try {
    source = await openFileSource(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return false;
    throw error;
  }
  try {
    for await (const chunk of verifiedBlobChunks(source, id, nodeStreamSuite, path)) void chunk;
    return true;
  } catch (error) {
    if (error instanceof IntegrityError) return false;
    throw error;
  } finally {
    await source.close();
  }
}

async function writeAllV(
  handle: fsp.FileHandle,
  buffers: Uint8Array[],
  length: number,
): Promise<void> {
  const { bytesWritten } = await handle.writev(buffers);
  if (bytesWritten === length) return;
  // A short write (rare on regular files): write what is left.
  const rest = new Uint8Array(length - bytesWritten);
  let skip = bytesWritten;
  let o = 0;
  for (const b of buffers) {
    const from = Math.min(skip, b.length);
    skip -= from;
    rest.set(b.subarray(from), o);
    o += b.length - from;
  }
  await writeAll(handle, rest);
}

async function writeAll(handle: fsp.FileHandle, chunk: Uint8Array): Promise<void> {
  let done = 0;
  while (done < chunk.length) {
    const { bytesWritten } = await handle.write(chunk, done, chunk.length - done);
    done += bytesWritten;
  }
}
