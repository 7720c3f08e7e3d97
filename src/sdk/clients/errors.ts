/**
 * Errors the SDK clients add to the decoded contract errors (`../errors.ts`) and the off-chain
 * errors (`src/errors.ts`, `src/crypto/errors.ts`).
 */
import {
  CareLedgerError,
  IntegrityError,
  InvalidArgumentError,
  NotFoundError,
} from "../../errors.js";

/** No record version with this id is anchored on chain (`recordOf` returned status `None`). */
export class RecordNotAnchoredError extends NotFoundError {
  override readonly name: string = "RecordNotAnchoredError";

  constructor(recordId: string) {
    super("record", recordId, `no record ${recordId} is anchored on chain`);
  }
}

/**
 * An account has no usable X25519 public key on chain: it is not a member (`memberOf` returns a zero
 * key), so no record key can be wrapped for it.
 */
export class MissingEncryptionKeyError extends NotFoundError {
  override readonly name: string = "MissingEncryptionKeyError";

  constructor(account: string) {
    super(
      "encryption key",
      account,
      `${account} has no encryption key on chain (not a CareLedger member)`,
    );
  }
}

/**
 * A copy of a record's key or envelope held on someone else's behalf (the emergency key custodian) is
 * destroyed only once the chain says the record was erased (`RecordErased`, audited), and it does not yet.
 */
export class RecordNotErasedError extends CareLedgerError {
  override readonly name: string = "RecordNotErasedError";

  readonly recordId: string;

  constructor(recordId: string) {
    super(
      `record ${recordId} is not erased on chain: its copies are destroyed only after eraseRecord`,
      "RECORD_NOT_ERASED",
    );
    this.recordId = recordId;
  }
}

/** A transaction was mined but did not succeed, or produced no receipt, and carried no revert data. */
export class TransactionFailedError extends CareLedgerError {
  override readonly name: string = "TransactionFailedError";

  /** The contract function that was called. */
  readonly functionName: string;
  /** The transaction hash, when one was sent. */
  readonly transactionHash: string | undefined;

  constructor(functionName: string, transactionHash: string | undefined, reason: string) {
    super(
      `${functionName} transaction ${transactionHash ?? "(not sent)"} failed: ${reason}`,
      "TRANSACTION_FAILED",
    );
    this.functionName = functionName;
    this.transactionHash = transactionHash;
  }
}

/** A patient client was asked to act on a record of another patient. */
export class NotYourRecordError extends InvalidArgumentError {
  override readonly name: string = "NotYourRecordError";

  readonly recordId: string;
  readonly patient: string;

  constructor(recordId: string, patient: string, caller: string) {
    super(`record ${recordId} belongs to patient ${patient}, not to ${caller}`, {
      code: "NOT_YOUR_RECORD",
    });
    this.recordId = recordId;
    this.patient = patient;
  }
}

/**
 * Why the emergency key custodian refused to release a record key (`KeyReleaseRefusedError.reason`).
 * Each names the first check that failed, in the order the custodian makes them.
 */
export const KEY_RELEASE_REFUSALS = [
  /** The request is malformed (record id, responder or transaction hash). */
  "invalid-request",
  /** The custodian's node knows no mined transaction with this hash. */
  "transaction-not-found",
  /** The transaction was mined but did not succeed. */
  "transaction-failed",
  /** The transaction was not sent to the CareLedger the custodian serves. */
  "wrong-contract",
  /** The transaction has fewer confirmations than the custodian requires. */
  "not-confirmed",
  /** The transaction holds no `RecordOpened` of this record from the CareLedger. */
  "record-not-opened",
  /** The record was opened in this transaction by someone other than the responder. */
  "wrong-accessor",
  /** The open took the consent or patient path, not break-glass. */
  "not-break-glass",
  /** No break-glass incident of this responder on this patient covers the time of the open. */
  "no-covering-window",
  /** The window that covered the open has ended (expired, or closed by an unjustified verdict). */
  "window-closed",
  /** The responder is not a member, or has no encryption key on chain. */
  "responder-not-a-member",
  /** The responder's membership is deactivated. */
  "responder-inactive",
  /** No record with this id is anchored (or the chain disagrees with the open). */
  "record-not-anchored",
  /** The store does not hold the envelope. */
  "envelope-unavailable",
  /** The stored envelope does not verify against the chain, or does not open. */
  "envelope-integrity",
  /** The envelope was sealed without the custodian's key: nothing to release. */
  "custodian-not-a-reader",
  /** The responder already holds a wrapped key of this version: nothing to release. */
  "responder-already-a-reader",
] as const;

/** A reason code of {@link KeyReleaseRefusedError}. */
export type KeyReleaseRefusalReason = (typeof KEY_RELEASE_REFUSALS)[number];

/**
 * The emergency key custodian refused to release a record key: `reason` says which check failed
 * (see {@link KEY_RELEASE_REFUSALS}). Nothing was released and nothing was logged.
 */
export class KeyReleaseRefusedError extends CareLedgerError {
  override readonly name: string = "KeyReleaseRefusedError";

  readonly reason: KeyReleaseRefusalReason;
  /** The request as received (record id, responder, transaction hash). */
  readonly recordId: string;
  readonly responder: string;
  readonly openTxHash: string;

  constructor(
    reason: KeyReleaseRefusalReason,
    request: { readonly recordId: string; readonly responder: string; readonly openTxHash: string },
    detail: string,
    options: { readonly cause?: unknown } = {},
  ) {
    super(
      `key release refused (${reason}) for record ${request.recordId} to ${request.responder}: ${detail}`,
      "KEY_RELEASE_REFUSED",
      options,
    );
    this.reason = reason;
    this.recordId = request.recordId;
    this.responder = request.responder;
    this.openTxHash = request.openTxHash;
  }
}

/**
 * A released copy of an envelope is not the anchored envelope plus one wrapped key for the
 * responder: its header, body ciphertext or other readers' wrapped keys differ from the envelope
 * whose keccak256 is the record id on chain. It is refused before any decryption.
 */
export class ReleasedCopyMismatchError extends IntegrityError {
  override readonly name: string = "ReleasedCopyMismatchError";

  readonly recordId: string;

  constructor(recordId: string, detail: string) {
    super(`the released copy of record ${recordId} is not the anchored envelope: ${detail}`, {
      code: "RELEASED_COPY_MISMATCH",
    });
    this.recordId = recordId;
  }
}
