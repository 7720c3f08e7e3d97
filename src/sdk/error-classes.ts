/**
 * The classes a caller can `instanceof`: one per family of decoded contract reverts (from the
 * catalogue in `error-catalogue.ts`), the revert that is not CareLedger's, and the node and transaction
 * faults the transport layer (`transport.ts`) raises.
 */
import type { ErrorDescription } from "ethers";
import { CareLedgerError, InvalidArgumentError } from "../errors.js";
import {
  CONTRACT_ERRORS,
  type AccessDeniedReason,
  type ContractErrorArgs,
  type ContractErrorKind,
  type ContractErrorName,
  type ErrorSpec,
  type InvalidArgumentReason,
  type InvalidSignatureReason,
  type NotAuthorizedReason,
  type NotFoundReason,
  type ErasedReason,
  type PausedReason,
  type StateConflictReason,
} from "./error-catalogue.js";
import { shortHex } from "./format.js";

/** Fields every decoded revert carries. */
export interface RevertDetails<N extends ContractErrorName> {
  readonly errorName: N;
  readonly args: ContractErrorArgs[N];
  /** The raw revert data (selector + ABI-encoded arguments). */
  readonly data: string;
  /** The contract function that reverted, when known. */
  readonly functionName: string | undefined;
  /** The error ethers or Hardhat threw. */
  readonly cause: unknown;
}

/**
 * A transaction or call reverted with one of CareLedger's custom errors, decoded. Catch a family with
 * its subclass (`instanceof AccessDeniedError`) or one error with {@link ContractRevertError.is}.
 * `name` is the class name, `errorName` the Solidity error's name.
 */
export class ContractRevertError<
  N extends ContractErrorName = ContractErrorName,
> extends CareLedgerError {
  override readonly name: string = "ContractRevertError";

  /** The Solidity error's name, e.g. `"ConsentMissing"`. */
  readonly errorName: N;
  /** The error's arguments by ABI name. */
  readonly args: ContractErrorArgs[N];
  /** The 4-byte selector of the error. */
  readonly selector: string;
  /** The raw revert data (selector + ABI-encoded arguments). */
  readonly data: string;
  /** The contract function that reverted, when known. */
  readonly functionName: string | undefined;
  /** The error family. */
  readonly kind: ContractErrorKind;

  constructor(details: RevertDetails<N>, code = "CONTRACT_REVERT") {
    const spec = CONTRACT_ERRORS[details.errorName] as ErrorSpec<N>;
    super(spec.message(details.args, { functionName: details.functionName }), code, {
      cause: details.cause,
    });
    this.errorName = details.errorName;
    this.args = details.args;
    this.data = details.data;
    this.selector = details.data.slice(0, 10);
    this.functionName = details.functionName;
    this.kind = spec.kind;
  }

  /** Narrow to one error: `if (e.is("ConsentExpired")) e.args.expiredAt`. */
  is<K extends ContractErrorName>(name: K): this is ContractRevertError<K> {
    const errorName: ContractErrorName = this.errorName;
    return errorName === name;
  }
}

/**
 * The record access check refused: not an (active) member, role policy ("minimum necessary"), no or
 * expired consent, consent not covering the category or purpose, or no open break-glass window.
 */
export class AccessDeniedError<
  N extends AccessDeniedReason = AccessDeniedReason,
> extends ContractRevertError<N> {
  override readonly name: string = "AccessDeniedError";

  constructor(details: RevertDetails<N>) {
    super(details, "ACCESS_DENIED");
  }
}

/** The caller lacks the governance role (admin, registrar) or member role (patient, auditor, responder) the function needs. */
export class NotAuthorizedError<
  N extends NotAuthorizedReason = NotAuthorizedReason,
> extends ContractRevertError<N> {
  override readonly name: string = "NotAuthorizedError";

  constructor(details: RevertDetails<N>) {
    super(details, "NOT_AUTHORIZED");
  }
}

/** A record, incident, organisation or consent looked up on chain does not exist. */
export class NotFoundOnChainError<
  N extends NotFoundReason = NotFoundReason,
> extends ContractRevertError<N> {
  override readonly name: string = "NotFoundOnChainError";

  constructor(details: RevertDetails<N>) {
    super(details, "NOT_FOUND");
  }
}

/** The contract rejected an argument (zero hash, undefined category, expiry in the past, …). */
export class InvalidContractArgumentError<
  N extends InvalidArgumentReason = InvalidArgumentReason,
> extends ContractRevertError<N> {
  override readonly name: string = "InvalidContractArgumentError";

  constructor(details: RevertDetails<N>) {
    super(details, "INVALID_ARGUMENT");
  }
}

/** The current state does not allow the change (already anchored, already reviewed, superseded, …). */
export class StateConflictError<
  N extends StateConflictReason = StateConflictReason,
> extends ContractRevertError<N> {
  override readonly name: string = "StateConflictError";

  constructor(details: RevertDetails<N>) {
    super(details, "STATE_CONFLICT");
  }
}

/** A relayed consent signature was refused: expired, wrong signer, malformed, or a stale nonce. */
export class InvalidSignatureError<
  N extends InvalidSignatureReason = InvalidSignatureReason,
> extends ContractRevertError<N> {
  override readonly name: string = "InvalidSignatureError";

  constructor(details: RevertDetails<N>) {
    super(details, "INVALID_SIGNATURE");
  }
}

/** Governance paused anchoring and consent changes for an incident. */
export class PausedError extends ContractRevertError<PausedReason> {
  override readonly name: string = "PausedError";

  constructor(details: RevertDetails<PausedReason>) {
    super(details, "PAUSED");
  }
}

/** The record was erased (crypto-shredded): every copy of its key and envelope is gone, nothing opens it. */
export class RecordErasedError extends ContractRevertError<ErasedReason> {
  override readonly name: string = "RecordErasedError";

  constructor(details: RevertDetails<ErasedReason>) {
    super(details, "RECORD_ERASED");
  }
}

/**
 * A revert whose data is not a CareLedger custom error: a `require` string (`Error(string)`), a
 * `Panic(uint256)`, or an error of another contract.
 */
export class UnknownRevertError extends CareLedgerError {
  override readonly name: string = "UnknownRevertError";

  /** The raw revert data. */
  readonly data: string;
  /** The 4-byte selector. */
  readonly selector: string;
  /** The decoded error name when the interface knows it (`"Error"`, `"Panic"`), else undefined. */
  readonly errorName: string | undefined;
  /** The contract function that reverted, when known. */
  readonly functionName: string | undefined;

  constructor(
    data: string,
    description: ErrorDescription | null,
    functionName: string | undefined,
    cause: unknown,
  ) {
    super(unknownMessage(data, description), "CONTRACT_REVERT_UNKNOWN", { cause });
    this.data = data;
    this.selector = data.slice(0, 10);
    this.errorName = description?.name;
    this.functionName = functionName;
  }
}

function unknownMessage(data: string, d: ErrorDescription | null): string {
  if (d === null) return `the contract reverted with unknown error data ${shortHex(data)}`;
  if (d.name === "Error") return `the contract reverted: ${String(d.args[0])}`;
  if (d.name === "Panic")
    return `the contract panicked with code 0x${BigInt(d.args[0] as bigint).toString(16)}`;
  return `the contract reverted with ${d.signature}`;
}

/** What {@link decodeContractError} returns for a revert. */
export type DecodedRevert = ContractRevertError | UnknownRevertError;

// ---------------------------------------------------------------------------------------------
// Node and transaction faults (raised by the transport layer, `transport.ts`)
// ---------------------------------------------------------------------------------------------

/**
 * The node could not be reached or did not answer in time: connection refused or reset, an HTTP 5xx
 * from a gateway, a request that outlived the call's deadline. `cause` keeps the underlying error
 * (an ethers `SERVER_ERROR`, `NETWORK_ERROR`, `TIMEOUT`, …). When it happened while a transaction was
 * being broadcast, `transactionHash` and `nonce` say which one, and its fate is unknown: retrying the
 * same SDK call checks for it before sending again.
 */
export class NodeUnavailableError extends CareLedgerError {
  override readonly name = "NodeUnavailableError";
  /** What the SDK was doing (an RPC method or a contract function). */
  readonly operation: string;
  /** The transaction being broadcast, when the fault hit a broadcast and its hash is known. */
  readonly transactionHash: string | undefined;
  /** Its nonce, when a nonce had been assigned. */
  readonly nonce: number | undefined;

  constructor(
    operation: string,
    detail: string,
    options: {
      readonly cause?: unknown;
      readonly transactionHash?: string | undefined;
      readonly nonce?: number | undefined;
    } = {},
  ) {
    super(`node unavailable during ${operation}: ${detail}`, "NODE_UNAVAILABLE", options);
    this.operation = operation;
    this.transactionHash = options.transactionHash;
    this.nonce = options.nonce;
  }
}

/** What can be done with a transaction that was not mined before its deadline. */
export interface PendingTransactionActions {
  /** Wait `timeoutMs` more for the same transaction; resolves to its receipt. */
  waitLonger(timeoutMs: number): Promise<unknown>;
  /**
   * Replace it: the same nonce with a higher fee, either the same call again or a no-op (a zero-value
   * transfer to oneself, which cancels it). Only where the chain charges fees: on a zero-fee chain a
   * node cannot order two transactions of one nonce by price and refuses the replacement.
   */
  replace(options?: {
    readonly noop?: boolean;
    readonly feeBumpPercent?: number;
  }): Promise<unknown>;
}

/**
 * A transaction was sent (the node accepted it, or its fate is unknown) but no receipt arrived before
 * the deadline. It carries the hash and nonce, so it can be awaited longer ({@link waitLonger}) or
 * replaced ({@link replace}); retrying the same SDK call waits for it instead of sending a duplicate.
 */
export class TransactionTimeoutError extends CareLedgerError {
  override readonly name = "TransactionTimeoutError";
  readonly functionName: string;
  readonly transactionHash: string;
  readonly nonce: number;
  readonly from: string;
  /** The deadline that passed, in milliseconds. */
  readonly timeoutMs: number;
  readonly #actions: PendingTransactionActions;

  constructor(
    details: {
      readonly functionName: string;
      readonly transactionHash: string;
      readonly nonce: number;
      readonly from: string;
      readonly timeoutMs: number;
      readonly cause?: unknown;
    },
    actions: PendingTransactionActions,
  ) {
    super(
      `${details.functionName} transaction ${details.transactionHash} (nonce ${details.nonce} of ${details.from}) was not mined within ${details.timeoutMs} ms`,
      "TRANSACTION_TIMEOUT",
      { cause: details.cause },
    );
    this.functionName = details.functionName;
    this.transactionHash = details.transactionHash;
    this.nonce = details.nonce;
    this.from = details.from;
    this.timeoutMs = details.timeoutMs;
    this.#actions = actions;
  }

  /** Wait `timeoutMs` more for the same transaction; resolves to its receipt. */
  waitLonger(timeoutMs: number): Promise<unknown> {
    return this.#actions.waitLonger(timeoutMs);
  }

  /** Replace the transaction (same nonce, higher fee); see {@link PendingTransactionActions.replace}. */
  replace(options?: {
    readonly noop?: boolean;
    readonly feeBumpPercent?: number;
  }): Promise<unknown> {
    return this.#actions.replace(options);
  }
}

/** The caller aborted the call through its `AbortSignal`. Nothing more is sent for it. */
export class OperationAbortedError extends CareLedgerError {
  override readonly name = "OperationAbortedError";
  readonly operation: string;

  constructor(operation: string, cause?: unknown) {
    super(`${operation} was aborted by the caller`, "ABORTED", { cause });
    this.operation = operation;
  }
}

/**
 * The node refused a transaction or request for a reason that is not a contract revert: nonce too
 * low, replacement underpriced, insufficient funds, an unsupported method, a malformed answer.
 * `cause` keeps the node's error.
 */
export class NodeRejectedError extends CareLedgerError {
  override readonly name = "NodeRejectedError";
  readonly operation: string;
  /** The ethers error code, when there is one (e.g. `"NONCE_EXPIRED"`). */
  readonly reason: string | undefined;

  constructor(operation: string, reason: string | undefined, detail: string, cause?: unknown) {
    super(`the node refused ${operation}: ${detail}`, "NODE_REJECTED", { cause });
    this.operation = operation;
    this.reason = reason;
  }
}

/**
 * An SDK function was given an argument it cannot use: wrong type (a string where a number is
 * expected), out of range for its Solidity type, an unknown category, purpose or role, a malformed
 * address or hash, a grantee that is not a member. Raised before any transaction is sent.
 */
export class InvalidFieldError extends InvalidArgumentError {
  override readonly name = "InvalidFieldError";
  /** The SDK function called. */
  readonly functionName: string;
  /** The argument (or `argument.field`) at fault. */
  readonly field: string;

  constructor(functionName: string, field: string, problem: string) {
    super(`${functionName}: ${field} ${problem}`, { code: "INVALID_FIELD" });
    this.functionName = functionName;
    this.field = field;
  }
}
