/**
 * `npm run bench` (through bench/cli.ts) or `npx hardhat run bench/index.ts`: gas per operation, flat as
 * the chain grows, batch gas, throughput against a real node, the floor and the benchmark targets.
 *
 * `hardhat run` passes no script arguments, so options come from the environment (bench/cli.ts maps
 * its flags onto them):
 *   BENCH_JSON=<file>        also write the report as JSON
 *   BENCH_LEVELS=1,100,10000 earlier items for "flat as it grows" (empty: skip the section)
 *   BENCH_NODE=0             skip the real-node throughput section (and the SDK soak)
 *   BENCH_SOAK_PAIRS=2000    sequential create+open pairs of the SDK soak against anvil (0: skip)
 *   BENCH_RECORDS=100,500,500 records for the sequential, pipelined and batched node runs
 *   BENCH_WINDOWS=4,32       transactions in flight for the pipelined runs (automine node)
 *   BENCH_OFFCHAIN=0         skip the off-chain sections (bench/crypto.ts, bench/e2e.ts)
 *   BENCH_BUNDLE=0           skip the bundle sizes (bench/bundle.ts)
 *   BENCH_INDEXER=0          skip the indexer section (bench/indexer.ts; BENCH_INDEXER_OPENS, _PATIENTS size it)
 *   BENCH_SERVICE=0          skip the service section (bench/service.ts; BENCH_SERVICE_RELAYS, _READS size it)
 *   BENCH_VERBOSE=1          print each operation's floor breakdown
 */
import { spawn } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { network } from "hardhat";
import { measureBundles } from "./bundle.js";
import { type E2eBenchRow, runE2eBench } from "./e2e.js";
import { compareToBaseline, readBaseline } from "./lib/baseline.js";
import { measureBatches } from "./lib/batch.js";
import { setUpBench } from "./lib/fixture.js";
import { runGrowth, SCENARIOS, type GrowthScenario, type ScenarioId } from "./lib/growth.js";
import { measureOps } from "./lib/ops.js";
import {
  batchRows,
  type BenchReport,
  growthRows,
  operationRows,
  renderReport,
  targetRows,
} from "./lib/report.js";
import { renderSoak, runSdkSoak } from "./lib/soak.js";
import { runThroughput } from "./lib/throughput.js";

/** A BENCH_* variable has a value the bench cannot use. */
export class BenchOptionError extends Error {
  constructor(name: string, value: string, expected: string) {
    super(`${name}=${value}: expected ${expected}`);
    this.name = "BenchOptionError";
  }
}

function numberList(name: string, fallback: readonly number[]): readonly number[] {
  const raw = process.env[name];
  if (raw === undefined) return fallback;
  if (raw.trim() === "") return [];
  const values = raw.split(",").map((v) => Number(v.trim()));
  if (values.some((v) => !Number.isInteger(v) || v <= 0)) {
    throw new BenchOptionError(name, raw, "comma-separated positive integers");
  }
  return values;
}

const levels = [...numberList("BENCH_LEVELS", [1, 100, 10_000])].sort((a, b) => a - b);
const [sequentialRecords = 100, pipelinedRecords = 500, batchedRecords = 500] = numberList(
  "BENCH_RECORDS",
  [100, 500, 500],
);
const withNode = process.env.BENCH_NODE !== "0";
const withOffchain = process.env.BENCH_OFFCHAIN !== "0";
const withBundle = process.env.BENCH_BUNDLE !== "0";
const verbose = process.env.BENCH_VERBOSE === "1";
const jsonPath = process.env.BENCH_JSON;

const progress = (line: string): void => console.error(line);
const startedAt = new Date();
const t0 = performance.now();
const sectionSeconds: Record<string, number> = {};
async function section<T>(name: string, body: () => Promise<T>): Promise<T> {
  const start = performance.now();
  progress(`${name}…`);
  try {
    return await body();
  } finally {
    sectionSeconds[name] = (performance.now() - start) / 1000;
  }
}

// 1 + 3a: gas per operation and batch gas, on a fresh ledger.
const fresh = await section("gas per operation", async () => {
  const connection = await network.create();
  try {
    const b = await setUpBench(await connection.ethers.getSigners());
    const ops = await measureOps(b);
    const batches = await measureBatches(b, [1, 10, 50, 100]);
    return { ops, batches, iface: b.ledger.interface };
  } finally {
    await connection.close();
  }
});

// 2: the same operations after 1, 100, 10,000 earlier items.
const growth =
  levels.length === 0
    ? null
    : await section("flat as it grows", async () => {
        const scenarios: GrowthScenario[] = [];
        for (const { id } of SCENARIOS) {
          const connection = await network.create();
          try {
            const { ethers } = connection;
            const b = await setUpBench(await ethers.getSigners());
            const setCode = async (address: string, code: string): Promise<void> => {
              await ethers.provider.send("hardhat_setCode", [address, code]);
            };
            scenarios.push(await runGrowth(b, id, levels, { setCode, progress }));
          } finally {
            await connection.close();
          }
        }
        return scenarios;
      });

// 3b: throughput against anvil: automine (a dev node), then 1-second blocks (like a QBFT network).
const throughput = withNode
  ? await section("real node", async () => [
      await runThroughput(
        {
          blockTimeSeconds: null,
          sequentialRecords,
          pipelinedRecords,
          windows: numberList("BENCH_WINDOWS", [4, 32]),
          batchedRecords,
          batchSize: 50,
          batchesInFlight: 2,
        },
        progress,
      ),
      await runThroughput(
        {
          blockTimeSeconds: 1,
          sequentialRecords: 5,
          pipelinedRecords,
          // Anvil drops what does not fit one block (30M gas / 100k gas limit per transaction).
          windows: [256],
          batchedRecords,
          batchSize: 50,
          batchesInFlight: 12,
        },
        progress,
      ),
    ])
  : { skipped: "BENCH_NODE=0" };

// 3c: the SDK soak against anvil: sequential create+open pairs through a default JsonRpcProvider.
const soakPairs = Number(process.env.BENCH_SOAK_PAIRS ?? 2000);
if (!Number.isInteger(soakPairs) || soakPairs < 0) {
  throw new BenchOptionError("BENCH_SOAK_PAIRS", String(process.env.BENCH_SOAK_PAIRS), "a count");
}
const sdkSoak =
  withNode && soakPairs > 0
    ? await section("sdk soak", () => runSdkSoak(soakPairs, Math.min(200, soakPairs), progress))
    : null;

// 6: off-chain — bench/crypto.ts (a script: run as a sub-step, its table kept as text) and bench/e2e.ts.
/** A sub-step exited with an error. */
export class SubStepError extends Error {
  constructor(
    readonly script: string,
    readonly code: number | null,
  ) {
    super(`${script} exited with code ${String(code)}`);
    this.name = "SubStepError";
  }
}

async function runScript(script: string, args: readonly string[] = []): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", script, ...args], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    let out = "";
    child.stdout.on("data", (chunk: Buffer) => (out += chunk.toString("utf8")));
    child.on("error", reject);
    child.on("exit", (code) =>
      code === 0 ? resolve(out.trimEnd()) : reject(new SubStepError(script, code)),
    );
  });
}

const offchain: { readonly crypto: string; readonly e2e: readonly E2eBenchRow[] } | null =
  withOffchain
    ? {
        crypto: await section("off-chain crypto", () => runScript("bench/crypto.ts")),
        e2e: await section("end to end", () => runE2eBench({ progress })),
      }
    : null;

const bundles = withBundle ? await section("bundle sizes", measureBundles) : null;
// 7: the indexer (bench/indexer.ts, a sub-step against its own anvil; its table kept as text).
const indexer: string | null =
  process.env.BENCH_INDEXER === "0"
    ? null
    : await section("indexer", () => runScript("bench/indexer.ts"));

// 8: the relay and blob gateway (bench/service.ts, a sub-step against its own anvil and service).
const service =
  process.env.BENCH_SERVICE === "0"
    ? null
    : await section("service", async () => {
        const dir = await mkdtemp(path.join(tmpdir(), "careledger-service-bench-"));
        try {
          const json = path.join(dir, "service.json");
          const text = await runScript("bench/service.ts", ["--json", json]);
          return { text, result: JSON.parse(await readFile(json, "utf8")) as unknown };
        } finally {
          await rm(dir, { recursive: true, force: true });
        }
      });

const baseline = compareToBaseline(fresh.ops, await readBaseline());
const operations = operationRows(fresh.iface, fresh.ops, baseline);
const growthTable = growth === null ? [] : growthRows(fresh.ops, growth);
const buildSeconds = Object.fromEntries(
  (growth ?? []).map((s) => [
    s.id,
    Object.fromEntries(s.levels.map((l) => [String(l.earlier), l.buildSeconds])),
  ]),
) as Record<ScenarioId, Record<string, number>>;

const report: BenchReport = {
  meta: {
    startedAt: startedAt.toISOString(),
    seconds: (performance.now() - t0) / 1000,
    sectionSeconds,
    node: process.version,
    network: "Hardhat in-process EDR, hardfork cancun (gas); anvil for throughput",
    gasReported:
      "transactions: receipt gasUsed (21,000 + calldata + execution − refund); views: execution gas = eth_estimateGas − 21,000 − calldata",
    levels,
  },
  operations,
  targets: targetRows(operations),
  growth:
    growth === null
      ? null
      : { levels, rows: growthTable, buildSeconds, allFlat: growthTable.every((r) => r.flat) },
  batches: batchRows(fresh.batches, fresh.ops),
  throughput,
  offchain,
  bundles: bundles?.rows ?? null,
  indexer,
  service,
};

console.log(renderReport(report, verbose));
if (bundles !== null) console.log(`\n${bundles.text}`);
if (sdkSoak !== null) console.log(`\n${renderSoak(sdkSoak)}`);
console.log(
  `\nbench ran in ${((performance.now() - t0) / 1000).toFixed(1)} s (${Object.entries(
    sectionSeconds,
  )
    .map(([k, v]) => `${k} ${v.toFixed(1)} s`)
    .join(", ")})`,
);
if (jsonPath !== undefined && jsonPath !== "") {
  await mkdir(path.dirname(path.resolve(jsonPath)), { recursive: true });
  await writeFile(jsonPath, `${JSON.stringify({ ...report, sdkSoak }, null, 2)}\n`);
  console.log(`\nJSON report written to ${jsonPath}`);
}
