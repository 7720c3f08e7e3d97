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
import { assertNetworkEnvironment } from "./networks.js";
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
  | "NOT_AN_ETHEREUM_NODE"
  | "CHAIN_ID_MISSING"
  | "CHAIN_ID_MISMATCH"
  | "DEPLOYER_KEY_MISSING"
  | "KEYSTORE_LOCKED"
  | "DEPLOYER_KEY_INVALID"
  | "NO_DEPLOYER"
  | "ZERO_PRICE_REJECTED"
  | "INSUFFICIENT_FUNDS"
  | "EVM_UNSUPPORTED";

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
  /**
   * Runtime bytecode of the build to deploy: preflight then checks that the node's EVM runs every
   * post-Paris opcode it contains (probe calls that send nothing).
   */
  readonly bytecode?: string;
  /** Name of that build, for messages (default `cancun`). */
  readonly build?: string;
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
  /**
   * What Ignition sends: EIP-1559 fees when blocks carry a base fee (0/0 when it is 0), a legacy
   * gas price (the node's `eth_gasPrice`) when they do not.
   */
  readonly transactionType: "eip1559" | "legacy";
  /** Price per gas Ignition sends (max fee for EIP-1559): 0 on a zero-gas network. */
  readonly sentPrice: bigint;
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
  // a malformed chain id or gas price in the environment, recorded when the config loaded
  if (prefix !== undefined) assertNetworkEnvironment(prefix);
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
  readonly call: (method: string, params?: readonly unknown[]) => Promise<unknown>;
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
      if (error instanceof JsonRpcTransportError && !error.unreachable) throw notANode(error);
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
  const notANode = (error: JsonRpcTransportError | JsonRpcResponseError): PreflightError =>
    new PreflightError(
      "NOT_AN_ETHEREUM_NODE",
      `${endpoint}, the URL of network "${target.network}" (${target.url.name ?? "its url"}), is not an Ethereum JSON-RPC node ` +
        `(${error.message.replace(/^.*failed: /, "")}): set ${target.url.name ?? "it"} to a node's JSON-RPC URL`,
      { cause: error },
    );
  let chainId: number;
  try {
    chainId = Number(quantity(await call("eth_chainId"), "eth_chainId", endpoint));
  } catch (error) {
    if (error instanceof JsonRpcResponseError) throw notANode(error);
    if (error instanceof JsonRpcTransportError) throw notANode(error);
    throw error;
  }
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

  // 4. Fees, decided from what the chain does (not from eth_gasPrice, which Besu reports as a
  // percentile of recent blocks): the latest block's base fee and a simulated zero-fee transaction.
  const fees = await probeFees(call, deployer, endpoint);
  const { baseFeePerGas, nodeGasPrice } = fees;
  const balance = quantity(
    await call("eth_getBalance", [deployer, "latest"]),
    "eth_getBalance",
    endpoint,
  );
  const feeMode: FeeMode =
    fees.sentPrice === 0n && fees.zeroFeeRefusal === undefined ? "zero" : "paid";

  let estimatedCost = 0n;
  if (feeMode === "paid") {
    const rejectsZero =
      fees.zeroFeeRefusal ??
      (baseFeePerGas !== undefined && baseFeePerGas > 0n
        ? `its blocks carry base fee ${baseFeePerGas} wei`
        : undefined);
    // The one refusal of a configuration: the node rejects price 0 and the network is set to send it.
    if (rejectsZero !== undefined && target.gasPrice === 0n) {
      throw new PreflightError(
        "ZERO_PRICE_REJECTED",
        `The node at ${endpoint} rejects transactions priced 0 (${rejectsZero}), which network "${target.network}" sends: ` +
          `run every node with zero gas (zeroBaseFee and --min-gas-price=0), or set ${target.gasPriceVariable ?? "its gasPrice"}=auto and fund the deployer`,
      );
    }
    const gasLimit =
      typeof options.gasLimit === "function"
        ? await options.gasLimit(deployer, url)
        : (options.gasLimit ?? 8_000_000n);
    const pricePerGas = fees.sentPrice;
    estimatedCost = gasLimit * pricePerGas;
    if (balance < estimatedCost) {
      const advice =
        baseFeePerGas === undefined
          ? `fund it, or run every node with --min-gas-price=0 so that eth_gasPrice, the price Ignition sends on a chain without base fee, is 0`
          : `fund it, or run the network with zero gas (zeroBaseFee)`;
      throw new PreflightError(
        "INSUFFICIENT_FUNDS",
        `Deployer ${deployer} has ${formatEther(balance)} ETH on chain ${chainId}, but this deploy needs about ` +
          `${formatEther(estimatedCost)} ETH (${gasLimit} gas at ${formatUnits(pricePerGas, "gwei")} gwei): ${advice}`,
      );
    }
  }

  // 5. An EVM that runs the build to deploy.
  if (options.bytecode !== undefined)
    await checkEvm(call, deployer, endpoint, options.bytecode, options.build);

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
    transactionType: fees.transactionType,
    sentPrice: fees.sentPrice,
    estimatedCost,
  };
}

type Call = (method: string, params?: readonly unknown[]) => Promise<unknown>;

/** The fees the chain asks for, and whether it accepts a zero-fee transaction in simulation. */
interface ChainFees {
  readonly transactionType: "eip1559" | "legacy";
  readonly baseFeePerGas: bigint | undefined;
  readonly nodeGasPrice: bigint;
  /** Price per gas Ignition sends on this chain (see {@link PreflightReport.sentPrice}). */
  readonly sentPrice: bigint;
  /** Why the node refused the simulated zero-fee transaction; undefined if it accepted it. */
  readonly zeroFeeRefusal: string | undefined;
}

/** Ignition's default priority fee when the node has no `eth_maxPriorityFeePerGas`. */
const DEFAULT_PRIORITY_FEE = 10n ** 9n;

async function probeFees(call: Call, deployer: string, endpoint: string): Promise<ChainFees> {
  const block = (await call("eth_getBlockByNumber", ["latest", false])) as {
    baseFeePerGas?: string | null;
  } | null;
  const baseFeePerGas =
    block?.baseFeePerGas === undefined || block.baseFeePerGas === null
      ? undefined
      : quantity(block.baseFeePerGas, "eth_getBlockByNumber", endpoint);
  const nodeGasPrice = quantity(await call("eth_gasPrice"), "eth_gasPrice", endpoint);
  const transactionType = baseFeePerGas === undefined ? "legacy" : "eip1559";
  // A transfer of nothing to itself, priced 0, simulated (eth_estimateGas sends nothing).
  const zeroFee =
    transactionType === "legacy"
      ? { gasPrice: "0x0" }
      : { maxFeePerGas: "0x0", maxPriorityFeePerGas: "0x0" };
  let zeroFeeRefusal: string | undefined;
  try {
    await call("eth_estimateGas", [{ from: deployer, to: deployer, value: "0x0", ...zeroFee }]);
  } catch (error) {
    if (!(error instanceof JsonRpcResponseError)) throw error;
    zeroFeeRefusal = `a simulated zero-fee transaction was refused: ${error.message}`;
  }
  let sentPrice: bigint;
  if (baseFeePerGas === undefined) {
    sentPrice = nodeGasPrice;
  } else if (baseFeePerGas === 0n) {
    sentPrice = 0n;
  } else {
    let priority = DEFAULT_PRIORITY_FEE;
    try {
      priority = quantity(
        await call("eth_maxPriorityFeePerGas"),
        "eth_maxPriorityFeePerGas",
        endpoint,
      );
    } catch (error) {
      if (!(error instanceof JsonRpcResponseError)) throw error;
    }
    sentPrice = baseFeePerGas * 2n + priority;
  }
  return { transactionType, baseFeePerGas, nodeGasPrice, sentPrice, zeroFeeRefusal };
}

/** Opcodes newer than Paris, with a creation-code probe that runs each alone. */
export const POST_PARIS_OPCODES: readonly {
  readonly opcode: number;
  readonly name: string;
  readonly fork: string;
  readonly probe: string;
}[] = [
  { opcode: 0x5f, name: "PUSH0", fork: "shanghai", probe: "0x5f00" },
  { opcode: 0x5c, name: "TLOAD", fork: "cancun", probe: "0x60005c00" },
  { opcode: 0x5d, name: "TSTORE", fork: "cancun", probe: "0x600060005d00" },
  { opcode: 0x5e, name: "MCOPY", fork: "cancun", probe: "0x6000600060005e00" },
];

/**
 * The opcodes of `bytecode`, walked instruction by instruction (PUSH data skipped), up to the
 * Solidity metadata trailer (CBOR, its length in the last two bytes), which is data.
 */
export function opcodesOf(bytecode: string): Set<number> {
  const hex = bytecode.startsWith("0x") ? bytecode.slice(2) : bytecode;
  const bytes = Buffer.from(hex, "hex");
  let end = bytes.length;
  if (end >= 2) {
    const metadataLength = bytes.readUInt16BE(end - 2);
    // a CBOR map starts with 0xa1..0xb7; accept the trailer only if it is shaped like one
    const start = end - 2 - metadataLength;
    if (start >= 0 && (bytes[start] ?? 0) >= 0xa1 && (bytes[start] ?? 0) <= 0xb7) end = start;
  }
  const seen = new Set<number>();
  for (let i = 0; i < end; i++) {
    const op = bytes[i] ?? 0;
    seen.add(op);
    if (op >= 0x60 && op <= 0x7f) i += op - 0x5f;
  }
  return seen;
}

/**
 * The node must run the post-Paris opcodes the build uses: each is tried alone in an `eth_call`
 * of creation code (nothing is sent). A node whose client cannot run them (GoQuorum, a Clique or
 * London network) fails here with one line, not half way through the deploy.
 */
async function checkEvm(
  call: Call,
  deployer: string,
  endpoint: string,
  bytecode: string,
  build = "cancun",
): Promise<void> {
  const used = opcodesOf(bytecode);
  const probe = async (data: string): Promise<boolean> => {
    try {
      await call("eth_call", [{ from: deployer, data }, "latest"]);
      return true;
    } catch (error) {
      if (error instanceof JsonRpcResponseError) return false;
      throw error;
    }
  };
  // a node that refuses even an empty creation cannot be probed this way
  if (!(await probe("0x00"))) return;
  const missing: string[] = [];
  for (const op of POST_PARIS_OPCODES) {
    if (used.has(op.opcode) && !(await probe(op.probe))) missing.push(`${op.name} (${op.fork})`);
  }
  if (missing.length === 0) return;
  let client = "";
  try {
    const version = await call("web3_clientVersion");
    if (typeof version === "string") client = ` (${version})`;
  } catch (error) {
    if (!(error instanceof JsonRpcResponseError)) throw error;
  }
  throw new PreflightError(
    "EVM_UNSUPPORTED",
    `The node at ${endpoint}${client} cannot run ${missing.join(", ")}, which the ${build} build of CareLedger uses: ` +
      `deploy the build for its EVM with --evm paris (npx hardhat build-evm --evm paris makes it)`,
  );
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
    const first: unknown = Array.isArray(accounts) ? accounts[0] : undefined;
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
