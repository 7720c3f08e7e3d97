/** Action of `npx hardhat allowlist export --network <name> [--out permissions_config.toml]`. */
import { readFile, writeFile } from "node:fs/promises";
import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";
import { collectAllowlist, renderPermissionsToml } from "../src/deploy/permissioning.js";
import { openDeployment, reportingBadInput, selectedNetwork, splitList } from "./support.js";

interface ExportTaskArguments {
  manifest: string | undefined;
  keep: string;
  out: string | undefined;
}

export default async function allowlistExportTask(
  args: ExportTaskArguments,
  hre: HardhatRuntimeEnvironment,
): Promise<void> {
  await reportingBadInput(async () => {
    const network = selectedNetwork(hre);
    const { careLedger, manifest, provider } = await openDeployment(hre, network, args.manifest);
    const blockNumber = await provider.getBlockNumber();
    const entries = await collectAllowlist(careLedger, {
      fromBlock: manifest.contracts.CareLedger.deploymentBlock,
      keep: splitList(args.keep),
    });
    const existing =
      args.out === undefined ? undefined : await readFile(args.out, "utf8").catch(() => undefined);
    const toml = renderPermissionsToml(
      entries,
      { contract: manifest.contracts.CareLedger.address, chainId: manifest.chainId, blockNumber },
      existing,
    );
    if (args.out === undefined) {
      process.stdout.write(toml);
    } else {
      await writeFile(args.out, toml, "utf8");
      console.log(`${args.out}: accounts-allowlist with ${entries.length} accounts`);
    }
    provider.destroy();
  });
}
