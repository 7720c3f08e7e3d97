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
 * padded on disk to Padmé size buckets ({@link paddedSize}; on by default), framed as
 * `"CLBP" | 0x01 | uint32 BE length | blob | zeros`, so a file's size does not give the envelope's
 * exact length. A frame whose size or padding is not exactly that is an `IntegrityError`.
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
import {
  IntegrityError,
  NotFoundError,
  StorageError,
  StorageFullError,
  StorageReadOnlyError,
} from "../errors.js";
import { contentHash, normalizeContentHash, type ContentHash } from "../crypto/hash.js";
import { fsyncDirectory, isTempFileName, writeFileAtomic } from "./atomic-fs.js";
import { verifyBlob, type BlobStore } from "./blob-store.js";
import {
  paddedSize,
  type AnchorIntent,
  type AnchorJournal,
  type UnanchoredBlob,
} from "./journal.js";

/** Options of {@link FsBlobStore}. */
export interface FsBlobStoreOptions {
  /** fsync blobs and directories on `put` (default `true`; disable only for throwaway data). */
  readonly fsync?: boolean;
  /** Pad blob files to Padmé size buckets (default `true`). */
  readonly padding?: boolean;
}

const FRAME_MAGIC = [0x43, 0x4c, 0x42, 0x50]; // "CLBP"
const FRAME_VERSION = 1;
const FRAME_HEADER = 9;
const JOURNAL_DIR = "unanchored";
const DIR_MODE = 0o700;
const BLOB_MODE = 0o400;
const JOURNAL_MODE = 0o600;

/** Content-addressed blobs in a directory tree; see the module comment for the layout. */
export class FsBlobStore implements BlobStore, AnchorJournal {
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
    const hash = contentHash(bytes);
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
    verifyBlob(key, bytes, `filesystem blob store ${this.root}`);
    return bytes;
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
    const hash = contentHash(bytes);
    const entry = this.#journalPath(hash);
    await storageFault("record an anchor intent", entry, async () => {
      await this.#directory(dirname(entry));
      const record: UnanchoredBlob = { recordId: hash, intent, storedAt: Date.now() };
      await writeFileAtomic(entry, JSON.stringify(record), {
        mode: JOURNAL_MODE,
        fsync: this.#fsync,
      });
    });
    return this.put(bytes);
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
        if (entry === undefined || `${entry.recordId.slice(2)}.json` !== name) {
          throw new IntegrityError(`anchor journal entry ${join(dir, name)} is not well formed`);
        }
        // An intent whose blob never made it to disk (crash before the blob write) is void.
        if (!(await this.has(entry.recordId))) {
          await fsp.rm(join(dir, name), { force: true });
          continue;
        }
        out.push(entry);
      }
      return out.sort((a, b) => a.storedAt - b.storedAt);
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
    let removed = 0;
    for (const level1 of await listDirectory(this.root)) {
      for (const level2 of await listDirectory(join(this.root, level1))) {
        const dir = join(this.root, level1, level2);
        for (const name of await listDirectory(dir)) {
          if (!isTempFileName(name)) continue;
          const path = join(dir, name);
          const stat = await fsp.stat(path).catch(() => undefined);
          if (stat !== undefined && stat.mtimeMs <= cutoff) {
            await fsp.rm(path, { force: true });
            removed++;
          }
        }
      }
    }
    return removed;
  }

  #journalPath(hash: ContentHash): string {
    return join(this.root, JOURNAL_DIR, `${hash.slice(2)}.json`);
  }

  /** The file bytes of `blob`: framed and padded, or as is when padding is off. */
  #frame(blob: Uint8Array): Uint8Array {
    if (!this.#padding && !startsWithMagic(blob)) return blob;
    const size = this.#padding
      ? paddedSize(FRAME_HEADER + blob.length)
      : FRAME_HEADER + blob.length;
    const file = new Uint8Array(size);
    file.set(FRAME_MAGIC, 0);
    file[4] = FRAME_VERSION;
    new DataView(file.buffer).setUint32(5, blob.length);
    file.set(blob, FRAME_HEADER);
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

/** Map a failure of `work` on `path` to a typed storage error (CareLedger errors pass through). */
async function storageFault<T>(what: string, path: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw storageErrorFrom(error, what, path);
  }
}

/**
 * The typed error for a system error `error` raised while trying to `what` at `path`:
 * {@link StorageFullError}, {@link StorageReadOnlyError} or {@link StorageError}; a `CareLedgerError`
 * is returned unchanged.
 */
export function storageErrorFrom(error: unknown, what: string, path: string): Error {
  if (error instanceof StorageError || error instanceof IntegrityError) return error;
  if (error instanceof Error && "code" in error && typeof error.code === "string") {
    const code = error.code;
    const at = (error as NodeJS.ErrnoException).path ?? path;
    const options = { cause: error, path: at, systemCode: code };
    if (code === "ENOSPC" || code === "EDQUOT") {
      return new StorageFullError(
        `cannot ${what}: the disk holding ${at} is full (${code})`,
        options,
      );
    }
    if (code === "EROFS" || code === "EACCES" || code === "EPERM") {
      return new StorageReadOnlyError(
        `cannot ${what}: ${at} is read-only (${code}${code === "EROFS" ? ", read-only file system" : ", permission denied"})`,
        options,
      );
    }
    return new StorageError(`cannot ${what} at ${at}: ${error.message}`, options);
  }
  return error instanceof Error ? error : new StorageError(`cannot ${what}: ${String(error)}`);
}

function startsWithMagic(bytes: Uint8Array): boolean {
  return FRAME_MAGIC.every((b, i) => bytes[i] === b);
}

/** The blob inside a file: the frame's payload (size and padding checked), or the file as is. */
function unframe(file: Uint8Array, where: string): Uint8Array {
  if (!startsWithMagic(file)) return file;
  if (file.length < FRAME_HEADER || file[4] !== FRAME_VERSION) {
    throw new IntegrityError(`${where}: unknown frame version`);
  }
  const length = new DataView(file.buffer, file.byteOffset, file.byteLength).getUint32(5);
  const end = FRAME_HEADER + length;
  const expected = [end, paddedSize(end)];
  if (!expected.includes(file.length) || file.subarray(end).some((b) => b !== 0)) {
    throw new IntegrityError(`${where}: the frame's size or padding was altered`);
  }
  return file.subarray(FRAME_HEADER, end);
}

function intact(file: Uint8Array, hash: ContentHash): boolean {
  try {
    return contentHash(unframe(file, "")) === hash;
  } catch {
    return false;
  }
}

function parseEntry(text: string): UnanchoredBlob | undefined {
  try {
    const v = JSON.parse(text) as UnanchoredBlob;
    if (typeof v.recordId !== "string" || typeof v.storedAt !== "number") return undefined;
    if (typeof v.intent?.patient !== "string" || typeof v.intent.intentKey !== "string") {
      return undefined;
    }
    return { ...v, recordId: normalizeContentHash(v.recordId) };
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
