/** Action of `npx hardhat deploy --network <name>` (`npm run deploy -- --network <name>`). */
import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";
import { deployCareLedger } from "../src/deploy/deploy.js";
import { collectAllowlist } from "../src/deploy/permissioning.js";
import { syncNodes } from "./allowlist-sync.js";
import { openDeployment, reportingBadInput, selectedNetwork, splitList } from "./support.js";

interface DeployTaskArguments {
  parameters: string | undefined;
  deploymentId: string | undefined;
  manifestDir: string;
  evm: string | undefined;
  syncNodes: string;
  quiet: boolean;
  skipBuild: boolean;
}

export default async function deployTask(
  args: DeployTaskArguments,
  hre: HardhatRuntimeEnvironment,
): Promise<void> {
  await reportingBadInput(async () => {
    const network = selectedNetwork(hre);
    const result = await deployCareLedger(hre, {
      network,
      ...(args.parameters === undefined ? {} : { parametersFile: args.parameters }),
      ...(args.deploymentId === undefined ? {} : { deploymentId: args.deploymentId }),
      manifestDir: args.manifestDir,
      ...(args.evm === undefined ? {} : { evm: args.evm }),
      displayUi: !args.quiet,
      build: !args.skipBuild,
      log: (line) => console.log(line),
    });
    const { manifest } = result;
    const careLedgerEntry = manifest.contracts.CareLedger;
    console.log(
      `CareLedger ${careLedgerEntry.address} on chain ${manifest.chainId} (block ${careLedgerEntry.deploymentBlock}), ` +
        `deployment ${manifest.deploymentId}, ${manifest.transactions.length} transactions, ${(result.elapsedMs / 1000).toFixed(1)} s`,
    );
    for (const tx of manifest.transactions) {
      console.log(`  ${tx.hash}  block ${tx.blockNumber}  ${tx.name}  ${tx.status}`);
    }
    if (manifest.parameters["adminHandOverPending"] === true) {
      console.log(
        `Admin hand-over started: ${String(manifest.parameters["admin"])} must call acceptDefaultAdminTransfer() after ${String(manifest.parameters["adminTransferDelay"])} s`,
      );
    }
    console.log(`Manifest: ${result.manifestFile}`);

    // Bootstrap, step 2: the allowlist holds only the deployer until it is synced with the registry.
    const nodes = splitList(args.syncNodes);
    if (nodes.length > 0) {
      const { careLedger, provider } = await openDeployment(hre, network, result.manifestFile);
      const entries = await collectAllowlist(careLedger, {
        fromBlock: careLedgerEntry.deploymentBlock,
        keep: [manifest.deployer],
      });
      provider.destroy();
      const { lines, failed } = await syncNodes(nodes, entries, true);
      for (const line of lines) console.log(line);
      if (failed > 0) process.exitCode = 1;
    } else {
      console.log(
        `Next (docs/private-network.md, "Bootstrap order"): npx hardhat allowlist sync --network ${network} --nodes <PERM URLs> --keep ${manifest.deployer} --apply`,
      );
    }
  });
}
