/**
 * `npm run deploy -- --network <name>`: preflight, then the Ignition module over HTTP, then the
 * manifest. Ignition keeps a journal in `ignition/deployments/<deploymentId>/`, so a deploy that
 * was interrupted (process killed, node down) resumes where it stopped when run again with the
 * same deployment id, and never sends a transaction twice.
 */
import path from "node:path";
import {
  HardhatArtifactResolver,
  resolveDeploymentId,
} from "@nomicfoundation/hardhat-ignition/helpers";
import { listTransactions } from "@nomicfoundation/ignition-core";
import { ContractFactory, getAddress } from "ethers";
import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";
import type {} from "@nomicfoundation/hardhat-ignition-ethers";
import { buildCareLedgerModule, type CareLedgerWiring } from "../../ignition/modules/CareLedger.js";
import { buildForEvm, evmArtifactPath, type EvmBuildContext } from "./evm-build.js";
import { jsonRpcRequest, quantity } from "./jsonrpc.js";
import {
  abiHash,
  CARE_LEDGER_ABI_REF,
  DEFAULT_MANIFEST_DIR,
  MANIFEST_FORMAT,
  writeManifest,
  type DeploymentManifest,
  type DeploymentTransaction,
} from "./manifest.js";
import { CARE_LEDGER_ABI_HASH } from "../abi/careLedger.js";
import { DeploymentError } from "../sdk/index.js";
import {
  ignitionParameters,
  parametersFileFor,
  readCareLedgerParameters,
  type CareLedgerParameters,
} from "./parameters.js";
import {
  preflight,
  PreflightError,
  preflightTargetFromConfig,
  type PreflightReport,
} from "./preflight.js";

/** Gas budgeted per wiring call in the funds check (a `grantRole` uses ~50k). */
const GAS_PER_CALL = 120_000n;

/** Options of {@link deployCareLedger}. */
export interface DeployOptions {
  /** Hardhat network name (an `http` network). */
  readonly network: string;
  /** Parameters file; default `ignition/parameters/<network>.json`. */
  readonly parametersFile?: string;
  /** Ignition deployment id; default `chain-<chainId>`. Re-use it to resume. */
  readonly deploymentId?: string;
  /** Directory of manifests; default `deployments`. */
  readonly manifestDir?: string;
  /** Run the build task first (default true; it is a no-op when artifacts are current). */
  readonly build?: boolean;
  /**
   * Deploy the build for this EVM (`paris`, `london`, …: `artifacts-evm/<evm>/`, built if needed)
   * instead of the default `cancun` one.
   */
  readonly evm?: string;
  /** Show Ignition's progress UI. */
  readonly displayUi?: boolean;
  /** Progress lines (default: none). */
  readonly log?: (line: string) => void;
}

/** What a deploy did. */
export interface DeployResult {
  readonly manifest: DeploymentManifest;
  readonly manifestFile: string;
  readonly preflight: PreflightReport;
  readonly deploymentDir: string;
  readonly elapsedMs: number;
}

/** The module's wiring for these parameters and this deployer. */
export function planWiring(params: CareLedgerParameters, deployer: string): CareLedgerWiring {
  const hasWiring = params.registrars.length + params.rolePolicies.length > 0;
  return {
    registrars: params.registrars,
    rolePolicies: params.rolePolicies,
    handOverAdmin: hasWiring && getAddress(params.admin) !== getAddress(deployer),
  };
}

/** Preflight, Ignition deploy, manifest. */
export async function deployCareLedger(
  hre: HardhatRuntimeEnvironment,
  options: DeployOptions,
): Promise<DeployResult> {
  const started = Date.now();
  const log = options.log ?? (() => {});
  const networkConfig = hre.config.networks[options.network];
  if (networkConfig === undefined) {
    throw new DeploymentError(
      `No network "${options.network}" in hardhat.config.ts: use one of ${Object.keys(hre.config.networks).join(", ")}`,
    );
  }
  if (networkConfig.type !== "http") {
    throw new DeploymentError(
      `Network "${options.network}" is simulated in this process and forgets the deployment when the command ends: pass --network localnode or a private network`,
    );
  }

  const parametersFile =
    options.parametersFile ?? parametersFileFor(hre.config.paths.ignition, options.network);
  const params = await readCareLedgerParameters(parametersFile);

  if (options.build ?? true) await hre.tasks.getTask("build").run({ quiet: true, noTests: true });
  const evmArtifact =
    options.evm === undefined
      ? undefined
      : (await buildForEvm(evmBuildContext(hre, options.evm), options.evm)).artifact;
  const artifact = evmArtifact ?? (await hre.artifacts.readArtifact("CareLedger"));

  const report = await preflight(preflightTargetFromConfig(options.network, networkConfig), {
    // only asked on a network that charges gas
    gasLimit: async (deployer, url) =>
      (await estimateDeployGas(artifact, params, deployer, url)) +
      GAS_PER_CALL * BigInt(params.registrars.length + params.rolePolicies.length + 1),
    bytecode: artifact.deployedBytecode,
    build: options.evm ?? "cancun",
  });
  log(
    `Preflight: ${report.endpoint}, chain ${report.chainId}, deployer ${report.deployer}, ${describeFees(report)}`,
  );

  const wiring = planWiring(params, report.deployer);
  const deploymentId = resolveDeploymentId(options.deploymentId, report.chainId);
  const deploymentDir = path.join(hre.config.paths.ignition, "deployments", deploymentId);
  const connection = await hre.network.create({ network: options.network });
  try {
    try {
      await connection.ignition.deploy(buildCareLedgerModule(wiring, evmArtifact), {
        parameters: ignitionParameters(params),
        deploymentId,
        defaultSender: report.deployer,
        displayUi: options.displayUi ?? false,
      });
    } catch (error) {
      throw zeroPriceRejection(error, report) ?? error;
    }

    const transactions = await collectTransactions(hre, deploymentDir, report.url);
    const creation = transactions.find(
      (tx) => tx.type === "DEPLOYMENT_EXECUTION_STATE" && tx.name === "CareLedger",
    );
    if (creation?.to === undefined) {
      throw new DeploymentError(
        `The Ignition journal in ${deploymentDir} has no CareLedger creation: run with --reset`,
      );
    }
    const block = (await jsonRpcRequest(report.url, "eth_getBlockByNumber", [
      `0x${creation.blockNumber.toString(16)}`,
      false,
    ])) as { timestamp: string };
    const root = hre.config.paths.root;
    const manifest: DeploymentManifest = {
      format: MANIFEST_FORMAT,
      chainId: report.chainId,
      network: options.network,
      deploymentId,
      deployer: report.deployer,
      deployedAt: new Date(Number(BigInt(block.timestamp)) * 1000).toISOString(),
      contracts: {
        CareLedger: {
          address: creation.to,
          deploymentBlock: creation.blockNumber,
          deploymentTxHash: creation.hash,
          artifact: `${artifact.sourceName}:${artifact.contractName}`,
          abiPath: path.relative(
            root,
            options.evm === undefined
              ? await hre.artifacts.getArtifactPath("CareLedger")
              : evmArtifactPath(root, options.evm),
          ),
          typechainFactory: `${artifact.contractName}__factory`,
          abiHash: abiHash(artifact.abi),
          // the package's ./abi entry when it is the deployed ABI, else the ABI itself
          ...(abiHash(artifact.abi) === CARE_LEDGER_ABI_HASH
            ? { abiRef: CARE_LEDGER_ABI_REF }
            : { abi: artifact.abi }),
        },
      },
      parameters: {
        ...params,
        rolePolicies: params.rolePolicies.map((p) => ({ ...p })),
        adminHandOverPending: wiring.handOverAdmin,
        evmVersion: options.evm ?? "cancun",
      },
      transactions,
    };
    const manifestFile = await writeManifest(
      manifest,
      path.resolve(root, options.manifestDir ?? DEFAULT_MANIFEST_DIR),
    );
    return {
      manifest,
      manifestFile,
      preflight: report,
      deploymentDir,
      elapsedMs: Date.now() - started,
    };
  } finally {
    await connection.close();
  }
}

/** Every transaction in the Ignition journal, with its block number. */
async function collectTransactions(
  hre: HardhatRuntimeEnvironment,
  deploymentDir: string,
  url: string,
): Promise<DeploymentTransaction[]> {
  const listed = await listTransactions(deploymentDir, new HardhatArtifactResolver(hre.artifacts));
  const result: DeploymentTransaction[] = [];
  for (const tx of listed) {
    const receipt = (await jsonRpcRequest(url, "eth_getTransactionReceipt", [tx.txHash])) as {
      blockNumber: string;
      contractAddress?: string | null;
    } | null;
    if (receipt === null) {
      throw new DeploymentError(
        `Transaction ${tx.txHash} of the deployment has no receipt yet: re-run to resume`,
      );
    }
    const to = tx.address ?? tx.to ?? receipt.contractAddress ?? undefined;
    result.push({
      type: tx.type,
      name: tx.name ?? "",
      hash: tx.txHash,
      from: getAddress(tx.from),
      to: to === undefined || to === null ? undefined : getAddress(to),
      blockNumber: Number(quantity(receipt.blockNumber, "eth_getTransactionReceipt", url)),
      status: tx.status,
    });
  }
  return result;
}

/** Gas of the CareLedger creation, from the node; an upper bound if it cannot be asked. */
async function estimateDeployGas(
  artifact: { abi: readonly unknown[]; bytecode: string },
  params: CareLedgerParameters,
  deployer: string,
  url: string,
): Promise<bigint> {
  const factory = new ContractFactory(artifact.abi as never[], artifact.bytecode);
  const tx = await factory.getDeployTransaction(
    params.admin,
    params.adminTransferDelay,
    params.initialRegistrar,
    params.breakGlassMaxDuration,
  );
  try {
    return quantity(
      await jsonRpcRequest(url, "eth_estimateGas", [{ from: deployer, data: tx.data }]),
      "eth_estimateGas",
      url,
    );
  } catch {
    // 200 gas per byte of code deposit + execution and calldata, generously
    return BigInt((tx.data.length - 2) / 2) * 400n + 1_000_000n;
  }
}

/** The per-EVM build settings of `evm` from the build profile of the same name. */
export function evmBuildContext(hre: HardhatRuntimeEnvironment, evm: string): EvmBuildContext {
  const profile = hre.config.solidity.profiles[evm];
  const compiler = profile?.compilers[0];
  if (compiler === undefined) {
    throw new DeploymentError(
      `No build profile "${evm}" in hardhat.config.ts: use one of ${Object.keys(hre.config.solidity.profiles).join(", ")}`,
    );
  }
  return {
    root: hre.config.paths.root,
    artifactsDir: hre.config.paths.artifacts,
    settings: compiler.settings as Record<string, unknown>,
    compilerPath: compiler.path ?? "solc/soljson.js",
  };
}

/** One line saying what the deploy sends, per chain kind. */
export function describeFees(report: PreflightReport): string {
  if (report.feeMode === "zero") {
    return report.transactionType === "eip1559"
      ? "zero gas (base fee 0: EIP-1559 transactions with max fee and priority fee 0)"
      : "zero gas (no base fee: legacy transactions at the node's eth_gasPrice, 0)";
  }
  return `paid gas (${report.transactionType === "eip1559" ? "EIP-1559, max fee" : "legacy, gas price"} ${report.sentPrice} wei; estimated ${report.estimatedCost} wei)`;
}

/** The text of an error's cause, for matching a node's refusal in it. */
function causeText(cause: unknown): string {
  if (cause instanceof Error) return cause.message;
  if (typeof cause === "string") return cause;
  try {
    return (
      JSON.stringify(cause, (_key, value: unknown) =>
        typeof value === "bigint" ? value.toString() : value,
      ) ?? ""
    );
  } catch {
    return "";
  }
}

/** A node that refused a zero-priced transaction of the deploy, as the one-line refusal. */
function zeroPriceRejection(error: unknown, report: PreflightReport): PreflightError | undefined {
  if (report.feeMode !== "zero") return undefined;
  const text =
    error instanceof Error ? `${error.message} ${causeText(error.cause)}` : String(error);
  const reason =
    /(gas price below[^.\n]*|minimum gas price[^.\n]*|underpriced[^.\n]*|max fee per gas less than[^.\n]*|fee cap[^.\n]*too low[^.\n]*)/i.exec(
      text,
    )?.[1];
  if (reason === undefined) return undefined;
  return new PreflightError(
    "ZERO_PRICE_REJECTED",
    `The node at ${report.endpoint} rejects transactions priced 0 (${reason.trim()}): start every node with --min-gas-price=0 ` +
      `(and zeroBaseFee in the genesis), then re-run the same command to resume`,
    { cause: error },
  );
}
