/**
 * Where the indexer reads from. Environment (all optional):
 *   CARELEDGER_RPC_URL      JSON-RPC endpoint (default http://127.0.0.1:8545, `npm run node`)
 *   CARELEDGER_CHAIN_ID     chain id (default: the manifest's, else 1337)
 *   CARELEDGER_ADDRESS      CareLedger address (default: the manifest's)
 *   CARELEDGER_START_BLOCK  first block to index (default: the manifest's deployment block, else 0)
 *   CARELEDGER_MANIFEST     deploy manifest (default ../deployments/<chainId>.json)
 *   DATABASE_URL            PostgreSQL connection string; without it, embedded PGlite in PONDER_PGLITE_DIR
 *   PONDER_PGLITE_DIR       PGlite directory (default .ponder/pglite)
 *   CARELEDGER_POLL_MS      polling interval of the node (default 1000)
 *   CARELEDGER_RPC_CACHE    1 caches RPC responses, 0 does not (default: not on chains 1337 and 31337)
 *   CARELEDGER_RPC_MAX_RPS  at most this many RPC requests per second (default: Ponder's)
 *   CARELEDGER_GETLOGS_BLOCK_RANGE  blocks per eth_getLogs request (default: Ponder's; a node's own limit)
 */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { createConfig } from "ponder";
import { CareLedgerAbi } from "./abis/CareLedgerAbi";

interface ManifestTarget {
  readonly chainId: number;
  readonly contracts: {
    readonly CareLedger: { readonly address: string; readonly deploymentBlock: number };
  };
}

function manifestTarget(chainId: number | undefined): ManifestTarget | undefined {
  const file =
    process.env.CARELEDGER_MANIFEST ??
    path.resolve(__dirname, "..", "deployments", `${chainId ?? 1337}.json`);
  if (!existsSync(file)) return undefined;
  return JSON.parse(readFileSync(file, "utf8")) as ManifestTarget;
}

function intEnv(name: string): number | undefined {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return undefined;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < 0)
    throw new Error(`${name}=${raw} is not a non-negative integer`);
  return value;
}

/** `{ [key]: value }`, or nothing when `value` is undefined (Ponder then keeps its default). */
function optional<K extends string>(key: K, value: number | undefined): Partial<Record<K, number>> {
  return value === undefined ? {} : ({ [key]: value } as Record<K, number>);
}

const chainIdEnv = intEnv("CARELEDGER_CHAIN_ID");
const manifest = manifestTarget(chainIdEnv);
const chainId = chainIdEnv ?? manifest?.chainId ?? 1337;
const address = process.env.CARELEDGER_ADDRESS ?? manifest?.contracts.CareLedger.address;
if (address === undefined || !/^0x[0-9a-fA-F]{40}$/.test(address)) {
  throw new Error(
    `CareLedger address unknown: set CARELEDGER_ADDRESS, or deploy first (npm run deploy) so that deployments/${chainId}.json exists`,
  );
}
const startBlock =
  intEnv("CARELEDGER_START_BLOCK") ?? manifest?.contracts.CareLedger.deploymentBlock ?? 0;
const DEV_CHAIN_IDS = new Set([1337, 31337]);
const databaseUrl = process.env.DATABASE_URL;

export default createConfig({
  database:
    databaseUrl !== undefined && databaseUrl !== ""
      ? { kind: "postgres", connectionString: databaseUrl }
      : { kind: "pglite", directory: process.env.PONDER_PGLITE_DIR ?? ".ponder/pglite" },
  chains: {
    careledger: {
      id: chainId,
      rpc: process.env.CARELEDGER_RPC_URL ?? "http://127.0.0.1:8545",
      pollingInterval: intEnv("CARELEDGER_POLL_MS") ?? 1_000,
      ...optional("maxRequestsPerSecond", intEnv("CARELEDGER_RPC_MAX_RPS")),
      ...optional("ethGetLogsBlockRange", intEnv("CARELEDGER_GETLOGS_BLOCK_RANGE")),
      // Development chains restart with the same id and other blocks: their RPC responses must not be cached.
      disableCache:
        process.env.CARELEDGER_RPC_CACHE === undefined
          ? DEV_CHAIN_IDS.has(chainId)
          : process.env.CARELEDGER_RPC_CACHE !== "1",
    },
  },
  contracts: {
    CareLedger: {
      chain: "careledger",
      abi: CareLedgerAbi,
      address: address as `0x${string}`,
      startBlock,
    },
  },
});
