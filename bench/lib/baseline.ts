/**
 * The committed gas figures (bench/gas-baseline.json) and the 2 % regression rule, shared by the bench
 * (which shows the comparison) and test/bench/gas-regression.test.ts (which fails on it).
 */
import { readFile, writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { OP_IDS, type OpGas, type OpId } from "./ops.js";

export const BASELINE_PATH = fileURLToPath(new URL("../gas-baseline.json", import.meta.url));
/** An operation may get at most this much dearer than its committed figure. */
export const REGRESSION_TOLERANCE = 0.02;

export interface GasBaseline {
  readonly note: string;
  readonly hardfork: string;
  readonly operations: Readonly<Partial<Record<OpId, number>>>;
}

/** bench/gas-baseline.json is not what the bench writes. */
export class BaselineFormatError extends Error {
  constructor(
    readonly path: string,
    reason: string,
  ) {
    super(`${path}: ${reason}; rewrite it with npm run bench:update-baseline`);
    this.name = "BaselineFormatError";
  }
}

function isOpId(id: string): id is OpId {
  return (OP_IDS as readonly string[]).includes(id);
}

export async function readBaseline(path: string = BASELINE_PATH): Promise<GasBaseline> {
  const parsed: unknown = JSON.parse(await readFile(path, "utf8"));
  if (typeof parsed !== "object" || parsed === null)
    throw new BaselineFormatError(path, "not an object");
  const { note, hardfork, operations } = parsed as Record<string, unknown>;
  if (typeof operations !== "object" || operations === null) {
    throw new BaselineFormatError(path, "no operations object");
  }
  const ops: Partial<Record<OpId, number>> = {};
  for (const [id, gas] of Object.entries(operations)) {
    if (!isOpId(id)) throw new BaselineFormatError(path, `unknown operation ${id}`);
    if (typeof gas !== "number" || !Number.isInteger(gas) || gas <= 0) {
      throw new BaselineFormatError(path, `${id} is not a positive integer`);
    }
    ops[id] = gas;
  }
  return {
    note: typeof note === "string" ? note : "",
    hardfork: typeof hardfork === "string" ? hardfork : "",
    operations: ops,
  };
}

export async function writeBaseline(
  ops: readonly OpGas[],
  path: string = BASELINE_PATH,
): Promise<GasBaseline> {
  const baseline: GasBaseline = {
    note:
      "Gas per operation on a fresh bench ledger (bench/lib/ops.ts): receipt gasUsed for transactions, execution " +
      "gas (estimate − 21,000 − calldata) for views. npm test fails when one is > 2 % dearer; rewrite on purpose " +
      "with npm run bench:update-baseline.",
    hardfork: "cancun",
    operations: Object.fromEntries(ops.map((o) => [o.id, o.gas])),
  };
  await writeFile(path, `${JSON.stringify(baseline, null, 2)}\n`);
  return baseline;
}

export type BaselineStatus = "ok" | "dearer" | "cheaper" | "new" | "not measured";

export interface BaselineComparison {
  readonly id: OpId;
  readonly baseline: number | null;
  readonly measured: number | null;
  /** (measured − baseline) / baseline, when both exist. */
  readonly change: number | null;
  readonly status: BaselineStatus;
}

/**
 * Each operation against its committed figure: `dearer` beyond `tolerance` fails the guard; `cheaper`
 * beyond it is a reminder to update the baseline so the gain is kept.
 */
export function compareToBaseline(
  ops: readonly OpGas[],
  baseline: GasBaseline,
  tolerance: number = REGRESSION_TOLERANCE,
): BaselineComparison[] {
  const out: BaselineComparison[] = [];
  for (const id of OP_IDS) {
    const measured = ops.find((o) => o.id === id)?.gas ?? null;
    const committed = baseline.operations[id] ?? null;
    if (measured === null && committed === null) continue;
    if (committed === null) {
      out.push({ id, baseline: null, measured, change: null, status: "new" });
    } else if (measured === null) {
      out.push({ id, baseline: committed, measured: null, change: null, status: "not measured" });
    } else {
      const change = (measured - committed) / committed;
      const status = change > tolerance ? "dearer" : change < -tolerance ? "cheaper" : "ok";
      out.push({ id, baseline: committed, measured, change, status });
    }
  }
  return out;
}
