/**
 * Print the storage layout of `CareLedger` from the current build, or, with `--write`, rewrite the
 * committed snapshot that `test/core/storage-layout.test.ts` checks (do this only for a reviewed change).
 *
 *   npx hardhat build && npx tsx scripts/storage-layout.ts [--write]
 */
import { writeFile } from "node:fs/promises";
import { STORAGE_LAYOUT_SNAPSHOT, readStorageLayout } from "../test/helpers/storage-layout.js";

const layout = await readStorageLayout();
const json = `${JSON.stringify(layout, null, 2)}\n`;
if (process.argv.includes("--write")) {
  await writeFile(STORAGE_LAYOUT_SNAPSHOT, json);
  console.log(`wrote ${STORAGE_LAYOUT_SNAPSHOT} (${layout.variables.length} variables)`);
} else {
  process.stdout.write(json);
}
