/**
 * Errors of the signed-consent and FHIR modules that have no on-chain counterpart.
 *
 * A signature that the contract would refuse is refused locally with the very error the chain would
 * give, decoded: an `InvalidSignatureError` / `NotAuthorizedError` / … from `src/sdk/errors.ts` with the
 * same `errorName` and `args` (see `verifyLocally`). The classes here cover what only happens off chain.
 */
import { CareLedgerError, type CareLedgerErrorOptions, InvalidArgumentError } from "../errors.js";

/** One problem found in untrusted input. */
export interface InputIssue {
  /** Dotted path of the offending field (`message.categories`), empty for the whole input. */
  readonly path: string;
  readonly message: string;
}

/** A consent request, signed request or wallet payload from outside failed validation. */
export class InvalidConsentInputError extends InvalidArgumentError {
  override readonly name: string = "InvalidConsentInputError";

  /** What was being read, e.g. `"signed consent"`. */
  readonly what: string;
  /** Every problem found, not just the first. */
  readonly issues: readonly InputIssue[];

  constructor(what: string, issues: readonly InputIssue[], options: CareLedgerErrorOptions = {}) {
    const list = issues
      .map((i) => (i.path === "" ? i.message : `${i.path}: ${i.message}`))
      .join("; ");
    super(`invalid ${what}: ${list}`, { ...options, code: "INVALID_CONSENT_INPUT" });
    this.what = what;
    this.issues = issues;
  }
}

/** The part of an EIP-712 domain that differs. */
export type DomainField = "name" | "version" | "chainId" | "verifyingContract";

/**
 * A signed request names another EIP-712 domain than the contract it is verified against: another chain,
 * another deployment, another name or version. The contract would refuse it with `SignerMismatch`
 * (the digest differs); off chain the precise reason is known.
 */
export class DomainMismatchError extends CareLedgerError {
  override readonly name: string = "DomainMismatchError";

  readonly field: DomainField;
  readonly expected: string;
  readonly actual: string;

  constructor(field: DomainField, expected: string | bigint, actual: string | bigint) {
    super(
      `the signature is for ${field} ${String(actual)}, but this contract's EIP-712 domain has ${String(expected)}`,
      "DOMAIN_MISMATCH",
    );
    this.field = field;
    this.expected = String(expected);
    this.actual = String(actual);
  }
}

/** A relayed transaction did not produce a successful receipt and carried no revert reason. */
export class RelayFailedError extends CareLedgerError {
  override readonly name: string = "RelayFailedError";

  /** The transaction hash, when it was sent. */
  readonly hash: string | undefined;

  constructor(message: string, hash?: string, options: CareLedgerErrorOptions = {}) {
    super(message, "RELAY_FAILED", options);
    this.hash = hash;
  }
}

/** One element of a FHIR `Consent` that a CareLedger grant cannot represent exactly. */
export interface UnsupportedElement {
  /** FHIRPath-like location, e.g. `Consent.provision.provision[0]`. */
  readonly path: string;
  /** Why it cannot be represented (or what is required instead). */
  readonly reason: string;
}

/**
 * A FHIR `Consent` cannot be represented exactly as a CareLedger grant. Lists EVERY unsupported element:
 * the mapping never narrows or widens a consent to make it fit.
 */
export class UnsupportedFhirConsentError extends InvalidArgumentError {
  override readonly name: string = "UnsupportedFhirConsentError";

  readonly unsupported: readonly UnsupportedElement[];

  constructor(unsupported: readonly UnsupportedElement[]) {
    const n = unsupported.length;
    const list = unsupported.map((u) => `- ${u.path}: ${u.reason}`).join("\n");
    super(
      `FHIR Consent cannot be represented exactly as a CareLedger grant (${n} element${n === 1 ? "" : "s"}):\n${list}`,
      {
        code: "FHIR_CONSENT_UNSUPPORTED",
      },
    );
    this.unsupported = unsupported;
  }
}

/**
 * A grant cannot be presented as FHIR because a time of it is not a FHIR dateTime (FHIR years have four
 * digits: the latest instant is 9999-12-31T23:59:59Z, while the chain stores `uint40` seconds).
 */
export class FhirDateOutOfRangeError extends InvalidArgumentError {
  override readonly name: string = "FhirDateOutOfRangeError";
  /** Which time of the grant, e.g. `expiresAt`. */
  readonly field: string;
  /** The time, unix seconds. */
  readonly seconds: bigint;

  constructor(field: string, seconds: bigint) {
    super(
      `${field} ${seconds} is after 9999-12-31T23:59:59Z, the last FHIR dateTime; grant a shorter consent`,
      { code: "FHIR_DATE_OUT_OF_RANGE" },
    );
    this.field = field;
    this.seconds = seconds;
  }
}

/** The EIP-712 proof carried in a FHIR `Consent` is malformed, or its signature is not the signer's. */
export class ConsentProofError extends CareLedgerError {
  override readonly name: string = "ConsentProofError";

  constructor(message: string, options: CareLedgerErrorOptions = {}) {
    super(`consent proof: ${message}`, "CONSENT_PROOF_INVALID", options);
  }
}
