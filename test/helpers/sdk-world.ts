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
import {
  generateMemberKeyPair,
  type MemberKeyPair,
  type StreamCipherSuite,
} from "../../src/crypto/index.js";
import {
  AdminClient,
  AuditorClient,
  Category,
  ClinicianClient,
  EmergencyKeyCustodian,
  MemoryReleaseLog,
  PatientClient,
  type ReleaseLog,
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

/** What every client of a world shares: the ledger, where its logs start, the store and options. */
export interface ClientBase {
  readonly ledger: CareLedger;
  readonly fromBlock: number;
  readonly store: BlobStore;
  readonly streamSuite?: StreamCipherSuite;
  readonly emergencyCustodian?: { readonly publicKey: string };
}

/** Connects a world's accounts as SDK clients on `base`. */
export interface ClientConnector {
  patient(name: "patient" | "patient2"): Promise<PatientClient>;
  clinician(name: ClientClinicianName): Promise<ClinicianClient>;
  auditor(): Promise<AuditorClient>;
  admin(name: "admin" | "registrar"): Promise<AdminClient>;
}

export function clientConnector(w: ClientsWorld, base: ClientBase): ClientConnector {
  return {
    patient: (name) =>
      PatientClient.connect({ ...base, signer: w.signers[name], keys: w.keys[name] }),
    clinician: (name) =>
      ClinicianClient.connect({ ...base, signer: w.signers[name], keys: w.keys[name] }),
    auditor: () => AuditorClient.connect({ ...base, signer: w.signers.auditor }),
    admin: (name) => AdminClient.connect({ ...base, signer: w.signers[name] }),
  };
}

/** A client of every kind for the world's members, all on `store`. */
export async function connectClients(w: ClientsWorld, store: BlobStore): Promise<Clients> {
  const connect = clientConnector(w, { ledger: w.ledger, fromBlock: w.deploymentBlock, store });
  return {
    patient: await connect.patient("patient"),
    patient2: await connect.patient("patient2"),
    doctor: await connect.clinician("doctor"),
    doctor2: await connect.clinician("doctor2"),
    nurse: await connect.clinician("nurse"),
    billing: await connect.clinician("billing"),
    responder: await connect.clinician("responder"),
    auditor: await connect.auditor(),
    registrar: await connect.admin("registrar"),
    admin: await connect.admin("admin"),
  };
}

/** The clients world and the key pair of an emergency key custodian (its service's key file). */
export interface CustodianWorld {
  readonly w: ClientsWorld;
  readonly custodianKeys: MemberKeyPair;
}

export async function deployCustodianWorld(connection: NetworkConnection): Promise<CustodianWorld> {
  return { w: await deployClientsWorld(connection), custodianKeys: generateMemberKeyPair() };
}

export interface WithCustodian {
  readonly custodian: EmergencyKeyCustodian;
  /** Clients whose writers wrap each record key for the custodian too. */
  readonly connect: ClientConnector;
}

/** A custodian over `store` on the network's provider, and clients that write for it. */
export async function withCustodian(
  connection: NetworkConnection,
  { w, custodianKeys }: CustodianWorld,
  store: BlobStore,
  options: { readonly log?: ReleaseLog; readonly streamSuite?: StreamCipherSuite } = {},
): Promise<WithCustodian> {
  const custodian = new EmergencyKeyCustodian({
    ledgerAddress: await w.ledger.getAddress(),
    provider: connection.ethers.provider,
    store,
    keys: custodianKeys,
    log: options.log ?? new MemoryReleaseLog(),
  });
  const connect = clientConnector(w, {
    ledger: w.ledger,
    fromBlock: w.deploymentBlock,
    store,
    ...(options.streamSuite === undefined ? {} : { streamSuite: options.streamSuite }),
    emergencyCustodian: { publicKey: custodian.publicKey },
  });
  return { custodian, connect };
}
