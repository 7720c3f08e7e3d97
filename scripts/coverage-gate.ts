/**
 * The coverage gate: read the report `npm run coverage` (`hardhat test --coverage`) prints and fail unless
 * every production contract (`contracts/`, but not `contracts/test/`) has 100 % of its lines and statements
 * covered. Prints one line per production contract below 100 %, naming the uncovered lines.
 *
 *   npm run coverage 2>&1 | tee coverage.txt; npx tsx scripts/coverage-gate.ts coverage.txt
 */
import { readFile } from "node:fs/promises";
import { stripVTControlCharacters } from "node:util";

const file = process.argv[2];
if (file === undefined) {
  console.error("usage: tsx scripts/coverage-gate.ts <coverage output file>");
  process.exit(2);
}
// Strip colours, then read the "File Coverage" rows: path, line %, statement %, uncovered lines.
const text = stripVTControlCharacters(await readFile(file, "utf8"));
const row = /(contracts\/\S+\.sol)\s*[│|]\s*([\d.]+)\s*[│|]\s*([\d.]+)\s*[│|]\s*([^│|║]*)/;
const production = text
  .split("\n")
  .map((line) => row.exec(line))
  .filter((m): m is RegExpExecArray => m !== null && !(m[1] ?? "").startsWith("contracts/test/"));
if (production.length === 0) {
  console.error(`${file}: no coverage rows for contracts/ found (did the coverage run fail?)`);
  process.exit(1);
}
let failed = 0;
for (const [, path, lines, statements, uncovered] of production) {
  if (Number(lines) < 100 || Number(statements) < 100) {
    failed++;
    console.error(
      `${path}: lines ${lines} %, statements ${statements} % (uncovered lines ${(uncovered ?? "").trim()})`,
    );
  }
}
console.log(
  `coverage gate: ${production.length - failed} of ${production.length} production contracts at 100 % lines and statements`,
);
process.exit(failed === 0 ? 0 : 1);
