/**
 * Errors specific to envelope encryption and key files. They extend the generic classes in
 * `src/errors.ts`, so `instanceof WrongKeyError` also catches {@link NotAReaderError} and
 * {@link WrongPassphraseError}.
 */
import {
  CareLedgerError,
  InvalidArgumentError,
  WrongKeyError,
  type CareLedgerErrorOptions,
} from "../errors.js";
import type { Hex } from "./bytes.js";

/** The private key offered to open (or share, or rotate) an envelope has no wrapped key in it. */
export class NotAReaderError extends WrongKeyError {
  override readonly name: string = "NotAReaderError";

  /** X25519 public key (bytes32 hex) of the key that was tried. */
  readonly readerPublicKey: Hex;

  constructor(readerPublicKey: Hex) {
    super(`no wrapped key for reader ${readerPublicKey} in this envelope`, {
      code: "NOT_A_READER",
    });
    this.readerPublicKey = readerPublicKey;
  }
}

/** A key file could not be decrypted: the passphrase is wrong (or the file was modified). */
export class WrongPassphraseError extends WrongKeyError {
  override readonly name: string = "WrongPassphraseError";

  constructor(options: CareLedgerErrorOptions = {}) {
    super("wrong passphrase for key file (or the key file was modified)", {
      ...options,
      code: "WRONG_PASSPHRASE",
    });
  }
}

/** A key file is not valid JSON or does not follow the key file schema. */
export class InvalidKeyFileError extends CareLedgerError {
  override readonly name: string = "InvalidKeyFileError";

  constructor(message: string, options: CareLedgerErrorOptions = {}) {
    super(`invalid key file: ${message}`, "INVALID_KEY_FILE", options);
  }
}

/** A reader was added to an envelope that already holds a wrapped key for that public key. */
export class DuplicateReaderError extends InvalidArgumentError {
  override readonly name: string = "DuplicateReaderError";

  /** X25519 public key (bytes32 hex) that is already a reader. */
  readonly readerPublicKey: Hex;

  constructor(readerPublicKey: Hex) {
    super(`${readerPublicKey} is already a reader of this envelope`, { code: "DUPLICATE_READER" });
    this.readerPublicKey = readerPublicKey;
  }
}
