/**
 * Errors specific to envelope encryption and key files. They extend the generic classes in
 * `src/errors.ts`, so `instanceof WrongKeyError` also catches {@link NotAReaderError} and
 * {@link WrongPassphraseError}.
 */
import {
  CareLedgerError,
  IntegrityError,
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

/**
 * A segment of a streamed (CLE2) envelope failed a check. `segment` is the zero-based position in
 * the envelope at which the problem was found; nothing from that position on was released.
 */
export class SegmentError extends IntegrityError {
  override readonly name: string = "SegmentError";
  /** Zero-based segment position at which the check failed. */
  readonly segment: number;

  constructor(message: string, segment: number, code: string) {
    super(message, { code });
    this.segment = segment;
  }
}

/** The envelope ends before its final segment (or inside one): segment `segment` is missing. */
export class TruncatedEnvelopeError extends SegmentError {
  override readonly name = "TruncatedEnvelopeError";
  constructor(segment: number, detail: string) {
    super(
      `envelope truncated: segment ${segment} and after are missing (${detail})`,
      segment,
      "ENVELOPE_TRUNCATED",
    );
  }
}

/** A segment's bytes were changed, or it comes from another record (not in this envelope's table). */
export class SegmentIntegrityError extends SegmentError {
  override readonly name = "SegmentIntegrityError";
  constructor(segment: number, detail: string) {
    super(`segment ${segment} does not verify: ${detail}`, segment, "SEGMENT_INTEGRITY");
  }
}

/** Position `segment` holds another segment (`found`) of the same envelope. */
export class MisplacedSegmentError extends SegmentError {
  override readonly name: string = "MisplacedSegmentError";
  /** The segment index actually found at that position. */
  readonly found: number;
  constructor(message: string, segment: number, found: number, code: string) {
    super(message, segment, code);
    this.found = found;
  }
}

/** Position `segment` holds segment `found` of the same envelope, which belongs later. */
export class SegmentReorderedError extends MisplacedSegmentError {
  override readonly name = "SegmentReorderedError";
  constructor(segment: number, found: number) {
    const message = `segments reordered: position ${segment} holds segment ${found}`;
    super(message, segment, found, "SEGMENT_REORDERED");
  }
}

/** Position `segment` repeats segment `found` (< `segment`) of the same envelope. */
export class SegmentDuplicatedError extends MisplacedSegmentError {
  override readonly name = "SegmentDuplicatedError";
  constructor(segment: number, found: number) {
    const message = `segment duplicated: position ${segment} repeats segment ${found}`;
    super(message, segment, found, "SEGMENT_DUPLICATED");
  }
}

/** Segment `segment` was removed: its successors moved up and the envelope is shorter. */
export class SegmentDroppedError extends MisplacedSegmentError {
  override readonly name = "SegmentDroppedError";
  constructor(segment: number, found: number) {
    const message = `segment ${segment} dropped: segment ${found} found in its place`;
    super(message, segment, found, "SEGMENT_DROPPED");
  }
}
