/** Action of `npx hardhat allowlist sync --network <name> [--nodes url,…] [--apply]`. */
import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";
import {
  BesuPermissioningClient,
  collectAllowlist,
  formatSync,
  syncAllowlist,
} from "../src/deploy/permissioning.js";
import { openDeployment, reportingBadInput, selectedNetwork, splitList } from "./support.js";

interface SyncTaskArguments {
  manifest: string | undefined;
  keep: string;
  nodes: string;
  apply: boolean;
}

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
    const reasons = new Map(entries.map((e) => [e.address, e.reasons.join(", ")]));
    const nodes = splitList(args.nodes);
    // A PERM endpoint should require authentication (Besu --rpc-http-authentication-enabled):
    // pass its "Bearer <JWT>" in BESU_PERM_AUTHORIZATION, never on the command line.
    const authorization = process.env["BESU_PERM_AUTHORIZATION"];
    const headers = authorization === undefined ? undefined : { authorization };
    for (const node of nodes.length === 0 ? [url] : nodes) {
      const result = await syncAllowlist(
        new BesuPermissioningClient(node, headers),
        entries.map((e) => e.address),
        { apply: args.apply },
      );
      for (const line of formatSync(result, reasons)) console.log(line);
    }
  });
}
