/**
 * A small world for the SDK tests, deployed through the SDK's own `deployCareLedgerWithSigner`: a hospital with a
 * doctor, a nurse, a billing clerk, an auditor, an emergency responder, a deactivated doctor, two
 * patients and an outsider, plus a labs and a medications record of patient 1 anchored by the patient.
 */
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";
import { id } from "ethers";
import type { NetworkConnection } from "hardhat/types/network";
import type { CareLedger } from "../../typechain-types/index.js";
import { Category, Role } from "../../src/sdk/constants.js";
import { BREAK_GLASS_WARMUP } from "../helpers/constants.js";
import { deployCareLedgerWithSigner } from "../../src/sdk/deploy.js";
import { recordIdOf } from "../../src/sdk/recordId.js";

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

const ACTORS = [
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
type Actor = (typeof ACTORS)[number];

export async function deploySdkWorld(connection: NetworkConnection): Promise<SdkWorld> {
  const signers = await connection.ethers.getSigners();
  const a = Object.fromEntries(
    ACTORS.map((name, i) => {
      const signer = signers[i];
      if (signer === undefined) throw new Error(`the SDK tests need ${ACTORS.length} signers`);
      return [name, signer];
    }),
  ) as Record<Actor, HardhatEthersSigner>;

  const deployment = await deployCareLedgerWithSigner(a.admin, {
    registrar: a.registrar.address,
    breakGlassMaxDuration: BREAK_GLASS_MAX,
  });
  const ledger = deployment.contract;
  const asRegistrar = ledger.connect(a.registrar);
  await asRegistrar.registerOrganization(HOSPITAL);
  const members: readonly [Actor, Role, number][] = [
    ["doctor", Role.Doctor, HOSPITAL],
    ["nurse", Role.Nurse, HOSPITAL],
    ["billing", Role.BillingClerk, HOSPITAL],
    ["auditor", Role.Auditor, HOSPITAL],
    ["responder", Role.EmergencyResponder, HOSPITAL],
    ["formerDoctor", Role.Doctor, HOSPITAL],
    ["patient", Role.Patient, 0],
    ["patient2", Role.Patient, 0],
  ];
  for (const [name, role, org] of members) {
    await asRegistrar.onboardMember(a[name].address, role, org, hashOf(`x25519:${name}`));
  }
  await asRegistrar.setMemberActive(a.formerDoctor.address, false);
  // Past the break-glass warm-up of the members just onboarded.
  await connection.networkHelpers.time.increase(BREAK_GLASS_WARMUP);

  const labHash = hashOf("lab");
  const medsHash = hashOf("meds");
  const asPatient = ledger.connect(a.patient);
  await asPatient.anchorRecord(a.patient.address, Category.Labs, labHash);
  await asPatient.anchorRecord(a.patient.address, Category.Medications, medsHash);
  const lab = recordIdOf(a.patient.address, labHash);
  const meds = recordIdOf(a.patient.address, medsHash);
  return { ...a, ledger, deploymentBlock: deployment.deploymentBlock, lab, labHash, meds };
}
