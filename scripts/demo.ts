/**
 * `npm run demo`: the CareLedger demo scenario on Hardhat's in-process network.
 * Exits 1, with the reason, if any step does not go as the scenario says.
 */
import { network } from "hardhat";
import { runDemo } from "../examples/demo/index.js";

const { ethers } = await network.create();

try {
  await runDemo({ signers: await ethers.getSigners() });
} catch (err) {
  console.error("");
  console.error(`DEMO FAILED: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
}
