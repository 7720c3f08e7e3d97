/**
 * Streamed (CLE2) off-chain throughput against the machine's own speed, in one run:
 *
 *   npx tsx bench/stream.ts            # 1 KB, 1 MB, 100 MB
 *   BENCH_GIB=1 npx tsx bench/stream.ts  # and 1 GiB (about 1 min and 2 GiB of disk on 2 cores)
 *
 * For each size, two child processes (`bench/stream-child.ts`), each with its own resident set:
 * seal+store (`sealEnvelopeStreamNode` → `FsBlobStore.putStream`, fsync on) and open+verify
 * (`openSource` → `openEnvelopeStreamNode` with the expected content id, every byte drained), each
 * followed in the same process by the reference (raw OpenSSL ChaCha20-Poly1305 + SHA-256 over the
 * same bytes, no I/O) right after each run. MB/s are over plaintext bytes at the median run
 * (1 MB = 10^6 bytes); "ratio" is the median over the runs of reference time / step time, each pair
 * measured back to back ("reference" shows the mean of the two children's median MB/s); "RSS +MiB" is
 * the peak resident set minus the resident set of the warmed-up process before the measured runs.
 * "disk write MB/s" is a plain write + fsync of as many bytes to the same directory, no crypto:
 * the ceiling of seal+store when the disk is slower than the crypto.
 * Targets: ratio ≥ 50 % at 100 MB and 1 GiB, RSS growth ≤ 64 MiB at 1 GiB. Informative: no test
 * asserts them.
 */
import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { generateMemberKeyPair, toHex } from "../src/crypto/index.js";

/** One size to measure. */
export interface StreamBenchCase {
  readonly label: string;
  readonly bytes: number;
  readonly runs: number;
}

/** One row of the result. */
export interface StreamBenchRow {
  readonly size: string;
  readonly bytes: number;
  readonly runs: number;
  readonly referenceMBs: number;
  /** Plain write + fsync of as many bytes to the same disk, no crypto (measured after seal+store). */
  readonly diskMBs: number;
  readonly sealStoreMBs: number;
  readonly sealRatio: number;
  readonly openVerifyMBs: number;
  readonly openRatio: number;
  readonly sealRssMiB: number;
  readonly openRssMiB: number;
  readonly sealP50Ms: number;
  readonly openP50Ms: number;
}

export const STREAM_CASES: readonly StreamBenchCase[] = [
  { label: "1 KB", bytes: 1000, runs: 200 },
  { label: "1 MB", bytes: 1_000_000, runs: 20 },
  { label: "100 MB", bytes: 100_000_000, runs: 5 },
];
export const GIB_CASE: StreamBenchCase = { label: "1 GiB", bytes: 2 ** 30, runs: 2 };

interface ChildResult {
  readonly times: number[];
  readonly refTimes: number[];
  readonly diskTimes: number[];
  readonly ids: string[];
  readonly rssBefore: number;
  readonly peakRss: number;
}

const CHILD = fileURLToPath(new URL("./stream-child.ts", import.meta.url));

function child(args: readonly string[]): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ["--import", "tsx", CHILD, ...args], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    let out = "";
    p.stdout.on("data", (c: Buffer) => (out += c.toString("utf8")));
    p.on("error", reject);
    p.on("exit", (code) =>
      code === 0
        ? resolve(JSON.parse(out.trim().split("\n").pop() as string) as ChildResult)
        : reject(new Error(`bench/stream-child.ts ${args[0]} exited with ${String(code)}`)),
    );
  });
}

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor((s.length - 1) / 2)] as number;
};
const MiB = 2 ** 20;

/** Measure every case (child processes, a temp store removed afterwards). */
export async function runStreamBench(
  cases: readonly StreamBenchCase[],
  progress: (line: string) => void = () => undefined,
): Promise<StreamBenchRow[]> {
  const readers = [generateMemberKeyPair(), generateMemberKeyPair(), generateMemberKeyPair()];
  const rows: StreamBenchRow[] = [];
  for (const c of cases) {
    const dir = await mkdtemp(join(tmpdir(), "careledger-stream-bench-"));
    try {
      const keys = {
        readers: readers.map((k) => toHex(k.publicKey)),
        privateKey: toHex((readers[0] as (typeof readers)[number]).privateKey),
      };
      const args = (mode: string, extra: object = {}) => [
        mode,
        String(c.bytes),
        String(c.runs),
        dir,
        JSON.stringify({ ...keys, ...extra }),
      ];
      progress(`stream bench ${c.label}: seal+store, then the reference`);
      const seal = await child(args("seal"));
      progress(`stream bench ${c.label}: open+verify, then the reference`);
      const open = await child(args("open", { ids: seal.ids }));
      const mbs = (ms: number) => c.bytes / 1e6 / (ms / 1000);
      const sealStoreMBs = mbs(median(seal.times));
      const openVerifyMBs = mbs(median(open.times));
      const sealRef = mbs(median(seal.refTimes));
      const openRef = mbs(median(open.refTimes));
      // Ratio: median over the runs of reference time / step time, each pair measured back to back.
      const pairs = (r: ChildResult) =>
        median(r.times.map((t, i) => (r.refTimes[i] as number) / t));
      rows.push({
        size: c.label,
        bytes: c.bytes,
        runs: c.runs,
        referenceMBs: (sealRef + openRef) / 2,
        diskMBs: mbs(median(seal.diskTimes)),
        sealStoreMBs,
        sealRatio: pairs(seal),
        openVerifyMBs,
        openRatio: pairs(open),
        sealRssMiB: (seal.peakRss - seal.rssBefore) / MiB,
        openRssMiB: (open.peakRss - open.rssBefore) / MiB,
        sealP50Ms: median(seal.times),
        openP50Ms: median(open.times),
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
  return rows;
}

/** The rows as a Markdown table. */
export function renderStreamTable(rows: readonly StreamBenchRow[]): string {
  const fmt = (x: number) => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2));
  const pct = (x: number) => `${(x * 100).toFixed(0)} %`;
  const header = [
    "record",
    "runs",
    "reference MB/s",
    "disk write MB/s",
    "seal+store MB/s",
    "ratio",
    "open+verify MB/s",
    "ratio",
    "seal RSS +MiB",
    "open RSS +MiB",
    "seal p50 ms",
    "open p50 ms",
  ];
  const lines = rows.map((r) => [
    r.size,
    String(r.runs),
    fmt(r.referenceMBs),
    fmt(r.diskMBs),
    fmt(r.sealStoreMBs),
    pct(r.sealRatio),
    fmt(r.openVerifyMBs),
    pct(r.openRatio),
    fmt(r.sealRssMiB),
    fmt(r.openRssMiB),
    fmt(r.sealP50Ms),
    fmt(r.openP50Ms),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => (l[i] ?? "").length)));
  const row = (cells: readonly string[]) =>
    `| ${cells.map((cell, i) => (i < 2 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join(" | ")} |`;
  return [
    row(header),
    `|${widths.map((w, i) => (i < 2 ? `:${"-".repeat(w + 1)}` : `${"-".repeat(w + 1)}:`)).join("|")}|`,
    ...lines.map(row),
  ].join("\n");
}

/** Target checks: ratio ≥ 50 % at ≥ 100 MB, RSS growth ≤ 64 MiB at 1 GiB. */
export function streamTargetLines(rows: readonly StreamBenchRow[]): string[] {
  const out: string[] = [];
  for (const r of rows) {
    if (r.bytes >= 100_000_000) {
      const ok = r.sealRatio >= 0.5 && r.openRatio >= 0.5;
      out.push(
        `${ok ? "PASS" : "FAIL"} ${r.size}: seal+store ${(r.sealRatio * 100).toFixed(0)} %, open+verify ${(r.openRatio * 100).toFixed(0)} % of the reference (target ≥ 50 %)`,
      );
    }
    if (r.bytes >= 2 ** 30) {
      const rss = Math.max(r.sealRssMiB, r.openRssMiB);
      out.push(
        `${rss <= 64 ? "PASS" : "FAIL"} ${r.size}: peak RSS growth ${rss.toFixed(1)} MiB (target ≤ 64 MiB)`,
      );
    }
  }
  return out;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const cases = process.env.BENCH_GIB === "1" ? [...STREAM_CASES, GIB_CASE] : STREAM_CASES;
  const rows = await runStreamBench(cases, (l) => console.error(l));
  console.log(renderStreamTable(rows));
  for (const line of streamTargetLines(rows)) console.log(line);
}
