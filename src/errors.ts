/**
 * Base error classes of the CareLedger SDK. Every error the SDK throws on purpose is a
 * {@link CareLedgerError}, so a caller can tell "CareLedger refused" from a bug with one
 * `instanceof`, and the subclasses below with another. Modules add narrower subclasses
 * (e.g. `NotAReaderError extends WrongKeyError` in `src/crypto/errors.ts`).
 */

/** Options accepted by every CareLedger error constructor. */
export interface CareLedgerErrorOptions {
  /** The lower-level error that caused this one (kept as `error.cause`). */
  readonly cause?: unknown;
}

/** Root of every error the CareLedger SDK throws deliberately. */
export class CareLedgerError extends Error {
  override readonly name: string = "CareLedgerError";

  /** Stable machine-readable code, e.g. `"INTEGRITY"`; subclasses set their own. */
  readonly code: string;

  constructor(message: string, code = "CARELEDGER", options: CareLedgerErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
  }
}

/**
 * Bytes do not match what they claim or what the chain anchored: a blob whose keccak256 differs
 * from the requested hash, an envelope whose authentication tag or commitment fails, a malformed
 * envelope. Data that fails an integrity check is never returned.
 */
export class IntegrityError extends CareLedgerError {
  override readonly name: string = "IntegrityError";

  constructor(message: string, options: CareLedgerErrorOptions & { code?: string } = {}) {
    super(message, options.code ?? "INTEGRITY", options);
  }
}

/**
 * An envelope that cannot be parsed under the strict CLE1 rules (bad magic, unsupported version
 * or algorithm, truncated, trailing bytes, non-canonical encoding). It is an {@link IntegrityError}:
 * a well-formed envelope that was damaged in transit is reported either way.
 */
export class InvalidEnvelopeError extends IntegrityError {
  override readonly name: string = "InvalidEnvelopeError";

  /** Byte offset at which parsing failed, when known. */
  readonly offset: number | undefined;

  constructor(message: string, offset?: number, options: CareLedgerErrorOptions = {}) {
    super(offset === undefined ? message : `${message} (at byte ${offset})`, {
      ...options,
      code: "INVALID_ENVELOPE",
    });
    this.offset = offset;
  }
}

/** The thing asked for does not exist (a blob not in the store, a record not on chain, ...). */
export class NotFoundError extends CareLedgerError {
  override readonly name: string = "NotFoundError";

  /** What kind of thing was looked up, e.g. `"blob"`. */
  readonly kind: string;
  /** The identifier that was looked up, e.g. the content hash. */
  readonly id: string;

  constructor(kind: string, id: string, message?: string, options: CareLedgerErrorOptions = {}) {
    super(message ?? `${kind} ${id} not found`, "NOT_FOUND", options);
    this.kind = kind;
    this.id = id;
  }
}

/**
 * The key material supplied cannot open what it was asked to open: the caller is not a reader of
 * an envelope, or a key file's passphrase is wrong. Distinct from {@link IntegrityError}: the data
 * may be fine, the caller just does not hold the right key.
 */
export class WrongKeyError extends CareLedgerError {
  override readonly name: string = "WrongKeyError";

  constructor(message: string, options: CareLedgerErrorOptions & { code?: string } = {}) {
    super(message, options.code ?? "WRONG_KEY", options);
  }
}

/** A caller passed a value the SDK cannot use (wrong length, out of range, malformed hex, ...). */
export class InvalidArgumentError extends CareLedgerError {
  override readonly name: string = "InvalidArgumentError";

  constructor(message: string, options: CareLedgerErrorOptions & { code?: string } = {}) {
    super(message, options.code ?? "INVALID_ARGUMENT", options);
  }
}

/** A blob store could not read or write: `cause` keeps the system error (`code`, `path`). */
export class StorageError extends CareLedgerError {
  override readonly name: string = "StorageError";
  /** The file or directory the operation failed on. */
  readonly path: string | undefined;
  /** The system error code (`ENOSPC`, `EROFS`, `EACCES`, …). */
  readonly systemCode: string | undefined;

  constructor(
    message: string,
    options: CareLedgerErrorOptions & {
      readonly code?: string;
      readonly path?: string;
      readonly systemCode?: string;
    } = {},
  ) {
    super(message, options.code ?? "STORAGE", options);
    this.path = options.path;
    this.systemCode = options.systemCode;
  }
}

/** The store's disk (or quota) is full (`ENOSPC`, `EDQUOT`); nothing partial was left behind. */
export class StorageFullError extends StorageError {
  override readonly name = "StorageFullError";

  constructor(
    message: string,
    options: CareLedgerErrorOptions & { readonly path?: string; readonly systemCode?: string } = {},
  ) {
    super(message, { ...options, code: "STORAGE_FULL" });
  }
}

/**
 * The store cannot be written: a read-only file system (`EROFS`) or a directory the process may not
 * write (`EACCES`, `EPERM`).
 */
export class StorageReadOnlyError extends StorageError {
  override readonly name = "StorageReadOnlyError";

  constructor(
    message: string,
    options: CareLedgerErrorOptions & { readonly path?: string; readonly systemCode?: string } = {},
  ) {
    super(message, { ...options, code: "STORAGE_READ_ONLY" });
  }
}
