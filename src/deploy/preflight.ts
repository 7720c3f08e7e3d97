/**
 * Checks made before a deploy sends anything, each failing with one line that says what to fix:
 * the RPC URL is set, valid and answers; the node's chain id is the configured one; the deployer
 * key resolves (environment or unlocked keystore) or the node has an account; on a network that
 * charges gas, the configured gas price is accepted and the deployer can pay.
 *
 * The checks use plain JSON-RPC over `fetch` and the configuration variables themselves, never a
 * Hardhat network connection: opening one would already resolve the key and could send requests.
 */
import { HardhatError } from "@nomicfoundation/hardhat-errors";
import { computeAddress, formatEther, formatUnits, getAddress, HDNodeWallet } from "ethers";
import type { NetworkConfig } from "hardhat/types/config";
import { CareLedgerError, type CareLedgerErrorOptions } from "../errors.js";
import {
  jsonRpcRequest,
  JsonRpcResponseError,
  JsonRpcTransportError,
  quantity,
  redactUrl,
} from "./jsonrpc.js";

/** Why a preflight failed. */
export type PreflightCode =
  | "NOT_AN_HTTP_NETWORK"
  | "RPC_URL_MISSING"
  | "RPC_URL_INVALID"
  | "RPC_UNREACHABLE"
  | "CHAIN_ID_MISSING"
  | "CHAIN_ID_MISMATCH"
  | "DEPLOYER_KEY_MISSING"
  | "KEYSTORE_LOCKED"
  | "DEPLOYER_KEY_INVALID"
  | "NO_DEPLOYER"
  | "GAS_PRICE_TOO_LOW"
  | "INSUFFICIENT_FUNDS";

/** A preflight check failed; `message` is one line saying what to fix. Nothing was sent. */
export class PreflightError extends CareLedgerError {
  override readonly name: string = "PreflightError";

  declare readonly code: PreflightCode;
  constructor(code: PreflightCode, message: string, options: CareLedgerErrorOptions = {}) {
    super(message, code, options);
  }
}

/** A secret that resolves lazily (a Hardhat configuration variable, or a test double). */
export interface Secret {
  /** The configuration variable's name, for messages (undefined for an inline value). */
  readonly name: string | undefined;
  get(): Promise<string>;
}

/** Where the deployer comes from. */
export type DeployerSource =
  | { readonly kind: "remote" }
  | { readonly kind: "key"; readonly key: Secret }
  | {
      readonly kind: "mnemonic";
      readonly mnemonic: Secret;
      readonly passphrase: Secret;
      readonly path: string;
      readonly index: number;
    };

/** What preflight checks, independent of Hardhat's config types. */
export interface PreflightTarget {
  /** Network name, for messages. */
  readonly network: string;
  readonly url: Secret;
  /** The configured chain id; undefined means "not configured", which is an error. */
  readonly expectedChainId: number | undefined;
  /** The environment variable that sets the chain id, for messages. */
  readonly chainIdVariable?: string;
  readonly deployer: DeployerSource;
  /** The network's `gasPrice` config: a fixed price in wei, or `auto`. */
  readonly gasPrice: "auto" | bigint;
  /** The environment variable that sets the gas price, for messages. */
  readonly gasPriceVariable?: string;
}

/** Options of {@link preflight}. */
export interface PreflightOptions {
  /**
   * Gas the deployment will use, for the funds check. A function gets the deployer and URL so it
   * can ask the node (`eth_estimateGas`). Default: 8 000 000.
   */
  readonly gasLimit?: bigint | ((deployer: string, url: string) => Promise<bigint>);
  /** Per-request timeout (default 5 s). */
  readonly timeoutMs?: number;
}

/** How the network charges gas. */
export type FeeMode = "zero" | "paid";

/** What preflight found; the deploy reuses it. */
export interface PreflightReport {
  readonly network: string;
  /** The RPC URL (with its secrets; never print it, print `endpoint`). */
  readonly url: string;
  /** Scheme, host and port only. */
  readonly endpoint: string;
  readonly chainId: number;
  readonly deployer: string;
  readonly balance: bigint;
  readonly feeMode: FeeMode;
  /** Base fee of the latest block, if the chain has EIP-1559. */
  readonly baseFeePerGas: bigint | undefined;
  /** `eth_gasPrice`. */
  readonly nodeGasPrice: bigint;
  /** Estimated upper bound of the deployment's cost in wei (0 on a zero-gas network). */
  readonly estimatedCost: bigint;
}

/**
 * Preflight target of a network from Hardhat's resolved config. For a network made by
 * `privateNetwork("X")` (URL variable `X_RPC_URL`), messages name `X_CHAIN_ID` and `X_GAS_PRICE`.
 */
export function preflightTargetFromConfig(network: string, config: NetworkConfig): PreflightTarget {
  if (config.type !== "http") {
    throw new PreflightError(
      "NOT_AN_HTTP_NETWORK",
      `Network "${network}" is simulated in process (type ${config.type}): nothing to preflight`,
    );
  }
  const secret = (value: { get(): Promise<string> } & { name?: string }): Secret => ({
    name: typeof value.name === "string" ? value.name : undefined,
    get: () => value.get(),
  });
  let deployer: DeployerSource;
  const accounts = config.accounts;
  if (accounts === "remote") {
    deployer = { kind: "remote" };
  } else if (Array.isArray(accounts)) {
    const first = accounts[0];
    deployer = first === undefined ? { kind: "remote" } : { kind: "key", key: secret(first) };
  } else {
    deployer = {
      kind: "mnemonic",
      mnemonic: secret(accounts.mnemonic),
      passphrase: secret(accounts.passphrase),
      path: accounts.path,
      index: accounts.initialIndex,
    };
  }
  const urlName = (config.url as { name?: unknown }).name;
  const prefix = typeof urlName === "string" ? /^(.+)_RPC_URL$/.exec(urlName)?.[1] : undefined;
  const variables =
    prefix === undefined ? {} : { chainId: `${prefix}_CHAIN_ID`, gasPrice: `${prefix}_GAS_PRICE` };
  return {
    network,
    url: secret(config.url),
    expectedChainId: config.chainId,
    ...(variables.chainId === undefined ? {} : { chainIdVariable: variables.chainId }),
    deployer,
    gasPrice: config.gasPrice,
    ...(variables.gasPrice === undefined ? {} : { gasPriceVariable: variables.gasPrice }),
  };
}

/** The node's endpoint once checks 1 and 2 passed. */
export interface CheckedEndpoint {
  readonly url: string;
  readonly endpoint: string;
  readonly chainId: number;
  /** JSON-RPC call whose transport failures are {@link PreflightError}s. */
  call(method: string, params?: readonly unknown[]): Promise<unknown>;
}

/** Checks 1 (URL set, valid, node answers) and 2 (chain id as configured). */
export async function checkEndpoint(
  target: Pick<PreflightTarget, "network" | "url" | "expectedChainId" | "chainIdVariable">,
  timeoutMs = 5000,
): Promise<CheckedEndpoint> {
  const url = await resolveUrl(target);
  const endpoint = redactUrl(url);
  const call = async (method: string, params: readonly unknown[] = []): Promise<unknown> => {
    try {
      return await jsonRpcRequest(url, method, params, { timeoutMs });
    } catch (error) {
      if (error instanceof JsonRpcTransportError) {
        throw new PreflightError(
          "RPC_UNREACHABLE",
          `Cannot reach the JSON-RPC node of network "${target.network}" at ${endpoint} (${error.message.replace(/^.*failed: /, "")}): ` +
            `start the node or fix ${target.url.name ?? "its URL"}`,
          { cause: error },
        );
      }
      throw error;
    }
  };
  const chainId = Number(quantity(await call("eth_chainId"), "eth_chainId", endpoint));
  if (target.expectedChainId === undefined) {
    throw new PreflightError(
      "CHAIN_ID_MISSING",
      `Network "${target.network}" has no chain id configured: set ${target.chainIdVariable ?? "its chainId"} (the node at ${endpoint} reports ${chainId})`,
    );
  }
  if (chainId !== target.expectedChainId) {
    throw new PreflightError(
      "CHAIN_ID_MISMATCH",
      `The node at ${endpoint} is on chain ${chainId}, but network "${target.network}" expects chain ${target.expectedChainId}: ` +
        `fix ${target.chainIdVariable ?? "its chainId"} or ${target.url.name ?? "the URL"}`,
    );
  }
  return { url, endpoint, chainId, call };
}

/** Runs every check in order and returns what it found, or throws a {@link PreflightError}. */
export async function preflight(
  target: PreflightTarget,
  options: PreflightOptions = {},
): Promise<PreflightReport> {
  // 1. Reachable, and 2. the chain it should be.
  const { url, endpoint, chainId, call } = await checkEndpoint(target, options.timeoutMs);

  // 3. A deployer.
  const deployer = await resolveDeployer(target, call, endpoint);

  // 4. Fees and funds.
  const block = (await call("eth_getBlockByNumber", ["latest", false])) as {
    baseFeePerGas?: string;
  } | null;
  const baseFeePerGas =
    block?.baseFeePerGas === undefined || block.baseFeePerGas === null
      ? undefined
      : quantity(block.baseFeePerGas, "eth_getBlockByNumber", endpoint);
  const nodeGasPrice = quantity(await call("eth_gasPrice"), "eth_gasPrice", endpoint);
  const balance = quantity(
    await call("eth_getBalance", [deployer, "latest"]),
    "eth_getBalance",
    endpoint,
  );
  const requiredPrice = (baseFeePerGas ?? 0n) > nodeGasPrice ? (baseFeePerGas ?? 0n) : nodeGasPrice;
  const feeMode: FeeMode = requiredPrice === 0n ? "zero" : "paid";

  let estimatedCost = 0n;
  if (feeMode === "paid") {
    if (target.gasPrice !== "auto" && target.gasPrice < requiredPrice) {
      throw new PreflightError(
        "GAS_PRICE_TOO_LOW",
        `The node at ${endpoint} charges gas (${formatUnits(requiredPrice, "gwei")} gwei) but network "${target.network}" ` +
          `sends gas price ${target.gasPrice} wei: set ${target.gasPriceVariable ?? "its gasPrice"}=auto`,
      );
    }
    const priority = 10n ** 9n;
    const pricePerGas =
      baseFeePerGas !== undefined && baseFeePerGas > 0n
        ? baseFeePerGas * 2n + priority
        : target.gasPrice === "auto"
          ? nodeGasPrice
          : target.gasPrice;
    const gasLimit =
      typeof options.gasLimit === "function"
        ? await options.gasLimit(deployer, url)
        : (options.gasLimit ?? 8_000_000n);
    estimatedCost = gasLimit * pricePerGas;
    if (balance < estimatedCost) {
      throw new PreflightError(
        "INSUFFICIENT_FUNDS",
        `Deployer ${deployer} has ${formatEther(balance)} ETH on chain ${chainId}, but this deploy needs about ` +
          `${formatEther(estimatedCost)} ETH (${gasLimit} gas at ${formatUnits(pricePerGas, "gwei")} gwei): fund it, or run the network with zero gas`,
      );
    }
  }

  return {
    network: target.network,
    url,
    endpoint,
    chainId,
    deployer,
    balance,
    feeMode,
    baseFeePerGas,
    nodeGasPrice,
    estimatedCost,
  };
}

async function resolveUrl(target: Pick<PreflightTarget, "network" | "url">): Promise<string> {
  let url: string;
  try {
    url = await target.url.get();
  } catch (error) {
    throw secretError(
      error,
      target.url,
      "RPC_URL_MISSING",
      `the RPC URL of network "${target.network}"`,
    );
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (error) {
    throw new PreflightError(
      "RPC_URL_INVALID",
      `${target.url.name ?? "The RPC URL"} of network "${target.network}" is not a URL: set it to http(s)://host:port`,
      { cause: error },
    );
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") {
    throw new PreflightError(
      "RPC_URL_INVALID",
      `${target.url.name ?? "The RPC URL"} of network "${target.network}" uses ${parsed.protocol}: use an http(s):// JSON-RPC URL`,
    );
  }
  return url;
}

async function resolveDeployer(
  target: PreflightTarget,
  call: (method: string, params?: readonly unknown[]) => Promise<unknown>,
  endpoint: string,
): Promise<string> {
  const source = target.deployer;
  if (source.kind === "remote") {
    let accounts: unknown;
    try {
      accounts = await call("eth_accounts");
    } catch (error) {
      if (!(error instanceof JsonRpcResponseError)) throw error;
      accounts = [];
    }
    const first = Array.isArray(accounts) ? accounts[0] : undefined;
    if (typeof first !== "string") {
      throw new PreflightError(
        "NO_DEPLOYER",
        `The node at ${endpoint} manages no accounts and network "${target.network}" has no deployer key: ` +
          `add accounts: [configVariable("…_DEPLOYER_KEY")] to it and run npx hardhat keystore set …_DEPLOYER_KEY`,
      );
    }
    return getAddress(first);
  }
  if (source.kind === "key") {
    let key: string;
    try {
      key = await source.key.get();
    } catch (error) {
      throw secretError(error, source.key, "DEPLOYER_KEY_MISSING", "the deployer key");
    }
    try {
      return computeAddress(key.startsWith("0x") ? key : `0x${key}`);
    } catch (error) {
      throw new PreflightError(
        "DEPLOYER_KEY_INVALID",
        `${source.key.name ?? "The deployer key"} is not a 32-byte hex private key: set it again with npx hardhat keystore set ${source.key.name ?? "…"}`,
        { cause: error },
      );
    }
  }
  let phrase: string;
  let passphrase: string;
  try {
    phrase = await source.mnemonic.get();
    passphrase = await source.passphrase.get();
  } catch (error) {
    throw secretError(error, source.mnemonic, "DEPLOYER_KEY_MISSING", "the deployer mnemonic");
  }
  try {
    return HDNodeWallet.fromPhrase(phrase, passphrase, `${source.path}/${source.index}`).address;
  } catch (error) {
    throw new PreflightError(
      "DEPLOYER_KEY_INVALID",
      `${source.mnemonic.name ?? "The deployer mnemonic"} is not a valid BIP-39 mnemonic`,
      { cause: error },
    );
  }
}

/**
 * A configuration variable could not be resolved: not in the environment nor the keystore
 * (missing), or the keystore could not be unlocked (locked).
 */
function secretError(
  error: unknown,
  secret: Secret,
  missingCode: "RPC_URL_MISSING" | "DEPLOYER_KEY_MISSING",
  what: string,
): PreflightError {
  const name = secret.name ?? "it";
  if (
    HardhatError.isHardhatError(
      error,
      HardhatError.ERRORS.HARDHAT_KEYSTORE.GENERAL.INVALID_PASSWORD_OR_CORRUPTED_KEYSTORE,
    )
  ) {
    return new PreflightError(
      "KEYSTORE_LOCKED",
      `The Hardhat keystore holding ${name} could not be unlocked (wrong password or corrupted file): ` +
        `re-run and enter the keystore password, or export ${name} for a non-interactive run`,
      { cause: error },
    );
  }
  if (
    HardhatError.isHardhatError(error, HardhatError.ERRORS.CORE.GENERAL.ENV_VAR_NOT_FOUND) ||
    HardhatError.isHardhatError(
      error,
      HardhatError.ERRORS.HARDHAT_KEYSTORE.GENERAL.KEY_NOT_FOUND_DURING_TESTS_WITH_DEV_KEYSTORE,
    )
  ) {
    return new PreflightError(
      missingCode,
      `${capitalise(what)} is not set: run npx hardhat keystore set ${name} (or export ${name} in CI)`,
      { cause: error },
    );
  }
  if (error instanceof PreflightError) return error;
  const reason = error instanceof Error ? error.message.split("\n")[0] : String(error);
  return new PreflightError(missingCode, `Could not read ${what} (${name}): ${reason}`, {
    cause: error,
  });
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
