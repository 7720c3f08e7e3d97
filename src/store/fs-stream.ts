/**
 * Streaming put and get for the filesystem blob store (Node only): `putStream` writes the chunks
 * to a temp file in the store root while hashing them, inside a version 2 frame padded like every
 * blob file (`disk.ts`), fsyncs it, records the anchor intent when asked, and renames it to the path
 * of its content id (then fsyncs the directories); `getStream` reads a file as a verifying stream.
 * Disk faults are typed like the store's (`StorageFullError`, `StorageReadOnlyError`).
 */
import { randomBytes } from "node:crypto";
import * as fsp from "node:fs/promises";
import { dirname, join } from "node:path";
import { IntegrityError, NotFoundError } from "../errors.js";
import { normalizeContentHash, type ContentHash } from "../crypto/hash.js";
import { contentIdHasherNode, nodeStreamSuite, openFileSource } from "../crypto/stream-node.js";
import { SealedEnvelopeStream } from "../crypto/stream.js";
import { fsyncDirectory, TEMP_PREFIX } from "./atomic-fs.js";
import { frameHeader, framedSize, storageErrorFrom, storageFault, unframedSource } from "./disk.js";
import type { AnchorIntent } from "./journal.js";
import { verifiedBlobChunks, type BlobSource, type PutStreamOptions } from "./stream.js";

/** What the streaming functions need of a filesystem store. */
export interface FsStoreLayout {
  readonly root: string;
  readonly fsync: boolean;
  /** Pad the file to its Padmé bucket. */
  readonly padding: boolean;
  /** Mode of blob files. */
  readonly blobMode: number;
  pathFor(hash: string): string;
  /** Create `dir` and its missing parents owner-only. */
  directory(dir: string): Promise<void>;
  /** Record the anchor intent of `hash` in the store's journal. */
  recordIntent(hash: ContentHash, intent: AnchorIntent): Promise<void>;
}

/** Bytes gathered into one write of a streamed put. */
const WRITE_BATCH = 2 ** 20;
/** Bytes written between background flushes of a streamed put. */
const SYNC_EVERY = 32 * 2 ** 20;
/** Size of the version 2 frame header that precedes a streamed blob. */
const STREAM_HEADER = frameHeader(2, 0).length;
/** Largest run of padding zeros written at once. */
const ZEROS = new Uint8Array(2 ** 20);

/** Stream `chunks` into the store atomically; see `StreamingBlobStore.putStream`. */
export async function putStreamFs(
  store: FsStoreLayout,
  chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  options: PutStreamOptions = {},
): Promise<ContentHash> {
  await storageFault("create the store directory", store.root, () => store.directory(store.root));
  const temp = join(store.root, `${TEMP_PREFIX}stream.${randomBytes(6).toString("hex")}`);
  // Only disk operations are mapped to storage errors: a failing body stream or a refused anchor
  // simulation (`beforeCommit`) surfaces as itself.
  const disk = <T>(what: string, work: () => Promise<T>): Promise<T> =>
    storageFault(what, temp, work);
  let committed = false;
  try {
    // An envelope sealed in this process comes with the id its sealer computed over the very
    // chunks it yields: hashing them again would only repeat that work.
    const sealed = chunks instanceof SealedEnvelopeStream ? chunks : undefined;
    const hasher = sealed === undefined ? contentIdHasherNode() : undefined;
    const handle = await disk("store a blob", () => fsp.open(temp, "wx", store.blobMode));
    try {
      // The header's length is written last, once known; the blob starts after it.
      let position = STREAM_HEADER;
      let pending: Promise<void> | undefined;
      // Flush to disk in the background every SYNC_EVERY bytes, so the final fsync does not wait
      // for the whole blob and dirty pages stay bounded.
      let flushing: Promise<void> | undefined;
      let flushError: { readonly error: unknown } | undefined;
      let unsynced = 0;
      // Chunks are gathered into one writev of about WRITE_BATCH bytes; one batch is in flight
      // while the next is produced.
      let batch: Uint8Array[] = [];
      let batched = 0;
      const write = async (): Promise<void> => {
        const buffers = batch;
        const length = batched;
        const at = position;
        batch = [];
        batched = 0;
        position += length;
        await pending;
        pending = disk("store a blob", () => writeAllV(handle, buffers, length, at));
        // awaited before the next write; until then a failure must not count as unhandled
        pending.catch(() => undefined);
        unsynced += length;
        if (store.fsync && unsynced >= SYNC_EVERY && flushing === undefined) {
          unsynced = 0;
          flushing = pending
            .then(() => handle.datasync())
            .catch((error: unknown) => void (flushError ??= { error }))
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
      await disk("store a blob", async () => {
        await pending;
        await flushing;
        if (flushError !== undefined) throw flushError.error;
        const length = position - STREAM_HEADER;
        const fileSize = framedSize(2, length, store.padding);
        for (let at = position; at < fileSize; at += ZEROS.length) {
          await writeAll(handle, ZEROS.subarray(0, Math.min(ZEROS.length, fileSize - at)), at);
        }
        await writeAll(handle, frameHeader(2, length), 0);
        if (store.fsync) await handle.sync();
      });
    } finally {
      await handle.close();
    }
    const id = hasher === undefined ? (sealed as SealedEnvelopeStream).contentId : hasher.digest();
    await options.beforeCommit?.(id);
    if (options.intent !== undefined) await store.recordIntent(id, options.intent);
    const path = store.pathFor(id);
    if (await intact(store, path, id)) return id;
    await disk("store a blob", async () => {
      await store.directory(dirname(path));
      await fsp.rename(temp, path);
      committed = true;
      if (store.fsync) {
        await fsyncDirectory(dirname(path));
        await fsyncDirectory(store.root);
      }
    });
    return id;
  } finally {
    if (!committed) await fsp.rm(temp, { force: true }).catch(() => undefined);
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

/**
 * The blob `hash` for random access (unverified, but its frame checked: size and zero padding);
 * {@link NotFoundError} when absent, typed storage errors on disk faults.
 */
export async function openSourceFs(store: FsStoreLayout, hash: string): Promise<BlobSource> {
  const key = normalizeContentHash(hash);
  const source = await openFramed(
    store.pathFor(key),
    `filesystem blob store ${store.root}: blob ${key}`,
  );
  if (source === undefined) throw new NotFoundError("blob", key);
  return source;
}

/** The blob in the file at `path` as a source (frame checked), undefined when there is no file. */
async function openFramed(path: string, where: string): Promise<BlobSource | undefined> {
  let file: BlobSource;
  try {
    file = await openFileSource(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw storageErrorFrom(error, "read a blob", path);
  }
  try {
    return await unframedSource(readsTyped(file, path), where);
  } catch (error) {
    await file.close();
    throw error;
  }
}

/** `file` with its read errors mapped to storage errors. */
function readsTyped(file: BlobSource, path: string): BlobSource {
  return {
    size: file.size,
    read: (offset, length) => storageFault("read a blob", path, () => file.read(offset, length)),
    close: () => file.close(),
  };
}

/** Whether `path` holds an intact copy of blob `id` (a damaged copy is replaced by the caller). */
async function intact(store: FsStoreLayout, path: string, id: ContentHash): Promise<boolean> {
  let source: BlobSource | undefined;
  try {
    source = await openFramed(path, path);
    if (source === undefined) return false;
    for await (const chunk of verifiedBlobChunks(source, id, nodeStreamSuite, path)) void chunk;
    return true;
  } catch (error) {
    if (error instanceof IntegrityError) return false;
    throw error;
  } finally {
    await source?.close();
  }
}

async function writeAllV(
  handle: fsp.FileHandle,
  buffers: Uint8Array[],
  length: number,
  position: number,
): Promise<void> {
  const { bytesWritten } = await handle.writev(buffers, position);
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
  await writeAll(handle, rest, position + bytesWritten);
}

async function writeAll(
  handle: fsp.FileHandle,
  chunk: Uint8Array,
  position: number,
): Promise<void> {
  let done = 0;
  while (done < chunk.length) {
    const { bytesWritten } = await handle.write(chunk, done, chunk.length - done, position + done);
    done += bytesWritten;
  }
}
