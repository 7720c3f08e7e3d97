/**
 * The benchmark's chain state: one CareLedger and the actors that use it, on any ethers signer set
 * (Hardhat's in-process network or an out-of-process node).
 *
 * The setup is deterministic (same accounts, same deployment address, same ids), so the gas of every
 * measured operation is the same on every run: the regression guard depends on that.
 */
import type { Provider, Signer, TypedDataDomain } from "ethers";
import { GRANT_CONSENT_TYPES } from "../../src/consent/typedData.js";
import {
  ALL_PURPOSES,
  CLINICAL_CATEGORIES,
  Category,
  DEFAULT_ROLE_POLICIES,
  Purpose,
  Role,
  categoryMask,
  purposeMask,
} from "../../src/sdk/constants.js";
import type { CareLedger } from "../../typechain-types/index.js";
import { buildWorld, mined } from "../../test/helpers/index.js";
import { recordIdOf } from "../../src/sdk/recordId.js";
import { freshHash } from "./ids.js";

export { Category, Purpose, Role, mined };

/** The category and purpose sets the bench grants, narrows to and toggles. */
export const Masks = {
  clinical: CLINICAL_CATEGORIES,
  labs: categoryMask(Category.Labs),
  allPurposes: ALL_PURPOSES,
  treatmentAndPayment: purposeMask(Purpose.Treatment, Purpose.Payment),
  /** The default nurse read set and the same plus imaging: the two values `setRolePolicy` alternates. */
  nurseRead: DEFAULT_ROLE_POLICIES[Role.Nurse].read,
  nurseReadWithImaging: DEFAULT_ROLE_POLICIES[Role.Nurse].read | categoryMask(Category.Imaging),
  nurseWrite: DEFAULT_ROLE_POLICIES[Role.Nurse].write,
} as const;

/**
 * Far-future times, fixed so calldata never depends on the clock (2033 and 2034). The bench ledger raises the
 * consent and signature limits to their 10-year maximum so these stay within them.
 */
export const FAR_EXPIRY = 2_000_000_000;
export const FARTHER_EXPIRY = 2_050_000_000;
export const SIGNATURE_DEADLINE = 2_000_000_000n;
/** The longest consent duration and signature lifetime governance may set (10 years). */
export const MAX_LIMIT = 3650 * 24 * 3600;
export const HOSPITAL_ORG_ID = 1;
export const BREAK_GLASS_MAX_DURATION = 4 * 3600;
export const BREAK_GLASS_DURATION = 3600;

export interface BenchActors {
  readonly admin: Signer;
  readonly registrar: Signer;
  readonly patient: Signer;
  readonly doctor: Signer;
  readonly auditor: Signer;
  readonly responder: Signer;
  /** Submits signed grants and bulk batches it does not sign itself. */
  readonly relayer: Signer;
}

export interface BenchLedger {
  readonly ledger: CareLedger;
  readonly provider: Provider;
  readonly actors: BenchActors;
  readonly addresses: { readonly [K in keyof BenchActors]: string };
  readonly domain: TypedDataDomain;
  /** A current record of `actors.patient`, anchored by `actors.doctor`, that the opens read. */
  readonly record0: string;
  /** Source of fresh ids: every measurement and bulk step takes the next numbers. */
  readonly sequence: { next: number };
}

/** The grant a patient signs for `grantWithSig` (the patient signs: `signer` is the patient). */
export interface SignedGrant {
  readonly patient: string;
  readonly signer: string;
  readonly grantee: string;
  readonly categories: number;
  readonly purposes: number;
  readonly expiresAt: number;
  /** `consentOf(patient, grantee).epoch` (0 for a grantee never granted directly). */
  readonly epoch: number;
  /** In the patient's lane 0: `nonces(patient, patient, 0)`. */
  readonly nonce: bigint;
  readonly deadline: bigint;
}

/** Sign `grant` as EIP-712 typed data; the signer must be the patient. */
export async function signGrant(
  signer: Signer,
  domain: TypedDataDomain,
  grant: SignedGrant,
): Promise<string> {
  return signer.signTypedData(domain, GRANT_CONSENT_TYPES, { ...grant });
}

/**
 * `grantWithSig` arguments: patient, grantee, categories, purposes, expiresAt, epoch, nonce, deadline, signer,
 * signature.
 */
export type GrantWithSigArgs = [
  string,
  string,
  number,
  number,
  number,
  number,
  bigint,
  bigint,
  string,
  string,
];

/** `grantWithSig` arguments for `grant` signed by its patient. */
export function grantWithSigArgs(grant: SignedGrant, signature: string): GrantWithSigArgs {
  return [
    grant.patient,
    grant.grantee,
    grant.categories,
    grant.purposes,
    grant.expiresAt,
    grant.epoch,
    grant.nonce,
    grant.deadline,
    grant.signer,
    signature,
  ];
}

/**
 * Deploy CareLedger and set up the actors: an organisation, a patient, a doctor with the patient's
 * consent, an auditor, an emergency responder; one earlier signed grant of the patient (so the next is a
 * "later" signature) and one record. No record is opened yet: both audit heads are zero.
 * `signers` needs 7 funded accounts.
 */
export async function setUpBench(signers: readonly Signer[]): Promise<BenchLedger> {
  if (signers.length < 7) throw new RangeError("setUpBench needs 7 signers");
  const world = await buildWorld(signers, {
    actors: ["admin", "registrar", "patient", "doctor", "auditor", "responder", "relayer"],
    admin: "admin",
    registrar: "registrar",
    // The bench measures gas, not policy: widest limits and no break-glass warm-up (see FAR_EXPIRY).
    limits: { maxConsentDuration: MAX_LIMIT, maxSignatureLifetime: MAX_LIMIT, breakGlassWarmup: 0 },
    orgs: [HOSPITAL_ORG_ID],
    members: {
      patient: { role: Role.Patient, orgId: 0 },
      doctor: { role: Role.Doctor, orgId: HOSPITAL_ORG_ID },
      auditor: { role: Role.Auditor, orgId: HOSPITAL_ORG_ID },
      responder: { role: Role.EmergencyResponder, orgId: HOSPITAL_ORG_ID },
    },
    publicKey: (_name, i) => freshHash("bench.fixture.key", i),
    consents: () => [
      {
        patient: "patient",
        grantee: "doctor",
        categories: Masks.clinical,
        purposes: Masks.allPurposes,
        expiresAt: FAR_EXPIRY,
      },
    ],
  });
  const { ledger, addresses } = world;
  const actors: BenchActors = world.signers;
  const { patient, doctor, relayer } = actors;
  const provider = ledger.runner?.provider;
  if (provider == null) throw new RangeError("the signers have no provider");
  const address = await ledger.getAddress();
  const { chainId } = await provider.getNetwork();
  const domain: TypedDataDomain = {
    name: "CareLedger",
    version: "1",
    chainId,
    verifyingContract: address,
  };
  const sequence = { next: 0 };
  const earlier: SignedGrant = {
    patient: addresses.patient,
    signer: addresses.patient,
    grantee: addresses.auditor,
    categories: Masks.clinical,
    purposes: Masks.treatmentAndPayment,
    expiresAt: FAR_EXPIRY,
    epoch: 0,
    nonce: 0n,
    deadline: SIGNATURE_DEADLINE,
  };
  const signature = await signGrant(patient, domain, earlier);
  await mined(
    "earlier signed grant",
    ledger.connect(relayer).grantWithSig(...grantWithSigArgs(earlier, signature)),
  );
  const record0Hash = freshHash("bench.fixture.record", 0);
  await mined(
    "anchor record0",
    ledger.connect(doctor).anchorRecord(addresses.patient, Category.Labs, record0Hash),
  );
  const record0 = recordIdOf(addresses.patient, record0Hash);
  return { ledger, provider, actors, addresses, domain, record0, sequence };
}
