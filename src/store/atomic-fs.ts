/**
 * Crash-safe file writes for Node: write a temp file in the target directory, fsync it, rename
 * (or hard-link, to refuse overwriting) it into place, then fsync the directory. A crash at any
 * point leaves either the old state or the complete new file, plus at worst a stray temp file
 * whose name starts with {@link TEMP_PREFIX}.
 */
import { randomBytes } from "node:crypto";
import * as fsp from "node:fs/promises";
import { basename, dirname, join } from "node:path";

/** Name prefix of in-flight temp files; readers must ignore names that start with it. */
export const TEMP_PREFIX = ".tmp-";

/** Options of {@link writeFileAtomic}. */
export interface AtomicWriteOptions {
  /** File mode of the new file (default 0o644). */
  readonly mode?: number;
  /** Replace an existing file (default `true`); when `false` an existing file fails with `EEXIST`. */
  readonly overwrite?: boolean;
  /** fsync the file and directory (default `true`; turn off only for throwaway data). */
  readonly fsync?: boolean;
}

/** `true` for names of temp files written by {@link writeFileAtomic}. */
export function isTempFileName(name: string): boolean {
  return name.startsWith(TEMP_PREFIX);
}

/**
 * Atomically write `data` to `path` (the directory must exist). Readers of `path` never observe
 * a partial file. On an error the temp file is removed; after a crash it may remain (ignored).
 */
export async function writeFileAtomic(
  path: string,
  data: Uint8Array | string,
  options: AtomicWriteOptions = {},
): Promise<void> {
  const { mode = 0o644, overwrite = true, fsync = true } = options;
  const dir = dirname(path);
  const temp = join(dir, `${TEMP_PREFIX}${basename(path)}.${randomBytes(6).toString("hex")}`);
  try {
    const handle = await fsp.open(temp, "wx", mode);
    try {
      await handle.writeFile(data);
      if (fsync) await handle.sync();
    } finally {
      await handle.close();
    }
    if (overwrite) {
      await fsp.rename(temp, path);
    } else {
      await fsp.link(temp, path); // fails with EEXIST instead of replacing
      await fsp.unlink(temp);
    }
  } catch (error) {
    await fsp.rm(temp, { force: true });
    throw error;
  }
  if (fsync) await fsyncDirectory(dir);
}

/** fsync a directory so a rename or new entry in it is durable (no-op where unsupported). */
export async function fsyncDirectory(dir: string): Promise<void> {
  let handle: fsp.FileHandle | undefined;
  try {
    handle = await fsp.open(dir, "r");
    await handle.sync();
  } catch (error) {
    // Windows cannot open or fsync directories; durability there relies on the OS.
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== "EISDIR" && code !== "EPERM" && code !== "EINVAL" && code !== "EACCES")
      throw error;
  } finally {
    await handle?.close();
  }
}

/**
 * `mkdir -p dir`; when directories had to be created, fsync the parent of each new one so the
 * new directory entries are durable too.
 */
export async function ensureDirectory(dir: string, fsync = true): Promise<void> {
  const firstCreated = await fsp.mkdir(dir, { recursive: true });
  if (firstCreated === undefined || !fsync) return;
  for (let d = dir; ; d = dirname(d)) {
    await fsyncDirectory(dirname(d));
    if (d === firstCreated || d === dirname(d)) break;
  }
}
