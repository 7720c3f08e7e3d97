/**
 * The catalogue of CareLedger's custom errors: every custom error of the deployed `CareLedger` contract
 * (its own and the OpenZeppelin ones it inherits) has an entry in {@link CONTRACT_ERRORS}, with the typed
 * shape of its arguments, the family (and so the class) it decodes to, and a human message. The classes
 * are in `error-classes.ts`, the search for revert data in `error-decoding.ts`; `errors.ts` is the front
 * door of all three.
 */
import type { Category, Purpose, RecordStatus, ReviewVerdict, Role } from "./constants.js";
import {
  DEFAULT_ADMIN_ROLE,
  REGISTRAR_ROLE,
  categoryLabel,
  categoryMaskLabel,
  purposeLabel,
  purposeMaskLabel,
  recordStatusLabel,
  reviewVerdictLabel,
  roleLabel,
} from "./constants.js";
import { duration, isoTime, shortHex } from "./format.js";

type NoArgs = Readonly<Record<never, never>>;

/**
 * The arguments of every custom error, by error name, as decoded: addresses are checksummed strings,
 * `bytes32` are lower-case hex strings, integers of up to 48 bits are `number`, wider ones `bigint`.
 */
export interface ContractErrorArgs {
  // OpenZeppelin governance (AccessControlDefaultAdminRules, Pausable, SafeCast)
  AccessControlBadConfirmation: NoArgs;
  AccessControlEnforcedDefaultAdminDelay: { readonly schedule: number };
  AccessControlEnforcedDefaultAdminRules: NoArgs;
  AccessControlInvalidDefaultAdmin: { readonly defaultAdmin: string };
  AccessControlUnauthorizedAccount: { readonly account: string; readonly neededRole: string };
  EnforcedPause: NoArgs;
  ExpectedPause: NoArgs;
  SafeCastOverflowedUintDowncast: { readonly bits: number; readonly value: bigint };
  // OpenZeppelin utilities (Multicall, Address, EIP712, Nonces, ECDSA)
  AddressEmptyCode: { readonly target: string };
  FailedCall: NoArgs;
  InvalidShortString: NoArgs;
  StringTooLong: { readonly str: string };
  InvalidAccountNonce: { readonly account: string; readonly currentNonce: bigint };
  ECDSAInvalidSignature: NoArgs;
  ECDSAInvalidSignatureLength: { readonly length: bigint };
  ECDSAInvalidSignatureS: { readonly s: string };
  // IMemberRegistry
  ZeroAddress: NoArgs;
  InvalidRole: { readonly role: number };
  InvalidOrganizationId: { readonly orgId: number };
  OrganizationAlreadyRegistered: { readonly orgId: number };
  OrganizationNotRegistered: { readonly orgId: number };
  OrganizationInactive: { readonly orgId: number };
  OrganizationStatusUnchanged: { readonly orgId: number; readonly active: boolean };
  MemberAlreadyRegistered: { readonly account: string };
  NotAMember: { readonly account: string };
  MemberInactive: { readonly account: string };
  MemberStatusUnchanged: { readonly account: string; readonly active: boolean };
  RoleChangeNotAllowed: { readonly account: string; readonly from: Role; readonly to: Role };
  ZeroEncryptionKey: { readonly account: string };
  NotAPatient: { readonly account: string; readonly role: Role };
  RegistrarSelfService: { readonly account: string };
  // ICareGovernance
  InvalidLimits: {
    readonly maxSignatureLifetime: number;
    readonly maxConsentDuration: number;
    readonly breakGlassWarmup: number;
  };
  // IRolePolicyRegistry
  InvalidCategoryMask: { readonly mask: number };
  RoleHasNoPolicy: { readonly role: number };
  // IConsentRegistry
  InvalidGrantee: { readonly grantee: string };
  InvalidCategories: { readonly categories: number };
  InvalidPurposes: { readonly purposes: number };
  ExpiryNotInFuture: { readonly expiresAt: number; readonly currentTime: number };
  NoLiveConsent: { readonly patient: string; readonly grantee: string };
  ConsentNotFound: { readonly patient: string; readonly grantee: string };
  NotANarrowing: {
    readonly currentCategories: number;
    readonly currentPurposes: number;
    readonly categories: number;
    readonly purposes: number;
  };
  NotAnExtension: { readonly currentExpiresAt: number; readonly expiresAt: number };
  ExpiryBeyondLimit: { readonly expiresAt: number; readonly limit: number };
  // IDelegateRegistry
  InvalidDelegate: { readonly delegate: string };
  NotPatientOrDelegate: { readonly patient: string; readonly account: string };
  DelegateExpired: {
    readonly patient: string;
    readonly delegate: string;
    readonly expiredAt: number;
  };
  DelegateWasRemoved: { readonly patient: string; readonly delegate: string };
  DelegateScopeExceeded: {
    readonly patient: string;
    readonly delegate: string;
    readonly scope: number;
    readonly categories: number;
  };
  DelegateNotFound: { readonly patient: string; readonly delegate: string };
  // ISignedConsent
  SignatureExpired: { readonly deadline: bigint; readonly currentTime: bigint };
  SignerMismatch: { readonly signer: string; readonly recovered: string };
  ERC1271SignatureRejected: { readonly signer: string };
  StaleConsentEpoch: { readonly epoch: number; readonly currentEpoch: number };
  DeadlineTooFar: { readonly deadline: bigint; readonly latest: bigint };
  // IBreakGlass
  BreakGlassNotPermitted: { readonly account: string; readonly role: Role };
  InvalidBreakGlassDuration: { readonly duration: number; readonly maxDuration: number };
  BreakGlassCapExceeded: { readonly maxDuration: number; readonly cap: number };
  ZeroJustification: NoArgs;
  IncidentNotFound: { readonly incidentId: bigint };
  IncidentAlreadyReviewed: { readonly incidentId: bigint; readonly verdict: ReviewVerdict };
  InvalidVerdict: { readonly verdict: number };
  NotAnAuditor: { readonly account: string; readonly role: Role };
  SelfReview: { readonly incidentId: bigint; readonly auditor: string };
  BreakGlassWarmupPending: { readonly account: string; readonly readyAt: number };
  // IAccessRules
  InvalidCategory: { readonly category: number };
  InvalidPurpose: { readonly purpose: number };
  CategoryNotAllowedForRole: {
    readonly account: string;
    readonly role: Role;
    readonly category: Category;
  };
  ConsentMissing: { readonly patient: string; readonly accessor: string };
  ConsentExpired: {
    readonly patient: string;
    readonly accessor: string;
    readonly expiredAt: number;
  };
  CategoryNotConsented: {
    readonly patient: string;
    readonly accessor: string;
    readonly category: Category;
  };
  PurposeNotConsented: {
    readonly patient: string;
    readonly accessor: string;
    readonly purpose: Purpose;
  };
  /** `purposes` is the grant's purpose mask; a write needs treatment, payment or operations in it. */
  WritePurposeNotConsented: {
    readonly patient: string;
    readonly writer: string;
    readonly purposes: number;
  };
  NoBreakGlassWindow: { readonly patient: string; readonly accessor: string };
  ConsentPredatesStanding: {
    readonly patient: string;
    readonly accessor: string;
    readonly grantedAt: number;
    readonly since: number;
  };
  BreakGlassPurposeNotEmergency: { readonly purpose: Purpose };
  // IRecordRegistry
  ZeroContentHash: NoArgs;
  RecordAlreadyAnchored: { readonly recordId: string };
  PatientCannotChangeAuthoredRecord: { readonly recordId: string; readonly authorId: number };
  RecordNotFound: { readonly recordId: string };
  RecordNotCurrent: { readonly recordId: string; readonly status: RecordStatus };
  RecordIsErased: { readonly recordId: string };
  ErasureNotPermitted: { readonly actor: string; readonly role: Role; readonly category: Category };
}

/** Name of a custom error of the CareLedger contract. */
export type ContractErrorName = keyof ContractErrorArgs;

/** The family a custom error belongs to; each family decodes to its own class. */
export type ContractErrorKind =
  | "access-denied"
  | "not-authorized"
  | "not-found"
  | "invalid-argument"
  | "state-conflict"
  | "invalid-signature"
  | "paused"
  | "erased"
  | "other";

/** Record access refusals: {@link AccessDeniedError}. */
export type AccessDeniedReason =
  | "NotAMember"
  | "MemberInactive"
  | "CategoryNotAllowedForRole"
  | "ConsentMissing"
  | "ConsentExpired"
  | "CategoryNotConsented"
  | "PurposeNotConsented"
  | "WritePurposeNotConsented"
  | "NoBreakGlassWindow"
  | "ConsentPredatesStanding"
  | "BreakGlassPurposeNotEmergency";

/** The caller lacks the governance or member role a function needs: {@link NotAuthorizedError}. */
export type NotAuthorizedReason =
  | "AccessControlUnauthorizedAccount"
  | "NotAPatient"
  | "NotAnAuditor"
  | "BreakGlassNotPermitted"
  | "SelfReview"
  | "NotPatientOrDelegate"
  | "DelegateExpired"
  | "DelegateWasRemoved"
  | "DelegateScopeExceeded"
  | "RegistrarSelfService"
  | "BreakGlassWarmupPending"
  | "PatientCannotChangeAuthoredRecord"
  | "ErasureNotPermitted";

/** Something looked up on chain does not exist: {@link NotFoundOnChainError}. */
export type NotFoundReason =
  | "RecordNotFound"
  | "IncidentNotFound"
  | "OrganizationNotRegistered"
  | "ConsentNotFound"
  | "NoLiveConsent"
  | "DelegateNotFound";

/** The incident pause blocks the call: {@link PausedError}. */
export type PausedReason = "EnforcedPause";

/** The record was erased (crypto-shredded): {@link RecordErasedError}. */
export type ErasedReason = "RecordIsErased";

/** The current state does not allow the change: {@link StateConflictError}. */
export type StateConflictReason =
  | "AccessControlBadConfirmation"
  | "AccessControlEnforcedDefaultAdminDelay"
  | "AccessControlEnforcedDefaultAdminRules"
  | "ExpectedPause"
  | "OrganizationAlreadyRegistered"
  | "OrganizationInactive"
  | "OrganizationStatusUnchanged"
  | "MemberAlreadyRegistered"
  | "MemberStatusUnchanged"
  | "RoleChangeNotAllowed"
  | "IncidentAlreadyReviewed"
  | "RecordAlreadyAnchored"
  | "RecordNotCurrent";

/** A relayed signature (EIP-712, ERC-1271) or its nonce is refused: {@link InvalidSignatureError}. */
export type InvalidSignatureReason =
  | "SignatureExpired"
  | "SignerMismatch"
  | "ERC1271SignatureRejected"
  | "ECDSAInvalidSignature"
  | "ECDSAInvalidSignatureLength"
  | "ECDSAInvalidSignatureS"
  | "InvalidAccountNonce"
  | "StaleConsentEpoch"
  | "DeadlineTooFar";

/** Low-level failures of library code: a plain {@link ContractRevertError}. */
export type OtherRevertReason =
  | "AddressEmptyCode"
  | "FailedCall"
  | "InvalidShortString"
  | "StringTooLong"
  | "SafeCastOverflowedUintDowncast";

/** An argument the contract rejects: {@link InvalidContractArgumentError}. */
export type InvalidArgumentReason = Exclude<
  ContractErrorName,
  | AccessDeniedReason
  | NotAuthorizedReason
  | NotFoundReason
  | PausedReason
  | StateConflictReason
  | InvalidSignatureReason
  | OtherRevertReason
  | ErasedReason
>;

/** Extra facts that make a message more precise. */
export interface DecodeContext {
  /** The contract function that reverted (e.g. `"openRecord"`); found from the error when it carries the calldata. */
  readonly functionName?: string;
}

export interface MessageContext {
  readonly functionName: string | undefined;
}

export interface ErrorSpec<N extends ContractErrorName> {
  readonly kind: ContractErrorKind;
  readonly message: (args: ContractErrorArgs[N], ctx: MessageContext) => string;
}

type ErrorSpecs = { readonly [N in ContractErrorName]: ErrorSpec<N> };

const a = shortHex;

/** What a failed access check was for, from the function that reverted. */
function verbOf(functionName: string | undefined): string {
  switch (functionName) {
    case "openRecord":
    case "canOpen":
    case "hasAccess":
      return "read";
    case "anchorRecord":
    case "amendRecord":
    case "markEnteredInError":
    case "canWrite":
      return "write";
    default:
      return "access";
  }
}

function knownRole(role: string): string {
  if (role === DEFAULT_ADMIN_ROLE) return "governance admin";
  if (role === REGISTRAR_ROLE) return "registrar";
  return `role ${a(role)}`;
}

function mask(value: number): string {
  return `0x${value.toString(16)}`;
}

/**
 * Every custom error of `CareLedger`: its family and its human message. The test suite checks that
 * the keys equal the error names in the compiled ABI.
 */
export const CONTRACT_ERRORS: ErrorSpecs = {
  AccessControlBadConfirmation: {
    kind: "state-conflict",
    message: () => "an account may only renounce a role for itself",
  },
  AccessControlEnforcedDefaultAdminDelay: {
    kind: "state-conflict",
    message: ({ schedule }) =>
      schedule === 0
        ? "no governance admin transfer or delay change is scheduled"
        : `the governance admin change may not happen before ${isoTime(schedule)}`,
  },
  AccessControlEnforcedDefaultAdminRules: {
    kind: "state-conflict",
    message: () => "the governance admin changes only through the two-step, delayed transfer",
  },
  AccessControlInvalidDefaultAdmin: {
    kind: "invalid-argument",
    message: ({ defaultAdmin }) => `${a(defaultAdmin)} cannot become the governance admin`,
  },
  AccessControlUnauthorizedAccount: {
    kind: "not-authorized",
    message: ({ account, neededRole }) => `${a(account)} is not a ${knownRole(neededRole)}`,
  },
  EnforcedPause: {
    kind: "paused",
    message: () => "CareLedger is paused: anchoring, granting and extending consent are suspended",
  },
  ExpectedPause: { kind: "state-conflict", message: () => "CareLedger is not paused" },
  SafeCastOverflowedUintDowncast: {
    kind: "other",
    message: ({ bits, value }) => `${value} does not fit in uint${bits}`,
  },
  AddressEmptyCode: { kind: "other", message: ({ target }) => `${a(target)} has no contract code` },
  FailedCall: { kind: "other", message: () => "a low-level call failed without a reason" },
  InvalidShortString: { kind: "other", message: () => "an invalid EIP-712 short string" },
  StringTooLong: { kind: "other", message: ({ str }) => `string "${str}" is too long` },
  InvalidAccountNonce: {
    kind: "invalid-signature",
    message: ({ account, currentNonce }) =>
      `the signature used the wrong nonce; ${a(account)} is at nonce ${currentNonce}`,
  },
  ECDSAInvalidSignature: {
    kind: "invalid-signature",
    message: () => "the signature is not a valid ECDSA signature",
  },
  ECDSAInvalidSignatureLength: {
    kind: "invalid-signature",
    message: ({ length }) => `the signature is ${length} bytes long, not 65`,
  },
  ECDSAInvalidSignatureS: {
    kind: "invalid-signature",
    message: () => "the signature has a malleable (high) s value",
  },

  ZeroAddress: {
    kind: "invalid-argument",
    message: () => "the zero address was given where an account is required",
  },
  InvalidRole: {
    kind: "invalid-argument",
    message: ({ role }) => `${roleLabel(role)} (${role}) is not accepted here`,
  },
  InvalidOrganizationId: {
    kind: "invalid-argument",
    message: ({ orgId }) => `organisation id ${orgId} is reserved for "no organisation"`,
  },
  OrganizationAlreadyRegistered: {
    kind: "state-conflict",
    message: ({ orgId }) => `organisation ${orgId} is registered already`,
  },
  OrganizationNotRegistered: {
    kind: "not-found",
    message: ({ orgId }) => `organisation ${orgId} was never registered`,
  },
  OrganizationInactive: {
    kind: "state-conflict",
    message: ({ orgId }) =>
      `organisation ${orgId} is suspended: it takes no new staff and its staff are refused`,
  },
  OrganizationStatusUnchanged: {
    kind: "state-conflict",
    message: ({ orgId, active }) =>
      `organisation ${orgId} is already ${active ? "active" : "suspended"}`,
  },
  MemberAlreadyRegistered: {
    kind: "state-conflict",
    message: ({ account }) => `${a(account)} is a member already`,
  },
  NotAMember: {
    kind: "access-denied",
    message: ({ account }) => `${a(account)} is not a CareLedger member`,
  },
  MemberInactive: {
    kind: "access-denied",
    message: ({ account }) => `${a(account)} is a deactivated member`,
  },
  MemberStatusUnchanged: {
    kind: "state-conflict",
    message: ({ account, active }) =>
      `${a(account)} is already ${active ? "active" : "deactivated"}`,
  },
  RoleChangeNotAllowed: {
    kind: "state-conflict",
    message: ({ account, from, to }) =>
      `${a(account)} cannot move from ${roleLabel(from)} to ${roleLabel(to)} (patients stay patients, staff stay staff)`,
  },
  ZeroEncryptionKey: {
    kind: "invalid-argument",
    message: ({ account }) => `an all-zero encryption key was given for ${a(account)}`,
  },
  NotAPatient: {
    kind: "not-authorized",
    message: ({ account, role }) =>
      `${roleLabel(role)} ${a(account)} is not a patient; only an active patient may do this`,
  },
  RegistrarSelfService: {
    kind: "not-authorized",
    message: ({ account }) =>
      `registrar ${a(account)} may not onboard, activate, deactivate or change the role of itself`,
  },
  InvalidLimits: {
    kind: "invalid-argument",
    message: ({ maxSignatureLifetime, maxConsentDuration, breakGlassWarmup }) =>
      `limits out of range: signature lifetime ${duration(maxSignatureLifetime)} and consent duration ` +
      `${duration(maxConsentDuration)} must be 1 s .. 10 years, warm-up ${duration(breakGlassWarmup)} at most 7 days`,
  },

  InvalidCategoryMask: {
    kind: "invalid-argument",
    message: ({ mask: m }) => `category mask ${mask(m)} has bits outside the defined categories`,
  },
  RoleHasNoPolicy: {
    kind: "invalid-argument",
    message: ({ role }) => `${roleLabel(role)} is not a staff role, so it has no policy`,
  },

  InvalidGrantee: {
    kind: "invalid-argument",
    message: ({ grantee }) => `${a(grantee)} cannot receive a grant (zero address, or the patient)`,
  },
  InvalidCategories: {
    kind: "invalid-argument",
    message: ({ categories }) =>
      `category set ${mask(categories)} is empty or has bits outside the defined ones`,
  },
  InvalidPurposes: {
    kind: "invalid-argument",
    message: ({ purposes }) =>
      `purpose set ${mask(purposes)} is empty or has bits outside the defined ones`,
  },
  ExpiryNotInFuture: {
    kind: "invalid-argument",
    message: ({ expiresAt, currentTime }) =>
      `expiry ${isoTime(expiresAt)} is not after the current block time ${isoTime(currentTime)}`,
  },
  ExpiryBeyondLimit: {
    kind: "invalid-argument",
    message: ({ expiresAt, limit }) =>
      `expiry ${isoTime(expiresAt)} lies after ${isoTime(limit)}, the governance maximum or the end of the delegation`,
  },
  NoLiveConsent: {
    kind: "not-found",
    message: ({ patient, grantee }) =>
      `patient ${a(patient)} has no live consent for ${a(grantee)}`,
  },
  ConsentNotFound: {
    kind: "not-found",
    message: ({ patient, grantee }) =>
      `patient ${a(patient)} has no consent for ${a(grantee)} to revoke`,
  },
  NotANarrowing: {
    kind: "invalid-argument",
    message: (x) =>
      `[${categoryMaskLabel(x.categories)}] for [${purposeMaskLabel(x.purposes)}] is not a strict narrowing of ` +
      `[${categoryMaskLabel(x.currentCategories)}] for [${purposeMaskLabel(x.currentPurposes)}]`,
  },
  NotAnExtension: {
    kind: "invalid-argument",
    message: ({ currentExpiresAt, expiresAt }) =>
      `new expiry ${isoTime(expiresAt)} is not later than the current ${isoTime(currentExpiresAt)}`,
  },

  InvalidDelegate: {
    kind: "invalid-argument",
    message: ({ delegate }) => `${a(delegate)} cannot be a delegate (zero address, or the patient)`,
  },
  NotPatientOrDelegate: {
    kind: "not-authorized",
    message: ({ patient, account }) =>
      `${a(account)} is neither patient ${a(patient)} nor one of their delegates`,
  },
  DelegateExpired: {
    kind: "not-authorized",
    message: ({ patient, delegate, expiredAt }) =>
      `the delegation of patient ${a(patient)} to ${a(delegate)} ended at ${isoTime(expiredAt)}`,
  },
  DelegateWasRemoved: {
    kind: "not-authorized",
    message: ({ patient, delegate }) => `patient ${a(patient)} removed delegate ${a(delegate)}`,
  },
  DelegateScopeExceeded: {
    kind: "not-authorized",
    message: ({ patient, delegate, scope, categories }) =>
      `delegate ${a(delegate)} of patient ${a(patient)} may act on [${categoryMaskLabel(scope)}], ` +
      `not [${categoryMaskLabel(categories)}]`,
  },
  DelegateNotFound: {
    kind: "not-found",
    message: ({ patient, delegate }) => `patient ${a(patient)} has no delegation to ${a(delegate)}`,
  },
  StaleConsentEpoch: {
    kind: "invalid-signature",
    message: ({ epoch, currentEpoch }) =>
      `the signature was made at grant epoch ${epoch}, but the grant is at epoch ${currentEpoch}: ` +
      "a direct change or revocation since voided it",
  },
  DeadlineTooFar: {
    kind: "invalid-signature",
    message: ({ deadline, latest }) =>
      `the signature's deadline ${deadline} lies after ${latest}, the longest lifetime governance allows`,
  },
  SignatureExpired: {
    kind: "invalid-signature",
    message: ({ deadline, currentTime }) =>
      `the signature expired at ${isoTime(deadline)} (block time ${isoTime(currentTime)})`,
  },
  SignerMismatch: {
    kind: "invalid-signature",
    message: ({ signer, recovered }) =>
      `the signature recovers to ${a(recovered)}, not ${a(signer)} (wrong chain, contract or fields)`,
  },
  ERC1271SignatureRejected: {
    kind: "invalid-signature",
    message: ({ signer }) => `smart account ${a(signer)} rejected the signature (ERC-1271)`,
  },

  BreakGlassNotPermitted: {
    kind: "not-authorized",
    message: ({ account, role }) =>
      `${roleLabel(role)} ${a(account)} may not break the glass (role policy)`,
  },
  InvalidBreakGlassDuration: {
    kind: "invalid-argument",
    message: ({ duration: d, maxDuration }) =>
      `a break-glass window of ${duration(d)} is outside 1s .. ${duration(maxDuration)}`,
  },
  BreakGlassCapExceeded: {
    kind: "invalid-argument",
    message: ({ maxDuration, cap }) =>
      `a longest break-glass window of ${duration(maxDuration)} is outside 1s .. ${duration(cap)}`,
  },
  ZeroJustification: {
    kind: "invalid-argument",
    message: () => "break-glass needs a non-zero justification hash",
  },
  IncidentNotFound: {
    kind: "not-found",
    message: ({ incidentId }) => `no break-glass incident #${incidentId}`,
  },
  IncidentAlreadyReviewed: {
    kind: "state-conflict",
    message: ({ incidentId, verdict }) =>
      `break-glass incident #${incidentId} was already reviewed (${reviewVerdictLabel(verdict)})`,
  },
  InvalidVerdict: {
    kind: "invalid-argument",
    message: ({ verdict }) => `verdict ${verdict} is neither justified (1) nor unjustified (2)`,
  },
  NotAnAuditor: {
    kind: "not-authorized",
    message: ({ account, role }) =>
      `${roleLabel(role)} ${a(account)} is not an auditor; only an active auditor may review`,
  },
  SelfReview: {
    kind: "not-authorized",
    message: ({ incidentId, auditor }) =>
      `${a(auditor)} broke the glass in incident #${incidentId} and may not review it`,
  },
  BreakGlassWarmupPending: {
    kind: "not-authorized",
    message: ({ account, readyAt }) =>
      `${a(account)} took its role recently and may break the glass only from ${isoTime(readyAt)}`,
  },

  InvalidCategory: {
    kind: "invalid-argument",
    message: ({ category }) => `category ${category} is not defined`,
  },
  InvalidPurpose: {
    kind: "invalid-argument",
    message: ({ purpose }) => `purpose ${purpose} is not defined`,
  },
  CategoryNotAllowedForRole: {
    kind: "access-denied",
    message: ({ account, role, category }, ctx) =>
      `${roleLabel(role)} ${a(account)} may not ${verbOf(ctx.functionName)} ${categoryLabel(category)} (role policy)`,
  },
  ConsentMissing: {
    kind: "access-denied",
    message: ({ patient, accessor }) => `patient ${a(patient)} has given ${a(accessor)} no consent`,
  },
  ConsentExpired: {
    kind: "access-denied",
    message: ({ patient, accessor, expiredAt }) =>
      `the consent of patient ${a(patient)} to ${a(accessor)} expired at ${isoTime(expiredAt)}`,
  },
  CategoryNotConsented: {
    kind: "access-denied",
    message: ({ patient, accessor, category }) =>
      `the consent of patient ${a(patient)} to ${a(accessor)} does not cover ${categoryLabel(category)}`,
  },
  PurposeNotConsented: {
    kind: "access-denied",
    message: ({ patient, accessor, purpose }) =>
      `the consent of patient ${a(patient)} to ${a(accessor)} does not cover the purpose ${purposeLabel(purpose)}`,
  },
  WritePurposeNotConsented: {
    kind: "access-denied",
    message: ({ patient, writer, purposes }) =>
      `the consent of patient ${a(patient)} to ${a(writer)} is for ${purposeMaskLabel(purposes)} only; ` +
      "writing needs treatment, payment or operations",
  },
  NoBreakGlassWindow: {
    kind: "access-denied",
    message: ({ patient, accessor }) =>
      `${a(accessor)} may read patient ${a(patient)}'s records only through break-glass, and has no open window`,
  },

  ConsentPredatesStanding: {
    kind: "access-denied",
    message: ({ patient, accessor, grantedAt, since }) =>
      `the consent of patient ${a(patient)} to ${a(accessor)} was given at ${isoTime(grantedAt)}, before ` +
      `${a(accessor)} took its current role or was reactivated (${isoTime(since)}); the patient must grant again`,
  },
  BreakGlassPurposeNotEmergency: {
    kind: "access-denied",
    message: ({ purpose }) =>
      `a read through a break-glass window is for emergency treatment only, not ${purposeLabel(purpose)}`,
  },

  ZeroContentHash: { kind: "invalid-argument", message: () => "a content hash of zero was given" },
  RecordAlreadyAnchored: {
    kind: "state-conflict",
    message: ({ recordId }) => `record ${a(recordId)} is anchored already`,
  },
  PatientCannotChangeAuthoredRecord: {
    kind: "not-authorized",
    message: ({ recordId, authorId }) =>
      `record ${a(recordId)} was authored by member #${authorId}: the patient adds their own linked record ` +
      "(an amendment request or a statement of disagreement) instead of changing it",
  },
  RecordNotFound: {
    kind: "not-found",
    message: ({ recordId }) => `no record ${a(recordId)} is anchored`,
  },
  RecordNotCurrent: {
    kind: "state-conflict",
    message: ({ recordId, status }) =>
      `record ${a(recordId)} is ${recordStatusLabel(status)}, not the current version`,
  },
  RecordIsErased: {
    kind: "erased",
    message: ({ recordId }) =>
      `record ${a(recordId)} was erased: its content was destroyed and nothing can open it`,
  },
  ErasureNotPermitted: {
    kind: "not-authorized",
    message: ({ actor, role, category }) =>
      `the role policy of ${roleLabel(role)} does not let ${a(actor)} erase ${categoryLabel(category)} ` +
      "records: retention rules keep them",
  },
};

/** Whether `name` is a custom error of the CareLedger contract. */
export function isContractErrorName(name: string): name is ContractErrorName {
  return Object.prototype.hasOwnProperty.call(CONTRACT_ERRORS, name);
}
