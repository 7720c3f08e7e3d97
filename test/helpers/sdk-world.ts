/**
 * The worlds of the SDK tests, built by `buildWorld` (world.ts):
 * - `deploySdkWorld`: a hospital with a doctor, a nurse, a billing clerk, an auditor, an emergency
 *   responder, a deactivated doctor, two patients and an outsider, plus a labs and a medications record
 *   of patient 1 anchored by the patient;
 * - `deployClientsWorld`: a hospital whose members publish REAL X25519 keys, and `connectClients`, the SDK
 *   clients of every kind on top of it.
 */
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";
import { hexlify, id } from "ethers";
import type { NetworkConnection } from "hardhat/types/network";
import { generateMemberKeyPair, type MemberKeyPair } from "../../src/crypto/index.js";
import {
  AdminClient,
  AuditorClient,
  Category,
  ClinicianClient,
  PatientClient,
  Role,
} from "../../src/sdk/index.js";
import type { BlobStore } from "../../src/store/index.js";
import type { CareLedger } from "../../typechain-types/index.js";
import { buildWorld } from "./world.js";

export const HOSPITAL = 1;
export const BREAK_GLASS_MAX = 4 * 60 * 60;

export interface SdkWorld {
  readonly ledger: CareLedger;
  readonly deploymentBlock: number;
  readonly admin: HardhatEthersSigner;
  readonly registrar: HardhatEthersSigner;
  readonly doctor: HardhatEthersSigner;
  readonly nurse: HardhatEthersSigner;
  readonly billing: HardhatEthersSigner;
  readonly auditor: HardhatEthersSigner;
  readonly responder: HardhatEthersSigner;
  readonly formerDoctor: HardhatEthersSigner;
  readonly patient: HardhatEthersSigner;
  readonly patient2: HardhatEthersSigner;
  readonly outsider: HardhatEthersSigner;
  /** Labs record of `patient` (its id). */
  readonly lab: string;
  /** The envelope hash the labs record was anchored with. */
  readonly labHash: string;
  /** Medications record of `patient`. */
  readonly meds: string;
}

/** A stand-in content hash for a label. */
export function hashOf(label: string): string {
  return id(`careledger.sdk-test:${label}`);
}

const SDK_ACTORS = [
  "admin",
  "registrar",
  "doctor",
  "nurse",
  "billing",
  "auditor",
  "responder",
  "formerDoctor",
  "patient",
  "patient2",
  "outsider",
] as const;

export async function deploySdkWorld(connection: NetworkConnection): Promise<SdkWorld> {
  const labHash = hashOf("lab");
  const medsHash = hashOf("meds");
  const staff = { orgId: HOSPITAL } as const;
  const world = await buildWorld(await connection.ethers.getSigners(), {
    actors: SDK_ACTORS,
    admin: "admin",
    registrar: "registrar",
    breakGlassMaxDuration: BREAK_GLASS_MAX,
    orgs: [HOSPITAL],
    members: {
      doctor: { role: Role.Doctor, ...staff },
      nurse: { role: Role.Nurse, ...staff },
      billing: { role: Role.BillingClerk, ...staff },
      auditor: { role: Role.Auditor, ...staff },
      responder: { role: Role.EmergencyResponder, ...staff },
      formerDoctor: { role: Role.Doctor, ...staff, active: false },
      patient: { role: Role.Patient, orgId: 0 },
      patient2: { role: Role.Patient, orgId: 0 },
    },
    publicKey: (name) => hashOf(`x25519:${name}`),
    increaseTime: (seconds) => connection.networkHelpers.time.increase(seconds),
    records: [
      { patient: "patient", category: Category.Labs, hash: labHash },
      { patient: "patient", category: Category.Medications, hash: medsHash },
    ],
  });
  const [lab = "", meds = ""] = world.recordIds;
  return {
    ...world.signers,
    ledger: world.ledger,
    deploymentBlock: world.deploymentBlock,
    lab,
    labHash,
    meds,
  };
}

const CLIENT_ACTORS = [
  "admin",
  "registrar",
  "doctor",
  "doctor2",
  "nurse",
  "billing",
  "auditor",
  "responder",
  "patient",
  "patient2",
  "outsider",
] as const;
export type ClientActor = (typeof CLIENT_ACTORS)[number];

/** Members and their roles (admin, registrar and outsider are not members). */
export const CLIENT_MEMBERS = {
  doctor: Role.Doctor,
  doctor2: Role.Doctor,
  nurse: Role.Nurse,
  billing: Role.BillingClerk,
  auditor: Role.Auditor,
  responder: Role.EmergencyResponder,
  patient: Role.Patient,
  patient2: Role.Patient,
} as const;
export type ClientMemberName = keyof typeof CLIENT_MEMBERS;
export type ClientClinicianName = "doctor" | "doctor2" | "nurse" | "billing" | "responder";

export interface ClientsWorld {
  readonly ledger: CareLedger;
  readonly deploymentBlock: number;
  readonly signers: Readonly<Record<ClientActor, HardhatEthersSigner>>;
  /** Each member's X25519 key pair; the public half is on chain. */
  readonly keys: Readonly<Record<ClientMemberName | "outsider", MemberKeyPair>>;
  /** Funded accounts not used by the world. */
  readonly spare: readonly HardhatEthersSigner[];
}

/** Deploy through the SDK and onboard every member with a fresh real X25519 key pair. */
export async function deployClientsWorld(connection: NetworkConnection): Promise<ClientsWorld> {
  const keys = Object.fromEntries(
    [...Object.keys(CLIENT_MEMBERS), "outsider"].map((name) => [name, generateMemberKeyPair()]),
  ) as Record<ClientMemberName | "outsider", MemberKeyPair>;
  const members = Object.fromEntries(
    Object.entries(CLIENT_MEMBERS).map(([name, role]) => [
      name,
      { role, orgId: role === Role.Patient ? 0 : HOSPITAL },
    ]),
  ) as Record<ClientMemberName, { role: Role; orgId: number }>;
  const world = await buildWorld(await connection.ethers.getSigners(), {
    actors: CLIENT_ACTORS,
    admin: "admin",
    registrar: "registrar",
    orgs: [HOSPITAL],
    members,
    publicKey: (name) => hexlify(keys[name as ClientMemberName].publicKey),
    increaseTime: (seconds) => connection.networkHelpers.time.increase(seconds),
  });
  const { ledger, deploymentBlock, signers, spare } = world;
  return { ledger, deploymentBlock, signers, keys, spare };
}

export interface Clients {
  readonly patient: PatientClient;
  readonly patient2: PatientClient;
  readonly doctor: ClinicianClient;
  readonly doctor2: ClinicianClient;
  readonly nurse: ClinicianClient;
  readonly billing: ClinicianClient;
  readonly responder: ClinicianClient;
  readonly auditor: AuditorClient;
  /** The registrar. */
  readonly registrar: AdminClient;
  /** The governance admin. */
  readonly admin: AdminClient;
}

/** A client of every kind for the world's members, all on `store`. */
export async function connectClients(w: ClientsWorld, store: BlobStore): Promise<Clients> {
  const base = { ledger: w.ledger, fromBlock: w.deploymentBlock };
  const clinician = (name: ClientClinicianName): Promise<ClinicianClient> =>
    ClinicianClient.connect({ ...base, signer: w.signers[name], store, keys: w.keys[name] });
  const patient = (name: "patient" | "patient2"): Promise<PatientClient> =>
    PatientClient.connect({ ...base, signer: w.signers[name], store, keys: w.keys[name] });
  return {
    patient: await patient("patient"),
    patient2: await patient("patient2"),
    doctor: await clinician("doctor"),
    doctor2: await clinician("doctor2"),
    nurse: await clinician("nurse"),
    billing: await clinician("billing"),
    responder: await clinician("responder"),
    auditor: await AuditorClient.connect({ ...base, signer: w.signers.auditor }),
    registrar: await AdminClient.connect({ ...base, signer: w.signers.registrar }),
    admin: await AdminClient.connect({ ...base, signer: w.signers.admin }),
  };
}
