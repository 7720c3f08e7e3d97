/**
 * A tiny tmpfs for full-disk tests: a real ENOSPC end to end. Needs the right to mount (CI runs as
 * root); without it the test is skipped and the ENOSPC mapping tests cover the path.
 */
import { execFileSync } from "node:child_process";
import { mkdtemp, readdir } from "node:fs/promises";
import { join } from "node:path";

/** Mount a 64 KiB tmpfs under `scratch`, run `work` on it, unmount it. */
export async function withTinyTmpfs(
  test: Mocha.Context,
  scratch: string,
  work: (mountPoint: string) => Promise<void>,
): Promise<void> {
  const mountPoint = await mkdtemp(join(scratch, "tmpfs-"));
  try {
    execFileSync("mount", ["-t", "tmpfs", "-o", "size=64k", "tmpfs", mountPoint], {
      stdio: "ignore",
    });
  } catch {
    test.skip();
  }
  try {
    await work(mountPoint);
  } finally {
    execFileSync("umount", [mountPoint], { stdio: "ignore" });
  }
}

/** The temp files (`.tmp-…`) anywhere under `dir`. */
export async function tempFilesUnder(dir: string): Promise<string[]> {
  return (await readdir(dir, { recursive: true })).filter((f) => f.includes(".tmp-"));
}
