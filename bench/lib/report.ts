/**
 * The bench report: one JSON-serialisable object (`--json`) and its terminal tables.
 */
import type { BundleSizeRow } from "../bundle.js";
import type { Interface } from "ethers";
import { type E2eBenchRow, renderE2eTable } from "../e2e.js";
import type { BaselineComparison } from "./baseline.js";
import { BATCH_KINDS, type BatchGas } from "./batch.js";
import { floorOf, type FloorItem } from "./floor.js";
import { SCENARIOS, type GrowthScenario, type ScenarioId } from "./growth.js";
import { OPERATIONS, type OpGas, type OpId, specOf } from "./ops.js";
import { gasText, percentText, renderTable } from "./table.js";
import type { NodeThroughput } from "./throughput.js";

/** The benchmark targets (gas; views in execution gas). */
export const TARGETS: readonly { readonly id: OpId; readonly max: number }[] = [
  { id: "grant", max: 55_000 },
  { id: "grantWithSigLater", max: 70_000 },
  { id: "revoke", max: 35_000 },
  { id: "anchor", max: 75_000 },
  { id: "open", max: 50_000 },
  { id: "hasAccess", max: 8_000 },
];
/** No operation may move by more than this as the chain fills up. */
export const FLAT_TOLERANCE = 0.01;

export interface OperationRow {
  readonly id: OpId;
  readonly label: string;
  readonly kind: "tx" | "view";
  readonly gas: number;
  readonly calldataGas: number;
  readonly floor: number;
  readonly measuredOverFloor: number;
  readonly floorItems: readonly FloorItem[];
  readonly baseline: BaselineComparison | null;
}

export interface GrowthRow {
  readonly id: OpId;
  readonly label: string;
  readonly fresh: number;
  /** Gas per scenario and level ("samePatient" → "10000" → gas). */
  readonly scenarios: Readonly<Record<ScenarioId, Readonly<Record<string, number>>>>;
  /** Largest |gas − fresh| / fresh over every scenario and level. */
  readonly maxDeviation: number;
  readonly flat: boolean;
}

export interface TargetRow {
  readonly id: OpId;
  readonly label: string;
  readonly target: number;
  readonly gas: number;
  readonly floor: number;
  readonly met: boolean;
}

export interface BenchReport {
  readonly meta: {
    readonly startedAt: string;
    readonly seconds: number;
    readonly sectionSeconds: Readonly<Record<string, number>>;
    readonly node: string;
    readonly network: string;
    readonly gasReported: string;
    readonly levels: readonly number[];
  };
  readonly operations: readonly OperationRow[];
  readonly targets: readonly TargetRow[];
  readonly growth: {
    readonly levels: readonly number[];
    readonly rows: readonly GrowthRow[];
    readonly buildSeconds: Readonly<Record<ScenarioId, Readonly<Record<string, number>>>>;
    readonly allFlat: boolean;
  } | null;
  readonly batches: readonly (BatchGas & { readonly singleGas: number; readonly saving: number })[];
  readonly throughput: readonly NodeThroughput[] | { readonly skipped: string };
  /** bench/crypto.ts's table (text) and bench/e2e.ts's rows, or null when skipped. */
  readonly offchain: { readonly crypto: string; readonly e2e: readonly E2eBenchRow[] } | null;
  /** Browser bundle sizes (bench/bundle.ts), null when skipped. */
  readonly bundles?: readonly BundleSizeRow[] | null;
  /** bench/indexer.ts's table (text), or null when skipped. */
  readonly indexer: string | null;
  /** bench/service.ts's table (text) and its measurements, or null when skipped. */
  readonly service?: { readonly text: string; readonly result: unknown } | null;
}

export function operationRows(
  iface: Interface,
  ops: readonly OpGas[],
  baseline: readonly BaselineComparison[],
): OperationRow[] {
  return ops.map((o) => {
    const spec = specOf(o.id);
    const floor = floorOf(iface, o.id, spec.kind, o.calldataGas);
    return {
      id: o.id,
      label: spec.label,
      kind: spec.kind,
      gas: o.gas,
      calldataGas: o.calldataGas,
      floor: floor.gas,
      measuredOverFloor: o.gas / floor.gas,
      floorItems: floor.items,
      baseline: baseline.find((c) => c.id === o.id) ?? null,
    };
  });
}

export function targetRows(rows: readonly OperationRow[]): TargetRow[] {
  return TARGETS.map((t) => {
    const row = rows.find((r) => r.id === t.id);
    if (row === undefined) throw new RangeError(`target operation ${t.id} was not measured`);
    return {
      id: t.id,
      label: row.label,
      target: t.max,
      gas: row.gas,
      floor: row.floor,
      met: row.gas <= t.max,
    };
  });
}

export function growthRows(
  fresh: readonly OpGas[],
  scenarios: readonly GrowthScenario[],
): GrowthRow[] {
  const rows: GrowthRow[] = [];
  for (const { id, label } of OPERATIONS) {
    const base = fresh.find((o) => o.id === id);
    if (base === undefined) continue;
    const byScenario = { samePatient: {}, manyPatients: {} } as Record<
      ScenarioId,
      Record<string, number>
    >;
    let maxDeviation = 0;
    let measured = false;
    for (const s of scenarios) {
      for (const level of s.levels) {
        const gas = level.ops.find((o) => o.id === id)?.gas;
        if (gas === undefined) continue;
        measured = true;
        byScenario[s.id][String(level.earlier)] = gas;
        maxDeviation = Math.max(maxDeviation, Math.abs(gas - base.gas) / base.gas);
      }
    }
    // "first ever" happens once per chain: it has no later measurement to compare.
    if (!measured) continue;
    rows.push({
      id,
      label,
      fresh: base.gas,
      scenarios: byScenario,
      maxDeviation,
      flat: maxDeviation <= FLAT_TOLERANCE,
    });
  }
  return rows;
}

export function batchRows(
  batches: readonly BatchGas[],
  ops: readonly OpGas[],
): BenchReport["batches"] {
  return batches.map((b) => {
    const singleGas = ops.find((o) => o.id === b.kind)?.gas ?? Number.NaN;
    return { ...b, singleGas, saving: 1 - b.gasPerItem / singleGas };
  });
}

const levelText = (n: number): string => (n >= 1000 ? `${n / 1000}k` : String(n));

/** The whole report as terminal tables. */
export function renderReport(r: BenchReport, verbose: boolean): string {
  const out: string[] = [];
  out.push(
    renderTable(
      "1. Gas per operation (in-process EDR, cancun) and 4. its floor — transactions: receipt gasUsed; views: execution gas (estimateGas − 21,000 − calldata)",
      [
        { header: "operation" },
        { header: "gas" },
        { header: "calldata" },
        { header: "floor" },
        { header: "gas/floor" },
        { header: "over floor" },
        { header: "baseline" },
        { header: "vs baseline" },
      ],
      r.operations.map((o) => [
        o.label,
        gasText(o.gas),
        gasText(o.calldataGas),
        gasText(o.floor),
        `${o.measuredOverFloor.toFixed(2)}×`,
        `+${gasText(o.gas - o.floor)}`,
        o.baseline?.baseline == null ? "—" : gasText(o.baseline.baseline),
        o.baseline?.change == null
          ? (o.baseline?.status ?? "—")
          : `${percentText(o.baseline.change)}${o.baseline.status === "dearer" ? " DEARER" : ""}`,
      ]),
    ),
  );
  if (verbose) {
    for (const o of r.operations) {
      out.push(
        renderTable(
          `   floor of ${o.label}: ${gasText(o.floor)}`,
          [{ header: "unavoidable cost" }, { header: "gas" }],
          o.floorItems.map((i) => [i.what, gasText(i.gas)]),
        ),
      );
    }
  }

  if (r.growth !== null) {
    const g = r.growth;
    const cols = SCENARIOS.flatMap((s) =>
      g.levels.map((l) => ({ s: s.id, l, header: `${s.label} ${levelText(l)}` })),
    );
    out.push(
      renderTable(
        `2. Flat as it grows — gas after N earlier grants + records + audit entries (same patient / across N patients); every row within ${percentText(FLAT_TOLERANCE, 0).slice(1)}`,
        [
          { header: "operation" },
          { header: "fresh" },
          ...cols.map((c) => ({ header: c.header })),
          { header: "max dev" },
          { header: "" },
        ],
        g.rows.map((row) => [
          row.label,
          gasText(row.fresh),
          ...cols.map((c) => {
            const gas = row.scenarios[c.s][String(c.l)];
            return gas === undefined ? "—" : gasText(gas);
          }),
          `${(row.maxDeviation * 100).toFixed(3)} %`,
          row.flat ? "ok" : "VIOLATION",
        ]),
      ),
    );
    const build = SCENARIOS.map(
      (s) =>
        `${s.label}: ${g.levels.map((l) => `${levelText(l)} in ${(g.buildSeconds[s.id][String(l)] ?? 0).toFixed(1)} s`).join(", ")}`,
    );
    out.push(`   state built with multicall batches — ${build.join("; ")}`);
  }

  if (r.batches.length > 0) {
    out.push(
      renderTable(
        "3a. Batch path (multicall, in-process) — gas per item vs one call per transaction",
        [
          { header: "batch" },
          { header: "N" },
          { header: "gas" },
          { header: "gas / item" },
          { header: "single tx" },
          { header: "saving" },
        ],
        r.batches.map((b) => [
          BATCH_KINDS.find((k) => k.id === b.kind)?.label ?? b.kind,
          String(b.items),
          gasText(b.gasUsed),
          gasText(b.gasPerItem),
          gasText(b.singleGas),
          percentText(-b.saving, 1),
        ]),
      ),
    );
  }

  if ("skipped" in r.throughput) {
    out.push(`3b. Throughput against a real node: skipped (${r.throughput.skipped})`);
  } else {
    const nodes = r.throughput;
    const where =
      nodes[0] === undefined
        ? ""
        : ` — ${nodes[0].engine} at ${nodes[0].url}, chain ${nodes[0].chainId}`;
    out.push(
      renderTable(
        `3b. Throughput against a real node${where}; a record = anchor + audited open; timings reported, never asserted`,
        [
          { header: "blocks" },
          { header: "mode", align: "left" },
          { header: "records" },
          { header: "txs" },
          { header: "in flight" },
          { header: "seconds" },
          { header: "records/s" },
          { header: "txs/s" },
          { header: "p50 ms" },
          { header: "p95 ms" },
          { header: "gas / record" },
        ],
        nodes.flatMap((n) =>
          n.runs.map((run) => [
            n.mining,
            run.mode,
            String(run.records),
            String(run.transactions),
            String(run.inFlight),
            run.seconds.toFixed(2),
            run.recordsPerSecond.toFixed(1),
            run.transactionsPerSecond.toFixed(1),
            run.latency.p50Ms.toFixed(1),
            run.latency.p95Ms.toFixed(1),
            gasText(run.gasPerRecord),
          ]),
        ),
      ),
    );
  }

  if (r.offchain !== null) {
    out.push(
      `6a. Off-chain: envelope encryption + blob store (bench/crypto.ts)\n${r.offchain.crypto}`,
    );
    out.push(
      `6b. End to end through the SDK clients (bench/e2e.ts)\n${renderE2eTable(r.offchain.e2e)}`,
    );
  }

  if (r.indexer !== null) out.push(`7. Indexer and queries (bench/indexer.ts)\n${r.indexer}`);
  if (r.service != null)
    out.push(`8. Relay and blob gateway (bench/service.ts)\n${r.service.text}`);

  out.push(
    renderTable(
      "5. Targets",
      [
        { header: "operation" },
        { header: "target" },
        { header: "measured" },
        { header: "floor" },
        { header: "margin" },
        { header: "" },
      ],
      r.targets.map((t) => [
        t.label,
        `≤ ${gasText(t.target)}`,
        gasText(t.gas),
        gasText(t.floor),
        t.gas <= t.target
          ? `${gasText(t.target - t.gas)} under`
          : `${gasText(t.gas - t.target)} over`,
        t.met ? "pass" : "FAIL",
      ]),
    ),
  );
  return out.join("\n\n");
}
