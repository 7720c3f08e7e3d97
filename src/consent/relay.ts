/**
 * Relaying signed consent: verify locally, then submit `grantWithSig` / `revokeWithSig` from the relayer's
 * account (the clinic pays the gas, the patient none) and return the receipt.
 */
import type { ContractTransactionReceipt, ContractTransactionResponse } from "ethers";
import type { CareLedger } from "../../typechain-types/index.js";
import { decodeContractError } from "../sdk/errors.js";
import { RelayFailedError } from "./errors.js";
import {
  type SignedConsent,
  type SignedGrant,
  type SignedRevoke,
  grantWithSigArgs,
  revokeWithSigArgs,
} from "./typedData.js";
import {
  type VerifiedConsent,
  type VerifyOptions,
  relayFunction,
  verifyLocally,
} from "./verify.js";

/** Options of {@link relayGrant} / {@link relayRevoke}. */
export interface RelayOptions extends VerifyOptions {
  /** Skip {@link verifyLocally} (the contract checks everything anyway; verification saves a failed tx's gas). */
  readonly skipVerification?: boolean;
  /** Gas limit of the relayed transaction; estimated when omitted. */
  readonly gasLimit?: bigint;
}

/** A relayed consent change that was mined successfully. */
export interface RelayResult {
  readonly hash: string;
  readonly receipt: ContractTransactionReceipt;
  readonly gasUsed: bigint;
  /** What local verification established; undefined when it was skipped. */
  readonly verified: VerifiedConsent | undefined;
}

/**
 * Submit `signed` through `ledger` (connected to the relayer) as is, without any verification: the raw
 * `grantWithSig` / `revokeWithSig` transaction. Prefer {@link relaySignedConsent}.
 */
export function sendSignedConsent(
  ledger: CareLedger,
  signed: SignedConsent,
  gasLimit?: bigint,
): Promise<ContractTransactionResponse> {
  const overrides = gasLimit === undefined ? {} : { gasLimit };
  return signed.kind === "grant"
    ? ledger.grantWithSig(...grantWithSigArgs(signed), overrides)
    : ledger.revokeWithSig(...revokeWithSigArgs(signed), overrides);
}

/**
 * Verify `signed` locally (unless `skipVerification`) and submit it through `ledger`, which must be
 * connected to the relayer's signer. Contract reverts are thrown decoded (`InvalidSignatureError`, …).
 */
export async function relaySignedConsent(
  ledger: CareLedger,
  signed: SignedConsent,
  options: RelayOptions = {},
): Promise<RelayResult> {
  const verified =
    options.skipVerification === true ? undefined : await verifyLocally(ledger, signed, options);
  const functionName = relayFunction(signed);
  let tx: ContractTransactionResponse | undefined;
  let receipt: ContractTransactionReceipt | null;
  try {
    tx = await sendSignedConsent(ledger, signed, options.gasLimit);
    receipt = await tx.wait();
  } catch (err) {
    throw decodeContractError(err, undefined, { functionName }) ?? err;
  }
  if (receipt === null || receipt.status !== 1) {
    throw new RelayFailedError(`${functionName} was not mined successfully`, tx.hash);
  }
  return { hash: receipt.hash, receipt, gasUsed: receipt.gasUsed, verified };
}

/** Relay a signed grant: `grantWithSig`. */
export function relayGrant(
  ledger: CareLedger,
  signed: SignedGrant,
  options: RelayOptions = {},
): Promise<RelayResult> {
  return relaySignedConsent(ledger, signed, options);
}

/** Relay a signed revocation: `revokeWithSig`. */
export function relayRevoke(
  ledger: CareLedger,
  signed: SignedRevoke,
  options: RelayOptions = {},
): Promise<RelayResult> {
  return relaySignedConsent(ledger, signed, options);
}
