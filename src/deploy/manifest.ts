/**
 * The deployment manifest: one JSON file per chain, `deployments/<chainId>.json`, written after
 * every deploy, for front ends and indexers. It holds the chain id, the network name, the contract
 * address, its deployment block and transaction, every transaction the deploy sent, and references
 * to the ABI (the Hardhat artifact and the TypeChain factory in `typechain-types/`).
 *
 * A dApp imports the JSON and this module, then gets a typed contract:
 *
 * ```ts
 * import manifestJson from "../deployments/1337.json" with { type: "json" };
 * import { connectCareLedger, parseManifest } from "../src/deploy/manifest.js";
 * const careLedger = connectCareLedger(parseManifest(manifestJson), signer); // typed `CareLedger`
 * ```
 *
 * This module has no Node-only imports at the top level, so it bundles for the browser; the file
 * helpers load `node:fs` lazily.
 */
import { getAddress, keccak256, toUtf8Bytes, type ContractRunner } from "ethers";
import { z } from "zod";
import { CareLedgerError, type CareLedgerErrorOptions } from "../errors.js";
import { CareLedger__factory } from "../../typechain-types/factories/CareLedger__factory.js";
import type { CareLedger } from "../../typechain-types/CareLedger.js";

export { CareLedger__factory };
export type { CareLedger };

/** Version of the manifest format; bumped on incompatible changes. */
export const MANIFEST_FORMAT = "careledger-deployment/1";

/** Default directory of manifests, relative to the project root. */
export const DEFAULT_MANIFEST_DIR = "deployments";

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
  constructor(message: string, options: CareLedgerErrorOptions = {}) {
    super(message, "MANIFEST", options);
  }
}

const address = z
  .string()
  .regex(/^0x[0-9a-fA-F]{40}$/)
  .transform((value) => getAddress(value.toLowerCase()));
const hash = z.string().regex(/^0x[0-9a-fA-F]{64}$/);

const contractSchema = z.object({
  address,
  deploymentBlock: z.number().int().nonnegative(),
  deploymentTxHash: hash,
  artifact: z.string().min(1),
  abiPath: z.string().min(1),
  typechainFactory: z.string().min(1),
  abiHash: hash,
});

const manifestSchema = z.object({
  format: z.literal(MANIFEST_FORMAT),
  chainId: z.number().int().positive(),
  network: z.string().min(1),
  deploymentId: z.string().min(1),
  deployer: address,
  deployedAt: z.string().min(1),
  contracts: z.object({ CareLedger: contractSchema }),
  parameters: z.record(z.string(), z.unknown()),
  transactions: z.array(
    z.object({
      type: z.string(),
      name: z.string(),
      hash,
      from: address,
      to: address.optional(),
      blockNumber: z.number().int().nonnegative(),
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
  return result.data as DeploymentManifest;
}

/** keccak256 of an ABI's JSON text. */
export function abiHash(abi: unknown): string {
  return keccak256(toUtf8Bytes(JSON.stringify(abi)));
}

/**
 * The deployed CareLedger as a typed TypeChain contract. Throws if the ABI bundled with this
 * code differs from the one that was deployed (rebuild, or use the matching release).
 */
export function connectCareLedger(
  manifest: DeploymentManifest,
  runner: ContractRunner | null,
): CareLedger {
  const deployed = manifest.contracts.CareLedger;
  if (abiHash(CareLedger__factory.abi) !== deployed.abiHash) {
    throw new ManifestError(
      `The CareLedger ABI in typechain-types differs from the one deployed on chain ${manifest.chainId}: rebuild from the commit that was deployed`,
    );
  }
  return CareLedger__factory.connect(deployed.address, runner);
}

/** `deployments/<chainId>.json` under `dir`. */
export function manifestPath(chainId: number, dir: string = DEFAULT_MANIFEST_DIR): string {
  return `${dir.replace(/\/+$/, "")}/${chainId}.json`;
}

/** Reads and validates a manifest file (Node only). */
export async function readManifest(file: string): Promise<DeploymentManifest> {
  const { readFile } = await import("node:fs/promises");
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    throw new ManifestError(`No deployment manifest at ${file}: deploy first (npm run deploy)`, {
      cause: error,
    });
  }
  try {
    return parseManifest(JSON.parse(text));
  } catch (error) {
    if (error instanceof ManifestError) throw new ManifestError(`${file}: ${error.message}`);
    throw new ManifestError(
      `${file} is not valid JSON: ${error instanceof Error ? error.message : String(error)}`,
      { cause: error },
    );
  }
}

/** The manifest of `chainId` in `dir` (Node only). */
export async function loadManifest(
  chainId: number,
  dir: string = DEFAULT_MANIFEST_DIR,
): Promise<DeploymentManifest> {
  return await readManifest(manifestPath(chainId, dir));
}

/** JSON text as the project's Prettier config formats it (so a committed manifest passes lint). */
async function formatJson(value: unknown, file: string): Promise<string> {
  const text = `${JSON.stringify(value, null, 2)}\n`;
  try {
    const prettier = await import("prettier");
    const options = (await prettier.resolveConfig(file)) ?? {};
    return await prettier.format(text, { ...options, parser: "json", filepath: file });
  } catch {
    return text; // Prettier is a dev dependency; plain JSON is just as valid
  }
}

/** Writes a manifest atomically (temp file + rename), after validating it (Node only). */
export async function writeManifest(
  manifest: DeploymentManifest,
  dir: string = DEFAULT_MANIFEST_DIR,
): Promise<string> {
  const { mkdir, rename, writeFile } = await import("node:fs/promises");
  const checked = parseManifest(manifest);
  const file = manifestPath(checked.chainId, dir);
  await mkdir(dir, { recursive: true });
  const temp = `${file}.${process.pid}.tmp`;
  await writeFile(temp, await formatJson(checked, file), "utf8");
  await rename(temp, file);
  return file;
}
