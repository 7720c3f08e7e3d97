/** Action of `npx hardhat deploy --network <name>` (`npm run deploy -- --network <name>`). */
import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";
import { deployCareLedger } from "../src/deploy/deploy.js";
import { reportingBadInput, selectedNetwork } from "./support.js";

interface DeployTaskArguments {
  parameters: string | undefined;
  deploymentId: string | undefined;
  manifestDir: string;
  quiet: boolean;
  skipBuild: boolean;
}

export default async function deployTask(
  args: DeployTaskArguments,
  hre: HardhatRuntimeEnvironment,
): Promise<void> {
  await reportingBadInput(async () => {
    const result = await deployCareLedger(hre, {
      network: selectedNetwork(hre),
      ...(args.parameters === undefined ? {} : { parametersFile: args.parameters }),
      ...(args.deploymentId === undefined ? {} : { deploymentId: args.deploymentId }),
      manifestDir: args.manifestDir,
      displayUi: !args.quiet,
      build: !args.skipBuild,
      log: (line) => console.log(line),
    });
    const { manifest } = result;
    const careLedger = manifest.contracts.CareLedger;
    console.log(
      `CareLedger ${careLedger.address} on chain ${manifest.chainId} (block ${careLedger.deploymentBlock}), ` +
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
  });
}
