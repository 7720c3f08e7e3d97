/** Action of `npx hardhat preflight --network <name> [--evm paris]`: the deploy's checks, nothing sent. */
import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";
import { describeFees, evmBuildContext } from "../src/deploy/deploy.js";
import { buildForEvm } from "../src/deploy/evm-build.js";
import { preflight, preflightTargetFromConfig } from "../src/deploy/preflight.js";
import { reportingBadInput, selectedNetwork } from "./support.js";

export default async function preflightTask(
  args: { evm: string | undefined },
  hre: HardhatRuntimeEnvironment,
): Promise<void> {
  await reportingBadInput(async () => {
    const network = selectedNetwork(hre);
    const config = hre.config.networks[network];
    if (config === undefined) return;
    const artifact =
      args.evm === undefined
        ? (await hre.artifacts.artifactExists("CareLedger"))
          ? await hre.artifacts.readArtifact("CareLedger")
          : undefined
        : (await buildForEvm(evmBuildContext(hre, args.evm), args.evm)).artifact;
    const report = await preflight(preflightTargetFromConfig(network, config), {
      ...(artifact === undefined ? {} : { bytecode: artifact.deployedBytecode }),
      build: args.evm ?? "cancun",
    });
    console.log(`network "${network}": ${report.endpoint}, chain ${report.chainId}`);
    console.log(`deployer: ${report.deployer} (balance ${report.balance} wei)`);
    console.log(`fees: ${describeFees(report)}`);
    console.log(
      artifact === undefined
        ? "EVM: not checked (no build yet: run npx hardhat build)"
        : `EVM: runs the ${args.evm ?? "cancun"} build of CareLedger`,
    );
    console.log(
      "Preflight passed: nothing was sent. Deploy with npm run deploy -- --network " + network,
    );
  });
}
