/**
 * The batch path: many calls in one transaction through `multicall` (OpenZeppelin, a delegatecall to
 * itself, so `msg.sender` is kept). The 21,000 base is paid once, and slots every item reads (member,
 * policy, pause flag, audit heads) are cold only for the first item.
 */
import type { TransactionReceipt } from "ethers";
import { type BenchLedger, Category, FAR_EXPIRY, mined, Masks, Purpose } from "./fixture.js";
import { recordIdOf } from "../../src/sdk/recordId.js";
import { freshAddress, freshHash } from "./ids.js";

export const BATCH_KINDS = [
  { id: "grant", label: "patient grants N grantees" },
  { id: "anchor", label: "clinician anchors N records" },
  { id: "open", label: "clinician opens N records" },
] as const;
export type BatchKind = (typeof BATCH_KINDS)[number]["id"];

export interface BatchGas {
  readonly kind: BatchKind;
  readonly items: number;
  readonly gasUsed: number;
  readonly gasPerItem: number;
}

/** Gas of one multicall of `n` items of each kind, for each `n` in `sizes`. */
export async function measureBatches(
  b: BenchLedger,
  sizes: readonly number[],
): Promise<BatchGas[]> {
  const { ledger, actors, addresses } = b;
  const iface = ledger.interface;
  const out: BatchGas[] = [];
  for (const n of sizes) {
    const base = b.sequence.next;
    b.sequence.next += n;
    const items = Array.from({ length: n }, (_, i) => base + i);
    const grants = items.map((i) =>
      iface.encodeFunctionData("grantConsent", [
        freshAddress("bench.batch.grantee", i),
        Masks.clinical,
        Masks.allPurposes,
        FAR_EXPIRY,
      ]),
    );
    const records = items.map((i) => freshHash("bench.batch.record", i));
    const anchors = records.map((r) =>
      iface.encodeFunctionData("anchorRecord", [addresses.patient, Category.Labs, r]),
    );
    const opens = records.map((r) =>
      iface.encodeFunctionData("openRecord", [recordIdOf(addresses.patient, r), Purpose.Treatment]),
    );
    const gasOf = async (kind: BatchKind, receipt: Promise<TransactionReceipt>): Promise<void> => {
      const gasUsed = Number((await receipt).gasUsed);
      out.push({ kind, items: n, gasUsed, gasPerItem: gasUsed / n });
    };
    await gasOf("grant", mined("batch grant", ledger.connect(actors.patient).multicall(grants)));
    await gasOf("anchor", mined("batch anchor", ledger.connect(actors.doctor).multicall(anchors)));
    await gasOf("open", mined("batch open", ledger.connect(actors.doctor).multicall(opens)));
  }
  return out;
}
