/**
 * Errors the SDK clients add to the decoded contract errors (`../errors.ts`) and the off-chain
 * errors (`src/errors.ts`, `src/crypto/errors.ts`).
 */
import { CareLedgerError, InvalidArgumentError, NotFoundError } from "../../errors.js";

/** No record version with this id is anchored on chain (`recordOf` returned status `None`). */
export class RecordNotAnchoredError extends NotFoundError {
  constructor(recordId: string) {
    super("record", recordId, `no record ${recordId} is anchored on chain`);
  }
}

/**
 * An account has no usable X25519 public key on chain: it is not a member (`memberOf` returns a zero
 * key), so no record key can be wrapped for it.
 */
export class MissingEncryptionKeyError extends NotFoundError {
  constructor(account: string) {
    super(
      "encryption key",
      account,
      `${account} has no encryption key on chain (not a CareLedger member)`,
    );
  }
}

/** A transaction was mined but did not succeed, or produced no receipt, and carried no revert data. */
export class TransactionFailedError extends CareLedgerError {
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
