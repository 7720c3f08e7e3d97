/**
 * The deployment manifest: one JSON file per chain, `deployments/<chainId>.json`, written after every
 * deploy, for front ends and indexers. It holds the chain id, the network name, the contract address,
 * its deployment block and transaction, every transaction the deploy sent, the keccak256 hash of the
 * deployed ABI and where to get that ABI: the package's `careledger/abi` entry (`abiRef`), the Hardhat
 * artifact (`abiPath`) or the ABI itself (`abi`, optional).
 *
 * This module imports nothing from Node, so a front end bundles it:
 *
 * ```ts
 * import manifestJson from "careledger/deployments/1337.json" with { type: "json" };
 * import { connectCareLedger, parseManifest } from "careledger";
 * const careLedger = connectCareLedger(parseManifest(manifestJson), signer); // typed `CareLedger`
 * ```
 *
 * Reading and writing manifest files on disk is in `./manifest.js` (Node only).
 */
import { getAddress, keccak256, toUtf8Bytes, type ContractRunner } from "ethers";
import * as z from "zod/mini";
import { CARE_LEDGER_ABI_HASH, careLedgerAbi } from "../abi/careLedger.js";
import { CareLedgerError, type CareLedgerErrorOptions } from "../errors.js";
import { careLedgerAt } from "../sdk/contract.js";
import type { CareLedger } from "../../typechain-types/CareLedger.js";

export type { CareLedger };

/** Version of the manifest format; bumped on incompatible changes. */
export const MANIFEST_FORMAT = "careledger-deployment/1";

/** Default directory of manifests, relative to the project root. */
export const DEFAULT_MANIFEST_DIR = "deployments";

/** `abiRef` of a manifest whose ABI is the one this package ships: module `#` export name. */
export const CARE_LEDGER_ABI_REF = "careledger/abi#careLedgerAbi";

/** Where one contract lives and how to get its ABI. */
export interface ContractDeployment {
  /** Checksummed address. */
  readonly address: string;
  /** Block of the creation transaction. */
  readonly deploymentBlock: number;
  readonly deploymentTxHash: string;
  /** Fully qualified artifact name, e.g. `contracts/CareLedger.sol:CareLedger`. */
  readonly artifact: string;
  /** Path of the Hardhat artifact (holds the ABI), relative to the project root. */
  readonly abiPath: string;
  /** The TypeChain factory in `typechain-types/` (e.g. `CareLedger__factory`). */
  readonly typechainFactory: string;
  /** keccak256 of the ABI JSON, to check that a bundled ABI matches the deployed one. */
  readonly abiHash: string;
  /**
   * The package export that holds this ABI, `module#export` (e.g. {@link CARE_LEDGER_ABI_REF}):
   * `import { careLedgerAbi } from "careledger/abi"`.
   */
  readonly abiRef?: string | undefined;
  /** The deployed ABI itself, when the manifest embeds it. */
  readonly abi?: readonly unknown[] | undefined;
}

/** One transaction the deploy sent. */
export interface DeploymentTransaction {
  /** Ignition's kind: `DEPLOYMENT_EXECUTION_STATE` or `CALL_EXECUTION_STATE`. */
  readonly type: string;
  /** Contract or function name. */
  readonly name: string;
  readonly hash: string;
  readonly from: string;
  /** Target contract (calls) or created contract (deployments). */
  readonly to: string | undefined;
  readonly blockNumber: number;
  /** `SUCCESS`, `FAILURE`, `DROPPED` or `PENDING`, as Ignition reports it. */
  readonly status: string;
}

/** `deployments/<chainId>.json`. */
export interface DeploymentManifest {
  readonly format: typeof MANIFEST_FORMAT;
  readonly chainId: number;
  /** Hardhat network name used for the deploy. */
  readonly network: string;
  /** Ignition deployment id (its journal is in `ignition/deployments/<id>/`). */
  readonly deploymentId: string;
  readonly deployer: string;
  /** Time of the deployment block, ISO 8601. */
  readonly deployedAt: string;
  readonly contracts: { readonly CareLedger: ContractDeployment };
  /** The deployment parameters that were used. */
  readonly parameters: Readonly<Record<string, unknown>>;
  readonly transactions: readonly DeploymentTransaction[];
}

/** A manifest file is missing or does not have the expected shape. */
export class ManifestError extends CareLedgerError {
  override readonly name: string = "ManifestError";

  constructor(message: string, options: CareLedgerErrorOptions & { code?: string } = {}) {
    super(message, options.code ?? "MANIFEST", options);
  }
}

/**
 * The ABI this code would talk to the contract with is not the one that was deployed: the SDK release
 * (or the embedded ABI) and the deployment are from different commits. Names both hashes.
 */
export class AbiMismatchError extends ManifestError {
  override readonly name: string = "AbiMismatchError";
  /** Chain of the deployment. */
  readonly chainId: number;
  /** `abiHash` recorded in the deployment manifest. */
  readonly deployedAbiHash: string;
  /** keccak256 of the ABI this code carries (or was given). */
  readonly localAbiHash: string;

  constructor(chainId: number, deployedAbiHash: string, localAbiHash: string) {
    super(
      `The CareLedger ABI used here (${localAbiHash}) differs from the ABI deployed on chain ${chainId} (${deployedAbiHash}): use the SDK release built from the deployed commit, or pin that deployment's ABI`,
      { code: "ABI_MISMATCH" },
    );
    this.chainId = chainId;
    this.deployedAbiHash = deployedAbiHash;
    this.localAbiHash = localAbiHash;
  }
}

const address = z.pipe(
  z.string().check(z.regex(/^0x[0-9a-fA-F]{40}$/)),
  z.transform((value) => getAddress(value.toLowerCase())),
);
const hash = z.string().check(z.regex(/^0x[0-9a-fA-F]{64}$/));
const blockNumber = z.int().check(z.nonnegative());
const nonEmpty = z.string().check(z.minLength(1));

const contractSchema = z.object({
  address,
  deploymentBlock: blockNumber,
  deploymentTxHash: hash,
  artifact: nonEmpty,
  abiPath: nonEmpty,
  typechainFactory: nonEmpty,
  abiHash: hash,
  abiRef: z.optional(
    z.string().check(z.regex(/^[^#\s]+#[A-Za-z_$][\w$]*$/, "must be module#export")),
  ),
  abi: z.optional(z.array(z.unknown())),
});

const manifestSchema = z.object({
  format: z.literal(MANIFEST_FORMAT),
  chainId: z.int().check(z.positive()),
  network: nonEmpty,
  deploymentId: nonEmpty,
  deployer: address,
  deployedAt: nonEmpty,
  contracts: z.object({ CareLedger: contractSchema }),
  parameters: z.record(z.string(), z.unknown()),
  transactions: z.array(
    z.object({
      type: z.string(),
      name: z.string(),
      hash,
      from: address,
      to: z.optional(address),
      blockNumber,
      status: z.string(),
    }),
  ),
});

/** Validates a parsed manifest (e.g. an imported JSON module). */
export function parseManifest(json: unknown): DeploymentManifest {
  const result = manifestSchema.safeParse(json);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new ManifestError(
      `Not a CareLedger deployment manifest: ${(issue?.path ?? []).join(".") || "root"} ${issue?.message ?? ""}`.trim(),
    );
  }
  const manifest = result.data as DeploymentManifest;
  const embedded = manifest.contracts.CareLedger.abi;
  if (embedded !== undefined && abiHash(embedded) !== manifest.contracts.CareLedger.abiHash) {
    throw new ManifestError(
      `Not a CareLedger deployment manifest: contracts.CareLedger.abi does not hash to contracts.CareLedger.abiHash`,
    );
  }
  return manifest;
}

/** keccak256 of an ABI's JSON text. */
export function abiHash(abi: unknown): string {
  return abi === careLedgerAbi ? CARE_LEDGER_ABI_HASH : keccak256(toUtf8Bytes(JSON.stringify(abi)));
}

/** Options of {@link connectCareLedger}. */
export interface ConnectOptions {
  /**
   * The ABI to talk to the contract with; default: the manifest's embedded ABI if it has one, else the
   * ABI this package ships (`careledger/abi`).
   */
  readonly abi?: readonly unknown[];
}

/**
 * The deployed CareLedger as a typed contract. Throws {@link AbiMismatchError} (naming both hashes) if
 * the ABI it would use differs from the one that was deployed.
 */
export function connectCareLedger(
  manifest: DeploymentManifest,
  runner: ContractRunner | null,
  options: ConnectOptions = {},
): CareLedger {
  const deployed = manifest.contracts.CareLedger;
  const abi = options.abi ?? deployed.abi ?? careLedgerAbi;
  const local = abiHash(abi);
  if (local !== deployed.abiHash) {
    throw new AbiMismatchError(manifest.chainId, deployed.abiHash, local);
  }
  return careLedgerAt(deployed.address, runner, abi);
}

/** `deployments/<chainId>.json` under `dir`. */
export function manifestPath(chainId: number, dir: string = DEFAULT_MANIFEST_DIR): string {
  return `${dir.replace(/\/+$/, "")}/${chainId}.json`;
}
