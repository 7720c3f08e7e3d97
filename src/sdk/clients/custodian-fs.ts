/**
 * The emergency key custodian's release log on disk: one JSON object per line, appended and synced
 * before a key is handed out (Node only; the custodian itself is in `custodian.ts`).
 */
import { open, readFile } from "node:fs/promises";
import { IntegrityError } from "../../errors.js";
import type { Hex } from "../../crypto/bytes.js";
import type { ContentHash } from "../../crypto/hash.js";
import { releaseLogEntrySchema, type ReleaseLog, type ReleaseLogEntry } from "./custodian.js";

/**
 * An append-only JSON-lines release log (file mode 0600). One custodian process per file: the index
 * of releases by open is kept in memory after the first read.
 *
 * Reading fails closed: a line that is not a release entry (an edited file, or a write cut short by a
 * crash) is an {@link IntegrityError}, and the custodian releases nothing until an operator repairs it.
 */
export class JsonLinesReleaseLog implements ReleaseLog {
  readonly path: string;
  #released: Promise<Map<string, ReleaseLogEntry>> | undefined;

  constructor(path: string) {
    this.path = path;
  }

  async findRelease(openTxHash: Hex, recordId: ContentHash): Promise<ReleaseLogEntry | undefined> {
    return (await this.#index()).get(key(openTxHash, recordId));
  }

  async append(entry: ReleaseLogEntry): Promise<void> {
    const checked = releaseLogEntrySchema.parse(entry);
    const index = await this.#index();
    const handle = await open(this.path, "a", 0o600);
    try {
      await handle.appendFile(`${JSON.stringify(checked)}\n`, "utf8");
      await handle.datasync();
    } finally {
      await handle.close();
    }
    index.set(key(checked.openTxHash, checked.recordId), checked as ReleaseLogEntry);
  }

  async entries(): Promise<ReleaseLogEntry[]> {
    let text: string;
    try {
      text = await readFile(this.path, "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
      throw error;
    }
    const out: ReleaseLogEntry[] = [];
    const lines = text.split("\n");
    if (lines.at(-1) === "") lines.pop();
    for (const [i, line] of lines.entries()) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(line);
      } catch (cause) {
        throw new IntegrityError(`release log ${this.path} line ${i + 1} is not JSON`, { cause });
      }
      const entry = releaseLogEntrySchema.safeParse(parsed);
      if (!entry.success) {
        throw new IntegrityError(
          `release log ${this.path} line ${i + 1} is not a release entry: ${entry.error.message}`,
        );
      }
      out.push(entry.data as ReleaseLogEntry);
    }
    return out;
  }

  #index(): Promise<Map<string, ReleaseLogEntry>> {
    this.#released ??= this.entries().then(
      (all) => new Map(all.map((e) => [key(e.openTxHash, e.recordId), e])),
      (error: unknown) => {
        this.#released = undefined; // read again next time (after a repair)
        throw error;
      },
    );
    return this.#released;
  }
}

function key(openTxHash: string, recordId: string): string {
  return `${openTxHash.toLowerCase()}/${recordId.toLowerCase()}`;
}
