/**
 * Typed mirrors of the on-chain enums and bitmask libraries (contracts/types/), for every TypeScript test.
 *
 * These are written out literally on purpose, not read from the contract: a test that compares the
 * contract with its own constants could not notice a change.
 */
import { ZeroHash, id } from "ethers";

/** `Role` (contracts/types/CareTypes.sol), passed across the ABI as `uint8`. */
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
export type RoleIndex = (typeof Role)[RoleName];
/** The roles that have a policy (everything but `None` and `Patient`). */
export const STAFF_ROLES = [
  Role.Doctor,
  Role.Nurse,
  Role.BillingClerk,
  Role.Auditor,
  Role.EmergencyResponder,
] as const;
/** One past the highest role index: the smallest invalid `uint8` role. */
export const ROLE_COUNT = 7;

/** Category indices (contracts/types/Categories.sol). A single category is a `uint8` index. */
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
export type CategoryIndex = (typeof Category)[CategoryName];
/** Number of categories; valid indices are `0 .. CATEGORY_COUNT - 1`. */
export const CATEGORY_COUNT = 9;
/** Every category index, in order. */
export const CATEGORIES: readonly CategoryIndex[] = Object.values(Category);

/** Purpose-of-use indices (contracts/types/Purposes.sol). A single purpose is a `uint8` index. */
export const Purpose = {
  Treatment: 0,
  Payment: 1,
  Operations: 2,
  Research: 3,
  Emergency: 4,
} as const;
export type PurposeName = keyof typeof Purpose;
export type PurposeIndex = (typeof Purpose)[PurposeName];
/** Number of purposes; valid indices are `0 .. PURPOSE_COUNT - 1`. */
export const PURPOSE_COUNT = 5;
/** Every purpose index, in order. */
export const PURPOSES: readonly PurposeIndex[] = Object.values(Purpose);

/** `AccessPath`: why an access check succeeded (`None` when it would not). */
export const AccessPath = { None: 0, Patient: 1, Consent: 2, BreakGlass: 3 } as const;
export type AccessPathIndex = (typeof AccessPath)[keyof typeof AccessPath];

/** `RecordStatus` of an anchored record version. */
export const RecordStatus = {
  None: 0,
  Current: 1,
  Superseded: 2,
  EnteredInError: 3,
  Erased: 4,
} as const;

/** `ReviewVerdict` of a break-glass incident. */
export const ReviewVerdict = { Pending: 0, Justified: 1, Unjustified: 2 } as const;

/** `AuditAction`: the first field of every audit entry. */
export const AuditAction = {
  RecordOpened: 0,
  BreakGlassDeclared: 1,
  BreakGlassReviewed: 2,
  RecordErased: 3,
} as const;

/** Bit of category `index` in a `uint16` category set. */
export function categoryBit(index: number): number {
  return 1 << index;
}

/** Bit of purpose `index` in a `uint8` purpose set. */
export function purposeBit(index: number): number {
  return 1 << index;
}

/** The set (bitmask) of the given indices. */
export function maskOf(...indices: readonly number[]): number {
  return indices.reduce((mask, i) => mask | (1 << i), 0);
}

/** Category sets (`uint16` bitmasks). */
export const CategoryMask = {
  /** Every category: 0x1FF. */
  ALL: 0x1ff,
  /** Every category but billing: 0x17F. */
  CLINICAL: 0x17f,
  /** Clinical minus mental health: the default emergency-responder break-glass set, 0x7F. */
  CLINICAL_NO_MENTAL_HEALTH: 0x07f,
  /** Allergies, medications, vitals, labs: the default nurse read set, 0x1E. */
  NURSE_READ: 0x01e,
  /** Medications, vitals: the default nurse write set, 0x0C. */
  NURSE_WRITE: 0x00c,
  /** Demographics, billing: the default billing-clerk read set, 0x81. */
  BILLING_READ: 0x081,
  /** Billing: the default billing-clerk write set, 0x80. */
  BILLING_WRITE: 0x080,
} as const;

/** Purpose sets (`uint8` bitmasks). */
export const PurposeMask = {
  /** Every purpose: 0x1F. */
  ALL: 0x1f,
  TREATMENT: 0x01,
  PAYMENT: 0x02,
} as const;

/** `AccessControl.DEFAULT_ADMIN_ROLE`: governance. */
export const DEFAULT_ADMIN_ROLE = ZeroHash;
/** `CareGovernance.REGISTRAR_ROLE`. */
export const REGISTRAR_ROLE = id("careledger.role.registrar");

/** Hard cap on a break-glass window (`BreakGlass.MAX_BREAK_GLASS_DURATION`): 24 h. */
export const MAX_BREAK_GLASS_DURATION = 24 * 60 * 60;
/** Break-glass max duration the test fixture deploys with: 4 h. */
export const BREAK_GLASS_MAX_DURATION = 4 * 60 * 60;
/** Admin-transfer delay the test fixture deploys with: 2 days. */
export const ADMIN_TRANSFER_DELAY = 2 * 24 * 60 * 60;
/** Organisation the fixture registers and puts all staff in. */
export const HOSPITAL_ORG_ID = 1;
/** A second organisation the fixture registers and leaves active and empty. */
export const CLINIC_ORG_ID = 2;
/** Lifetime of the grants the fixtures give: 30 days. */
export const CONSENT_LIFETIME = 30 * 24 * 60 * 60;
/** Default `limits()` of a new deployment: signed-consent deadlines at most 7 days ahead. */
export const MAX_SIGNATURE_LIFETIME = 7 * 24 * 60 * 60;
/** Default `limits()`: consent at most 366 days from when it is given or extended. */
export const MAX_CONSENT_DURATION = 366 * 24 * 60 * 60;
/** Default `limits()`: a member breaks the glass 1 hour after onboarding, a role change or reactivation. */
export const BREAK_GLASS_WARMUP = 60 * 60;
/** One day in seconds. */
export const ONE_DAY = 24 * 60 * 60;
