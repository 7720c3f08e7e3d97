/**
 * Regression guard: the gas of every operation (bench/lib/ops.ts, the same measurement `npm run bench`
 * prints) against the committed figures in bench/gas-baseline.json. Fails when any operation is more than
 * 2 % dearer, naming each one. Timings are never asserted; only deterministic gas is.
 * Rewrite the figures on purpose with `npm run bench:update-baseline`.
 */
import { expect } from "chai";
import { network } from "hardhat";
import {
  type BaselineComparison,
  compareToBaseline,
  type GasBaseline,
  readBaseline,
  REGRESSION_TOLERANCE,
} from "../../bench/lib/baseline.js";
import { type BenchLedger, setUpBench } from "../../bench/lib/fixture.js";
import { measureOps, OP_IDS, type OpGas, specOf } from "../../bench/lib/ops.js";
import { gasText, percentText } from "../../bench/lib/table.js";

const { ethers, networkHelpers } = await network.create();

async function deployBenchLedger(): Promise<BenchLedger> {
  return setUpBench(await ethers.getSigners());
}

/** The bench's gas-per-operation section on the fixture, with its id sequence from the start. */
async function measureFresh(): Promise<OpGas[]> {
  const b = await networkHelpers.loadFixture(deployBenchLedger);
  return measureOps({ ...b, sequence: { next: 0 } });
}

function describeRows(rows: readonly BaselineComparison[]): string {
  return rows
    .map(
      (c) =>
        `  ${specOf(c.id).label}: ${c.baseline === null ? "—" : gasText(c.baseline)} → ` +
        `${c.measured === null ? "not measured" : gasText(c.measured)}` +
        (c.change === null ? "" : ` (${percentText(c.change)})`),
    )
    .join("\n");
}

describe("gas regression guard (bench/gas-baseline.json)", function () {
  let ops: OpGas[];
  let baseline: GasBaseline;
  let comparison: BaselineComparison[];

  before(async function () {
    // `hardhat test --coverage` runs instrumented bytecode: its gas says nothing about the contracts.
    if (process.env.HARDHAT_COVERAGE === "true") this.skip();
    ops = await measureFresh();
    baseline = await readBaseline();
    comparison = compareToBaseline(ops, baseline);
  });

  it("measures every operation of the bench", function () {
    expect(ops.map((o) => o.id)).to.deep.equal(OP_IDS);
    for (const o of ops) expect(o.gas, o.id).to.be.greaterThan(0);
  });

  it("has a committed figure for every measured operation", function () {
    const missing = comparison.filter((c) => c.status === "new" || c.status === "not measured");
    expect(
      missing,
      `baseline out of date; run npm run bench:update-baseline\n${describeRows(missing)}`,
    ).to.be.empty;
  });

  it(`no operation is more than ${REGRESSION_TOLERANCE * 100} % dearer than its committed figure`, function () {
    const dearer = comparison.filter((c) => c.status === "dearer");
    expect(
      dearer,
      `operations more than ${REGRESSION_TOLERANCE * 100} % dearer than bench/gas-baseline.json ` +
        `(if intended: npm run bench:update-baseline)\n${describeRows(dearer)}`,
    ).to.be.empty;
  });

  it("measures the same gas again from the same state (the guard is deterministic)", async function () {
    const again = await measureFresh();
    expect(again.map((o) => [o.id, o.gas])).to.deep.equal(ops.map((o) => [o.id, o.gas]));
  });
});
