/**
 * The test-layout gate (part of `npm run lint`). `hardhat test mocha` loads every `.ts` file under
 * `test/` and has no option to load only `*.test.ts`, so this check keeps the one naming:
 * - a TypeScript file outside `test/helpers/` is a spec named `*.test.ts`;
 * - `test/helpers/` (and its subfolders) holds helpers only: no `*.test.ts`, and no `describe(` outside
 *   the shared behaviours (`*.behavior.ts`, whose suites a spec calls with its own table);
 * - every file name is kebab-case (`stream-store.test.ts`, `private-network.e2e.test.ts`).
 * Prints one line per offending file, naming the file and the rule.
 *
 *   npx tsx scripts/check-test-layout.ts
 */
import { readFile, readdir } from "node:fs/promises";
import path from "node:path";

const ROOT = "test";
const HELPERS = path.join(ROOT, "helpers");
const KEBAB = /^[a-z0-9]+(?:-[a-z0-9]+)*(?:\.[a-z0-9]+(?:-[a-z0-9]+)*)*\.ts$/;

const entries = await readdir(ROOT, { recursive: true, withFileTypes: true });
const files = entries
  .filter((e) => e.isFile() && e.name.endsWith(".ts"))
  .map((e) => path.join(e.parentPath, e.name))
  .sort();

const problems: string[] = [];
for (const file of files) {
  const name = path.basename(file);
  const isHelper = file.startsWith(`${HELPERS}${path.sep}`);
  const isSpec = name.endsWith(".test.ts");
  if (!KEBAB.test(name)) problems.push(`${file}: file name is not kebab-case`);
  if (isHelper && isSpec) {
    problems.push(`${file}: a spec inside ${HELPERS}/ (move it next to the code it tests)`);
  } else if (isHelper) {
    if (name.endsWith(".behavior.ts")) continue;
    const text = await readFile(file, "utf8");
    const line = text.split("\n").findIndex((l) => /^\s*describe(?:\.\w+)?\(/.test(l));
    if (line >= 0) {
      problems.push(
        `${file}:${line + 1}: a helper declares a suite (describe) outside *.behavior.ts`,
      );
    }
  } else if (!isSpec) {
    problems.push(`${file}: not named *.test.ts (helpers live under ${HELPERS}/)`);
  }
}
for (const problem of problems) console.error(problem);
if (problems.length > 0) process.exit(1);
console.log(`test layout: ${files.length} files, specs *.test.ts, helpers under ${HELPERS}/`);
