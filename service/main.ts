/**
 * `npm run service`: start the CareLedger service from the environment.
 *
 * - `CARELEDGER_RPC_URL` (default `http://127.0.0.1:8545`)
 * - `CARELEDGER_CONTRACT`, or `CARELEDGER_DEPLOYMENT` (a deployments/*.json manifest; default
 *   `deployments/<chainId>.json`)
 * - `CARELEDGER_RELAYER_KEY` from the environment or the Hardhat keystore
 *   (`npx hardhat keystore set CARELEDGER_RELAYER_KEY`); without one the relay is off
 * - `CARELEDGER_BLOB_DIR` (default `.careledger/blobs`), `HOST` (default 127.0.0.1), `PORT` (default 0:
 *   a free port, printed), `CARELEDGER_CORS_ORIGIN` (comma-separated; default any),
 *   `CARELEDGER_RATE_LIMIT` (relays per patient per minute), `CARELEDGER_GAS_CAP`
 */
import { readFile } from "node:fs/promises";
import { JsonRpcProvider, Wallet } from "ethers";
import { manifestPath, parseManifest } from "../src/node.js";
import { startService } from "./index.js";

/** A bad setting: one line naming the variable. */
function fail(message: string): never {
  process.stderr.write(`careledger service: ${message}\n`);
  process.exit(2);
}

function integer(name: string, fallback?: number): number | undefined {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return fallback;
  if (!/^[0-9]+$/.test(raw)) fail(`${name}=${raw} is not a non-negative integer`);
  return Number(raw);
}

/** The relayer key from the environment, else from the Hardhat keystore (prompting for its password). */
async function relayerKey(): Promise<string | undefined> {
  const name = "CARELEDGER_RELAYER_KEY";
  const fromEnv = process.env[name];
  if (fromEnv !== undefined && fromEnv !== "") return fromEnv;
  const [{ default: hre }, { configVariable }] = await Promise.all([
    import("hardhat"),
    import("hardhat/config"),
  ]);
  return hre.hooks.runHandlerChain(
    "configurationVariables",
    "fetchValue",
    [configVariable(name)],
    () => Promise.resolve(""),
  );
}

async function contractFromManifest(chainId: bigint): Promise<{ address: string; block: number }> {
  const file = process.env.CARELEDGER_DEPLOYMENT ?? manifestPath(Number(chainId));
  let json: unknown;
  try {
    json = JSON.parse(await readFile(file, "utf8"));
  } catch (error) {
    fail(
      `no CARELEDGER_CONTRACT and ${file} is unreadable (${error instanceof Error ? error.message : String(error)})`,
    );
  }
  const manifest = parseManifest(json);
  return {
    address: manifest.contracts.CareLedger.address,
    block: manifest.contracts.CareLedger.deploymentBlock,
  };
}

async function main(): Promise<void> {
  const rpcUrl = process.env.CARELEDGER_RPC_URL ?? "http://127.0.0.1:8545";
  const provider = new JsonRpcProvider(rpcUrl, undefined, { cacheTimeout: -1 });
  const { chainId } = await provider.getNetwork();
  const given = process.env.CARELEDGER_CONTRACT;
  const { address, block } =
    given !== undefined && given !== ""
      ? { address: given, block: 0 }
      : await contractFromManifest(chainId);
  const key = await relayerKey();
  let relayer: Wallet | undefined;
  if (key !== undefined && key !== "") {
    try {
      relayer = new Wallet(key, provider);
    } catch {
      fail("CARELEDGER_RELAYER_KEY is not a 32-byte hex private key");
    }
  }
  const cors = process.env.CARELEDGER_CORS_ORIGIN;
  const perPatientPerMinute = integer("CARELEDGER_RATE_LIMIT");
  const gasCap = integer("CARELEDGER_GAS_CAP");
  const service = await startService({
    provider,
    contractAddress: address,
    fromBlock: block,
    blobDir: process.env.CARELEDGER_BLOB_DIR ?? ".careledger/blobs",
    host: process.env.HOST ?? "127.0.0.1",
    port: integer("PORT", 0) ?? 0,
    logger: { level: process.env.LOG_LEVEL ?? "info" },
    ...(relayer === undefined ? {} : { relayer }),
    ...(cors === undefined || cors === "" ? {} : { corsOrigin: cors.split(",") }),
    ...(perPatientPerMinute === undefined ? {} : { rateLimit: { perPatientPerMinute } }),
    ...(gasCap === undefined ? {} : { gasCap: BigInt(gasCap) }),
  });
  process.stdout.write(
    `CareLedger service on ${service.url} (chain ${chainId.toString()}, contract ${address}, relay ${relayer === undefined ? "off: no CARELEDGER_RELAYER_KEY" : `from ${relayer.address}`})\n`,
  );
  const stop = (): void => {
    void service.close().then(() => {
      provider.destroy();
      process.exit(0);
    });
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}

await main();
