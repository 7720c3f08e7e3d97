/**
 * Helpers shared by the task actions: one-line errors for bad input, and a read-only view of the
 * deployed contract that needs no deployer key.
 */
import { JsonRpcProvider } from "ethers";
import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";
import { DeploymentError } from "../src/sdk/index.js";
import {
  connectCareLedger,
  loadManifest,
  ManifestError,
  readManifest,
  type CareLedger,
  type DeploymentManifest,
} from "../src/deploy/manifest.js";
import { checkEndpoint, preflightTargetFromConfig } from "../src/deploy/preflight.js";
import { CareLedgerError } from "../src/errors.js";

/**
 * Runs `action`; a {@link CareLedgerError} (bad input an operator can fix: preflight, parameters,
 * manifest, permissioning, an unreachable node) becomes `Error: <one line>` on stderr and exit
 * code 1, without a stack trace. Anything else is a bug and propagates.
 */
export async function reportingBadInput(action: () => Promise<void>): Promise<void> {
  try {
    await action();
  } catch (error) {
    if (error instanceof CareLedgerError) {
      console.error(`Error: ${error.message.replace(/\s*\n\s*/g, " ")}`);
      process.exitCode = 1;
      return;
    }
    throw error;
  }
}

/** The `--network` the task was run with; the in-process network has nothing deployed. */
export function selectedNetwork(hre: HardhatRuntimeEnvironment): string {
  const network = (hre.globalOptions as { network?: string }).network;
  if (network === undefined || hre.config.networks[network]?.type !== "http") {
    throw new DeploymentError(
      "Pass --network with a node to talk to (localnode, careledger, …): the in-process Hardhat network has no deployment",
    );
  }
  return network;
}

/** A read-only view of the deployed CareLedger on `network`, plus its manifest and provider. */
export async function openDeployment(
  hre: HardhatRuntimeEnvironment,
  network: string,
  manifestFile: string | undefined,
): Promise<{
  careLedger: CareLedger;
  manifest: DeploymentManifest;
  provider: JsonRpcProvider;
  url: string;
}> {
  const config = hre.config.networks[network];
  if (config?.type !== "http")
    throw new DeploymentError(`Network "${network}" is not an http network`);
  // Only the URL and the chain are needed to read: no deployer key, so no keystore prompt.
  const { url, chainId } = await checkEndpoint(preflightTargetFromConfig(network, config));
  const manifest =
    manifestFile === undefined ? await loadManifest(chainId) : await readManifest(manifestFile);
  if (manifest.chainId !== chainId) {
    throw new ManifestError(
      `The manifest is for chain ${manifest.chainId} but the node of network "${network}" is on chain ${chainId}: pass the right --manifest`,
    );
  }
  const provider = new JsonRpcProvider(url, chainId, { staticNetwork: true });
  return { careLedger: connectCareLedger(manifest, provider), manifest, provider, url };
}

/** `"0xa,0xb"` → `["0xa", "0xb"]`. */
export function splitList(value: string): string[] {
  return value
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
}
