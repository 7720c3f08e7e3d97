/**
 * Bundle sizes of the package for front ends: builds `dist/` (`npm run build:dist`), bundles each case
 * of `bench/lib/bundle.ts` with Vite for a browser target, and prints minified and gzip sizes against
 * the budgets and as a ratio to the ethers-only reference bundled in the same run. Part of
 * `npm run bench` (skip with `--no-bundle`); alone: `npx tsx bench/bundle.ts [--json <file>]`.
 */
import { execFile } from "node:child_process";
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { bundleCases, bundleRows, overBudget, type BundleResult } from "./lib/bundle.js";
import { renderTable } from "./lib/table.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

/** One row of the JSON report. */
export interface BundleSizeRow {
  readonly name: string;
  readonly minifiedBytes: number;
  readonly gzipBytes: number;
  readonly budgetGzipKb: number | null;
  readonly withinBudget: boolean | null;
}

/** Builds `dist/` and measures every bundle case against it. */
export async function measureBundles(): Promise<{ rows: BundleSizeRow[]; text: string }> {
  await promisify(execFile)("npm", ["run", "build:dist"], { cwd: root });
  const dist = (file: string) => path.join(root, "dist/src", file);
  const results: BundleResult[] = await bundleCases(
    path.join(root, "node_modules/.cache/careledger-bundle"),
    undefined,
    {
      "careledger/browser": dist("browser.js"),
      "careledger/abi": dist("abi/index.js"),
    },
  );
  const over = overBudget(results);
  const text = [
    renderTable(
      "Bundle sizes (Vite, browser target, minified; KB = 1,000 bytes)",
      [
        { header: "bundle" },
        { header: "min KB" },
        { header: "gzip KB" },
        { header: "budget gzip KB" },
        { header: "vs ethers ref" },
        { header: "" },
      ],
      bundleRows(results),
    ),
    over.length === 0 ? "every bundle within budget" : `OVER BUDGET: ${over.join("; ")}`,
  ].join("\n");
  const rows = results.map((r) => ({
    name: r.name,
    minifiedBytes: r.minifiedBytes,
    gzipBytes: r.gzipBytes,
    budgetGzipKb: r.budgetGzipKb ?? null,
    withinBudget: r.budgetGzipKb === undefined ? null : r.gzipBytes <= r.budgetGzipKb * 1000,
  }));
  return { rows, text };
}

if (
  process.argv[1] !== undefined &&
  path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)
) {
  const { rows, text } = await measureBundles();
  console.log(text);
  const at = process.argv.indexOf("--json");
  const file = at >= 0 ? process.argv[at + 1] : undefined;
  if (file !== undefined) {
    await mkdir(path.dirname(path.resolve(file)), { recursive: true });
    await writeFile(file, `${JSON.stringify(rows, null, 2)}\n`);
  }
}
