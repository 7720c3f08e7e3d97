/**
 * On-disk layout and disk errors shared by the filesystem blob store (`fs.ts`) and its streaming
 * half (`fs-stream.ts`). Node only.
 *
 * A blob file is framed and padded to a Padmé size bucket ({@link paddedSize}):
 * - version 1, written by `put`: `"CLBP" | 0x01 | uint32 BE length | blob | zeros`;
 * - version 2, written by `putStream`: `"CLBP" | 0x02 | uint64 BE length | blob | zeros`. A
 *   streamed blob's length is known only once the stream ends and may exceed 4 GiB, so its header
 *   is written with a 64-bit length after the blob.
 *
 * With padding off (`FsBlobStore` option) `put` stores the blob as is, while `putStream` still
 * writes a version 2 frame, without padding (its header holds the length written last).
 * A file not starting with `"CLBP"` is a blob stored as is (padding off, or written before the
 * frame existed); CLE1 and CLE2 envelopes start with their own magic, so the two never mix up. A
 * frame whose version, size or padding is not exactly one of those is an `IntegrityError`.
 */
import {
  CareLedgerError,
  IntegrityError,
  StorageError,
  StorageFullError,
  StorageReadOnlyError,
} from "../errors.js";
import type { RandomAccessSource } from "../crypto/stream.js";
import { paddedSize } from "./journal.js";
import type { BlobSource } from "./stream.js";

const FRAME_MAGIC = [0x43, 0x4c, 0x42, 0x50]; // "CLBP"
/** Header size of each frame version. */
const FRAME_HEADERS: Readonly<Record<number, number>> = { 1: 9, 2: 13 };
/** The longest header: read this much to parse any frame. */
export const MAX_FRAME_HEADER = 13;
/** Bytes checked at a time when reading a streamed file's padding. */
const PADDING_CHUNK = 2 ** 20;

/** The header of a version `version` frame around a blob of `length` bytes. */
export function frameHeader(version: 1 | 2, length: number): Uint8Array {
  const header = new Uint8Array(FRAME_HEADERS[version] as number);
  header.set(FRAME_MAGIC, 0);
  header[4] = version;
  const view = new DataView(header.buffer);
  if (version === 1) view.setUint32(5, length);
  else view.setBigUint64(5, BigInt(length));
  return header;
}

/** The file size of a framed blob of `length` bytes (version `version`, padded or not). */
export function framedSize(version: 1 | 2, length: number, padding: boolean): number {
  const end = (FRAME_HEADERS[version] as number) + length;
  return padding ? paddedSize(end) : end;
}

/** Whether `bytes` start with the frame magic. */
export function startsWithMagic(bytes: Uint8Array): boolean {
  return FRAME_MAGIC.every((b, i) => bytes[i] === b);
}

/** Where the blob lies in a framed file: bytes `[offset, offset + length)`, padding up to `fileSize`. */
export interface FrameLayout {
  readonly offset: number;
  readonly length: number;
  readonly fileSize: number;
}

/**
 * The layout of a file of `fileSize` bytes whose first bytes are `head` (at least
 * {@link MAX_FRAME_HEADER} of them, or the whole file when shorter); undefined when the file is not
 * framed. The padding's content is not checked here.
 *
 * @throws IntegrityError when the version is unknown or the size is not the frame's.
 */
export function frameLayout(
  head: Uint8Array,
  fileSize: number,
  where: string,
): FrameLayout | undefined {
  if (!startsWithMagic(head)) return undefined;
  const header = FRAME_HEADERS[head[4] ?? 0];
  if (header === undefined || head.length < header) {
    throw new IntegrityError(`${where}: unknown frame version`);
  }
  const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
  const length = header === 9 ? view.getUint32(5) : Number(view.getBigUint64(5));
  const end = header + length;
  if (!Number.isSafeInteger(end) || (fileSize !== end && fileSize !== paddedSize(end))) {
    throw new IntegrityError(`${where}: the frame's size or padding was altered`);
  }
  return { offset: header, length, fileSize };
}

/** The blob inside a whole file: the frame's payload (size and padding checked), or the file as is. */
export function unframe(file: Uint8Array, where: string): Uint8Array {
  const layout = frameLayout(file.subarray(0, MAX_FRAME_HEADER), file.length, where);
  if (layout === undefined) return file;
  const end = layout.offset + layout.length;
  if (file.subarray(end).some((b) => b !== 0)) {
    throw new IntegrityError(`${where}: the frame's size or padding was altered`);
  }
  return file.subarray(layout.offset, end);
}

/**
 * The blob inside the file `file` (opened for random access) as a source of its own: the frame's
 * payload, after checking the frame's size and that its padding is zeros; the file as is when it is
 * not framed. Closing the result closes `file`.
 *
 * @throws IntegrityError when the frame is damaged.
 */
export async function unframedSource(file: BlobSource, where: string): Promise<BlobSource> {
  const head = await file.read(0, Math.min(MAX_FRAME_HEADER, file.size));
  const layout = frameLayout(head, file.size, where);
  if (layout === undefined) return file;
  for (let at = layout.offset + layout.length; at < layout.fileSize; at += PADDING_CHUNK) {
    const padding = await file.read(at, Math.min(PADDING_CHUNK, layout.fileSize - at));
    if (padding.some((b) => b !== 0)) {
      throw new IntegrityError(`${where}: the frame's size or padding was altered`);
    }
  }
  const inner: RandomAccessSource = {
    size: layout.length,
    read: (offset, length) =>
      file.read(layout.offset + offset, Math.max(0, Math.min(length, layout.length - offset))),
  };
  return { ...inner, close: () => file.close() };
}

/**
 * Map a failure of `work` on `path` to a typed storage error (CareLedger errors pass through).
 */
export async function storageFault<T>(
  what: string,
  path: string,
  work: () => Promise<T>,
): Promise<T> {
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
  if (error instanceof CareLedgerError) return error;
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
