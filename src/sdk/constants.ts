/**
 * Typed mirrors of the Solidity enums and index libraries in `contracts/types/`
 * (CareTypes.sol, Categories.sol, Purposes.sol), with human labels and the HL7 codes
 * they map to. Values are the exact integers the contract takes and emits.
 */
import { id, ZeroHash } from "ethers";

/** What a member is (`enum Role`). One account holds exactly one role. */
export const Role = {
  None: 0,
  Patient: 1,
  Doctor: 2,
  Nurse: 3,
  BillingClerk: 4,
  Auditor: 5,
  EmergencyResponder: 6,
} as const;
export type RoleName = keyof typeof Role;
export type Role = (typeof Role)[RoleName];

/** Staff roles: the roles that carry a role policy and belong to an organisation. */
export const STAFF_ROLES: readonly Role[] = [
  Role.Doctor,
  Role.Nurse,
  Role.BillingClerk,
  Role.Auditor,
  Role.EmergencyResponder,
];

/** Data categories (`library Categories`): a single category is its index, a set is a `uint16` bitmask. */
export const Category = {
  Demographics: 0,
  Allergies: 1,
  Medications: 2,
  Vitals: 3,
  Labs: 4,
  Imaging: 5,
  ClinicalNotes: 6,
  Billing: 7,
  MentalHealth: 8,
} as const;
export type CategoryName = keyof typeof Category;
export type Category = (typeof Category)[CategoryName];

/** Number of categories; valid indices are `0 .. CATEGORY_COUNT - 1`. */
export const CATEGORY_COUNT = 9;

/** Purposes of use (`library Purposes`): a single purpose is its index, a set is a `uint8` bitmask. */
export const Purpose = {
  Treatment: 0,
  Payment: 1,
  Operations: 2,
  Research: 3,
  Emergency: 4,
} as const;
export type PurposeName = keyof typeof Purpose;
export type Purpose = (typeof Purpose)[PurposeName];

/** Number of purposes; valid indices are `0 .. PURPOSE_COUNT - 1`. */
export const PURPOSE_COUNT = 5;

/** Why an access check succeeded (`enum AccessPath`); `BreakGlass` flags an emergency open. */
export const AccessPath = {
  None: 0,
  Patient: 1,
  Consent: 2,
  BreakGlass: 3,
} as const;
export type AccessPathName = keyof typeof AccessPath;
export type AccessPath = (typeof AccessPath)[AccessPathName];

/** Lifecycle of an anchored record version (`enum RecordStatus`, FHIR `DocumentReference.status`). */
export const RecordStatus = {
  None: 0,
  Current: 1,
  Superseded: 2,
  EnteredInError: 3,
  /** Crypto-shredded: every copy of the data key and the envelope was destroyed; nothing opens it. */
  Erased: 4,
} as const;
export type RecordStatusName = keyof typeof RecordStatus;
export type RecordStatus = (typeof RecordStatus)[RecordStatusName];

/** An auditor's verdict on a break-glass incident (`enum ReviewVerdict`). */
export const ReviewVerdict = {
  Pending: 0,
  Justified: 1,
  Unjustified: 2,
} as const;
export type ReviewVerdictName = keyof typeof ReviewVerdict;
export type ReviewVerdict = (typeof ReviewVerdict)[ReviewVerdictName];

/** The kinds of entries folded into the audit trail (`enum AuditAction`). */
export const AuditAction = {
  RecordOpened: 0,
  BreakGlassDeclared: 1,
  BreakGlassReviewed: 2,
  RecordErased: 3,
} as const;
export type AuditActionName = keyof typeof AuditAction;
export type AuditAction = (typeof AuditAction)[AuditActionName];

// ---------------------------------------------------------------------------------------------
// Bitmasks
// ---------------------------------------------------------------------------------------------

/** Bitmask of a set of categories (bit `i` = category index `i`), as `grantConsent` and role policies take it. */
export function categoryMask(...categories: readonly Category[]): number {
  let mask = 0;
  for (const c of categories) mask |= 1 << checkIndex(c, CATEGORY_COUNT, "category");
  return mask;
}

/** Bitmask of a set of purposes (bit `i` = purpose index `i`), as `grantConsent` takes it. */
export function purposeMask(...purposes: readonly Purpose[]): number {
  let mask = 0;
  for (const p of purposes) mask |= 1 << checkIndex(p, PURPOSE_COUNT, "purpose");
  return mask;
}

/** The categories set in `mask`, in index order (bits outside the defined categories are ignored). */
export function categoriesInMask(mask: number | bigint): Category[] {
  return indicesInMask(Number(mask), CATEGORY_COUNT) as Category[];
}

/** The purposes set in `mask`, in index order (bits outside the defined purposes are ignored). */
export function purposesInMask(mask: number | bigint): Purpose[] {
  return indicesInMask(Number(mask), PURPOSE_COUNT) as Purpose[];
}

/** Every category (`Categories.ALL`, 0x1FF). */
export const ALL_CATEGORIES = (1 << CATEGORY_COUNT) - 1;
/** Every category but billing (`Categories.CLINICAL`). */
export const CLINICAL_CATEGORIES = ALL_CATEGORIES & ~(1 << Category.Billing);
/** Every purpose (`Purposes.ALL`, 0x1F). */
export const ALL_PURPOSES = (1 << PURPOSE_COUNT) - 1;

/** Category bitmasks of one role's policy (`struct RolePolicy`). */
export interface RolePolicyMasks {
  readonly read: number;
  readonly write: number;
  readonly emergencyRead: number;
}

/** The role policies a fresh deployment starts with ("minimum necessary"). */
export const DEFAULT_ROLE_POLICIES: Readonly<Record<Role, RolePolicyMasks>> = {
  [Role.None]: { read: 0, write: 0, emergencyRead: 0 },
  [Role.Patient]: { read: 0, write: 0, emergencyRead: 0 },
  [Role.Doctor]: {
    read: CLINICAL_CATEGORIES,
    write: CLINICAL_CATEGORIES,
    emergencyRead: CLINICAL_CATEGORIES,
  },
  [Role.Nurse]: {
    read: categoryMask(Category.Allergies, Category.Medications, Category.Vitals, Category.Labs),
    write: categoryMask(Category.Medications, Category.Vitals),
    emergencyRead: 0,
  },
  [Role.BillingClerk]: {
    read: categoryMask(Category.Demographics, Category.Billing),
    write: categoryMask(Category.Billing),
    emergencyRead: 0,
  },
  [Role.Auditor]: { read: 0, write: 0, emergencyRead: 0 },
  [Role.EmergencyResponder]: {
    read: 0,
    write: 0,
    emergencyRead: CLINICAL_CATEGORIES & ~(1 << Category.MentalHealth),
  },
};

// ---------------------------------------------------------------------------------------------
// Governance
// ---------------------------------------------------------------------------------------------

/** `REGISTRAR_ROLE` = keccak256("careledger.role.registrar"). */
export const REGISTRAR_ROLE: string = id("careledger.role.registrar");
/** `DEFAULT_ADMIN_ROLE` of OpenZeppelin access control: the governance admin. */
export const DEFAULT_ADMIN_ROLE: string = ZeroHash;
/** Hard cap on a break-glass window in the contract (`MAX_BREAK_GLASS_DURATION`, 24 h), in seconds. */
export const MAX_BREAK_GLASS_DURATION = 24 * 60 * 60;

// ---------------------------------------------------------------------------------------------
// Labels and HL7 codes
// ---------------------------------------------------------------------------------------------

/** Human labels, lower case, for messages ("billing clerk 0xab…cd may not read labs"). */
export const ROLE_LABELS: Readonly<Record<Role, string>> = {
  [Role.None]: "non-member",
  [Role.Patient]: "patient",
  [Role.Doctor]: "doctor",
  [Role.Nurse]: "nurse",
  [Role.BillingClerk]: "billing clerk",
  [Role.Auditor]: "auditor",
  [Role.EmergencyResponder]: "emergency responder",
};

export const CATEGORY_LABELS: Readonly<Record<Category, string>> = {
  [Category.Demographics]: "demographics",
  [Category.Allergies]: "allergies",
  [Category.Medications]: "medications",
  [Category.Vitals]: "vitals",
  [Category.Labs]: "labs",
  [Category.Imaging]: "imaging",
  [Category.ClinicalNotes]: "clinical notes",
  [Category.Billing]: "billing",
  [Category.MentalHealth]: "mental health",
};

export const PURPOSE_LABELS: Readonly<Record<Purpose, string>> = {
  [Purpose.Treatment]: "treatment",
  [Purpose.Payment]: "payment",
  [Purpose.Operations]: "operations",
  [Purpose.Research]: "research",
  [Purpose.Emergency]: "emergency treatment",
};

export const ACCESS_PATH_LABELS: Readonly<Record<AccessPath, string>> = {
  [AccessPath.None]: "none",
  [AccessPath.Patient]: "patient (own record)",
  [AccessPath.Consent]: "consent",
  [AccessPath.BreakGlass]: "break-glass",
};

export const RECORD_STATUS_LABELS: Readonly<Record<RecordStatus, string>> = {
  [RecordStatus.None]: "none",
  [RecordStatus.Current]: "current",
  [RecordStatus.Superseded]: "superseded",
  [RecordStatus.EnteredInError]: "entered in error",
  [RecordStatus.Erased]: "erased",
};

export const REVIEW_VERDICT_LABELS: Readonly<Record<ReviewVerdict, string>> = {
  [ReviewVerdict.Pending]: "pending",
  [ReviewVerdict.Justified]: "justified",
  [ReviewVerdict.Unjustified]: "unjustified",
};

/** HL7 v3 `PurposeOfUse` codes (code system 2.16.840.1.113883.1.11.20448), as used in FHIR `Consent.provision.purpose`. */
export const PURPOSE_HL7_CODES: Readonly<Record<Purpose, string>> = {
  [Purpose.Treatment]: "TREAT",
  [Purpose.Payment]: "HPAYMT",
  [Purpose.Operations]: "HOPERAT",
  [Purpose.Research]: "HRESCH",
  [Purpose.Emergency]: "ETREAT",
};

/**
 * FHIR `DocumentReference.status` codes of a record status. `None` has no FHIR counterpart, nor has `Erased`:
 * an erased record's `DocumentReference` is deleted, its erasure is an `AuditEvent`.
 */
export const RECORD_STATUS_FHIR_CODES: Readonly<Record<Exclude<RecordStatus, 0 | 4>, string>> = {
  [RecordStatus.Current]: "current",
  [RecordStatus.Superseded]: "superseded",
  [RecordStatus.EnteredInError]: "entered-in-error",
};

/** Label of a role index, or `role #n` for an index the contract does not define. */
export function roleLabel(role: number | bigint): string {
  return labelOf(ROLE_LABELS, role, "role");
}

/** Label of a category index, or `category #n` for an undefined index. */
export function categoryLabel(category: number | bigint): string {
  return labelOf(CATEGORY_LABELS, category, "category");
}

/** Label of a purpose index, or `purpose #n` for an undefined index. */
export function purposeLabel(purpose: number | bigint): string {
  return labelOf(PURPOSE_LABELS, purpose, "purpose");
}

/** Label of an access path, or `path #n` for an undefined value. */
export function accessPathLabel(path: number | bigint): string {
  return labelOf(ACCESS_PATH_LABELS, path, "path");
}

/** Label of a review verdict, or `verdict #n` for an undefined value. */
export function reviewVerdictLabel(verdict: number | bigint): string {
  return labelOf(REVIEW_VERDICT_LABELS, verdict, "verdict");
}

/** Label of a record status, or `status #n` for an undefined value. */
export function recordStatusLabel(status: number | bigint): string {
  return labelOf(RECORD_STATUS_LABELS, status, "status");
}

/** Labels of every category in `mask`, comma separated ("labs, medications"), or "none". */
export function categoryMaskLabel(mask: number | bigint): string {
  const cats = categoriesInMask(mask);
  return cats.length === 0 ? "none" : cats.map((c) => CATEGORY_LABELS[c]).join(", ");
}

/** Labels of every purpose in `mask`, comma separated, or "none". */
export function purposeMaskLabel(mask: number | bigint): string {
  const ps = purposesInMask(mask);
  return ps.length === 0 ? "none" : ps.map((p) => PURPOSE_LABELS[p]).join(", ");
}

function labelOf(
  labels: Readonly<Record<number, string>>,
  value: number | bigint,
  kind: string,
): string {
  return labels[Number(value)] ?? `${kind} #${value}`;
}

function indicesInMask(mask: number, count: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < count; i++) if ((mask >> i) & 1) out.push(i);
  return out;
}

function checkIndex(index: number, count: number, kind: string): number {
  if (!Number.isInteger(index) || index < 0 || index >= count) {
    throw new RangeError(`${kind} index ${index} is outside 0..${count - 1}`);
  }
  return index;
}
