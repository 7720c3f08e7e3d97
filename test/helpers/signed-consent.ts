/**
 * Fixtures and helpers of the signed-consent tests (EIP-712 grants and revocations, delegates, ERC-1271).
 */
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";
import { expect } from "chai";
import { type ContractTransactionResponse, Wallet, id } from "ethers";
import type { NetworkConnection } from "hardhat/types/network";
import type { CareLedger, TestSmartWallet } from "../../typechain-types/index.js";
import {
  type GrantRequest,
  type RevokeRequest,
  type SignedConsent,
  type SignedGrant,
  prepareGrant,
  prepareRevoke,
  sendSignedConsent,
  verifyLocally,
} from "../../src/consent/index.js";
import { type ContractErrorName, ContractRevertError } from "../../src/sdk/errors.js";
import { Role } from "./constants.js";
import { rejection } from "./rejection.js";
import { buildWorld } from "./world.js";
import { type CareLedgerFixture, deployCareLedgerFixture, encryptionKeyFor } from "./fixtures.js";

/** Lifetime of the grants the tests sign: 30 days. */
export const GRANT_LIFETIME = 30 * 24 * 60 * 60;
/** How long the tests' signatures stay valid: 1 hour. */
export const SIGNATURE_LIFETIME = 60 * 60;
/** Scope of the guardian's delegation: demographics, allergies, medications, vitals (0x0F). */
export const GUARDIAN_SCOPE = 0x0f;
/** How long the guardian's delegation lasts: 1 year. */
export const DELEGATION_LIFETIME = 365 * 24 * 60 * 60;

export interface SignedConsentFixture extends CareLedgerFixture {
  readonly chainId: bigint;
  /** The clinic account that relays signatures (not a member: anyone may relay). */
  readonly relayer: HardhatEthersSigner;
  /** An onboarded patient whose key holds no ether at all: it can act only by signature. */
  readonly gaslessPatient: Wallet;
  /** An onboarded patient (a minor) who appointed `guardian` for {@link GUARDIAN_SCOPE}. */
  readonly minor: HardhatEthersSigner;
  /** The minor's guardian (not a member). */
  readonly guardian: HardhatEthersSigner;
  /** End of the guardian's delegation. */
  readonly delegationExpiresAt: number;
  /** The EOA that signs for {@link smartWallet}. */
  readonly walletOwner: HardhatEthersSigner;
  /** A smart-account (ERC-1271) patient: the test wallet contract, onboarded as a patient. */
  readonly smartWallet: TestSmartWallet;
  /** A second CareLedger deployment on the same chain, where `patient` and `gaslessPatient` are patients too. */
  readonly otherLedger: CareLedger;
}

/**
 * `deployCareLedgerFixture`, then: onboard a gasless patient (a fresh key with no ether), a minor who
 * appoints a guardian, and a smart-wallet patient; deploy a second CareLedger with `patient` and the
 * gasless patient onboarded.
 */
export async function deploySignedConsentFixture(
  connection: NetworkConnection,
): Promise<SignedConsentFixture> {
  const base = await deployCareLedgerFixture(connection);
  const { ethers, networkHelpers } = connection;
  const [relayer, minor, guardian, walletOwner] = base.spare;
  if (
    relayer === undefined ||
    minor === undefined ||
    guardian === undefined ||
    walletOwner === undefined
  ) {
    throw new Error("need 4 spare signers");
  }
  const gaslessPatient = new Wallet(id("careledger.test.gasless-patient"), ethers.provider);
  const smartWallet = await ethers.deployContract(
    "TestSmartWallet",
    [walletOwner.address],
    base.admin,
  );

  const asRegistrar = base.ledger.connect(base.registrar);
  await asRegistrar.onboardMember(
    gaslessPatient.address,
    Role.Patient,
    0,
    encryptionKeyFor("gaslessPatient"),
  );
  await asRegistrar.onboardMember(minor.address, Role.Patient, 0, encryptionKeyFor("minor"));
  await asRegistrar.onboardMember(
    await smartWallet.getAddress(),
    Role.Patient,
    0,
    encryptionKeyFor("smartWallet"),
  );

  const delegationExpiresAt = (await networkHelpers.time.latest()) + DELEGATION_LIFETIME;
  await base.ledger
    .connect(minor)
    .appointDelegate(guardian.address, GUARDIAN_SCOPE, delegationExpiresAt);

  // A second deployment where `patient` and the gasless patient are patients too.
  const other = await buildWorld([base.admin, base.registrar, base.patient, gaslessPatient], {
    actors: ["admin", "registrar", "patient", "gaslessPatient"],
    admin: "admin",
    registrar: "registrar",
    members: {
      patient: { role: Role.Patient, orgId: 0 },
      gaslessPatient: { role: Role.Patient, orgId: 0 },
    },
    publicKey: encryptionKeyFor,
  });
  const otherLedger = other.ledger;

  const { chainId } = await ethers.provider.getNetwork();
  return {
    ...base,
    chainId,
    relayer,
    gaslessPatient,
    minor,
    guardian,
    delegationExpiresAt,
    walletOwner,
    smartWallet,
    otherLedger,
  };
}

/** Fields of a test grant; any may be overridden. */
export interface TestGrant {
  readonly patient: string;
  readonly grantee: string;
  readonly categories?: number;
  readonly purposes?: number;
  readonly expiresAt?: number | bigint;
  readonly deadline?: number | bigint;
  readonly nonce?: number | bigint;
  /** Who signs (default: the patient). */
  readonly signer?: string;
  readonly epoch?: number;
}

/** A grant request on `ledger` (labs + medications for treatment, 30 days, 1-hour signature by default). */
export async function grantRequest(
  connection: NetworkConnection,
  ledger: CareLedger,
  grant: TestGrant,
): Promise<GrantRequest> {
  const now = await connection.networkHelpers.time.latest();
  return prepareGrant(ledger, {
    categories: 0x14,
    purposes: 0x01,
    expiresAt: now + GRANT_LIFETIME,
    deadline: now + SIGNATURE_LIFETIME,
    ...grant,
  });
}

/** A revocation request on `ledger` (1-hour signature by default). */
export async function revokeRequest(
  connection: NetworkConnection,
  ledger: CareLedger,
  revoke: Omit<TestGrant, "categories" | "purposes" | "expiresAt">,
): Promise<RevokeRequest> {
  const now = await connection.networkHelpers.time.latest();
  return prepareRevoke(ledger, { deadline: now + SIGNATURE_LIFETIME, ...revoke });
}

/**
 * Assert that `signed` is refused with custom error `errorName` and exactly `args` (by ABI name, in ABI
 * order) both off chain, by `verifyLocally`'s own checks (the same decoded error), and on chain, by the
 * relayed call.
 * `now` is the block time the refusal happens at, when it matters (it is pinned for the transaction).
 */
export async function expectRefused<N extends ContractErrorName>(
  connection: NetworkConnection,
  ledger: CareLedger,
  signed: SignedConsent,
  errorName: N,
  args: Readonly<Record<string, unknown>>,
  now?: number,
): Promise<void> {
  // Without the simulation, so that the refusal comes from verifyLocally's own checks.
  const options = { simulate: false, ...(now === undefined ? {} : { now: BigInt(now) }) };
  const local = await rejection(verifyLocally(ledger, signed, options));
  expect(local, "verifyLocally must refuse").to.be.instanceOf(ContractRevertError);
  const refusal = local as ContractRevertError;
  expect(refusal.errorName).to.equal(errorName);
  expect(refusal.args).to.deep.equal(args);

  if (now !== undefined) await connection.networkHelpers.time.setNextBlockTimestamp(now);
  await expect(sendSignedConsent(ledger, signed))
    .to.be.revertedWithCustomError(ledger, errorName)
    .withArgs(...Object.values(args));
}

/**
 * Assert that relayed transaction `tx` emitted `ConsentGranted(patient, grantee, signer, categories,
 * purposes, expiresAt)` — the signer as actor — and `ConsentRelayed(patient, signer, relayer, nonce)`.
 */
export async function expectRelayedGrant(
  ledger: CareLedger,
  tx: Promise<ContractTransactionResponse>,
  signed: SignedGrant,
  relayer: string,
): Promise<void> {
  const m = signed.message;
  await expect(tx)
    .to.emit(ledger, "ConsentGranted")
    .withArgs(m.patient, m.grantee, signed.signer, m.categories, m.purposes, m.expiresAt);
  await expect(tx)
    .to.emit(ledger, "ConsentRelayed")
    .withArgs(m.patient, signed.signer, relayer, m.nonce);
}
