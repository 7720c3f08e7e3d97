/**
 * Gas per operation: the one measurement shared by `npm run bench` and the regression guard
 * (test/bench/gas-regression.ts).
 *
 * Transactions are measured by their receipt's `gasUsed` (21,000 + calldata + execution − refund).
 * Views (`hasAccess`, `canOpen`) are measured as **execution gas**: `eth_estimateGas` minus the 21,000
 * intrinsic gas and the calldata cost, i.e. what the call itself burns inside the EVM.
 *
 * Every call takes fresh ids from `BenchLedger.sequence` (no zero bytes, see ids.ts), so a measurement
 * repeated later on a fuller chain sends calldata of the same cost and touches storage in the same way
 * (same slots new, same slots updated): any difference is the contract's doing.
 */
import { ZeroHash, type TransactionReceipt } from "ethers";
import {
  type BenchLedger,
  BREAK_GLASS_DURATION,
  Category,
  FAR_EXPIRY,
  FARTHER_EXPIRY,
  HOSPITAL_ORG_ID,
  mined,
  Masks,
  Purpose,
  Role,
  SIGNATURE_DEADLINE,
  type SignedGrant,
  grantWithSigArgs,
  signGrant,
} from "./fixture.js";
import { recordIdOf } from "../../src/sdk/recordId.js";
import { calldataGas, freshAddress, freshHash, freshWallet } from "./ids.js";

/** Every measured operation, in table order. */
export const OPERATIONS = [
  { id: "onboardPatient", label: "onboard member (patient)", kind: "tx", event: "MemberOnboarded" },
  { id: "onboardStaff", label: "onboard member (staff)", kind: "tx", event: "MemberOnboarded" },
  { id: "setRolePolicy", label: "set role policy", kind: "tx", event: "RolePolicySet" },
  { id: "grant", label: "grant (direct)", kind: "tx", event: "ConsentGranted" },
  { id: "narrow", label: "narrow", kind: "tx", event: "ConsentNarrowed" },
  { id: "extend", label: "extend", kind: "tx", event: "ConsentExtended" },
  { id: "revoke", label: "revoke", kind: "tx", event: "ConsentRevoked" },
  {
    id: "grantWithSigFirst",
    label: "grant by signature (patient's first)",
    kind: "tx",
    event: "ConsentRelayed",
  },
  {
    id: "grantWithSigLater",
    label: "grant by signature (later)",
    kind: "tx",
    event: "ConsentRelayed",
  },
  { id: "anchor", label: "anchor record", kind: "tx", event: "RecordAnchored" },
  { id: "amend", label: "amend record", kind: "tx", event: "RecordAnchored" },
  {
    id: "markEnteredInError",
    label: "mark entered in error",
    kind: "tx",
    event: "RecordEnteredInError",
  },
  {
    id: "openFirstEver",
    label: "open record (first ever: both heads zero)",
    kind: "tx",
    event: "RecordOpened",
  },
  {
    id: "openPatientFirst",
    label: "open record (patient's first: its head zero)",
    kind: "tx",
    event: "RecordOpened",
  },
  { id: "open", label: "open record (steady state)", kind: "tx", event: "RecordOpened" },
  { id: "erase", label: "erase record (by the patient)", kind: "tx", event: "RecordErased" },
  { id: "breakGlass", label: "break glass", kind: "tx", event: "BreakGlassDeclared" },
  { id: "reviewBreakGlass", label: "review break glass", kind: "tx", event: "BreakGlassReviewed" },
  { id: "hasAccess", label: "hasAccess (view, execution gas)", kind: "view", event: null },
  { id: "canOpen", label: "canOpen (view, execution gas)", kind: "view", event: null },
] as const;

export type OperationSpec = (typeof OPERATIONS)[number];
export type OpId = OperationSpec["id"];
export const OP_IDS: readonly OpId[] = OPERATIONS.map((o) => o.id);

/** One measured operation. */
export interface OpGas {
  readonly id: OpId;
  /** Receipt `gasUsed` for a transaction; execution gas (estimate − 21,000 − calldata) for a view. */
  readonly gas: number;
  /** Calldata cost of the call (4 / 16 gas per zero / non-zero byte). */
  readonly calldataGas: number;
}

/** The transaction did not emit the event the measured operation must emit. */
export class MissingEventError extends Error {
  constructor(
    readonly op: OpId,
    readonly event: string,
  ) {
    super(`${op}: the receipt has no ${event} event; the bench measured the wrong thing`);
    this.name = "MissingEventError";
  }
}

export function specOf(id: OpId): OperationSpec {
  const spec = OPERATIONS.find((o) => o.id === id);
  if (spec === undefined) throw new RangeError(`unknown operation ${id}`);
  return spec;
}

/** Gas of every operation, measured once on the current state of `b`. */
export async function measureOps(b: BenchLedger): Promise<OpGas[]> {
  const { ledger, actors, addresses, domain } = b;
  const n = b.sequence.next++;
  const out: OpGas[] = [];

  const record = async (id: OpId, receipt: TransactionReceipt): Promise<void> => {
    const spec = specOf(id);
    if (spec.event !== null) {
      const found = receipt.logs.some((log) => ledger.interface.parseLog(log)?.name === spec.event);
      if (!found) throw new MissingEventError(id, spec.event);
    }
    const tx = await b.provider.getTransaction(receipt.hash);
    if (tx === null) throw new RangeError(`transaction ${receipt.hash} not found`);
    out.push({ id, gas: Number(receipt.gasUsed), calldataGas: calldataGas(tx.data) });
  };

  const asRegistrar = ledger.connect(actors.registrar);
  const asPatient = ledger.connect(actors.patient);
  const asDoctor = ledger.connect(actors.doctor);
  const asRelayer = ledger.connect(actors.relayer);

  // Members: a fresh patient (who signs below) and a fresh nurse.
  const newPatient = freshWallet("bench.patient", n);
  await record(
    "onboardPatient",
    await mined(
      "onboard patient",
      asRegistrar.onboardMember(newPatient.address, Role.Patient, 0, freshHash("bench.key", 2 * n)),
    ),
  );
  await record(
    "onboardStaff",
    await mined(
      "onboard staff",
      asRegistrar.onboardMember(
        freshAddress("bench.staff", n),
        Role.Nurse,
        HOSPITAL_ORG_ID,
        freshHash("bench.key", 2 * n + 1),
      ),
    ),
  );

  // Role policy: toggle the nurse read set, so each call really changes the slot.
  const nursePolicy = await ledger.rolePolicy(Role.Nurse);
  const read =
    Number(nursePolicy.read) === Masks.nurseRead ? Masks.nurseReadWithImaging : Masks.nurseRead;
  await record(
    "setRolePolicy",
    await mined(
      "set role policy",
      ledger.connect(actors.admin).setRolePolicy(Role.Nurse, read, Masks.nurseWrite, 0),
    ),
  );

  // Consent lifecycle on a fresh grantee.
  const grantee = freshAddress("bench.grantee", n);
  await record(
    "grant",
    await mined(
      "grant",
      asPatient.grantConsent(grantee, Masks.clinical, Masks.allPurposes, FAR_EXPIRY),
    ),
  );
  await record(
    "narrow",
    await mined("narrow", asPatient.narrowConsent(grantee, Masks.labs, Masks.treatmentAndPayment)),
  );
  await record("extend", await mined("extend", asPatient.extendConsent(grantee, FARTHER_EXPIRY)));
  await record("revoke", await mined("revoke", asPatient.revokeConsent(grantee)));

  // Signed grants: the new patient's first (to the doctor, used below), the main patient's later one.
  const first: SignedGrant = {
    patient: newPatient.address,
    signer: newPatient.address,
    grantee: addresses.doctor,
    categories: Masks.clinical,
    purposes: Masks.allPurposes,
    expiresAt: FAR_EXPIRY,
    epoch: 0,
    nonce: 0n,
    deadline: SIGNATURE_DEADLINE,
  };
  await record(
    "grantWithSigFirst",
    await mined(
      "grant by signature (first)",
      asRelayer.grantWithSig(
        ...grantWithSigArgs(first, await signGrant(newPatient, domain, first)),
      ),
    ),
  );
  const later: SignedGrant = {
    patient: addresses.patient,
    signer: addresses.patient,
    grantee: freshAddress("bench.signed-grantee", n),
    categories: Masks.clinical,
    purposes: Masks.allPurposes,
    expiresAt: FAR_EXPIRY,
    epoch: 0,
    nonce: await ledger.nonces(addresses.patient, addresses.patient, 0n),
    deadline: SIGNATURE_DEADLINE,
  };
  await record(
    "grantWithSigLater",
    await mined(
      "grant by signature (later)",
      asRelayer.grantWithSig(
        ...grantWithSigArgs(later, await signGrant(actors.patient, domain, later)),
      ),
    ),
  );

  // Records: anchor, amend it, mark the amendment entered in error.
  const anchored = freshHash("bench.record", 3 * n);
  const amended = freshHash("bench.record", 3 * n + 1);
  await record(
    "anchor",
    await mined("anchor", asDoctor.anchorRecord(addresses.patient, Category.Labs, anchored)),
  );
  await record(
    "amend",
    await mined("amend", asDoctor.amendRecord(recordIdOf(addresses.patient, anchored), amended)),
  );
  await record(
    "markEnteredInError",
    await mined(
      "mark entered in error",
      asDoctor.markEnteredInError(recordIdOf(addresses.patient, amended)),
    ),
  );

  // Audited opens: the very first (only on a fresh ledger), a patient's first, steady state.
  if ((await ledger.auditHead()) === ZeroHash) {
    await record(
      "openFirstEver",
      await mined("open (first ever)", asDoctor.openRecord(b.record0, Purpose.Treatment)),
    );
  }
  if ((await ledger.patientAuditHead(addresses.patient)) === ZeroHash) {
    // The steady-state open below must find the patient's head already folded.
    await mined("open (setup)", asDoctor.openRecord(b.record0, Purpose.Treatment));
  }
  const newPatientRecord = freshHash("bench.record", 3 * n + 2);
  await mined(
    "anchor (setup)",
    asDoctor.anchorRecord(newPatient.address, Category.Labs, newPatientRecord),
  );
  await record(
    "openPatientFirst",
    await mined(
      "open (patient's first)",
      asDoctor.openRecord(recordIdOf(newPatient.address, newPatientRecord), Purpose.Treatment),
    ),
  );
  await record(
    "open",
    await mined("open (steady)", asDoctor.openRecord(b.record0, Purpose.Treatment)),
  );
  // The patient erases the superseded version anchored above (audited: it folds into both heads).
  await record(
    "erase",
    await mined("erase record", asPatient.eraseRecord(recordIdOf(addresses.patient, anchored))),
  );

  // Break-glass on the new patient (a fresh window), then its review.
  await record(
    "breakGlass",
    await mined(
      "break glass",
      ledger
        .connect(actors.responder)
        .breakGlass(newPatient.address, freshHash("bench.justification", n), BREAK_GLASS_DURATION),
    ),
  );
  const incidentId = await ledger.incidentCount();
  await record(
    "reviewBreakGlass",
    await mined(
      "review break glass",
      ledger.connect(actors.auditor).reviewBreakGlass(incidentId, 1, freshHash("bench.notes", n)),
    ),
  );

  // Views: execution gas of the call.
  const viewGas = async (id: OpId, data: string, estimate: bigint): Promise<void> => {
    const cd = calldataGas(data);
    out.push({ id, gas: Number(estimate) - 21_000 - cd, calldataGas: cd });
  };
  const hasAccessArgs: [string, string, number, number] = [
    addresses.patient,
    addresses.doctor,
    Category.Labs,
    Purpose.Treatment,
  ];
  await viewGas(
    "hasAccess",
    ledger.interface.encodeFunctionData("hasAccess", hasAccessArgs),
    await ledger.hasAccess.estimateGas(...hasAccessArgs),
  );
  const canOpenArgs: [string, string, number] = [b.record0, addresses.doctor, Purpose.Treatment];
  await viewGas(
    "canOpen",
    ledger.interface.encodeFunctionData("canOpen", canOpenArgs),
    await ledger.canOpen.estimateGas(...canOpenArgs),
  );
  return out;
}
