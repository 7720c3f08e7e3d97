/**
 * The CareLedger demo scenario (issue 2), as a function so `scripts/demo.ts` prints it and a test runs
 * it against a fresh in-process network. It throws a {@link DemoExpectationError} the moment anything
 * differs from the story: a call that should pass reverts, a refusal that should happen does not, or
 * the audit trail recomputed from the events differs from the heads on chain.
 */
import type {
  ContractTransactionResponse,
  LogDescription,
  Signer,
  TransactionReceipt,
} from "ethers";
import { id, keccak256, randomBytes } from "ethers";
import type { CareLedger } from "../../typechain-types/index.js";
import { encryptionKeyHex, generateMemberKeyPair } from "../crypto/keys.js";
import { CareLedgerError } from "../errors.js";
import type { AuditVerification } from "../sdk/audit.js";
import { auditRow, verifyAuditTrail } from "../sdk/audit.js";
import {
  AccessPath,
  Category,
  Purpose,
  ReviewVerdict,
  Role,
  accessPathLabel,
  categoryLabel,
  categoryMask,
  categoryMaskLabel,
  purposeLabel,
  purposeMask,
  roleLabel,
} from "../sdk/constants.js";
import { deployCareLedger } from "../sdk/deploy.js";
import type { ContractErrorName } from "../sdk/errors.js";
import { AccessDeniedError, decodeContractError } from "../sdk/errors.js";
import { duration, isoTime, shortHex, textTable } from "../sdk/format.js";

/** A record body before sealing; it never goes on chain. */
export interface DemoRecord {
  readonly patient: string;
  readonly category: Category;
  /** The plaintext body (a small FHIR-like JSON document). */
  readonly body: string;
}

/** A sealed record: the envelope bytes to store off chain and the content hash to anchor. */
export interface SealedRecord {
  readonly envelope: Uint8Array;
  readonly contentHash: string;
}

/** Turns a record into its envelope and content hash (the step real envelope encryption plugs into). */
export type SealRecord = (record: DemoRecord) => Promise<SealedRecord>;

/**
 * The demo's stand-in for envelope encryption: 160 random bytes in place of the ciphertext, hashed with
 * keccak256. The body is not used, so nothing of it can leak into the chain.
 */
export const standInSeal: SealRecord = async () => {
  const envelope = randomBytes(160);
  return { envelope, contentHash: keccak256(envelope) };
};

/** Options of {@link runDemo}. */
export interface DemoOptions {
  /**
   * At least 9 funded signers: governance admin, registrar, doctor, nurse, billing clerk, auditor,
   * emergency responder, patient 1, patient 2 (in this order).
   */
  readonly signers: readonly Signer[];
  /** Where output lines go. Default `console.log`; pass `() => {}` for silence. */
  readonly log?: (line: string) => void;
  /** How a record body becomes an envelope and a content hash. Default {@link standInSeal}. */
  readonly seal?: SealRecord;
}

/** Gas used by one transaction of the demo. */
export interface DemoStep {
  readonly section: string;
  readonly label: string;
  /** The contract function called (`"deploy"` for the deployment). */
  readonly functionName: string;
  readonly gasUsed: bigint;
}

/** A refusal the demo provoked, decoded. */
export interface DemoRefusal {
  readonly who: string;
  readonly errorName: ContractErrorName;
  readonly message: string;
}

/** What the demo did, for a test to check. */
export interface DemoResult {
  readonly address: string;
  readonly deploymentBlock: number;
  readonly steps: readonly DemoStep[];
  readonly refusals: readonly DemoRefusal[];
  readonly labRecordId: string;
  readonly medicationRecordId: string;
  readonly incidentId: bigint;
  readonly audit: AuditVerification;
}

/** Something in the demo did not go as the scenario says. */
export class DemoExpectationError extends CareLedgerError {
  constructor(message: string, options: { readonly cause?: unknown } = {}) {
    super(message, "DEMO_EXPECTATION", options);
  }
}

const DAY = 24 * 60 * 60;
const HOUR = 60 * 60;
const HOSPITAL_ORG_ID = 1;

const LAB_RESULT_BODY = JSON.stringify({
  resourceType: "Observation",
  status: "final",
  code: {
    coding: [
      { system: "http://loinc.org", code: "2345-7", display: "Glucose [Mass/volume] in Serum" },
    ],
  },
  valueQuantity: { value: 95, unit: "mg/dL" },
});

const MEDICATION_UPDATE_BODY = JSON.stringify({
  resourceType: "MedicationStatement",
  status: "active",
  medicationCodeableConcept: { text: "metformin 500 mg" },
  dosage: [{ text: "twice daily with meals" }],
});

/** Run the scenario of issue 2 and return what happened; throws {@link DemoExpectationError} on any deviation. */
export async function runDemo(options: DemoOptions): Promise<DemoResult> {
  const log = options.log ?? ((line: string) => console.log(line));
  const seal = options.seal ?? standInSeal;
  if (options.signers.length < 9) {
    throw new DemoExpectationError(`the demo needs 9 signers, got ${options.signers.length}`);
  }
  const [admin, registrar, doctor, nurse, billing, auditor, responder, patient1, patient2] =
    options.signers as [Signer, Signer, Signer, Signer, Signer, Signer, Signer, Signer, Signer];
  const addr = {
    admin: await admin.getAddress(),
    registrar: await registrar.getAddress(),
    doctor: await doctor.getAddress(),
    nurse: await nurse.getAddress(),
    billing: await billing.getAddress(),
    auditor: await auditor.getAddress(),
    responder: await responder.getAddress(),
    patient1: await patient1.getAddress(),
    patient2: await patient2.getAddress(),
  };
  const names = new Map<string, string>([
    [addr.admin, "governance admin"],
    [addr.registrar, "registrar"],
    [addr.doctor, "doctor"],
    [addr.nurse, "nurse"],
    [addr.billing, "billing clerk"],
    [addr.auditor, "auditor"],
    [addr.responder, "responder"],
    [addr.patient1, "patient 1"],
    [addr.patient2, "patient 2"],
  ]);
  const nameOf = (account: string): string => names.get(account) ?? shortHex(account);

  const steps: DemoStep[] = [];
  const refusals: DemoRefusal[] = [];
  let section = "";
  const heading = (title: string): void => {
    section = title;
    log("");
    log(`== ${title} ==`);
  };
  const gasText = (gas: bigint): string => `gas ${gas.toLocaleString("en-US").padStart(9)}`;
  const done = (label: string, functionName: string, gasUsed: bigint): void => {
    steps.push({ section, label, functionName, gasUsed });
    log(`  ✓ ${label.padEnd(62)} ${gasText(gasUsed)}`);
  };
  const note = (line: string): void => log(`    ${line}`);

  /** Send a transaction that must succeed; returns its receipt. */
  const send = async (
    label: string,
    functionName: string,
    action: () => Promise<ContractTransactionResponse>,
  ): Promise<TransactionReceipt> => {
    let receipt: TransactionReceipt | null;
    try {
      receipt = await (await action()).wait();
    } catch (err) {
      const decoded = decodeContractError(err, undefined, { functionName });
      throw new DemoExpectationError(
        `"${label}" should succeed but failed: ${(decoded ?? asError(err)).message}`,
        {
          cause: decoded ?? err,
        },
      );
    }
    if (receipt === null) throw new DemoExpectationError(`"${label}" produced no receipt`);
    done(label, functionName, receipt.gasUsed);
    return receipt;
  };

  /** Send a transaction that must be refused with `expected`; returns the decoded refusal. */
  const expectRefusal = async (
    label: string,
    who: string,
    functionName: string,
    expected: ContractErrorName,
    action: () => Promise<ContractTransactionResponse>,
  ): Promise<AccessDeniedError> => {
    const decoded = await expectAccessDenied(label, expected, functionName, action);
    refusals.push({ who, errorName: decoded.errorName, message: decoded.message });
    log(`  ✗ ${label}: refused, as expected`);
    note(`${decoded.errorName}: ${decoded.message}`);
    const known = [...names].filter(([account]) => decoded.message.includes(shortHex(account)));
    if (known.length > 0)
      note(`(${known.map(([account, name]) => `${shortHex(account)} = ${name}`).join(", ")})`);
    return decoded;
  };

  const opened = (ledger: CareLedger, receipt: TransactionReceipt): LogDescription =>
    findEvent(ledger, receipt, "RecordOpened");

  // ------------------------------------------------------------------------------------------
  const provider = admin.provider;
  const chainId = provider === null ? "?" : (await provider.getNetwork()).chainId.toString();
  log(
    `CareLedger demo: one hospital, two patients, consent, refusals, break-glass and audit (chain ${chainId})`,
  );

  heading("1. Deploy");
  const deployment = await deployCareLedger(admin, {
    admin: addr.admin,
    adminTransferDelay: 2 * DAY,
    registrar: addr.registrar,
    breakGlassMaxDuration: 4 * HOUR,
  });
  const ledger = deployment.contract;
  done(`deploy CareLedger at ${shortHex(deployment.address)}`, "deploy", deployment.gasUsed);
  note(
    `admin ${shortHex(addr.admin)} (2-day transfer delay), registrar ${shortHex(addr.registrar)}`,
  );
  note(`longest break-glass window ${duration(4 * HOUR)}`);

  heading("2. Onboard a hospital: five staff and two patients");
  const asRegistrar = ledger.connect(registrar);
  await send(
    `register organisation ${HOSPITAL_ORG_ID} (the hospital)`,
    "registerOrganization",
    () => asRegistrar.registerOrganization(HOSPITAL_ORG_ID),
  );
  const members: readonly [string, Role, number][] = [
    [addr.doctor, Role.Doctor, HOSPITAL_ORG_ID],
    [addr.nurse, Role.Nurse, HOSPITAL_ORG_ID],
    [addr.billing, Role.BillingClerk, HOSPITAL_ORG_ID],
    [addr.auditor, Role.Auditor, HOSPITAL_ORG_ID],
    [addr.responder, Role.EmergencyResponder, HOSPITAL_ORG_ID],
    [addr.patient1, Role.Patient, 0],
    [addr.patient2, Role.Patient, 0],
  ];
  for (const [account, role, orgId] of members) {
    // Each member publishes an X25519 public key for key wrapping; the secret key stays with them.
    const { publicKey } = generateMemberKeyPair();
    const who = role === Role.Patient ? nameOf(account) : roleLabel(role);
    const label = `onboard ${who} ${shortHex(account)}${orgId === 0 ? "" : ` (org ${orgId})`}`;
    await send(label, "onboardMember", () =>
      asRegistrar.onboardMember(account, role, orgId, encryptionKeyHex(publicKey)),
    );
  }

  heading("3. Patient 1 grants the doctor treatment access to labs and medications");
  const now = async (): Promise<number> => {
    const block = await provider?.getBlock("latest");
    if (block === null || block === undefined)
      throw new DemoExpectationError("cannot read the latest block");
    return block.timestamp;
  };
  const doctorCats = categoryMask(Category.Labs, Category.Medications);
  const doctorExpiry = (await now()) + 30 * DAY;
  await send(`patient 1 grants the doctor, ${duration(30 * DAY)}`, "grantConsent", () =>
    ledger
      .connect(patient1)
      .grantConsent(addr.doctor, doctorCats, purposeMask(Purpose.Treatment), doctorExpiry),
  );
  note(
    `categories [${categoryMaskLabel(doctorCats)}], purpose treatment, until ${isoTime(doctorExpiry)}`,
  );

  heading("4. The doctor anchors a lab result and opens it");
  const lab = await sealStep(seal, {
    patient: addr.patient1,
    category: Category.Labs,
    body: LAB_RESULT_BODY,
  });
  note(
    `sealed lab result off chain: ${lab.envelope.length}-byte envelope, hash ${shortHex(lab.contentHash)}`,
  );
  const asDoctor = ledger.connect(doctor);
  await send(`doctor anchors lab result ${shortHex(lab.contentHash)}`, "anchorRecord", () =>
    asDoctor.anchorRecord(addr.patient1, Category.Labs, lab.contentHash),
  );
  const doctorOpen = opened(
    ledger,
    await send("doctor opens it for treatment", "openRecord", () =>
      asDoctor.openRecord(lab.contentHash, Purpose.Treatment),
    ),
  );
  expectPath(doctorOpen, AccessPath.Consent, "the doctor's open");
  note(`RecordOpened: access path ${accessPathLabel(AccessPath.Consent)}`);

  heading("5. The nurse writes a medication update");
  const nurseExpiry = (await now()) + 30 * DAY;
  await send("patient 1 grants the nurse medications for treatment", "grantConsent", () =>
    ledger
      .connect(patient1)
      .grantConsent(
        addr.nurse,
        categoryMask(Category.Medications),
        purposeMask(Purpose.Treatment),
        nurseExpiry,
      ),
  );
  const med = await sealStep(seal, {
    patient: addr.patient1,
    category: Category.Medications,
    body: MEDICATION_UPDATE_BODY,
  });
  await send(`nurse anchors medication update ${shortHex(med.contentHash)}`, "anchorRecord", () =>
    ledger.connect(nurse).anchorRecord(addr.patient1, Category.Medications, med.contentHash),
  );
  const [medRecord, medAuthor] = await ledger.recordOf(med.contentHash);
  if (medAuthor !== addr.nurse || Number(medRecord.category) !== Category.Medications) {
    throw new DemoExpectationError("the medication record is not on chain as written by the nurse");
  }
  note(
    `on chain: ${categoryLabel(Number(medRecord.category))} record of patient 1, author ${nameOf(medAuthor)}`,
  );

  heading("6. The billing clerk tries to open the lab result");
  await expectRefusal(
    "billing clerk opens the lab result for payment",
    "billing clerk",
    "openRecord",
    "CategoryNotAllowedForRole",
    () => ledger.connect(billing).openRecord(lab.contentHash, Purpose.Payment),
  );

  heading("7. Patient 1 revokes the doctor; the doctor is refused");
  await send("patient 1 revokes the doctor's consent", "revokeConsent", () =>
    ledger.connect(patient1).revokeConsent(addr.doctor),
  );
  await expectRefusal(
    "doctor opens the lab result again",
    "doctor",
    "openRecord",
    "ConsentMissing",
    () => asDoctor.openRecord(lab.contentHash, Purpose.Treatment),
  );

  heading("8. Break-glass: the responder opens the lab result without consent");
  const asResponder = ledger.connect(responder);
  const justification = id(
    "unconscious patient in the emergency department; allergy and lab history needed",
  );
  const declared = findEvent(
    ledger,
    await send(`responder breaks the glass on patient 1 for ${duration(HOUR)}`, "breakGlass", () =>
      asResponder.breakGlass(addr.patient1, justification, HOUR),
    ),
    "BreakGlassDeclared",
  );
  const incidentId = BigInt(declared.args.getValue("incidentId") as bigint);
  note(`incident #${incidentId}, justification hash ${shortHex(justification)}`);
  const responderOpen = opened(
    ledger,
    await send("responder opens the lab result for emergency treatment", "openRecord", () =>
      asResponder.openRecord(lab.contentHash, Purpose.Emergency),
    ),
  );
  expectPath(responderOpen, AccessPath.BreakGlass, "the responder's open");
  note(`RecordOpened: access path ${accessPathLabel(AccessPath.BreakGlass)} (flagged for review)`);
  await send(`auditor reviews incident #${incidentId}: justified`, "reviewBreakGlass", () =>
    ledger
      .connect(auditor)
      .reviewBreakGlass(incidentId, ReviewVerdict.Justified, id("review notes: justified")),
  );

  heading("9. The auditor checks the trail");
  const audit = await verifyAuditTrail(ledger, { fromBlock: deployment.deploymentBlock });
  const rows = audit.entries.map((e, i) => {
    const r = auditRow(e, nameOf);
    return [String(i + 1), r.block, r.action, r.patient, r.actor, r.detail, r.flag];
  });
  log(indent(textTable(["#", "block", "event", "patient", "by", "detail", "flag"], rows)));
  log("");
  note(`global head recomputed from ${audit.entries.length} events: ${audit.globalHead}`);
  note(`global head on chain (auditHead()):   ${audit.onChainHead}`);
  for (const [patient, head] of Object.entries(audit.patientHeads)) {
    const same = audit.onChainPatientHeads[patient] === head ? "matches" : "DIFFERS from";
    note(`${nameOf(patient)} head ${shortHex(head)} ${same} patientAuditHead()`);
  }
  const patient2Head = await ledger.patientAuditHead(addr.patient2);
  note(`patient 2 has no entries; head on chain ${shortHex(patient2Head)}`);
  const expectedActions = [
    "RecordOpened",
    "BreakGlassDeclared",
    "RecordOpened",
    "BreakGlassReviewed",
  ];
  const actions = audit.entries.map((e) => e.action);
  if (actions.join() !== expectedActions.join()) {
    throw new DemoExpectationError(
      `audit trail should be ${expectedActions.join(", ")}, got ${actions.join(", ")}`,
    );
  }
  if (!audit.matchesChain) {
    throw new DemoExpectationError(
      `the audit head recomputed from the events (${audit.globalHead}) differs from the chain (${audit.onChainHead})`,
    );
  }
  if (BigInt(patient2Head) !== 0n)
    throw new DemoExpectationError("patient 2's audit head should still be zero");
  log("  ✓ the trail is complete and unedited: recomputed heads equal the heads on chain");

  heading("Gas per operation");
  log(indent(textTable(["operation", "calls", "gas used"], gasByFunction(steps))));
  log("");
  log(
    `Demo complete: ${steps.length} transactions, ${refusals.length} refusals as expected, audit trail verified.`,
  );

  return {
    address: deployment.address,
    deploymentBlock: deployment.deploymentBlock,
    steps,
    refusals,
    labRecordId: lab.contentHash,
    medicationRecordId: med.contentHash,
    incidentId,
    audit,
  };
}

/**
 * Run `action`, a transaction that must be refused with access-denial `expected`; returns the decoded
 * refusal, or throws {@link DemoExpectationError} if it succeeds or fails any other way.
 */
export async function expectAccessDenied(
  label: string,
  expected: ContractErrorName,
  functionName: string,
  action: () => Promise<ContractTransactionResponse>,
): Promise<AccessDeniedError> {
  let outcome: unknown;
  try {
    await (await action()).wait();
  } catch (err) {
    outcome = err;
  }
  if (outcome === undefined)
    throw new DemoExpectationError(`"${label}" should be refused, but it succeeded`);
  const decoded = decodeContractError(outcome, undefined, { functionName });
  if (!(decoded instanceof AccessDeniedError) || decoded.errorName !== expected) {
    const got =
      decoded === undefined ? asError(outcome).message : `${decoded.name}: ${decoded.message}`;
    throw new DemoExpectationError(`"${label}" should be refused with ${expected}, got ${got}`, {
      cause: decoded ?? outcome,
    });
  }
  return decoded;
}

/** Seal a record (stand-in or real envelope encryption) and check the result has the right shape. */
async function sealStep(seal: SealRecord, record: DemoRecord): Promise<SealedRecord> {
  const sealed = await seal(record);
  if (!/^0x[0-9a-fA-F]{64}$/.test(sealed.contentHash) || BigInt(sealed.contentHash) === 0n) {
    throw new DemoExpectationError(
      `sealing produced an invalid content hash ${sealed.contentHash}`,
    );
  }
  return sealed;
}

function findEvent(ledger: CareLedger, receipt: TransactionReceipt, name: string): LogDescription {
  for (const log of receipt.logs) {
    const parsed = ledger.interface.parseLog({ topics: [...log.topics], data: log.data });
    if (parsed !== null && parsed.name === name) return parsed;
  }
  throw new DemoExpectationError(`transaction ${shortHex(receipt.hash)} emitted no ${name} event`);
}

function expectPath(event: LogDescription, expected: AccessPath, what: string): void {
  const path = Number(event.args.getValue("path"));
  if (path !== expected) {
    throw new DemoExpectationError(
      `${what} should take path ${accessPathLabel(expected)}, took ${accessPathLabel(path)} (purpose ${purposeLabel(Number(event.args.getValue("purpose")))})`,
    );
  }
}

/** One row per contract function: calls and gas (a range when calls differ). */
function gasByFunction(steps: readonly DemoStep[]): string[][] {
  const byFunction = new Map<string, bigint[]>();
  for (const step of steps)
    byFunction.set(step.functionName, [...(byFunction.get(step.functionName) ?? []), step.gasUsed]);
  return [...byFunction].map(([fn, gas]) => {
    const min = gas.reduce((x, y) => (y < x ? y : x));
    const max = gas.reduce((x, y) => (y > x ? y : x));
    const fmt = (g: bigint): string => g.toLocaleString("en-US");
    return [fn, String(gas.length), min === max ? fmt(min) : `${fmt(min)} – ${fmt(max)}`];
  });
}

function indent(text: string): string {
  return text
    .split("\n")
    .map((l) => `  ${l}`)
    .join("\n");
}

function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}
