/**
 * The signed-consent step of `npm run demo`: a patient grants consent without paying gas (signs off
 * chain, the clinic relays), then a guardian grants on behalf of a minor by signature.
 */
import { type Signer, getAddress } from "ethers";
import type { CareLedger } from "../../typechain-types/index.js";
import { prepareGrant, relayGrant, signGrant } from "../../src/consent/index.js";
import {
  Category,
  Purpose,
  categoryMask,
  categoryMaskLabel,
  purposeMask,
  purposeMaskLabel,
  shortHex,
} from "../../src/sdk/index.js";

/** The accounts of the step; `patient` and `minor` must be onboarded, active patients. */
export interface SignedConsentDemoAccounts {
  /** The patient who signs a grant off chain ("patient 2"). */
  readonly patient: Signer;
  /** The clinic account that relays signatures and pays the gas. */
  readonly relayer: Signer;
  /** The grantee of both grants. */
  readonly doctor: string;
  /** The guardian the minor appoints as delegate (need not be a member). */
  readonly guardian: Signer;
  /** The minor patient. */
  readonly minor: Signer;
}

/** Options of {@link signedConsentDemoStep}. */
export interface SignedConsentDemoOptions {
  /** Where to print progress; default `console.log`. */
  readonly log?: (line: string) => void;
  /** Lifetime of the grants, seconds; default 30 days. */
  readonly grantLifetime?: number;
  /** How long a signature may wait for relaying, seconds; default 1 hour. */
  readonly signatureLifetime?: number;
}

/** One transaction of the step. */
export interface DemoTransaction {
  readonly hash: string;
  readonly gasUsed: bigint;
}

/** A relayed grant. */
export interface DemoRelayedGrant extends DemoTransaction {
  readonly patient: string;
  readonly signer: string;
  readonly grantee: string;
  readonly categories: number;
  readonly purposes: number;
  readonly expiresAt: bigint;
  /** The patient nonce the signature used. */
  readonly nonce: bigint;
}

/** What the step did. */
export interface SignedConsentDemoResult {
  /** The patient's grant, signed by the patient and relayed by the clinic. */
  readonly patientGrant: DemoRelayedGrant & {
    readonly patientBalanceBefore: bigint;
    readonly patientBalanceAfter: bigint;
    /** False: the patient's balance did not change. */
    readonly patientPaidGas: boolean;
  };
  /** The minor appointing the guardian (a transaction of the minor's). */
  readonly delegation: DemoTransaction & { readonly scope: number; readonly expiresAt: bigint };
  /** The guardian's grant on the minor's behalf, signed by the guardian and relayed by the clinic. */
  readonly guardianGrant: DemoRelayedGrant;
}

const DAY = 24 * 60 * 60;

async function latestTime(ledger: CareLedger): Promise<bigint> {
  const block = await ledger.runner?.provider?.getBlock("latest");
  if (block == null) throw new Error("the CareLedger contract is not connected to a provider");
  return BigInt(block.timestamp);
}

/**
 * Run the step on `ledger` and return tx hashes and gas; the patient's balance is read before and after to
 * show the patient paid no gas.
 */
export async function signedConsentDemoStep(
  ledger: CareLedger,
  accounts: SignedConsentDemoAccounts,
  options: SignedConsentDemoOptions = {},
): Promise<SignedConsentDemoResult> {
  const log = options.log ?? ((line: string) => console.log(line));
  const lifetime = BigInt(options.grantLifetime ?? 30 * DAY);
  const window = BigInt(options.signatureLifetime ?? 60 * 60);
  const provider = accounts.patient.provider ?? ledger.runner?.provider;
  if (provider == null) throw new Error("the patient signer is not connected to a provider");
  const asRelayer = ledger.connect(accounts.relayer);
  const [patient, minor, guardian, relayer] = await Promise.all([
    accounts.patient.getAddress(),
    accounts.minor.getAddress(),
    accounts.guardian.getAddress(),
    accounts.relayer.getAddress(),
  ]);
  const doctor = getAddress(accounts.doctor);

  // 1. The patient signs a grant off chain; the clinic relays it and pays the gas.
  let now = await latestTime(ledger);
  const grantRequest = await prepareGrant(ledger, {
    patient: patient,
    grantee: doctor,
    categories: categoryMask(Category.Allergies, Category.Medications, Category.Labs),
    purposes: purposeMask(Purpose.Treatment),
    expiresAt: now + lifetime,
    deadline: now + window,
  });
  const signedGrant = await signGrant(accounts.patient, grantRequest);
  log(
    `patient ${shortHex(signedGrant.signer)} signed off chain: grant ${shortHex(doctor)} ` +
      `[${categoryMaskLabel(grantRequest.message.categories)}] for [${purposeMaskLabel(grantRequest.message.purposes)}] ` +
      `(nonce ${grantRequest.message.nonce})`,
  );
  const balanceBefore = await provider.getBalance(patient);
  const relayed = await relayGrant(asRelayer, signedGrant);
  const balanceAfter = await provider.getBalance(patient);
  log(
    `clinic ${shortHex(relayer)} relayed grantWithSig: tx ${shortHex(relayed.hash)}, gas ${relayed.gasUsed}; ` +
      `patient balance ${balanceBefore} -> ${balanceAfter} wei: ` +
      (balanceBefore === balanceAfter
        ? "the patient paid no gas"
        : "THE PATIENT'S BALANCE CHANGED"),
  );

  // 2. The minor appoints a guardian, who grants on the minor's behalf by signature.
  now = await latestTime(ledger);
  const scope = categoryMask(
    Category.Demographics,
    Category.Allergies,
    Category.Medications,
    Category.Vitals,
    Category.Labs,
    Category.Imaging,
    Category.ClinicalNotes,
  );
  const delegationExpiresAt = now + 365n * BigInt(DAY);
  const appointTx = await ledger
    .connect(accounts.minor)
    .appointDelegate(guardian, scope, delegationExpiresAt);
  const appointReceipt = await appointTx.wait();
  if (appointReceipt === null) throw new Error("appointDelegate was not mined");
  log(
    `minor ${shortHex(minor)} appointed guardian ${shortHex(guardian)} for [${categoryMaskLabel(scope)}]: ` +
      `tx ${shortHex(appointReceipt.hash)}, gas ${appointReceipt.gasUsed}`,
  );

  now = await latestTime(ledger);
  const guardianRequest = await prepareGrant(ledger, {
    patient: minor,
    signer: guardian,
    grantee: doctor,
    categories: categoryMask(Category.Allergies, Category.Medications, Category.Vitals),
    purposes: purposeMask(Purpose.Treatment, Purpose.Emergency),
    expiresAt: now + lifetime,
    deadline: now + window,
  });
  const signedByGuardian = await signGrant(accounts.guardian, guardianRequest);
  const guardianRelayed = await relayGrant(asRelayer, signedByGuardian);
  log(
    `guardian ${shortHex(signedByGuardian.signer)} signed for minor ${shortHex(minor)}: grant ${shortHex(doctor)} ` +
      `[${categoryMaskLabel(guardianRequest.message.categories)}] for [${purposeMaskLabel(guardianRequest.message.purposes)}]; ` +
      `relayed: tx ${shortHex(guardianRelayed.hash)}, gas ${guardianRelayed.gasUsed}`,
  );

  return {
    patientGrant: {
      hash: relayed.hash,
      gasUsed: relayed.gasUsed,
      patient: grantRequest.message.patient,
      signer: signedGrant.signer,
      grantee: doctor,
      categories: grantRequest.message.categories,
      purposes: grantRequest.message.purposes,
      expiresAt: grantRequest.message.expiresAt,
      nonce: grantRequest.message.nonce,
      patientBalanceBefore: balanceBefore,
      patientBalanceAfter: balanceAfter,
      patientPaidGas: balanceBefore !== balanceAfter,
    },
    delegation: {
      hash: appointReceipt.hash,
      gasUsed: appointReceipt.gasUsed,
      scope,
      expiresAt: delegationExpiresAt,
    },
    guardianGrant: {
      hash: guardianRelayed.hash,
      gasUsed: guardianRelayed.gasUsed,
      patient: guardianRequest.message.patient,
      signer: signedByGuardian.signer,
      grantee: doctor,
      categories: guardianRequest.message.categories,
      purposes: guardianRequest.message.purposes,
      expiresAt: guardianRequest.message.expiresAt,
      nonce: guardianRequest.message.nonce,
    },
  };
}
