/** Action of `npx hardhat build-evm --evm paris`. */
import path from "node:path";
import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";
import { evmBuildContext } from "../src/deploy/deploy.js";
import { buildForEvm, RUNTIME_SIZE_LIMIT } from "../src/deploy/evm-build.js";
import { reportingBadInput } from "./support.js";

export default async function buildEvmTask(
  args: { evm: string },
  hre: HardhatRuntimeEnvironment,
): Promise<void> {
  await reportingBadInput(async () => {
    await hre.tasks.getTask("build").run({ quiet: true, noTests: true });
    const build = await buildForEvm(evmBuildContext(hre, args.evm), args.evm);
    console.log(
      `${path.relative(hre.config.paths.root, build.file)}: CareLedger for ${args.evm}, runtime ${build.runtimeSize} bytes ` +
        `(${build.headroom} under the ${RUNTIME_SIZE_LIMIT}-byte limit)${build.compiled ? "" : ", up to date"}`,
    );
  });
}
