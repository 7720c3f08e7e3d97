/**
 * `npm run node`: a real JSON-RPC node out of process on 127.0.0.1 for the `localnode` network —
 * anvil from `@foundry-rs/anvil` (or `hardhat node` if no anvil binary works), chain 1337, zero
 * gas, the well-known development accounts. Runs until Ctrl-C, then stops the node by its PID.
 *
 *   npm run node                       # 127.0.0.1:8545, chain 1337, automine, zero gas
 *   npm run node -- --port 8546 --chain-id 2025 --block-time 2 --paid --engine hardhat
 */
import { parseArgs } from "node:util";
import { LOCALNODE, LOCALNODE_URL } from "../src/deploy/localnode.js";
import { startNode, type MiningMode } from "./lib/node.js";
import { jsonRpcRequest } from "../src/deploy/jsonrpc.js";

const { values } = parseArgs({
  options: {
    port: { type: "string", default: String(LOCALNODE.port) },
    "chain-id": { type: "string", default: String(LOCALNODE.chainId) },
    "block-time": { type: "string" },
    "no-mining": { type: "boolean", default: false },
    paid: { type: "boolean", default: false },
    engine: { type: "string", default: "auto" },
    verbose: { type: "boolean", default: false },
    help: { type: "boolean", default: false },
  },
});

if (values.help) {
  console.log(
    "npm run node -- [--port 8545] [--chain-id 1337] [--block-time s | --no-mining] [--paid] [--engine anvil|hardhat] [--verbose]",
  );
  process.exit(0);
}

const engine = values.engine;
if (engine !== "auto" && engine !== "anvil" && engine !== "hardhat") {
  console.error(`Error: --engine must be anvil, hardhat or auto, not ${engine}`);
  process.exit(1);
}
const mining: MiningMode = values["no-mining"]
  ? { kind: "manual" }
  : values["block-time"] !== undefined
    ? { kind: "interval", seconds: Number(values["block-time"]) }
    : { kind: "auto" };

try {
  const node = await startNode({
    engine,
    port: Number(values.port),
    chainId: Number(values["chain-id"]),
    zeroGas: !values.paid,
    mining,
    ...(values.verbose ? { onOutput: (line: string) => console.log(`[node] ${line}`) } : {}),
  });
  const accounts = (await jsonRpcRequest(node.url, "eth_accounts")) as string[];
  console.log(
    `${node.engine} pid ${node.pid} listening at ${node.url}, chain ${node.chainId}, ` +
      `${values.paid || node.engine === "hardhat" ? "paid gas" : "zero gas"}, ${mining.kind} mining`,
  );
  console.log(`Development accounts (public test keys of the "test … junk" mnemonic):`);
  for (const [i, account] of accounts.slice(0, 5).entries()) console.log(`  #${i} ${account}`);
  const env = [
    ...(node.url === LOCALNODE_URL ? [] : [`LOCALNODE_RPC_URL=${node.url}`]),
    ...(node.chainId === LOCALNODE.chainId ? [] : [`LOCALNODE_CHAIN_ID=${node.chainId}`]),
    ...(values.paid || node.engine === "hardhat" ? ["LOCALNODE_GAS_PRICE=auto"] : []),
  ];
  console.log(
    `Deploy with: ${[...env, "npm run deploy -- --network", LOCALNODE.network].join(" ")}. Ctrl-C stops the node.`,
  );

  let stopping = false;
  const shutdown = async (signal: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    console.log(`${signal}: stopping ${node.engine} (pid ${node.pid})`);
    await node.stop();
    process.exit(0);
  };
  process.on("SIGINT", () => void shutdown("SIGINT"));
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
  // keep running while the node runs; exit if it dies on its own
  const watchdog = setInterval(() => {
    if (node.exited && !stopping) {
      console.error(`Error: ${node.engine} (pid ${node.pid}) exited`);
      clearInterval(watchdog);
      process.exit(1);
    }
  }, 500);
} catch (error) {
  console.error(`Error: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}
