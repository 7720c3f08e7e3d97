/**
 * Filesystem {@link BlobStore} (the default store, Node only).
 *
 * Layout: `<root>/<h0h1>/<h2h3>/<h>` where `h` is the 64-digit lower-case keccak256 hex of the
 * blob (no `0x`), e.g. `root/3f/a2/3fa2…`. Two fan-out levels keep directories small (65 536
 * leaves). Blobs are written with {@link writeFileAtomic} (temp file in the same directory, fsync,
 * rename, fsync directory), so a reader never sees a partial blob; temp files (`.tmp-…`) left by a
 * crash are invisible to `get`/`has` and can be swept with {@link FsBlobStore.removeStaleTempFiles}.
 *
 * Privacy on a shared host: every directory the store creates is mode 0700 (the root too) and every
 * file 0400 (blobs) or 0600 (journal), so another local user cannot list, stat or read them. Blobs are
 * padded on disk to Padmé size buckets (`paddedSize`; on by default), framed as
 * `"CLBP" | 0x01 | uint32 BE length | blob | zeros` (`put`) or `"CLBP" | 0x02 | uint64 BE length |
 * blob | zeros` (`putStream`, whose length is known only at the end), so a file's size does not give
 * the envelope's exact length (see `disk.ts`). A frame whose size or padding is not exactly that is
 * an `IntegrityError`. Streamed blobs (`fs-stream.ts`) get the same modes, frame, padding, typed
 * errors and anchor journal; their temp files live in the root until renamed.
 *
 * Disk faults are typed: `StorageFullError` (ENOSPC, EDQUOT), `StorageReadOnlyError` (EROFS, EACCES,
 * EPERM, or a directory that cannot be created where its parent exists), `StorageError` otherwise;
 * the system error is the `cause`.
 *
 * The anchor journal ({@link AnchorJournal}) keeps one file per unanchored envelope in
 * `<root>/unanchored/<h>.json`.
 */
import * as fsp from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { IntegrityError, NotFoundError, StorageReadOnlyError } from "../errors.js";
import { normalizeContentHash, type ContentHash } from "../crypto/hash.js";
import { nodeStreamSuite } from "../crypto/stream-node.js";
import { fsyncDirectory, isTempFileName, writeFileAtomic } from "./atomic-fs.js";
import { blobId, verifyBlob, type BlobStore } from "./blob-store.js";
import {
  frameHeader,
  framedSize,
  startsWithMagic,
  storageFault,
  storageErrorFrom,
  unframe,
} from "./disk.js";
import { getStreamFs, openSourceFs, putStreamFs, type FsStoreLayout } from "./fs-stream.js";
import type { AnchorIntent, AnchorJournal, UnanchoredBlob } from "./journal.js";
import type { BlobSource, PutStreamOptions, StreamingBlobStore } from "./stream.js";

export { storageErrorFrom };

/** Options of {@link FsBlobStore}. */
export interface FsBlobStoreOptions {
  /** fsync blobs and directories on `put` (default `true`; disable only for throwaway data). */
  readonly fsync?: boolean;
  /** Pad blob files to Padmé size buckets (default `true`). */
  readonly padding?: boolean;
}

const JOURNAL_DIR = "unanchored";
const DIR_MODE = 0o700;
const BLOB_MODE = 0o400;
const JOURNAL_MODE = 0o600;

/** Content-addressed blobs in a directory tree; see the module comment for the layout. */
export class FsBlobStore implements BlobStore, StreamingBlobStore, AnchorJournal {
  /** Absolute root directory of the store. */
  readonly root: string;
  readonly #fsync: boolean;
  readonly #padding: boolean;

  /** A store rooted at `root` (created on the first `put`). */
  constructor(root: string, options: FsBlobStoreOptions = {}) {
    this.root = resolve(root);
    this.#fsync = options.fsync ?? true;
    this.#padding = options.padding ?? true;
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
    return storageFault("store a blob", path, async () => {
      const existing = await readIfPresent(path);
      if (existing !== undefined && intact(existing, hash)) return hash;
      await this.#directory(dirname(path));
      await writeFileAtomic(path, this.#frame(bytes), { mode: BLOB_MODE, fsync: this.#fsync });
      return hash;
    });
  }

  /**
   * The blob stored under `hash`, after checking that it hashes to `hash`.
   *
   * @throws NotFoundError when absent; IntegrityError when the file's bytes do not match.
   */
  async get(hash: string): Promise<Uint8Array> {
    const key = normalizeContentHash(hash);
    const path = this.pathFor(key);
    const file = await storageFault("read a blob", path, () => readIfPresent(path));
    if (file === undefined) throw new NotFoundError("blob", key);
    const bytes = unframe(file, `filesystem blob store ${this.root}: blob ${key}`);
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

  #layout(): FsStoreLayout {
    return {
      root: this.root,
      fsync: this.#fsync,
      padding: this.#padding,
      blobMode: BLOB_MODE,
      pathFor: (h: string) => this.pathFor(h),
      directory: (dir: string) => this.#directory(dir),
      recordIntent: (hash: ContentHash, intent: AnchorIntent) => this.#recordIntent(hash, intent),
    };
  }

  /** Whether a blob file exists for `hash` (temp files never count; content is not verified). */
  async has(hash: string): Promise<boolean> {
    const path = this.pathFor(hash);
    return storageFault("look up a blob", path, async () => {
      try {
        return (await fsp.stat(path)).isFile();
      } catch (error) {
        if (isMissing(error)) return false;
        throw error;
      }
    });
  }

  /** @inheritdoc */
  async putUnanchored(bytes: Uint8Array, intent: AnchorIntent): Promise<ContentHash> {
    const hash = blobId(bytes, nodeStreamSuite);
    await this.#recordIntent(hash, intent);
    return this.put(bytes);
  }

  /** Write the journal entry of `hash` (before the blob itself, so no blob is ever untracked). */
  async #recordIntent(hash: ContentHash, intent: AnchorIntent): Promise<void> {
    const entry = this.#journalPath(hash);
    await storageFault("record an anchor intent", entry, async () => {
      await this.#directory(dirname(entry));
      const record: UnanchoredBlob = { contentHash: hash, intent, storedAt: Date.now() };
      await writeFileAtomic(entry, JSON.stringify(record), {
        mode: JOURNAL_MODE,
        fsync: this.#fsync,
      });
    });
  }

  /** @inheritdoc */
  async markAnchored(hash: string): Promise<void> {
    const entry = this.#journalPath(normalizeContentHash(hash));
    await storageFault("clear an anchor intent", entry, () => fsp.rm(entry, { force: true }));
  }

  /** @inheritdoc */
  async listUnanchored(): Promise<UnanchoredBlob[]> {
    const dir = join(this.root, JOURNAL_DIR);
    return storageFault("list unanchored blobs", dir, async () => {
      const out: UnanchoredBlob[] = [];
      for (const name of await listDirectory(dir)) {
        if (!name.endsWith(".json") || isTempFileName(name)) continue;
        const text = await fsp.readFile(join(dir, name), "utf8").catch(() => undefined);
        const entry = text === undefined ? undefined : parseEntry(text);
        if (entry === undefined || `${entry.contentHash.slice(2)}.json` !== name) {
          throw new IntegrityError(`anchor journal entry ${join(dir, name)} is not well formed`);
        }
        // An intent whose blob never made it to disk (crash before the blob write) is void.
        if (!(await this.has(entry.contentHash))) {
          await fsp.rm(join(dir, name), { force: true });
          continue;
        }
        out.push(entry);
      }
      return out.sort((a, b) => a.storedAt - b.storedAt);
    });
  }

  /**
   * Destroy the blob `hash` (a `put` or a streamed `putStream` file) and its anchor-journal entry. The
   * file is overwritten with zeros and synced before it is unlinked and the directory synced, so a crash
   * leaves either the zeroed file or nothing, never a readable envelope. Overwriting in place cannot reach
   * copies a copy-on-write file system, a snapshot or a wear-levelled SSD keeps elsewhere: there the data
   * key is what crypto-shredding destroys. Deleting an absent blob is a no-op.
   */
  async delete(hash: string): Promise<void> {
    const key = normalizeContentHash(hash);
    const path = this.pathFor(key);
    await storageFault("erase a blob", path, async () => {
      await fsp.rm(this.#journalPath(key), { force: true });
      await shred(path, this.#fsync);
      if (this.#fsync) await fsyncDirectory(dirname(path)).catch(() => undefined);
    });
  }

  /** @inheritdoc */
  async deleteUnanchored(hash: string): Promise<void> {
    const key = normalizeContentHash(hash);
    const path = this.pathFor(key);
    await storageFault("delete an unanchored blob", path, async () => {
      await fsp.rm(path, { force: true });
      await fsp.rm(this.#journalPath(key), { force: true });
    });
  }

  /**
   * Delete temp files left by interrupted writes that are older than `olderThanMs` (default one
   * hour, so in-flight writes of other processes are left alone). Returns how many were removed.
   */
  async removeStaleTempFiles(olderThanMs = 60 * 60 * 1000): Promise<number> {
    const cutoff = Date.now() - olderThanMs;
    return storageFault("sweep stale temp files", this.root, async () => {
      let removed = 0;
      for (const level1 of await listDirectory(this.root)) {
        const top = join(this.root, level1);
        if (isTempFileName(level1)) {
          // a streamed put writes its temp file in the root (its id is known only at the end)
          removed += await removeIfStale(top, cutoff);
          continue;
        }
        for (const level2 of await listDirectory(top)) {
          // the journal directory holds its entries (and their temp files) one level down
          if (level1 === JOURNAL_DIR) {
            if (isTempFileName(level2)) removed += await removeIfStale(join(top, level2), cutoff);
            continue;
          }
          const dir = join(top, level2);
          for (const name of await listDirectory(dir)) {
            if (isTempFileName(name)) removed += await removeIfStale(join(dir, name), cutoff);
          }
        }
      }
      return removed;
    });
  }

  #journalPath(hash: ContentHash): string {
    return join(this.root, JOURNAL_DIR, `${hash.slice(2)}.json`);
  }

  /** The file bytes of `blob`: framed and padded, or as is when padding is off. */
  #frame(blob: Uint8Array): Uint8Array {
    if (!this.#padding && !startsWithMagic(blob)) return blob;
    const header = frameHeader(1, blob.length);
    const file = new Uint8Array(framedSize(1, blob.length, this.#padding));
    file.set(header, 0);
    file.set(blob, header.length);
    return file;
  }

  /**
   * `mkdir -p dir` with mode 0700, without Node's recursive mkdir (which loops on some read-only
   * mounts); each new directory entry is fsynced in its parent. The root is made owner-only too.
   */
  async #directory(dir: string): Promise<void> {
    const missing: string[] = [];
    for (let d = dir; ; d = dirname(d)) {
      if (await isDirectory(d)) break;
      missing.unshift(d);
      if (d === dirname(d)) break;
    }
    for (const d of missing) {
      try {
        await fsp.mkdir(d, { mode: DIR_MODE });
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === "EEXIST") continue;
        if (code === "ENOENT" && (await isDirectory(dirname(d)))) {
          throw new StorageReadOnlyError(
            `cannot create the store directory ${d}: its parent ${dirname(d)} does not accept new entries`,
            { cause: error, path: d, systemCode: code },
          );
        }
        throw error;
      }
      if (d === this.root) await fsp.chmod(d, DIR_MODE);
      if (this.#fsync) await fsyncDirectory(dirname(d));
    }
  }
}

function intact(file: Uint8Array, hash: ContentHash): boolean {
  try {
    return blobId(unframe(file, ""), nodeStreamSuite) === hash;
  } catch (error) {
    if (error instanceof IntegrityError) return false;
    throw error;
  }
}

function parseEntry(text: string): UnanchoredBlob | undefined {
  try {
    const v = JSON.parse(text) as UnanchoredBlob;
    if (typeof v.contentHash !== "string" || typeof v.storedAt !== "number") return undefined;
    if (typeof v.intent?.patient !== "string" || typeof v.intent.intentKey !== "string") {
      return undefined;
    }
    return { ...v, contentHash: normalizeContentHash(v.contentHash) };
  } catch {
    return undefined;
  }
}

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await fsp.stat(path)).isDirectory();
  } catch (error) {
    if (isMissing(error)) return false;
    throw error;
  }
}

async function removeIfStale(path: string, cutoff: number): Promise<number> {
  const stat = await fsp.stat(path).catch(() => undefined);
  if (stat === undefined || stat.mtimeMs > cutoff) return 0;
  await fsp.rm(path, { force: true });
  return 1;
}

/** Overwrite the file at `path` with zeros (synced when `sync`), then unlink it; a no-op when absent. */
async function shred(path: string, sync: boolean): Promise<void> {
  let handle: fsp.FileHandle;
  try {
    await fsp.chmod(path, 0o600); // blobs are 0400
    handle = await fsp.open(path, "r+");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return;
    throw error;
  }
  try {
    const { size } = await handle.stat();
    const zeros = new Uint8Array(Math.min(size, 1 << 20));
    for (let at = 0; at < size; at += zeros.length) {
      await handle.write(zeros, 0, Math.min(zeros.length, size - at), at);
    }
    if (sync) await handle.datasync();
  } finally {
    await handle.close();
  }
  await fsp.rm(path, { force: true });
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
