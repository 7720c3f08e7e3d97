/**
 * The CareLedger demo scenario (issues 2, 3 and 4), as a function so `scripts/demo.ts` prints it and a
 * test runs it against a fresh in-process network. Records are real: FHIR-like JSON sealed in CLE1
 * envelopes for their readers, kept in a filesystem blob store, anchored by hash, opened through the
 * audited transaction and decrypted by the SDK clients, re-keyed when the patient revokes, and read in
 * an emergency by a break-glass responder whose key the emergency key custodian releases because of
 * the audited open. It
 * throws a {@link DemoExpectationError} the moment anything differs from the story: a call that should
 * pass reverts, a refusal that should happen does not, a decrypted body differs from the one sealed, or
 * the audit trail recomputed from the events differs from the heads on chain.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import cliProgress from "cli-progress";
import type { ContractTransactionResponse, Signer, TransactionReceipt } from "ethers";
import { id, keccak256, randomBytes } from "ethers";
import type { SignedConsentDemoResult } from "../consent/demo.js";
import { signedConsentDemoStep } from "../consent/demo.js";
import { openEnvelope } from "../crypto/envelope.js";
import { NotAReaderError } from "../crypto/errors.js";
import { generateMemberKeyPair, type MemberKeyPair } from "../crypto/keys.js";
import { CareLedgerError } from "../errors.js";
import type { AuditVerification } from "../sdk/audit.js";
import { auditRow } from "../sdk/audit.js";
import { recordIdOf } from "../sdk/recordId.js";
import { AdminClient } from "../sdk/clients/admin.js";
import { AuditorClient } from "../sdk/clients/auditor.js";
import type { SentTransaction } from "../sdk/clients/base.js";
import { ClinicianClient } from "../sdk/clients/clinician.js";
import {
  EmergencyKeyCustodian,
  MemoryReleaseLog,
  reconcileReleases,
  type ReleaseLogEntry,
} from "../sdk/clients/custodian.js";
import { PatientClient } from "../sdk/clients/patient.js";
import type { AnchoredRecord, RecordReader, RotatedRecord } from "../sdk/clients/records.js";
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
  purposeMaskLabel,
  roleLabel,
} from "../sdk/constants.js";
import { deployCareLedger } from "../sdk/deploy.js";
import type { ContractErrorName } from "../sdk/errors.js";
import { AccessDeniedError, decodeContractError } from "../sdk/errors.js";
import { duration, isoTime, shortHex, textTable } from "../sdk/format.js";
import type { BlobStore } from "../store/blob-store.js";
import { FsBlobStore } from "../store/fs.js";

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

/** A sealed record and the id it is anchored under, `keccak256(abi.encode(patient, contentHash))`. */
interface AnchoredSealedRecord extends SealedRecord {
  readonly recordId: string;
}

/** Turns a record into its envelope and content hash (a stand-in for the SDK's envelope encryption). */
export type SealRecord = (record: DemoRecord) => Promise<SealedRecord>;

/**
 * A stand-in for envelope encryption: 160 random bytes in place of the envelope, hashed with keccak256.
 * The body is not used, so nothing of it can leak into the chain. Pass it as `seal` to run the demo
 * without encryption (anchors and audited opens only).
 */
export const standInSeal: SealRecord = () => {
  const envelope = randomBytes(160);
  return Promise.resolve({ envelope, contentHash: keccak256(envelope) });
};

/** Options of {@link runDemo}. */
export interface DemoOptions {
  /**
   * At least 11 funded signers: governance admin, registrar (who also relays signed consent for the
   * clinic), doctor, nurse, billing clerk, auditor, emergency responder, patient 1, patient 2, a minor
   * patient and the minor's guardian (in this order).
   */
  readonly signers: readonly Signer[];
  /** Where output lines go. Default `console.log`; pass `() => {}` for silence. */
  readonly log?: (line: string) => void;
  /**
   * Replace the SDK's envelope encryption by this sealing step (e.g. {@link standInSeal}): records are
   * then anchored as sealed and opened on chain only, nothing is decrypted and revocation does not
   * rotate. Default: real CLE1 envelopes through the SDK clients.
   */
  readonly seal?: SealRecord;
  /** Where envelopes are stored. Default: a filesystem store in a temporary directory, removed at the end. */
  readonly store?: BlobStore;
  /** Show a progress bar (on stderr) while records are rotated. Default: when logging to a terminal. */
  readonly progress?: boolean;
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

/** An encrypted record the demo stored, and what reading it back showed. */
export interface DemoEncryptedRecord {
  readonly label: string;
  readonly recordId: string;
  /** keccak256 of the envelope: the blob store's key. */
  readonly contentHash: string;
  /** The version it supersedes (zero hash for a new record). */
  readonly supersedes: string;
  readonly envelopeSize: number;
  /** Member accounts holding a wrapped key. */
  readonly readers: readonly string[];
  /** The emergency key custodian holds a wrapped key too (for break-glass release). */
  readonly custodian: boolean;
  /** Every read of it in the demo decrypted to exactly the body sealed. */
  readonly decryptedMatches: boolean;
}

/** What the demo did, for a test to check. */
export interface DemoResult {
  readonly address: string;
  readonly deploymentBlock: number;
  readonly steps: readonly DemoStep[];
  readonly refusals: readonly DemoRefusal[];
  /** The lab result as first anchored (superseded by its rotation when encryption is on). */
  readonly labRecordId: string;
  readonly medicationRecordId: string;
  readonly incidentId: bigint;
  readonly audit: AuditVerification;
  /** Whether records were really encrypted (false with a custom `seal`). */
  readonly encrypted: boolean;
  /** The encrypted records and their versions, in the order stored (empty with a custom `seal`). */
  readonly records: readonly DemoEncryptedRecord[];
  /**
   * The emergency key custodian's release log: one entry per key released to a break-glass responder
   * (empty with a custom `seal`).
   */
  readonly keyReleases: readonly ReleaseLogEntry[];
  /** Blob store reads attempted by refused opens (0: nothing is fetched before the chain allows it). */
  readonly fetchesByRefusedOpens: number;
  /** The signed-consent step: patient 2's relayed grant, the minor's guardian. */
  readonly signedConsent: SignedConsentDemoResult;
}

/** Something in the demo did not go as the scenario says. */
export class DemoExpectationError extends CareLedgerError {
  override readonly name: string = "DemoExpectationError";

  constructor(message: string, options: { readonly cause?: unknown } = {}) {
    super(message, "DEMO_EXPECTATION", options);
  }
}

const DAY = 24 * 60 * 60;
const HOUR = 60 * 60;
const HOSPITAL_ORG_ID = 1;
const SIGNERS_NEEDED = 11;

/** The demo's lab result: a FHIR R4 Observation (serum glucose, LOINC 2345-7). */
export const LAB_RESULT_BODY = JSON.stringify({
  resourceType: "Observation",
  status: "final",
  code: {
    coding: [
      { system: "http://loinc.org", code: "2345-7", display: "Glucose [Mass/volume] in Serum" },
    ],
  },
  valueQuantity: { value: 95, unit: "mg/dL" },
});

/** The demo's medication update: a FHIR R4 MedicationStatement. */
export const MEDICATION_UPDATE_BODY = JSON.stringify({
  resourceType: "MedicationStatement",
  status: "active",
  medicationCodeableConcept: { text: "metformin 500 mg" },
  dosage: [{ text: "twice daily with meals" }],
});

/** A blob store that counts reads, to show refused opens fetch nothing. */
class CountingStore implements BlobStore {
  gets = 0;
  constructor(private readonly inner: BlobStore) {}
  put(bytes: Uint8Array): Promise<`0x${string}`> {
    return this.inner.put(bytes);
  }
  get(hash: string): Promise<Uint8Array> {
    this.gets++;
    return this.inner.get(hash);
  }
  has(hash: string): Promise<boolean> {
    return this.inner.has(hash);
  }
}

/**
 * Run the scenario and return what happened; throws {@link DemoExpectationError} on any deviation.
 * The default blob store's temporary directory is removed afterwards, whatever happens.
 */
export async function runDemo(options: DemoOptions): Promise<DemoResult> {
  if (options.store !== undefined) return runScenario(options, options.store);
  const dir = await mkdtemp(join(tmpdir(), "careledger-demo-"));
  try {
    return await runScenario(options, new FsBlobStore(dir, { fsync: false }));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function runScenario(options: DemoOptions, backing: BlobStore): Promise<DemoResult> {
  const log = options.log ?? ((line: string) => console.log(line));
  const encrypted = options.seal === undefined;
  const seal = options.seal ?? standInSeal;
  const showProgress = options.progress ?? (options.log === undefined && process.stderr.isTTY);
  if (options.signers.length < SIGNERS_NEEDED) {
    throw new DemoExpectationError(
      `the demo needs ${SIGNERS_NEEDED} signers, got ${options.signers.length}`,
    );
  }
  const [
    admin,
    registrar,
    doctor,
    nurse,
    billing,
    auditor,
    responder,
    patient1,
    patient2,
    minor,
    guardian,
  ] = options.signers as [
    Signer,
    Signer,
    Signer,
    Signer,
    Signer,
    Signer,
    Signer,
    Signer,
    Signer,
    Signer,
    Signer,
  ];
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
    minor: await minor.getAddress(),
    guardian: await guardian.getAddress(),
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
    [addr.minor, "minor"],
    [addr.guardian, "guardian"],
  ]);
  const nameOf = (account: string): string => names.get(account) ?? shortHex(account);
  const namesOf = (accounts: readonly (string | undefined)[]): string =>
    accounts.map((a) => (a === undefined ? "?" : nameOf(a))).join(", ");
  const readerNames = (readers: readonly RecordReader[]): string =>
    readers
      .map((r) => (r.role === "custodian" ? "custodian" : nameOf(r.account ?? "?")))
      .join(", ");

  const steps: DemoStep[] = [];
  const refusals: DemoRefusal[] = [];
  const records: DemoEncryptedRecord[] = [];
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
  const failure = (label: string, functionName: string, err: unknown): DemoExpectationError => {
    const decoded = decodeContractError(err, undefined, { functionName });
    return new DemoExpectationError(
      `"${label}" should succeed but failed: ${(decoded ?? asError(err)).message}`,
      { cause: decoded ?? err },
    );
  };

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
      throw failure(label, functionName, err);
    }
    if (receipt === null) throw new DemoExpectationError(`"${label}" produced no receipt`);
    done(label, functionName, receipt.gasUsed);
    return receipt;
  };

  /** Run an SDK client call that must succeed (its transactions are logged by the caller). */
  const attempt = async <T>(
    what: string,
    functionName: string,
    action: () => Promise<T>,
  ): Promise<T> => {
    try {
      return await action();
    } catch (err) {
      throw failure(what, functionName, err);
    }
  };

  /** An SDK client call whose one transaction must succeed; logs it as a step. */
  const sendVia = async (
    label: string,
    action: () => Promise<SentTransaction>,
  ): Promise<SentTransaction> => {
    const tx = await attempt(label, "", action);
    done(label, tx.functionName, tx.gasUsed);
    return tx;
  };

  /** Something that must be refused with `expected`; returns the decoded refusal. */
  const expectRefusal = async (
    label: string,
    who: string,
    functionName: string,
    expected: ContractErrorName,
    action: () => Promise<unknown>,
  ): Promise<AccessDeniedError> => {
    const decoded = await expectDenied(label, expected, functionName, action);
    refusals.push({ who, errorName: decoded.errorName, message: decoded.message });
    log(`  ✗ ${label}: refused, as expected`);
    note(`${decoded.errorName}: ${decoded.message}`);
    const known = [...names].filter(([account]) => decoded.message.includes(shortHex(account)));
    if (known.length > 0)
      note(`(${known.map(([account, name]) => `${shortHex(account)} = ${name}`).join(", ")})`);
    return decoded;
  };

  /** Check a decrypted body against the one sealed. */
  const expectBody = (what: string, actual: string, expected: string): void => {
    if (actual !== expected) {
      throw new DemoExpectationError(`${what} decrypted to a different body than the one sealed`);
    }
  };
  const storedRecord = (
    label: string,
    anchored: AnchoredRecord,
    decryptedMatches: boolean,
  ): DemoEncryptedRecord => {
    const record: DemoEncryptedRecord = {
      label,
      recordId: anchored.recordId,
      contentHash: anchored.contentHash,
      supersedes: anchored.supersedes,
      envelopeSize: anchored.envelopeSize,
      readers: anchored.readers.filter((r) => r.role !== "custodian").map((r) => r.account ?? "?"),
      custodian: anchored.readers.some((r) => r.role === "custodian"),
      decryptedMatches,
    };
    records.push(record);
    return record;
  };

  // ------------------------------------------------------------------------------------------
  const provider = admin.provider;
  const chainId = provider === null ? "?" : (await provider.getNetwork()).chainId.toString();
  log(
    `CareLedger demo: one hospital, two patients, encrypted records, consent, refusals, break-glass and audit (chain ${chainId})`,
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
  const store = new CountingStore(backing);
  if (encrypted) {
    const where = backing instanceof FsBlobStore ? `filesystem at ${backing.root}` : "as given";
    note(`blob store for encrypted envelopes: ${where}`);
  } else {
    note("records are sealed by a stand-in: anchors and audited opens only, nothing decrypted");
  }

  heading("2. Onboard a hospital: five staff and two patients");
  const asRegistrar = await AdminClient.connect({ ledger, signer: registrar });
  await sendVia(`register organisation ${HOSPITAL_ORG_ID} (the hospital)`, () =>
    asRegistrar.registerOrganization(HOSPITAL_ORG_ID),
  );
  const members: readonly [Signer, string, Role, number][] = [
    [doctor, addr.doctor, Role.Doctor, HOSPITAL_ORG_ID],
    [nurse, addr.nurse, Role.Nurse, HOSPITAL_ORG_ID],
    [billing, addr.billing, Role.BillingClerk, HOSPITAL_ORG_ID],
    [auditor, addr.auditor, Role.Auditor, HOSPITAL_ORG_ID],
    [responder, addr.responder, Role.EmergencyResponder, HOSPITAL_ORG_ID],
    [patient1, addr.patient1, Role.Patient, 0],
    [patient2, addr.patient2, Role.Patient, 0],
  ];
  const keysOf = new Map<string, MemberKeyPair>();
  for (const [, account, role, orgId] of members) {
    // Each member publishes an X25519 public key for key wrapping; the secret key stays with them.
    const keys = generateMemberKeyPair();
    keysOf.set(account, keys);
    const who = role === Role.Patient ? nameOf(account) : roleLabel(role);
    const label = `onboard ${who} ${shortHex(account)}${orgId === 0 ? "" : ` (org ${orgId})`}`;
    await sendVia(label, () =>
      asRegistrar.onboardMember({ account, role, orgId, publicKey: keys.publicKey }),
    );
  }
  // The hospital's emergency key custodian: a service with its own X25519 key pair (a key file in
  // production) that writers wrap every envelope for, and that releases a record key to a responder
  // only because of an audited break-glass open on chain, checked on its own provider.
  let custodian: EmergencyKeyCustodian | undefined;
  if (encrypted) {
    if (provider === null) throw new DemoExpectationError("the admin signer has no provider");
    custodian = new EmergencyKeyCustodian({
      ledgerAddress: deployment.address,
      provider,
      store,
      keys: generateMemberKeyPair(),
      log: new MemoryReleaseLog(),
    });
    note(
      `emergency key custodian ${shortHex(custodian.publicKey)}: wrapped into every envelope, releases keys only for audited break-glass opens`,
    );
  }
  const base = {
    ledger,
    store,
    fromBlock: deployment.deploymentBlock,
    ...(custodian === undefined ? {} : { emergencyCustodian: { publicKey: custodian.publicKey } }),
  };
  const clinician = (signer: Signer, account: string): Promise<ClinicianClient> =>
    ClinicianClient.connect({ ...base, signer, keys: keysOf.get(account) as MemberKeyPair });
  const asDoctor = await clinician(doctor, addr.doctor);
  const asNurse = await clinician(nurse, addr.nurse);
  const asBilling = await clinician(billing, addr.billing);
  const asResponder = await clinician(responder, addr.responder);
  const asPatient1 = await PatientClient.connect({
    ...base,
    signer: patient1,
    keys: keysOf.get(addr.patient1) as MemberKeyPair,
  });
  const asAuditor = await AuditorClient.connect({ ...base, signer: auditor });

  heading("3. Patient 1 grants the doctor treatment access to labs and medications");
  const now = async (): Promise<number> => {
    const block = await provider?.getBlock("latest");
    if (block === null || block === undefined)
      throw new DemoExpectationError("cannot read the latest block");
    return block.timestamp;
  };
  const doctorCats = [Category.Labs, Category.Medications] as const;
  const doctorExpiry = (await now()) + 30 * DAY;
  await sendVia(`patient 1 grants the doctor, ${duration(30 * DAY)}`, () =>
    asPatient1.grantConsent(addr.doctor, {
      categories: doctorCats,
      purposes: [Purpose.Treatment],
      expiresAt: doctorExpiry,
    }),
  );
  note(
    `categories [${categoryMaskLabel(categoryMask(...doctorCats))}], purpose treatment, until ${isoTime(doctorExpiry)}`,
  );

  heading("4. The doctor anchors a lab result and opens it");
  const labRecord: DemoRecord = {
    patient: addr.patient1,
    category: Category.Labs,
    body: LAB_RESULT_BODY,
  };
  let lab: AnchoredSealedRecord & { readonly anchored?: AnchoredRecord };
  if (encrypted) {
    const anchored = await attempt("doctor anchors lab result", "anchorRecord", () =>
      asDoctor.createRecord(labRecord.patient, labRecord.category, labRecord.body),
    );
    lab = {
      envelope: await backing.get(anchored.contentHash),
      contentHash: anchored.contentHash,
      recordId: anchored.recordId,
      anchored,
    };
    note(
      `sealed a FHIR Observation (LOINC 2345-7) of ${labRecord.body.length} bytes in a ${anchored.envelopeSize}-byte envelope for ${readerNames(anchored.readers)}`,
    );
    note(
      `stored off chain under content hash ${shortHex(anchored.contentHash)}; record id ${shortHex(anchored.recordId)} = keccak256(patient, content hash)`,
    );
    done(
      `doctor anchors lab result ${shortHex(anchored.recordId)}`,
      "anchorRecord",
      anchored.transaction.gasUsed,
    );
  } else {
    lab = await sealStep(seal, labRecord, addr.patient1);
    note(
      `sealed lab result off chain: ${lab.envelope.length}-byte envelope, hash ${shortHex(lab.contentHash)}`,
    );
    await send(`doctor anchors lab result ${shortHex(lab.contentHash)}`, "anchorRecord", () =>
      ledger.connect(doctor).anchorRecord(addr.patient1, Category.Labs, lab.contentHash),
    );
  }
  const doctorOpen = encrypted
    ? await attempt("doctor opens it for treatment", "openRecord", () =>
        asDoctor.openRecord(lab.recordId, Purpose.Treatment),
      )
    : undefined;
  const doctorAccess =
    doctorOpen?.access ??
    (await attempt("doctor opens it for treatment", "openRecord", () =>
      asDoctor.auditOpen(lab.recordId, Purpose.Treatment),
    ));
  done("doctor opens it for treatment", "openRecord", doctorAccess.transaction.gasUsed);
  expectPath(doctorAccess.path, doctorAccess.purpose, AccessPath.Consent, "the doctor's open");
  note(`RecordOpened: access path ${accessPathLabel(AccessPath.Consent)}`);
  if (doctorOpen !== undefined && lab.anchored !== undefined) {
    const text = doctorOpen.text();
    expectBody("the doctor's open", text, LAB_RESULT_BODY);
    note(
      `fetched ${doctorOpen.envelopeSize} bytes, hash equals the record id on chain, key unwrapped with the doctor's X25519 key`,
    );
    note(`decrypted: ${describeObservation(text)}; matches the body sealed`);
    storedRecord("lab result", lab.anchored, true);
  }

  heading("5. The nurse writes a medication update");
  const nurseExpiry = (await now()) + 30 * DAY;
  await sendVia("patient 1 grants the nurse medications for treatment", () =>
    asPatient1.grantConsent(addr.nurse, {
      categories: [Category.Medications],
      purposes: [Purpose.Treatment],
      expiresAt: nurseExpiry,
    }),
  );
  const medRecord: DemoRecord = {
    patient: addr.patient1,
    category: Category.Medications,
    body: MEDICATION_UPDATE_BODY,
  };
  let med: AnchoredSealedRecord;
  if (encrypted) {
    const anchored = await attempt("nurse anchors medication update", "anchorRecord", () =>
      asNurse.createRecord(medRecord.patient, medRecord.category, medRecord.body),
    );
    med = {
      envelope: await backing.get(anchored.contentHash),
      contentHash: anchored.contentHash,
      recordId: anchored.recordId,
    };
    done(
      `nurse anchors medication update ${shortHex(anchored.recordId)}`,
      "anchorRecord",
      anchored.transaction.gasUsed,
    );
    note(
      `${anchored.envelopeSize}-byte envelope for ${readerNames(anchored.readers)} (the doctor's grant covers medications)`,
    );
    const read = await attempt("patient 1 reads the medication update", "", () =>
      asPatient1.openRecord(anchored.recordId),
    );
    expectBody("patient 1's read", read.text(), MEDICATION_UPDATE_BODY);
    note("patient 1 reads it with the patient's own key (no transaction): matches the body sealed");
    storedRecord("medication update", anchored, true);
  } else {
    med = await sealStep(seal, medRecord, addr.patient1);
    await send(`nurse anchors medication update ${shortHex(med.contentHash)}`, "anchorRecord", () =>
      ledger.connect(nurse).anchorRecord(addr.patient1, Category.Medications, med.contentHash),
    );
  }
  const [medOnChain, medAuthor] = await ledger.recordOf(med.recordId);
  if (medAuthor !== addr.nurse || Number(medOnChain.category) !== Category.Medications) {
    throw new DemoExpectationError("the medication record is not on chain as written by the nurse");
  }
  note(
    `on chain: ${categoryLabel(Number(medOnChain.category))} record of patient 1, author ${nameOf(medAuthor)}`,
  );

  heading("6. The billing clerk tries to open the lab result");
  const fetchesBefore = store.gets;
  await expectRefusal(
    "billing clerk opens the lab result for payment",
    "billing clerk",
    "openRecord",
    "CategoryNotAllowedForRole",
    () => asBilling.openRecord(lab.recordId, Purpose.Payment),
  );
  let fetchesByRefusedOpens = store.gets - fetchesBefore;
  note(
    `blob store reads for the refused open: ${fetchesByRefusedOpens} (nothing fetched, nothing decrypted)`,
  );

  heading("7. Patient 1 revokes the doctor; the doctor is refused");
  let rotations: readonly RotatedRecord[] = [];
  if (encrypted) {
    const bar = showProgress
      ? new cliProgress.SingleBar(
          { stream: process.stderr, format: "    rotating {bar} {value}/{total} records" },
          cliProgress.Presets.shades_classic,
        )
      : undefined;
    let started = false;
    const result = await attempt("patient 1 revokes the doctor and rotates", "revokeConsent", () =>
      asPatient1.revokeAndRotate(addr.doctor, {
        onProgress: (doneCount, total) => {
          if (bar === undefined) return;
          if (!started) bar.start(total, 0);
          started = true;
          bar.update(doneCount);
        },
      }),
    );
    bar?.stop();
    if (result.revocation === undefined || result.failed.length > 0) {
      throw new DemoExpectationError(
        `revoke and rotate should revoke and rotate every record, failed: ${result.failed.map((f) => f.error.message).join("; ")}`,
      );
    }
    done("patient 1 revokes the doctor's consent", "revokeConsent", result.revocation.gasUsed);
    rotations = result.rotated;
    for (const rotated of rotations) {
      const what = rotated.supersedes === lab.recordId ? "lab result" : "medication update";
      done(
        `patient 1 rotates the ${what} to ${shortHex(rotated.recordId)}`,
        "amendRecord",
        rotated.transaction.gasUsed,
      );
      note(
        `new data key, new ${rotated.envelopeSize}-byte envelope for ${readerNames(rotated.readers)}; doctor's key removed`,
      );
    }
    if (rotations.length !== 2) {
      throw new DemoExpectationError(
        `the doctor could read 2 records, ${rotations.length} were rotated`,
      );
    }
  } else {
    await sendVia("patient 1 revokes the doctor's consent", () =>
      asPatient1.revokeConsent(addr.doctor),
    );
  }
  const fetchesBeforeDoctor = store.gets;
  await expectRefusal(
    "doctor opens the lab result again",
    "doctor",
    "openRecord",
    "ConsentMissing",
    () => asDoctor.openRecord(lab.recordId, Purpose.Treatment),
  );
  fetchesByRefusedOpens += store.gets - fetchesBeforeDoctor;
  const rotatedLab = rotations.find((r) => r.supersedes === lab.recordId);
  if (rotatedLab !== undefined && lab.anchored !== undefined) {
    // The doctor kept its X25519 key: it opens the old envelope, but not the rotated one.
    const newEnvelope = await backing.get(rotatedLab.contentHash);
    const doctorKey = (keysOf.get(addr.doctor) as MemberKeyPair).privateKey;
    if (!opensWith(lab.envelope, doctorKey) || opensWith(newEnvelope, doctorKey)) {
      throw new DemoExpectationError("the doctor's key should open the old lab envelope only");
    }
    note("the doctor's cached key still opens the old envelope, and nothing in the rotated one");
    for (const rotated of rotations) {
      const isLab = rotated === rotatedLab;
      const read = await attempt("patient 1 reads the rotated versions", "", () =>
        asPatient1.openRecord(rotated.recordId),
      );
      expectBody(
        "patient 1's read of a rotated version",
        read.text(),
        isLab ? LAB_RESULT_BODY : MEDICATION_UPDATE_BODY,
      );
      storedRecord(`${isLab ? "lab result" : "medication update"} (rotated)`, rotated, true);
    }
    note("patient 1 reads both rotated versions: they match the bodies sealed");
  }

  heading("8. Break-glass: the responder opens the lab result without consent");
  // A member breaks the glass only a warm-up after it was onboarded (so a registrar alone cannot mint
  // emergency access); the demo's responder joined minutes ago, so the demo lets that time pass.
  const { breakGlassWarmup } = await ledger.limits();
  const rpc = provider as unknown as { send(method: string, params: unknown[]): Promise<unknown> };
  if (breakGlassWarmup > 0n && provider !== null && typeof rpc.send === "function") {
    await rpc.send("evm_increaseTime", [Number(breakGlassWarmup)]);
    await rpc.send("evm_mine", []);
    note(
      `${duration(Number(breakGlassWarmup))} pass: the responder's break-glass warm-up since onboarding`,
    );
  }
  const justification = id(
    "unconscious patient in the emergency department; allergy and lab history needed",
  );
  const declared = await attempt(
    `responder breaks the glass on patient 1 for ${duration(HOUR)}`,
    "breakGlass",
    () => asResponder.breakGlass(addr.patient1, justification, HOUR),
  );
  done(
    `responder breaks the glass on patient 1 for ${duration(HOUR)}`,
    "breakGlass",
    declared.transaction.gasUsed,
  );
  const incidentId = declared.incidentId;
  note(`incident #${incidentId}, justification hash ${shortHex(justification)}`);
  // With encryption the responder reads the current version of the lab result (the rotated one)
  // through the custodian; without, the open is audited only.
  const emergencyRead =
    custodian === undefined
      ? undefined
      : await attempt(
          "responder opens the lab result for emergency treatment",
          "openRecord",
          async () =>
            asResponder.openRecordInEmergency(
              await asResponder.latestVersionOf(lab.recordId),
              custodian,
            ),
        );
  const responderOpen =
    emergencyRead?.access ??
    (await attempt("responder opens the lab result for emergency treatment", "openRecord", () =>
      asResponder.auditOpen(lab.recordId, Purpose.Emergency),
    ));
  done(
    "responder opens the lab result for emergency treatment",
    "openRecord",
    responderOpen.transaction.gasUsed,
  );
  expectPath(
    responderOpen.path,
    responderOpen.purpose,
    AccessPath.BreakGlass,
    "the responder's open",
  );
  note(`RecordOpened: access path ${accessPathLabel(AccessPath.BreakGlass)} (flagged for review)`);
  if (emergencyRead !== undefined) {
    const release = emergencyRead.release;
    if (release === undefined || release.incidentId !== incidentId) {
      throw new DemoExpectationError("the custodian should release the key under the incident");
    }
    const text = emergencyRead.text();
    expectBody("the responder's emergency read", text, LAB_RESULT_BODY);
    note(
      `no key for a responder in version ${shortHex(emergencyRead.recordId)}: asked the emergency key custodian`,
    );
    note(
      `key released because of tx ${release.openTxHash} (break-glass RecordOpened by the responder, incident #${release.incidentId}, window open until ${isoTime(release.windowExpiresAt)})`,
    );
    note(
      "released copy = anchored envelope + one key for the responder: same header and body ciphertext, checked",
    );
    note(`decrypted: ${describeObservation(text)}; the body matches the one sealed`);
  }
  const pending = await asAuditor.pendingIncidents();
  note(
    `pending review: ${pending.map((i) => `incident #${i.incidentId} (${i.opens.length} flagged open)`).join(", ")}`,
  );
  await sendVia(`auditor reviews incident #${incidentId}: justified`, () =>
    asAuditor.review(incidentId, ReviewVerdict.Justified, id("review notes: justified")),
  );

  heading("9. The auditor checks the trail");
  const audit = await asAuditor.verifyTrail();
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
  const keyReleases = custodian === undefined ? [] : await custodian.releases();
  if (custodian !== undefined) {
    // Every key the custodian released must answer one flagged open of the trail.
    const reconciled = reconcileReleases(keyReleases, audit.entries);
    if (
      keyReleases.length !== 1 ||
      reconciled.matched.length !== keyReleases.length ||
      reconciled.unmatched.length + reconciled.duplicates.length > 0
    ) {
      throw new DemoExpectationError(
        `the custodian's release log (${keyReleases.length} entries) should match one break-glass open`,
      );
    }
    for (const { release, open } of reconciled.matched) {
      note(
        `custodian release log: key of ${shortHex(release.recordId)} to ${nameOf(release.responder)} for open tx ${shortHex(release.openTxHash)} = trail entry in block ${open.blockNumber}`,
      );
    }
    log("  ✓ every key the custodian released matches a flagged open in the trail");
  }

  heading("10. Consent without gas: a signed grant, and a guardian for a minor");
  await sendVia(`onboard minor ${shortHex(addr.minor)}`, () =>
    asRegistrar.onboardMember({
      account: addr.minor,
      role: Role.Patient,
      orgId: 0,
      publicKey: generateMemberKeyPair().publicKey,
    }),
  );
  const signedConsent = await attempt("signed consent", "grantWithSig", () =>
    signedConsentDemoStep(
      ledger,
      { patient: patient2, relayer: registrar, doctor: addr.doctor, guardian, minor },
      { log: note },
    ),
  );
  const { patientGrant, delegation, guardianGrant } = signedConsent;
  done(
    "clinic relays patient 2's signed grant to the doctor",
    "grantWithSig",
    patientGrant.gasUsed,
  );
  done("minor appoints a guardian", "appointDelegate", delegation.gasUsed);
  done(
    "clinic relays the guardian's signed grant for the minor",
    "grantWithSig",
    guardianGrant.gasUsed,
  );
  if (patientGrant.patientPaidGas) {
    throw new DemoExpectationError("patient 2 should pay no gas for a relayed grant");
  }
  note(
    `patient 2 paid no gas (balance ${patientGrant.patientBalanceBefore} wei before and after); the clinic paid`,
  );
  const minorGrant = await ledger.consentOf(addr.minor, addr.doctor);
  if (Number(minorGrant.categories) !== guardianGrant.categories) {
    throw new DemoExpectationError("the guardian's grant for the minor is not on chain");
  }
  note(
    `the minor's consent on chain: [${categoryMaskLabel(guardianGrant.categories)}] for [${purposeMaskLabel(guardianGrant.purposes)}], signed by the guardian`,
  );

  heading("Gas per operation");
  log(indent(textTable(["operation", "calls", "gas used"], gasByFunction(steps))));
  if (encrypted) {
    log("");
    log("Encrypted records (envelopes off chain, hashes on chain)");
    log(
      indent(
        textTable(
          ["record", "record id (content hash)", "envelope", "readers", "decrypted = sealed"],
          records.map((r) => [
            r.label,
            r.recordId,
            `${r.envelopeSize} B`,
            `${namesOf(r.readers)}${r.custodian ? ", custodian" : ""}`,
            r.decryptedMatches ? "yes" : "-",
          ]),
        ),
      ),
    );
  }
  log("");
  log(
    `Demo complete: ${steps.length} transactions, ${refusals.length} refusals as expected, audit trail verified.`,
  );

  return {
    address: deployment.address,
    deploymentBlock: deployment.deploymentBlock,
    steps,
    refusals,
    labRecordId: lab.recordId,
    medicationRecordId: med.recordId,
    incidentId,
    audit,
    encrypted,
    records,
    keyReleases,
    fetchesByRefusedOpens,
    signedConsent,
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
  return expectDenied(label, expected, functionName, async () => (await action()).wait());
}

/** {@link expectAccessDenied} for any call (a transaction, an SDK client method). */
async function expectDenied(
  label: string,
  expected: ContractErrorName,
  functionName: string,
  action: () => Promise<unknown>,
): Promise<AccessDeniedError> {
  let outcome: unknown;
  try {
    await action();
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

/**
 * Seal a record of `patient` (stand-in or real envelope encryption), check the result has the right
 * shape, and derive the id it is anchored under.
 */
async function sealStep(
  seal: SealRecord,
  record: DemoRecord,
  patient: string,
): Promise<AnchoredSealedRecord> {
  const sealed = await seal(record);
  if (!/^0x[0-9a-fA-F]{64}$/.test(sealed.contentHash) || BigInt(sealed.contentHash) === 0n) {
    throw new DemoExpectationError(
      `sealing produced an invalid content hash ${sealed.contentHash}`,
    );
  }
  return { ...sealed, recordId: recordIdOf(patient, sealed.contentHash) };
}

function expectPath(path: AccessPath, purpose: Purpose, expected: AccessPath, what: string): void {
  if (path !== expected) {
    throw new DemoExpectationError(
      `${what} should take path ${accessPathLabel(expected)}, took ${accessPathLabel(path)} (purpose ${purposeLabel(purpose)})`,
    );
  }
}

/** Whether `privateKey` holds a wrapped key in `envelope` (and it opens). */
function opensWith(envelope: Uint8Array, privateKey: Uint8Array): boolean {
  try {
    openEnvelope(envelope, privateKey).body.fill(0);
    return true;
  } catch (err) {
    if (err instanceof NotAReaderError) return false;
    throw err;
  }
}

/** "Glucose [Mass/volume] in Serum (LOINC 2345-7) = 95 mg/dL" from a decrypted Observation. */
function describeObservation(text: string): string {
  const o = JSON.parse(text) as {
    code?: { coding?: { code?: string; display?: string }[] };
    valueQuantity?: { value?: number; unit?: string };
  };
  const coding = o.code?.coding?.[0];
  const value = o.valueQuantity;
  return `${coding?.display ?? "?"} (LOINC ${coding?.code ?? "?"}) = ${value?.value ?? "?"} ${value?.unit ?? ""}`.trim();
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
