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
  type ConsentSpec,
  type MemberSpec,
  type World,
  type WorldOptions,
  buildWorld,
} from "./world.js";
import {
  CATEGORIES,
  CLINIC_ORG_ID,
  CONSENT_LIFETIME,
  type CategoryIndex,
  CategoryMask,
  HOSPITAL_ORG_ID,
  PurposeMask,
  Role,
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

/** The core world: the named accounts, the hospital and the clinic, and the members of `MEMBER_SPECS`. */
export const CORE_WORLD = {
  actors: ACTOR_NAMES,
  admin: "admin",
  registrar: "registrar",
  orgs: [HOSPITAL_ORG_ID, CLINIC_ORG_ID],
  members: MEMBER_SPECS,
  publicKey: encryptionKeyFor,
} as const satisfies WorldOptions<ActorName>;

/**
 * Deploy CareLedger (admin, 2-day admin-transfer delay, a registrar, 4 h break-glass cap), register the
 * hospital (org 1) and a clinic (org 2), and onboard a doctor, a nurse, a billing clerk, an auditor, an
 * emergency responder, two patients and a doctor who is then deactivated. No consent, no records.
 */
export async function deployCareLedgerFixture(
  connection: NetworkConnection,
): Promise<CareLedgerFixture> {
  const world = await buildWorld(await connection.ethers.getSigners(), {
    ...CORE_WORLD,
    increaseTime: (seconds) => connection.networkHelpers.time.increase(seconds),
  });
  return coreFixture(connection, world);
}

function coreFixture(
  connection: NetworkConnection,
  world: World<ActorName, HardhatEthersSigner>,
): CareLedgerFixture {
  const { ledger, signers: actors, spare } = world;
  return { connection, ledger, ...actors, actors, spare };
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
  let consentExpiresAt = 0;
  const everything = { categories: CategoryMask.ALL, purposes: PurposeMask.ALL };
  const world = await buildWorld(await connection.ethers.getSigners(), {
    ...CORE_WORLD,
    increaseTime: (seconds) => connection.networkHelpers.time.increase(seconds),
    consents: (now) => {
      consentExpiresAt = now + CONSENT_LIFETIME;
      const grant = (patient: ActorName, grantee: ActorName): ConsentSpec<ActorName> => ({
        patient,
        grantee,
        ...everything,
        expiresAt: consentExpiresAt,
      });
      return [
        ...ACTOR_NAMES.filter((name) => name !== "patient").map((name) => grant("patient", name)),
        grant("otherPatient", "doctor"),
      ];
    },
    records: CATEGORIES.map((category) => ({
      patient: "patient",
      category,
      hash: perCategoryHash("patient", category),
    })),
  });
  const records = Object.fromEntries(
    CATEGORIES.map((category, i) => [category, world.recordIds[i]]),
  ) as Record<CategoryIndex, string>;
  return { ...coreFixture(connection, world), consentExpiresAt, records };
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
