/**
 * The indexer section of `npm run bench` (a sub-step, run with tsx): on anvil, 1,000 patients with grants and
 * 100,000 audited opens sent in multicall batches; then, in the same run,
 *   - the raw `eth_getLogs` fetch rate of every CareLedger event, and the indexer's backfill rate (events/s);
 *   - "who opened my records" p50/p95 from the index (HTTP) and from a log scan (the SDK without an indexer,
 *     topic-filtered by patient; and the trail-wide scan `fetchAuditEntries` did before it had that filter);
 *   - the index size on disk (PGlite directory);
 *   - a linear extrapolation to 1 M events.
 *
 *   BENCH_INDEXER_OPENS=100000 BENCH_INDEXER_PATIENTS=1000 npx tsx bench/indexer.ts [--json out.json]
 */
import { execFileSync } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { startNode } from "../scripts/lib/node.js";
import { fetchAuditEntries } from "../src/sdk/audit.js";
import { careLedgerQueries } from "../src/sdk/queries.js";
import {
  getJson,
  headOf,
  openRecords,
  seedLedger,
  startIndexer,
  waitCaughtUp,
} from "../test/helpers/indexer.js";
import { renderTable } from "./lib/table.js";

const { values } = parseArgs({ options: { json: { type: "string" } } });
const intEnv = (name: string, fallback: number): number => {
  const raw = process.env[name];
  const value = raw === undefined || raw === "" ? fallback : Number(raw);
  if (!Number.isSafeInteger(value) || value < 1 || value > 1_000_000) {
    console.error(`${name}=${raw}: expected an integer in [1, 1000000]`);
    process.exit(2);
  }
  return value;
};
const OPENS = intEnv("BENCH_INDEXER_OPENS", 100_000);
const PATIENTS = intEnv("BENCH_INDEXER_PATIENTS", 1_000);
const SAMPLES = intEnv("BENCH_INDEXER_SAMPLES", 200);
const SCAN_SAMPLES = intEnv("BENCH_INDEXER_SCAN_SAMPLES", 20);
const say = (message: string) => process.stderr.write(`  [indexer bench] ${message}\n`);

function quantile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
}
async function timed<T>(body: () => Promise<T>): Promise<[T, number]> {
  const start = performance.now();
  const result = await body();
  return [result, performance.now() - start];
}
async function latencies(
  samples: number,
  body: (i: number) => Promise<unknown>,
): Promise<{ p50: number; p95: number }> {
  const ms: number[] = [];
  for (let i = 0; i < samples; i++) ms.push((await timed(() => body(i)))[1]);
  ms.sort((a, b) => a - b);
  return { p50: quantile(ms, 0.5), p95: quantile(ms, 0.95) };
}
/** Milliseconds between the first log line with `a` and the first after it with `b` (Ponder's JSON `time`). */
function logSpan(output: string, a: string, b: string): number | undefined {
  const times = (msg: string) =>
    output
      .split("\n")
      .filter((l) => l.includes(`"msg":"${msg}`))
      .map((l) => (JSON.parse(l) as { time: number }).time);
  const start = times(a)[0];
  const end = times(b).find((t) => start !== undefined && t >= start);
  return start === undefined || end === undefined ? undefined : end - start;
}

const node = await startNode({ port: 0, chainId: 1337, zeroGas: false });
const dir = await mkdtemp(path.join(tmpdir(), "careledger-indexer-bench-"));
try {
  const [seeded, seedMs] = await timed(() =>
    seedLedger(node.url, { patients: PATIENTS, onProgress: say }),
  );
  const [, openMs] = await timed(() =>
    openRecords(seeded, OPENS, (done) => {
      if (done % 10_000 < 400 * seeded.doctors.length) say(`${done} opens`);
    }),
  );
  say(`generated in ${((seedMs + openMs) / 1000).toFixed(0)} s`);
  await seeded.provider.send("anvil_mine", ["0x28"]);
  const head = await headOf(node.url);

  // Raw eth_getLogs of every CareLedger event, pages of 50 blocks (about 20,000 logs), as a UI would page.
  const [events, rawMs] = await timed(async () => {
    let count = 0;
    for (let from = seeded.deploymentBlock; from <= head; from += 50) {
      const logs = (await seeded.provider.send("eth_getLogs", [
        {
          address: seeded.address,
          fromBlock: `0x${from.toString(16)}`,
          toBlock: `0x${Math.min(head, from + 49).toString(16)}`,
        },
      ])) as unknown[];
      count += logs.length;
    }
    return count;
  });
  say(`eth_getLogs: ${events} events in ${(rawMs / 1000).toFixed(1)} s`);

  const pgliteDir = path.join(dir, "pglite");
  const [indexer, startMs] = await timed(() =>
    startIndexer({
      rpcUrl: node.url,
      address: seeded.address,
      startBlock: seeded.deploymentBlock,
      pgliteDir,
    }),
  );
  const duBytes = () =>
    Number(execFileSync("du", ["-sb", pgliteDir], { encoding: "utf8" }).split("\t")[0]);
  // The empty database (tables created, nothing indexed yet): PGlite's fixed size, left out of bytes/event.
  const baseBytes = duBytes();
  try {
    const [, catchUpMs] = await timed(() => waitCaughtUp(indexer, 1_800_000));
    const metrics = await fetch(`${indexer.url}/metrics`).then((r) => r.text());
    const metric = (pattern: RegExp) =>
      metrics
        .split("\n")
        .filter((line) => pattern.test(line))
        .reduce((sum, line) => sum + Number(line.split(" ").pop()), 0);
    const indexStepMs = metric(
      /^ponder_historical_transform_duration\{step="(index|load|finalize)"\}/,
    );
    const handlersMs = metric(/^ponder_indexing_function_duration_sum\{/);
    const backfillMs =
      logSpan(indexer.output(), "Started backfill indexing", "Completed backfill indexing") ??
      catchUpMs;
    say(
      `indexed in ${(backfillMs / 1000).toFixed(1)} s (backfill), ${((startMs + catchUpMs) / 1000).toFixed(1)} s from process start`,
    );
    const heads = await getJson<{ matches: boolean }>(indexer, "/careledger/heads");
    const patients = seeded.patients;
    const indexQ = await latencies(SAMPLES, (i) =>
      getJson(
        indexer,
        `/careledger/patients/${patients[(i * 7919) % patients.length]}/opens?limit=100`,
      ),
    );
    const viaLogs = careLedgerQueries({
      contract: seeded.ledger,
      fromBlock: seeded.deploymentBlock,
    });
    const scanQ = await latencies(SCAN_SAMPLES, (i) =>
      viaLogs.whoOpenedMyRecords(patients[(i * 7919) % patients.length]!, 100),
    );
    const wideQ = await latencies(3, async (i) => {
      const patient = patients[(i * 7919) % patients.length]!.toLowerCase();
      const all = await fetchAuditEntries(seeded.ledger, { fromBlock: seeded.deploymentBlock });
      return all.filter((e) => e.patient.toLowerCase() === patient);
    });
    const bytes = duBytes();
    const bytesPerEvent = (bytes - baseBytes) / events;
    const eventsPerSecond = events / (backfillMs / 1000);
    const rawPerSecond = events / (rawMs / 1000);
    const perMillion = 1_000_000 / events;
    const result = {
      opens: OPENS,
      patients: PATIENTS,
      events,
      blocks: head - seeded.deploymentBlock + 1,
      generateSeconds: (seedMs + openMs) / 1000,
      rawGetLogsEventsPerSecond: rawPerSecond,
      indexEventsPerSecond: eventsPerSecond,
      indexToRawRatio: eventsPerSecond / rawPerSecond,
      processStartToCaughtUpSeconds: (startMs + catchUpMs) / 1000,
      headsMatchChain: heads.matches,
      whoOpenedIndexMs: indexQ,
      whoOpenedLogScanTopicMs: scanQ,
      whoOpenedTrailWideScanMs: wideQ,
      indexBytes: bytes,
      emptyIndexBytes: baseBytes,
      backfillIndexingMs: indexStepMs,
      backfillHandlersMs: handlersMs,
      extrapolated1M: {
        basis:
          "linear in events for backfill time and disk (measured rate; bytes/event over the empty database); the query is a B-tree range on (patient, seq) returning 100 rows, O(log n), so its time stays near the measured one; the topic-filtered log scan grows with the blocks scanned; the trail-wide scan with all events",
        backfillSeconds: (backfillMs / 1000) * perMillion,
        indexBytes: baseBytes + bytesPerEvent * 1_000_000,
        trailWideScanSeconds: (wideQ.p50 / 1000) * perMillion,
      },
    };
    const f = (n: number, digits = 1) =>
      n.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits });
    console.log(
      renderTable(
        `Indexer (Ponder ${"0.16"}, PGlite) on anvil: ${OPENS.toLocaleString("en-US")} audited opens, ${PATIENTS.toLocaleString("en-US")} patients, ${events.toLocaleString("en-US")} events in ${result.blocks} blocks`,
        [{ header: "measure" }, { header: "value" }, { header: "target / note", align: "left" }],
        [
          [
            "raw eth_getLogs fetch",
            `${f(rawPerSecond, 0)} events/s`,
            "same events, same run, pages of 50 blocks",
          ],
          [
            "index backfill",
            `${f(eventsPerSecond, 0)} events/s`,
            `${f(result.indexToRawRatio, 2)}× raw (target ≥ 0.5×)`,
          ],
          [
            "  of which writing the index",
            `${f(indexStepMs / 1000)} s`,
            `handlers ${f(handlersMs / 1000)} s; the rest is Ponder's RPC fetch`,
          ],
          [
            "process start to caught up",
            `${f(result.processStartToCaughtUpSeconds)} s`,
            "includes Ponder's build and schema set-up",
          ],
          ["heads recomputed = chain", String(heads.matches), "auditHead() at the indexed block"],
          [
            "who opened (index) p50",
            `${f(indexQ.p50, 2)} ms`,
            `${SAMPLES} patients, 100 newest opens, HTTP`,
          ],
          ["who opened (index) p95", `${f(indexQ.p95, 2)} ms`, "target ≤ 50 ms"],
          [
            "who opened (log scan, topic) p50",
            `${f(scanQ.p50)} ms`,
            `${SCAN_SAMPLES} patients, SDK fallback, patient topic`,
          ],
          [
            "who opened (log scan, topic) p95",
            `${f(scanQ.p95)} ms`,
            "+ memberOf/recordOf per distinct actor/record",
          ],
          [
            "who opened (trail-wide scan) p50",
            `${f(wideQ.p50)} ms`,
            "fetchAuditEntries without the patient filter",
          ],
          [
            "index size on disk",
            `${f(bytes / 1e6)} MB`,
            `${f(bytesPerEvent, 0)} bytes/event over the empty ${f(baseBytes / 1e6)} MB`,
          ],
          [
            "1 M events: backfill",
            `${f(result.extrapolated1M.backfillSeconds / 60)} min`,
            "linear in events",
          ],
          [
            "1 M events: disk",
            `${f(result.extrapolated1M.indexBytes / 1e9, 2)} GB`,
            "linear in events",
          ],
          [
            "1 M events: trail-wide scan",
            `${f(result.extrapolated1M.trailWideScanSeconds)} s`,
            "linear in events",
          ],
        ],
      ),
    );
    console.log(`basis of the 1 M row: ${result.extrapolated1M.basis}`);
    if (values.json !== undefined)
      await writeFile(values.json, `${JSON.stringify(result, null, 2)}\n`);
  } finally {
    await indexer.stop();
  }
} finally {
  await node.stop();
  await rm(dir, { recursive: true, force: true });
}
