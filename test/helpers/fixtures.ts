/**
 * Shared `loadFixture` fixtures for the TypeScript tests of CareLedger.
 *
 * Usage (the fixture receives the connection from `loadFixture`, so it works with any connection):
 *
 *   const { ethers, networkHelpers } = await network.create();
 *   const f = await networkHelpers.loadFixture(deployCareLedgerFixture);
 *   await f.ledger.connect(f.doctor).openRecord(id, Purpose.Treatment);
 */
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";
import { AbiCoder, id, keccak256 } from "ethers";
import type { NetworkConnection } from "hardhat/types/network";
import type { CareLedger } from "../../typechain-types/index.js";
import {
  ADMIN_TRANSFER_DELAY,
  BREAK_GLASS_MAX_DURATION,
  BREAK_GLASS_WARMUP,
  CATEGORIES,
  CLINIC_ORG_ID,
  CONSENT_LIFETIME,
  type CategoryIndex,
  CategoryMask,
  HOSPITAL_ORG_ID,
  PurposeMask,
  Role,
  type RoleIndex,
} from "./constants.js";

/** Every named account of the fixture. */
export const ACTOR_NAMES = [
  "admin",
  "registrar",
  "doctor",
  "nurse",
  "billingClerk",
  "auditor",
  "responder",
  "patient",
  "otherPatient",
  "outsider",
  "deactivatedDoctor",
] as const;
export type ActorName = (typeof ACTOR_NAMES)[number];

/** How the fixture onboards a member: role, organisation (0: none) and whether it ends up deactivated. */
export interface MemberSpec {
  readonly role: RoleIndex;
  readonly orgId: number;
  readonly active: boolean;
}

/**
 * The members the fixture onboards, in onboarding order (so member ids are 1, 2, 3, … in this order).
 * `admin`, `registrar` and `outsider` are not members.
 */
export const MEMBER_SPECS = {
  doctor: { role: Role.Doctor, orgId: HOSPITAL_ORG_ID, active: true },
  nurse: { role: Role.Nurse, orgId: HOSPITAL_ORG_ID, active: true },
  billingClerk: { role: Role.BillingClerk, orgId: HOSPITAL_ORG_ID, active: true },
  auditor: { role: Role.Auditor, orgId: HOSPITAL_ORG_ID, active: true },
  responder: { role: Role.EmergencyResponder, orgId: HOSPITAL_ORG_ID, active: true },
  patient: { role: Role.Patient, orgId: 0, active: true },
  otherPatient: { role: Role.Patient, orgId: HOSPITAL_ORG_ID, active: true },
  deactivatedDoctor: { role: Role.Doctor, orgId: HOSPITAL_ORG_ID, active: false },
} as const satisfies Partial<Record<ActorName, MemberSpec>>;
export type MemberName = keyof typeof MEMBER_SPECS;
export const MEMBER_NAMES = Object.keys(MEMBER_SPECS) as MemberName[];

/** The X25519 public key the fixture publishes for a member (any non-zero 32 bytes will do on chain). */
export function encryptionKeyFor(name: string): string {
  return id(`careledger.test.x25519:${name}`);
}

/** A stand-in for the hash of an encrypted record envelope. */
export function contentHash(label: string): string {
  return id(`careledger.test.envelope:${label}`);
}

/** The id of `patient`'s record version with envelope hash `hash`: `keccak256(abi.encode(patient, hash))`. */
export function recordIdOf(patient: string, hash: string): string {
  return keccak256(AbiCoder.defaultAbiCoder().encode(["address", "bytes32"], [patient, hash]));
}

/** A stand-in for a hash of an off-chain document (break-glass justification, review notes). */
export function documentHash(label: string): string {
  return id(`careledger.test.document:${label}`);
}

export interface CareLedgerFixture {
  readonly connection: NetworkConnection;
  readonly ledger: CareLedger;
  /** Governance: `DEFAULT_ADMIN_ROLE`, not a member. */
  readonly admin: HardhatEthersSigner;
  /** Holds `REGISTRAR_ROLE`, not a member. */
  readonly registrar: HardhatEthersSigner;
  readonly doctor: HardhatEthersSigner;
  readonly nurse: HardhatEthersSigner;
  readonly billingClerk: HardhatEthersSigner;
  readonly auditor: HardhatEthersSigner;
  readonly responder: HardhatEthersSigner;
  /** An active patient with no organisation. */
  readonly patient: HardhatEthersSigner;
  /** An active patient of the hospital organisation. */
  readonly otherPatient: HardhatEthersSigner;
  /** Never onboarded. */
  readonly outsider: HardhatEthersSigner;
  /** A doctor onboarded then deactivated. */
  readonly deactivatedDoctor: HardhatEthersSigner;
  /** Every named account by name. */
  readonly actors: Readonly<Record<ActorName, HardhatEthersSigner>>;
  /** Funded accounts the fixture did not use (for new members, new admins, …). */
  readonly spare: readonly HardhatEthersSigner[];
}

/**
 * Deploy CareLedger (admin, 2-day admin-transfer delay, a registrar, 4 h break-glass cap), register the
 * hospital (org 1) and a clinic (org 2), and onboard a doctor, a nurse, a billing clerk, an auditor, an
 * emergency responder, two patients and a doctor who is then deactivated. No consent, no records.
 */
export async function deployCareLedgerFixture(
  connection: NetworkConnection,
): Promise<CareLedgerFixture> {
  const signers = await connection.ethers.getSigners();
  const named = signers.slice(0, ACTOR_NAMES.length);
  if (named.length < ACTOR_NAMES.length) throw new Error(`need ${ACTOR_NAMES.length} signers`);
  const actors = Object.fromEntries(ACTOR_NAMES.map((name, i) => [name, named[i]])) as Record<
    ActorName,
    HardhatEthersSigner
  >;

  const ledger = await connection.ethers.deployContract(
    "CareLedger",
    [
      actors.admin.address,
      ADMIN_TRANSFER_DELAY,
      actors.registrar.address,
      BREAK_GLASS_MAX_DURATION,
    ],
    actors.admin,
  );
  const asRegistrar = ledger.connect(actors.registrar);
  await asRegistrar.registerOrganization(HOSPITAL_ORG_ID);
  await asRegistrar.registerOrganization(CLINIC_ORG_ID);
  for (const name of MEMBER_NAMES) {
    const spec: MemberSpec = MEMBER_SPECS[name];
    await asRegistrar.onboardMember(
      actors[name].address,
      spec.role,
      spec.orgId,
      encryptionKeyFor(name),
    );
  }
  for (const name of MEMBER_NAMES) {
    if (!MEMBER_SPECS[name].active) await asRegistrar.setMemberActive(actors[name].address, false);
  }
  // Past the break-glass warm-up of every member onboarded above.
  await connection.networkHelpers.time.increase(BREAK_GLASS_WARMUP);

  return { connection, ledger, ...actors, actors, spare: signers.slice(ACTOR_NAMES.length) };
}

export interface ConsentedRecordsFixture extends CareLedgerFixture {
  /** Expiry of every grant the fixture gave. */
  readonly consentExpiresAt: number;
  /** One current record of `patient` per category, anchored by the patient, by category index. */
  readonly records: Readonly<Record<CategoryIndex, string>>;
}

/**
 * `deployCareLedgerFixture`, then:
 * - `patient` grants EVERY other named account (all staff, `otherPatient`, `outsider`, `deactivatedDoctor`,
 *   `admin`, `registrar`) all categories for all purposes for 30 days, so only membership and role policy
 *   decide what they may do;
 * - `otherPatient` grants `doctor` the same;
 * - `patient` anchors one record of each category.
 */
export async function deployConsentedRecordsFixture(
  connection: NetworkConnection,
): Promise<ConsentedRecordsFixture> {
  const base = await deployCareLedgerFixture(connection);
  const { ledger, patient, otherPatient, doctor, actors } = base;
  const consentExpiresAt = (await connection.networkHelpers.time.latest()) + CONSENT_LIFETIME;

  const asPatient = ledger.connect(patient);
  for (const name of ACTOR_NAMES) {
    if (name === "patient") continue;
    await asPatient.grantConsent(
      actors[name].address,
      CategoryMask.ALL,
      PurposeMask.ALL,
      consentExpiresAt,
    );
  }
  await ledger
    .connect(otherPatient)
    .grantConsent(doctor.address, CategoryMask.ALL, PurposeMask.ALL, consentExpiresAt);

  const records = await anchorOnePerCategory(ledger, patient, "patient");
  return { ...base, consentExpiresAt, records };
}

/** The envelope hash behind `anchorOnePerCategory(…, label)`'s record of `category`. */
export function perCategoryHash(label: string, category: CategoryIndex): string {
  return contentHash(`${label}/category-${category}/v1`);
}

/**
 * `author` anchors one record of `patient` per category (the patient themself by default), with content
 * hashes derived from `label`; returns the record ids by category index.
 */
export async function anchorOnePerCategory(
  ledger: CareLedger,
  patient: HardhatEthersSigner,
  label: string,
  author: HardhatEthersSigner = patient,
): Promise<Record<CategoryIndex, string>> {
  const records = {} as Record<CategoryIndex, string>;
  for (const category of CATEGORIES) {
    const hash = perCategoryHash(label, category);
    records[category] = recordIdOf(patient.address, hash);
    await ledger.connect(author).anchorRecord(patient.address, category, hash);
  }
  return records;
}
