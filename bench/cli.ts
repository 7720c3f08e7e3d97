/**
 * `npm run bench [-- options]`: runs bench/index.ts under `hardhat run` (which compiles first and passes
 * no script arguments), handing the options over as BENCH_* environment variables.
 *
 *   npm run bench                          every section, full sizes (4-5 minutes on 2 busy cores)
 *   npm run bench -- --json out/bench.json also write the report as JSON
 *   npm run bench -- --quick               levels 1,100 and a short node run (seconds)
 *   npm run bench -- --gib                 add the 1 GiB streamed (CLE2) record off chain
 *   npm run bench -- --levels 1,100,10000 --records 100,500,500 --no-node --no-offchain --verbose
 */
import { spawn } from "node:child_process";
import { createRequire } from "node:module";
import path from "node:path";
import { parseArgs } from "node:util";

const { values } = parseArgs({
  options: {
    json: { type: "string" },
    levels: { type: "string" },
    records: { type: "string" },
    quick: { type: "boolean", default: false },
    "no-node": { type: "boolean", default: false },
    "no-offchain": { type: "boolean", default: false },
    "no-bundle": { type: "boolean", default: false },
    "no-indexer": { type: "boolean", default: false },
    "no-service": { type: "boolean", default: false },
    verbose: { type: "boolean", default: false },
    soak: { type: "string" },
    gib: { type: "boolean", default: false },
    help: { type: "boolean", default: false },
  },
});

if (values.help) {
  console.log(
    [
      "npm run bench -- [--json <file>] [--quick] [--gib] [--soak <n>] [--levels 1,100,10000] [--records seq,pipelined,batched] [--no-node] [--no-offchain] [--no-bundle] [--no-indexer] [--no-service] [--verbose]",
      "  --json <file>   also write the report as JSON",
      "  --quick         levels 1,100, 20/100/100 node records, no off-chain sections",
      "  --levels        earlier items for 'flat as it grows' (empty string: skip)",
      "  --records       records for the sequential, pipelined and batched node runs",
      "  --no-node       skip the throughput section against anvil",
      "  --no-offchain   skip bench/crypto.ts and bench/e2e.ts",
      "  --no-bundle     skip the browser bundle sizes (bench/bundle.ts)",
      "  --no-indexer    skip bench/indexer.ts (100,000 opens on anvil, then the indexer; about 10 minutes)",
      "  --no-service    skip bench/service.ts (200 relays and 500 blob reads through the service on anvil; about 1 minute)",
      "  --verbose       print each operation's floor breakdown",
      "  --soak <n>      create+open pairs of the SDK soak against anvil (default 2000, 0: skip)",
      "  --gib           add the 1 GiB streamed record to the off-chain section (about 1 min, 2 GiB disk)",
    ].join("\n"),
  );
  process.exit(0);
}

const env: NodeJS.ProcessEnv = { ...process.env };
if (values.quick) {
  env.BENCH_LEVELS = "1,100";
  env.BENCH_RECORDS = "20,100,100";
  env.BENCH_OFFCHAIN = "0";
  env.BENCH_INDEXER_OPENS = "2000";
  env.BENCH_INDEXER_PATIENTS = "50";
  env.BENCH_SOAK_PAIRS = "100";
  env.BENCH_SERVICE_RELAYS = "40";
  env.BENCH_SERVICE_READS = "100";
}
if (values.soak !== undefined) env.BENCH_SOAK_PAIRS = values.soak;
if (values.levels !== undefined) env.BENCH_LEVELS = values.levels;
if (values.records !== undefined) env.BENCH_RECORDS = values.records;
if (values["no-node"]) env.BENCH_NODE = "0";
if (values["no-offchain"]) env.BENCH_OFFCHAIN = "0";
if (values["no-bundle"]) env.BENCH_BUNDLE = "0";
if (values["no-indexer"]) env.BENCH_INDEXER = "0";
if (values["no-service"]) env.BENCH_SERVICE = "0";
if (values.verbose) env.BENCH_VERBOSE = "1";
if (values.gib) env.BENCH_GIB = "1";
if (values.json !== undefined) env.BENCH_JSON = path.resolve(values.json);

const require = createRequire(import.meta.url);
const hardhat = path.join(path.dirname(require.resolve("hardhat/package.json")), "dist/src/cli.js");
const child = spawn(process.execPath, [hardhat, "run", "bench/index.ts"], {
  env,
  stdio: "inherit",
});
for (const signal of ["SIGINT", "SIGTERM"] as const) process.on(signal, () => child.kill(signal));
child.on("exit", (code, signal) => {
  process.exitCode = code ?? (signal === null ? 1 : 128);
});
