/**
 * What the demo scenario takes and returns: its options, the records it seals, the steps, refusals and
 * encrypted records it reports, and the error it throws the moment anything differs from the story.
 */
import type { Signer } from "ethers";
import { keccak256, randomBytes } from "ethers";
import { CareLedgerError } from "../../src/errors.js";
import type {
  AuditVerification,
  Category,
  ContractErrorName,
  ReleaseLogEntry,
} from "../../src/sdk/index.js";
import type { BlobStore } from "../../src/store/index.js";
import type { SignedConsentDemoResult } from "./signed-consent.js";

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
export interface AnchoredSealedRecord extends SealedRecord {
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

/** Options of `runDemo`. */
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

export const DAY = 24 * 60 * 60;
export const HOUR = 60 * 60;
export const HOSPITAL_ORG_ID = 1;
export const SIGNERS_NEEDED = 11;

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
