/**
 * Writes `src/abi/careLedger.ts` from the Hardhat artifact: the CareLedger ABI as an `as const`
 * literal (no bytecode), for viem/wagmi type inference and for ethers without the TypeChain factory,
 * plus its keccak256 hash as deployment manifests record it. Run by `npm run build`; run it alone with
 * `npm run build:abi` after changing a contract (a test fails while the file is stale).
 *
 * Usage: `tsx scripts/build-abi.ts [--check]` (`--check` only reports whether the file is current).
 */
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { renderAbiModule } from "./abi-module.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const artifactFile = path.join(root, "artifacts/contracts/CareLedger.sol/CareLedger.json");
const outFile = path.join(root, "src/abi/careLedger.ts");

const artifact = JSON.parse(await readFile(artifactFile, "utf8")) as { abi: unknown[] };
const text = await renderAbiModule(artifact.abi, outFile);
const current = await readFile(outFile, "utf8").catch(() => "");
if (process.argv.includes("--check")) {
  if (current !== text) {
    console.error(`${path.relative(root, outFile)} is stale: run npm run build:abi`);
    process.exit(1);
  }
} else if (current !== text) {
  await writeFile(outFile, text, "utf8");
  console.log(`wrote ${path.relative(root, outFile)} (${artifact.abi.length} ABI items)`);
}
