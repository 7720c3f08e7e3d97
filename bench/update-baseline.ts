/**
 * `npm run bench:update-baseline`: measure every operation on a fresh bench ledger and rewrite
 * bench/gas-baseline.json, the figures the regression guard (test/bench/gas-regression.test.ts) holds the
 * contracts to. Run it on purpose, when a change is meant to move gas, and commit the file with it.
 */
import { network } from "hardhat";
import { BASELINE_PATH, compareToBaseline, readBaseline, writeBaseline } from "./lib/baseline.js";
import { setUpBench } from "./lib/fixture.js";
import { measureOps, specOf } from "./lib/ops.js";
import { gasText, percentText, renderTable } from "./lib/table.js";

const connection = await network.create();
try {
  const ops = await measureOps(await setUpBench(await connection.ethers.getSigners()));
  const before = await readBaseline().catch(() => ({ note: "", hardfork: "", operations: {} }));
  const changes = compareToBaseline(ops, before, 0);
  await writeBaseline(ops);
  console.log(
    renderTable(
      `Rewrote ${BASELINE_PATH}`,
      [{ header: "operation" }, { header: "was" }, { header: "now" }, { header: "change" }],
      changes.map((c) => [
        specOf(c.id).label,
        c.baseline === null ? "—" : gasText(c.baseline),
        c.measured === null ? "—" : gasText(c.measured),
        c.change === null ? c.status : percentText(c.change),
      ]),
    ),
  );
} finally {
  await connection.close();
}
