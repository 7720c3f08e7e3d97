/**
 * "Flat as it grows": the operations of ops.ts measured again after 1, 100 and 10,000 earlier grants,
 * records and audit entries — for the same patient, and across as many patients — built quickly with
 * `multicall` batches. No operation's gas may move by more than 1 %.
 */
import {
  type BenchLedger,
  Category,
  FAR_EXPIRY,
  mined,
  Masks,
  Purpose,
  Role,
  SIGNATURE_DEADLINE,
  type SignedGrant,
  grantWithSigArgs,
} from "./fixture.js";
import { recordIdOf } from "../../src/sdk/recordId.js";
import { bulkAddress, bulkHash } from "./ids.js";
import { measureOps, type OpGas } from "./ops.js";

/**
 * Gas limit of one bulk batch: under EDR's per-transaction cap (2^24, as EIP-7825), and set explicitly so
 * no batch pays an estimation round trip.
 */
const BATCH_GAS_LIMIT = 16_000_000n;
/** Items per batch, sized from each call's gas inside a multicall (≤ ~12M gas per batch). */
const BATCH = { grant: 300, onboard: 120, signedGrant: 150, anchor: 250, open: 300 } as const;

export const SCENARIOS = [
  { id: "samePatient", label: "same patient" },
  { id: "manyPatients", label: "many patients" },
] as const;
export type ScenarioId = (typeof SCENARIOS)[number]["id"];

export interface GrowthLevel {
  /** Earlier grants, records and audit entries when measured. */
  readonly earlier: number;
  readonly ops: readonly OpGas[];
  /** Seconds spent building this level's state. */
  readonly buildSeconds: number;
}

export interface GrowthScenario {
  readonly id: ScenarioId;
  readonly levels: readonly GrowthLevel[];
}

async function inBatches(
  what: string,
  calls: readonly string[],
  size: number,
  send: (batch: string[]) => ReturnType<BenchLedger["ledger"]["multicall"]>,
): Promise<void> {
  for (let i = 0; i < calls.length; i += size) await mined(what, send(calls.slice(i, i + size)));
}

/** Items `from .. to-1` for the same patient: grants to fresh grantees, records, opens of those records. */
async function growSamePatient(b: BenchLedger, from: number, to: number): Promise<void> {
  const { ledger, actors, addresses } = b;
  const iface = ledger.interface;
  const range = Array.from({ length: to - from }, (_, k) => from + k);
  const asPatient = ledger.connect(actors.patient);
  const asDoctor = ledger.connect(actors.doctor);
  const opts = { gasLimit: BATCH_GAS_LIMIT };
  await inBatches(
    "bulk grants",
    range.map((i) =>
      iface.encodeFunctionData("grantConsent", [
        bulkAddress("bench.bulk.grantee", i),
        Masks.clinical,
        Masks.allPurposes,
        FAR_EXPIRY,
      ]),
    ),
    BATCH.grant,
    (batch) => asPatient.multicall(batch, opts),
  );
  const records = range.map((i) => bulkHash("bench.bulk.same-record", i));
  await inBatches(
    "bulk anchors",
    records.map((r) =>
      iface.encodeFunctionData("anchorRecord", [addresses.patient, Category.Labs, r]),
    ),
    BATCH.anchor,
    (batch) => asDoctor.multicall(batch, opts),
  );
  await inBatches(
    "bulk opens",
    records.map((r) =>
      iface.encodeFunctionData("openRecord", [recordIdOf(addresses.patient, r), Purpose.Treatment]),
    ),
    BATCH.open,
    (batch) => asDoctor.multicall(batch, opts),
  );
}

/**
 * Runtime code of a smart-account patient that accepts any signature (ERC-1271): returns the
 * `isValidSignature` magic value 0x1626ba7e for every call.
 */
export const ACCEPT_ALL_ERC1271_CODE = "0x631626ba7e60e01b60005260206000f3";

/** Puts `code` at `address` (in-process only: `hardhat_setCode`). */
export type SetCode = (address: string, code: string) => Promise<void>;

/**
 * Patients `from .. to-1`, each onboarded, granting the doctor by signature, with one record opened once.
 * The bulk patients are smart-account patients (ERC-1271, which the design supports), so 10,000 grants
 * need no 10,000 ECDSA signatures in JavaScript; the measured operations all use EOA patients.
 */
async function growManyPatients(
  b: BenchLedger,
  from: number,
  to: number,
  setCode: SetCode,
): Promise<void> {
  const { ledger, actors, addresses } = b;
  const iface = ledger.interface;
  const opts = { gasLimit: BATCH_GAS_LIMIT };
  const patients = Array.from({ length: to - from }, (_, k) => ({
    address: bulkAddress("bench.bulk.patient", from + k),
    key: bulkHash("bench.bulk.key", from + k),
    record: bulkHash("bench.bulk.many-record", from + k),
  }));
  await Promise.all(patients.map((p) => setCode(p.address, ACCEPT_ALL_ERC1271_CODE)));
  await inBatches(
    "bulk onboarding",
    patients.map((p) =>
      iface.encodeFunctionData("onboardMember", [p.address, Role.Patient, 0, p.key]),
    ),
    BATCH.onboard,
    (batch) => ledger.connect(actors.registrar).multicall(batch, opts),
  );
  const signed = patients.map((p) => {
    const grant: SignedGrant = {
      patient: p.address,
      signer: p.address,
      grantee: addresses.doctor,
      categories: Masks.clinical,
      purposes: Masks.allPurposes,
      expiresAt: FAR_EXPIRY,
      epoch: 0,
      nonce: 0n,
      deadline: SIGNATURE_DEADLINE,
    };
    // The smart-account patient accepts any signature bytes.
    return iface.encodeFunctionData("grantWithSig", grantWithSigArgs(grant, "0x"));
  });
  await inBatches("bulk signed grants", signed, BATCH.signedGrant, (batch) =>
    ledger.connect(actors.relayer).multicall(batch, opts),
  );
  const asDoctor = ledger.connect(actors.doctor);
  await inBatches(
    "bulk anchors",
    patients.map((p) =>
      iface.encodeFunctionData("anchorRecord", [p.address, Category.Labs, p.record]),
    ),
    BATCH.anchor,
    (batch) => asDoctor.multicall(batch, opts),
  );
  await inBatches(
    "bulk opens",
    patients.map((p) =>
      iface.encodeFunctionData("openRecord", [recordIdOf(p.address, p.record), Purpose.Treatment]),
    ),
    BATCH.open,
    (batch) => asDoctor.multicall(batch, opts),
  );
}

/**
 * Run `scenario` on the fresh ledger `b`: grow to each of `levels` (ascending) and measure every operation
 * there. `progress` gets one line per level.
 */
export async function runGrowth(
  b: BenchLedger,
  scenario: ScenarioId,
  levels: readonly number[],
  hooks: { readonly setCode: SetCode; readonly progress: (line: string) => void },
): Promise<GrowthScenario> {
  const grow =
    scenario === "samePatient"
      ? growSamePatient
      : (l: BenchLedger, from: number, to: number) => growManyPatients(l, from, to, hooks.setCode);
  const out: GrowthLevel[] = [];
  let built = 0;
  for (const level of levels) {
    const t0 = performance.now();
    await grow(b, built, level);
    built = level;
    const buildSeconds = (performance.now() - t0) / 1000;
    hooks.progress(
      `  ${scenario}: ${level.toLocaleString("en-US")} earlier items built in ${buildSeconds.toFixed(1)} s`,
    );
    out.push({ earlier: level, ops: await measureOps(b), buildSeconds });
  }
  return { id: scenario, levels: out };
}
