/** Action of `npx hardhat allowlist sync --network <name> [--nodes url,…] [--apply]`. */
import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";
import {
  collectAllowlist,
  formatNodeSync,
  syncAllowlistOnNodes,
} from "../src/deploy/permissioning.js";
import { openDeployment, reportingBadInput, selectedNetwork, splitList } from "./support.js";

interface SyncTaskArguments {
  manifest: string | undefined;
  keep: string;
  nodes: string;
  apply: boolean;
}

/**
 * Syncs every node, whatever happens to one of them; prints one block per node and exits 1 when
 * any node failed (the others are synced all the same).
 */
export default async function allowlistSyncTask(
  args: SyncTaskArguments,
  hre: HardhatRuntimeEnvironment,
): Promise<void> {
  await reportingBadInput(async () => {
    const network = selectedNetwork(hre);
    const { careLedger, manifest, provider, url } = await openDeployment(
      hre,
      network,
      args.manifest,
    );
    const entries = await collectAllowlist(careLedger, {
      fromBlock: manifest.contracts.CareLedger.deploymentBlock,
      keep: splitList(args.keep),
    });
    provider.destroy();
    const nodes = splitList(args.nodes);
    const { lines, failed } = await syncNodes(
      nodes.length === 0 ? [url] : nodes,
      entries,
      args.apply,
    );
    for (const line of lines) console.log(line);
    if (failed > 0) process.exitCode = 1;
  });
}

/** The sync of `entries` to `nodes`, as printed lines and the number of failed nodes. */
export async function syncNodes(
  nodes: readonly string[],
  entries: readonly { address: string; reasons: readonly string[] }[],
  apply: boolean,
): Promise<{ lines: string[]; failed: number }> {
  // A PERM endpoint should require authentication (Besu --rpc-http-authentication-enabled):
  // pass its "Bearer <JWT>" in BESU_PERM_AUTHORIZATION, never on the command line.
  const authorization = process.env["BESU_PERM_AUTHORIZATION"];
  const outcomes = await syncAllowlistOnNodes(
    nodes,
    entries.map((e) => e.address),
    { apply, ...(authorization === undefined ? {} : { headers: { authorization } }) },
  );
  return formatNodeSync(outcomes, new Map(entries.map((e) => [e.address, e.reasons.join(", ")])));
}
