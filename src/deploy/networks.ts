/**
 * Network entries for `hardhat.config.ts`: the local node and private permissioned networks
 * (Besu QBFT/IBFT 2.0, GoQuorum, geth Clique).
 *
 * Secrets (the RPC URL, which may carry credentials, and the deployer key) are configuration
 * variables: Hardhat resolves them lazily from the environment or the encrypted keystore
 * (`npx hardhat keystore set CARELEDGER_DEPLOYER_KEY`), so no key is ever written in the repo.
 * The chain id and gas price are not secrets but must be numbers when Hardhat loads its config,
 * which a configuration variable cannot be: they are read from the same-named environment
 * variables at load time.
 */
import type { HttpNetworkUserConfig } from "hardhat/types/config";
import { configVariable } from "hardhat/config";
import { CareLedgerError } from "../errors.js";
import { LOCALNODE, LOCALNODE_URL } from "./localnode.js";

/** The configuration variables a private network entry reads, by role. */
export interface PrivateNetworkVariables {
  /** JSON-RPC URL (configuration variable: env or keystore). */
  readonly rpcUrl: string;
  /** Expected chain id (environment variable, read when Hardhat loads). */
  readonly chainId: string;
  /** Deployer private key (configuration variable: env or keystore). */
  readonly deployerKey: string;
  /** `0` (default: zero-gas network), a fixed price in wei, or `auto` (environment variable). */
  readonly gasPrice: string;
}

/** Variable names for a network whose variables start with `prefix` (e.g. `CARELEDGER_RPC_URL`). */
export function privateNetworkVariables(prefix: string): PrivateNetworkVariables {
  return {
    rpcUrl: `${prefix}_RPC_URL`,
    chainId: `${prefix}_CHAIN_ID`,
    deployerKey: `${prefix}_DEPLOYER_KEY`,
    gasPrice: `${prefix}_GAS_PRICE`,
  };
}

/**
 * A malformed chain id or gas price in the environment. It is never thrown while Hardhat loads its
 * config (that would break every command, even `keystore list`): {@link privateNetwork} records it
 * and the commands that use the network throw it ({@link assertNetworkEnvironment}).
 */
export class NetworkConfigError extends CareLedgerError {
  override readonly name: string = "NetworkConfigError";

  constructor(message: string) {
    super(message, "NETWORK_CONFIG");
  }
}

/** Problems found in the environment of each variable prefix while the config loaded. */
const environmentProblems = new Map<string, NetworkConfigError>();

/**
 * Throws the {@link NetworkConfigError} recorded for the network whose variables start with
 * `prefix` (e.g. `CARELEDGER`), if its environment was malformed when Hardhat loaded the config.
 */
export function assertNetworkEnvironment(prefix: string): void {
  const problem = environmentProblems.get(prefix);
  if (problem !== undefined) throw problem;
}

/** `parse(raw)`, or `fallback` with the error recorded under `prefix`. */
function parseOrRecord<T>(prefix: string, parse: () => T, fallback: T): T {
  try {
    return parse();
  } catch (error) {
    if (!(error instanceof NetworkConfigError)) throw error;
    if (!environmentProblems.has(prefix)) environmentProblems.set(prefix, error);
    return fallback;
  }
}

/** A chain id from the environment: a positive decimal or 0x-hex integer, or undefined if unset. */
export function parseChainId(raw: string | undefined, variable: string): number | undefined {
  if (raw === undefined || raw.trim() === "") return undefined;
  const text = raw.trim();
  const value = /^0x[0-9a-f]+$/i.test(text) ? Number.parseInt(text, 16) : Number(text);
  if (!Number.isSafeInteger(value) || value <= 0 || !/^(0x[0-9a-f]+|[0-9]+)$/i.test(text)) {
    throw new NetworkConfigError(`${variable}="${raw}" is not a chain id: use a positive integer`);
  }
  return value;
}

/** A gas price from the environment: `auto`, or wei as a non-negative integer; default 0. */
export function parseGasPrice(raw: string | undefined, variable: string): "auto" | bigint {
  if (raw === undefined || raw.trim() === "") return 0n;
  const text = raw.trim();
  if (text === "auto") return "auto";
  if (!/^[0-9]+$/.test(text)) {
    throw new NetworkConfigError(
      `${variable}="${raw}" is not a gas price: use "auto" or an integer amount of wei (0 for a zero-gas network)`,
    );
  }
  return BigInt(text);
}

/**
 * A private permissioned network. With `prefix` `CARELEDGER`: URL from `CARELEDGER_RPC_URL`, chain
 * id from `CARELEDGER_CHAIN_ID`, deployer key from `CARELEDGER_DEPLOYER_KEY`, gas price from
 * `CARELEDGER_GAS_PRICE` (default 0, i.e. legacy transactions at gas price 0).
 */
export function privateNetwork(
  prefix: string,
  env: NodeJS.ProcessEnv = process.env,
): HttpNetworkUserConfig {
  const names = privateNetworkVariables(prefix);
  environmentProblems.delete(prefix);
  const chainId = parseOrRecord(
    prefix,
    () => parseChainId(env[names.chainId], names.chainId),
    undefined,
  );
  return {
    type: "http",
    chainType: "l1",
    url: configVariable(names.rpcUrl),
    ...(chainId === undefined ? {} : { chainId }),
    accounts: [configVariable(names.deployerKey)],
    gasPrice: parseOrRecord(prefix, () => parseGasPrice(env[names.gasPrice], names.gasPrice), 0n),
  };
}

/**
 * The local node started by `npm run node` (anvil, zero gas): the node signs with its well-known
 * development accounts (`accounts: "remote"`), so no key appears here. `LOCALNODE_RPC_URL`
 * overrides the URL (a node on another port), `LOCALNODE_CHAIN_ID` the chain id (default 1337) and
 * `LOCALNODE_GAS_PRICE` the gas price (default 0; `auto` for `npm run node -- --paid`).
 */
export function localNodeNetwork(env: NodeJS.ProcessEnv = process.env): HttpNetworkUserConfig {
  const prefix = "LOCALNODE";
  environmentProblems.delete(prefix);
  return {
    type: "http",
    chainType: "l1",
    url: configVariable(LOCALNODE.urlVariable, { default: LOCALNODE_URL }),
    chainId:
      parseOrRecord(
        prefix,
        () => parseChainId(env["LOCALNODE_CHAIN_ID"], "LOCALNODE_CHAIN_ID"),
        undefined,
      ) ?? LOCALNODE.chainId,
    accounts: "remote",
    gasPrice: parseOrRecord(
      prefix,
      () => parseGasPrice(env["LOCALNODE_GAS_PRICE"], "LOCALNODE_GAS_PRICE"),
      0n,
    ),
  };
}
