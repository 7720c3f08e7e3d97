/**
 * `npm run indexer`: the Ponder indexer in `indexer/` against the local node (`npm run node`, chain 1337) or a
 * network whose deploy manifest is in `deployments/<chainId>.json`. Checks that the indexer's ABI matches the
 * compiled contract first (regenerates it when it does not), then runs `ponder start` until Ctrl-C.
 *
 *   npm run indexer                                    # chain 1337 at http://127.0.0.1:8545, PGlite in indexer/.ponder
 *   npm run indexer -- --chain-id 2025 --rpc https://rpc.example --port 42070
 *   DATABASE_URL=postgresql://user:pw@host:5432/db npm run indexer -- --schema careledger
 */
import { spawn } from "node:child_process";
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { parseArgs } from "node:util";
import { generatedAbiModule, INDEXER_ABI } from "./gen-indexer-abi.js";

const { values } = parseArgs({
  options: {
    "chain-id": { type: "string" },
    rpc: { type: "string" },
    manifest: { type: "string" },
    address: { type: "string" },
    "start-block": { type: "string" },
    port: { type: "string", default: "42069" },
    schema: { type: "string", default: "careledger" },
    help: { type: "boolean", default: false },
  },
});
if (values.help) {
  console.log(
    "npm run indexer -- [--chain-id 1337] [--rpc http://127.0.0.1:8545] [--manifest deployments/1337.json] " +
      "[--address 0x…] [--start-block n] [--port 42069] [--schema careledger]   (DATABASE_URL for PostgreSQL)",
  );
  process.exit(0);
}

const root = path.resolve(import.meta.dirname, "..");
const text = await generatedAbiModule().catch((cause: unknown) => {
  console.error(
    `Error: artifacts/contracts/CareLedger.sol/CareLedger.json: run npm run build first (${String(cause)})`,
  );
  process.exit(1);
});
if ((await readFile(INDEXER_ABI, "utf8").catch(() => "")) !== text) {
  await writeFile(INDEXER_ABI, text);
  console.log(`${path.relative(root, INDEXER_ABI)} regenerated from the compiled contract`);
}

const env: NodeJS.ProcessEnv = { ...process.env, PONDER_TELEMETRY_DISABLED: "true" };
const set = (name: string, value: string | undefined) => {
  if (value !== undefined) env[name] = value;
};
set("CARELEDGER_CHAIN_ID", values["chain-id"]);
set("CARELEDGER_RPC_URL", values.rpc);
set(
  "CARELEDGER_MANIFEST",
  values.manifest === undefined ? undefined : path.resolve(values.manifest),
);
set("CARELEDGER_ADDRESS", values.address);
set("CARELEDGER_START_BLOCK", values["start-block"]);

const ponder = path.join(root, "node_modules/ponder/dist/esm/bin/ponder.js");
const child = spawn(
  process.execPath,
  [
    ponder,
    "--root",
    path.join(root, "indexer"),
    "start",
    "--schema",
    values.schema,
    "-p",
    values.port,
  ],
  { cwd: path.join(root, "indexer"), env, stdio: "inherit" },
);
for (const signal of ["SIGINT", "SIGTERM"] as const) process.on(signal, () => child.kill(signal));
child.on("exit", (code) => process.exit(code ?? 1));
