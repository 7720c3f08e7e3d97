/**
 * A CareLedger grant ↔ an HL7 FHIR R4 `Consent`, both ways, exactly.
 *
 * ## The mapping
 * | grant | `Consent` |
 * |---|---|
 * | live (`expiresAt` > now) / expired | `status` `active` / `inactive` |
 * | (always) | `scope` consentscope#patient-privacy; `category` LOINC 59284-0 "Patient Consent" |
 * | (always) | `policyRule` v3-ActCode#OPTIN (ppc-1: a Consent needs a policy or policy rule) |
 * | `patient` | `patient`: Reference(Patient) by account identifier (below) |
 * | `grantedAt` | `dateTime`, and `provision.period.start` |
 * | `grantedBy` (event `actor`) | `performer`: Reference(Patient), or Reference(RelatedPerson) for a delegate |
 * | (always) | `provision.type` `permit` |
 * | `expiresAt` (exclusive) | `provision.period.end` = `expiresAt − 1 s` (FHIR period ends are inclusive) |
 * | `grantee` | the one `provision.actor`, role v3-ParticipationType#IRCP (or PRCP), by account identifier |
 * | (always) | `provision.action` consentaction#access, #collect and #correct: a grant lets the grantee open records, anchor new ones and amend them (within its role's policy) |
 * | `purposes` | `provision.purpose`: v3-ActReason TREAT, HPAYMT, HOPERAT, HRESCH, ETREAT |
 * | `categories` | `provision.class`: codes of the CareLedger data-category code system ({@link CARELEDGER_CATEGORY_SYSTEM}); no standard code system has one code per CareLedger category (vitals and labs are both `Observation`, mental health cuts across resource types) |
 *
 * **Accounts** are identified by a logical reference whose identifier is the account's CAIP-10 id:
 * `{ system: "urn:ietf:rfc:3986", value: "eip155:<chainId>:<EIP-55 address>" }`. `urn:ietf:rfc:3986` is
 * FHIR's system for "the value is a URI", and CAIP-10 is the chain-agnostic standard for an account on a
 * chain, so the chain id travels with the address and a consent for one network is never read as one for
 * another. Literal references (`Patient/123`) are refused: they cannot be resolved to an account.
 *
 * **Exactness.** `fromFhirConsent` maps every element `Consent` defines or refuses the resource with an
 * {@link UnsupportedFhirConsentError} listing each element it cannot represent (nested provisions, deny
 * rules, data references, security labels, data periods, several actors, unknown codes, a missing period
 * end, extensions, …). It never narrows or widens a consent to make it fit. Only the housekeeping elements
 * every resource has (`id`, `meta`, `text`, `language`) are accepted without being mapped (`id` is
 * carried back by {@link toFhirConsent}); they do not change what the consent permits.
 *
 * One difference the mapping cannot remove, by the contract's design: writes (anchor/amend) check the
 * grant's categories but not its purposes, while FHIR applies `provision.purpose` to every action.
 */
import { type BigNumberish, getAddress, getBigInt, isAddress } from "ethers";
import type { CareLedger } from "../../typechain-types/index.js";
import {
  ALL_CATEGORIES,
  ALL_PURPOSES,
  CATEGORY_LABELS,
  type Category,
  PURPOSE_HL7_CODES,
  type Purpose,
  categoriesInMask,
  purposesInMask,
} from "../sdk/constants.js";
import { InvalidArgumentError } from "../errors.js";
import { isoTime } from "../sdk/format.js";
import { UnsupportedFhirConsentError, type UnsupportedElement } from "./errors.js";
import type { CodeableConcept, Coding, Consent, Reference } from "./fhir-r4.js";

// ---------------------------------------------------------------------------------------------
// Code systems and codes
// ---------------------------------------------------------------------------------------------

/** Code system of CareLedger's data categories (one code per category index). */
export const CARELEDGER_CATEGORY_SYSTEM = "https://careledger.dev/fhir/CodeSystem/data-category";

/** The code systems the mapping uses. */
export const FHIR_SYSTEMS = {
  consentScope: "http://terminology.hl7.org/CodeSystem/consentscope",
  loinc: "http://loinc.org",
  actCode: "http://terminology.hl7.org/CodeSystem/v3-ActCode",
  participationType: "http://terminology.hl7.org/CodeSystem/v3-ParticipationType",
  consentAction: "http://terminology.hl7.org/CodeSystem/consentaction",
  actReason: "http://terminology.hl7.org/CodeSystem/v3-ActReason",
  category: CARELEDGER_CATEGORY_SYSTEM,
  /** FHIR's system for identifiers whose value is a URI (here a CAIP-10 account id). */
  uri: "urn:ietf:rfc:3986",
} as const;

interface Code {
  readonly system: string;
  readonly code: string;
  readonly display: string;
}

const SCOPE: Code = {
  system: FHIR_SYSTEMS.consentScope,
  code: "patient-privacy",
  display: "Privacy Consent",
};
const CATEGORY: Code = { system: FHIR_SYSTEMS.loinc, code: "59284-0", display: "Patient Consent" };
const POLICY_RULE: Code = { system: FHIR_SYSTEMS.actCode, code: "OPTIN", display: "opt-in" };

/** Codes of the data categories in {@link CARELEDGER_CATEGORY_SYSTEM}. */
export const CATEGORY_FHIR_CODES: Readonly<Record<Category, string>> = {
  0: "demographics",
  1: "allergies",
  2: "medications",
  3: "vitals",
  4: "labs",
  5: "imaging",
  6: "clinical-notes",
  7: "billing",
  8: "mental-health",
};

/** Display names of the v3-ActReason purpose-of-use codes. */
const PURPOSE_DISPLAYS: Readonly<Record<Purpose, string>> = {
  0: "treatment",
  1: "healthcare payment",
  2: "healthcare operations",
  3: "healthcare research",
  4: "Emergency Treatment",
};

/** The consentaction codes a grant always permits, together. */
export const GRANT_ACTIONS = ["access", "collect", "correct"] as const;
const ACTION_DISPLAYS: Readonly<Record<(typeof GRANT_ACTIONS)[number], string>> = {
  access: "Access",
  collect: "Collect",
  correct: "Access and Correct",
};

/** How the grantee is a recipient (v3 ParticipationType): information recipient, or primary one. */
export type RecipientRole = "IRCP" | "PRCP";
const RECIPIENT_DISPLAYS: Readonly<Record<RecipientRole, string>> = {
  IRCP: "information recipient",
  PRCP: "primary information recipient",
};

/** The resource types R4 allows for `Consent.provision.actor.reference`. */
export const GRANTEE_RESOURCE_TYPES = [
  "Device",
  "Group",
  "CareTeam",
  "Organization",
  "Patient",
  "Practitioner",
  "RelatedPerson",
  "PractitionerRole",
] as const;
export type GranteeResourceType = (typeof GRANTEE_RESOURCE_TYPES)[number];

// ---------------------------------------------------------------------------------------------
// The grant
// ---------------------------------------------------------------------------------------------

/** A CareLedger grant as the chain holds it, plus who gave it. */
export interface ConsentGrant {
  /** Checksummed address of the patient. */
  readonly patient: string;
  /** Checksummed address of the grantee. */
  readonly grantee: string;
  /** Category bitmask. */
  readonly categories: number;
  /** Purpose-of-use bitmask. */
  readonly purposes: number;
  /** When the grant was given (block time, unix seconds). */
  readonly grantedAt: bigint;
  /** End of the grant (unix seconds, exclusive: live while block time < expiresAt). */
  readonly expiresAt: bigint;
  /** `active` while live, `inactive` once expired. */
  readonly status: "active" | "inactive";
  /** Who gave it (the `actor` of `ConsentGranted`): the patient or a delegate; unknown from storage alone. */
  readonly grantedBy?: string | undefined;
}

/**
 * The stored grant of `patient` to `grantee`, with its status at the latest block; undefined when there is
 * none (never granted, or revoked).
 */
export async function readGrant(
  ledger: CareLedger,
  patient: string,
  grantee: string,
  grantedBy?: string,
): Promise<ConsentGrant | undefined> {
  const provider = ledger.runner?.provider;
  const [g, block] = await Promise.all([
    ledger.consentOf(patient, grantee),
    provider?.getBlock("latest"),
  ]);
  if (g.expiresAt === 0n) return undefined;
  const now = BigInt(block?.timestamp ?? Math.floor(Date.now() / 1000));
  return {
    patient: getAddress(patient),
    grantee: getAddress(grantee),
    categories: Number(g.categories),
    purposes: Number(g.purposes),
    grantedAt: g.grantedAt,
    expiresAt: g.expiresAt,
    status: g.expiresAt > now ? "active" : "inactive",
    grantedBy: grantedBy === undefined ? undefined : getAddress(grantedBy),
  };
}

// ---------------------------------------------------------------------------------------------
// Grant → Consent
// ---------------------------------------------------------------------------------------------

/** How to present a grant as FHIR: what the chain does not record. */
export interface ToFhirOptions {
  /** Chain of the accounts (part of every account identifier). */
  readonly chainId: BigNumberish;
  /** `Consent.id`. */
  readonly id?: string | undefined;
  /** `type` of the grantee reference; omitted when undefined (the chain does not know it). */
  readonly granteeType?: GranteeResourceType | undefined;
  /** Role of the grantee; default IRCP. */
  readonly recipientRole?: RecipientRole | undefined;
}

/** The identifier of account `address` on chain `chainId`: CAIP-10 under `urn:ietf:rfc:3986`. */
export function accountIdentifier(
  chainId: BigNumberish,
  address: string,
): { system: string; value: string } {
  return { system: FHIR_SYSTEMS.uri, value: `eip155:${getBigInt(chainId)}:${getAddress(address)}` };
}

function accountReference(chainId: bigint, address: string, type: string | undefined): Reference {
  const identifier = accountIdentifier(chainId, address);
  return type === undefined ? { identifier } : { type, identifier };
}

function coding(c: Code): Coding {
  return { system: c.system, code: c.code, display: c.display };
}

function concept(c: Code): CodeableConcept {
  return { coding: [coding(c)] };
}

function fhirInstant(seconds: bigint): string {
  return isoTime(seconds);
}

function checkGrant(grant: ConsentGrant): void {
  const problems: string[] = [];
  if (grant.categories === 0 || (grant.categories & ~ALL_CATEGORIES) !== 0)
    problems.push("categories");
  if (grant.purposes === 0 || (grant.purposes & ~ALL_PURPOSES) !== 0) problems.push("purposes");
  if (grant.expiresAt <= grant.grantedAt) problems.push("expiresAt (not after grantedAt)");
  if (getAddress(grant.patient) === getAddress(grant.grantee))
    problems.push("grantee (the patient)");
  if (problems.length > 0)
    throw new InvalidArgumentError(`not a valid grant: ${problems.join(", ")}`);
}

/** The FHIR R4 `Consent` of a grant (see the module comment for the mapping). */
export function toFhirConsent(grant: ConsentGrant, options: ToFhirOptions): Consent {
  checkGrant(grant);
  const chainId = getBigInt(options.chainId);
  const patient = getAddress(grant.patient);
  const role = options.recipientRole ?? "IRCP";
  const consent: Consent = {
    resourceType: "Consent",
    ...(options.id === undefined ? {} : { id: options.id }),
    status: grant.status,
    scope: concept(SCOPE),
    category: [concept(CATEGORY)],
    patient: accountReference(chainId, patient, "Patient"),
    dateTime: fhirInstant(grant.grantedAt),
  };
  if (grant.grantedBy !== undefined) {
    const by = getAddress(grant.grantedBy);
    consent.performer = [
      accountReference(chainId, by, by === patient ? "Patient" : "RelatedPerson"),
    ];
  }
  consent.policyRule = concept(POLICY_RULE);
  consent.provision = {
    type: "permit",
    period: { start: fhirInstant(grant.grantedAt), end: fhirInstant(grant.expiresAt - 1n) },
    actor: [
      {
        role: concept({
          system: FHIR_SYSTEMS.participationType,
          code: role,
          display: RECIPIENT_DISPLAYS[role],
        }),
        reference: accountReference(chainId, grant.grantee, options.granteeType),
      },
    ],
    action: GRANT_ACTIONS.map((code) =>
      concept({ system: FHIR_SYSTEMS.consentAction, code, display: ACTION_DISPLAYS[code] }),
    ),
    purpose: purposesInMask(grant.purposes).map((p) =>
      coding({
        system: FHIR_SYSTEMS.actReason,
        code: PURPOSE_HL7_CODES[p],
        display: PURPOSE_DISPLAYS[p],
      }),
    ),
    class: categoriesInMask(grant.categories).map((c) =>
      coding({
        system: CARELEDGER_CATEGORY_SYSTEM,
        code: CATEGORY_FHIR_CODES[c],
        display: CATEGORY_LABELS[c],
      }),
    ),
  };
  return consent;
}

// ---------------------------------------------------------------------------------------------
// Consent → grant
// ---------------------------------------------------------------------------------------------

/** A FHIR consent read as a grant, with what FHIR said that the chain does not record. */
export interface FhirConsentMapping {
  readonly grant: ConsentGrant;
  readonly chainId: bigint;
  readonly id: string | undefined;
  readonly granteeType: GranteeResourceType | undefined;
  readonly recipientRole: RecipientRole;
}

type Json = Readonly<Record<string, unknown>>;

const GENERIC_REASONS: Readonly<Record<string, string>> = {
  extension: "extensions cannot be represented in a CareLedger grant",
  modifierExtension:
    "modifier extensions change the meaning of the consent and cannot be represented",
};

const CONSENT_REASONS: Readonly<Record<string, string>> = {
  identifier:
    "business identifiers are not stored on chain (a grant is identified by its patient and grantee)",
  implicitRules: "implicit rules change how the consent must be read and cannot be represented",
  contained: "contained resources are not supported: accounts are referenced by identifier",
  organization: "a grant names no custodian organisation",
  sourceAttachment: "the source document is not stored on chain",
  sourceReference: "the source document is not stored on chain",
  policy:
    "a grant follows CareLedger's opt-in policy only (policyRule OPTIN); other policies cannot be represented",
  verification: "verification records are not stored on chain",
};

const PROVISION_REASONS: Readonly<Record<string, string>> = {
  securityLabel: "rules on security labels cannot be represented: a grant covers whole categories",
  code: "rules on specific codes cannot be represented: a grant covers whole categories",
  dataPeriod: "rules on when data was recorded cannot be represented: a grant covers all times",
  data: "rules on specific resources cannot be represented: a grant covers whole categories",
  provision:
    "nested provisions (exceptions) cannot be represented: a grant is a single permit rule",
};

/** Collects every unsupported element instead of stopping at the first. */
class ConsentReader {
  readonly unsupported: UnsupportedElement[] = [];

  constructor(readonly chainId: bigint) {}

  flag(path: string, reason: string): undefined {
    this.unsupported.push({ path, reason });
    return undefined;
  }

  object(value: unknown, path: string): Json | undefined {
    if (typeof value !== "object" || value === null || Array.isArray(value))
      return this.flag(path, "must be an object");
    return value as Json;
  }

  array(value: unknown, path: string): readonly unknown[] | undefined {
    if (!Array.isArray(value)) return this.flag(path, "must be an array");
    return value;
  }

  string(value: unknown, path: string): string | undefined {
    if (typeof value !== "string") return this.flag(path, "must be a string");
    return value;
  }

  /** Flag every key of `obj` that is not in `allowed`, with its reason. */
  onlyKeys(
    obj: Json,
    path: string,
    allowed: readonly string[],
    reasons: Readonly<Record<string, string>> = {},
  ): void {
    for (const key of Object.keys(obj)) {
      if (allowed.includes(key)) continue;
      const reason =
        reasons[key] ??
        GENERIC_REASONS[key] ??
        (key.startsWith("_")
          ? "extensions on primitive values cannot be represented in a CareLedger grant"
          : "is not an element CareLedger can represent");
      this.flag(`${path}.${key}`, reason);
    }
  }

  coding(value: unknown, path: string): { system: string; code: string } | undefined {
    const c = this.object(value, path);
    if (c === undefined) return undefined;
    this.onlyKeys(c, path, ["id", "system", "version", "code", "display", "userSelected"]);
    const system = this.string(c["system"], `${path}.system`);
    const code = this.string(c["code"], `${path}.code`);
    return system === undefined || code === undefined ? undefined : { system, code };
  }

  /** The codings of a CodeableConcept (its `text` is accepted as a label). */
  codings(value: unknown, path: string): { system: string; code: string }[] | undefined {
    const cc = this.object(value, path);
    if (cc === undefined) return undefined;
    this.onlyKeys(cc, path, ["id", "coding", "text"]);
    const list = cc["coding"] === undefined ? [] : this.array(cc["coding"], `${path}.coding`);
    if (list === undefined) return undefined;
    const out: { system: string; code: string }[] = [];
    list.forEach((item, i) => {
      const c = this.coding(item, `${path}.coding[${i}]`);
      if (c !== undefined) out.push(c);
    });
    return out;
  }

  /** A CodeableConcept that must be exactly one of `allowed` (one coding). */
  fixedConcept<C extends string>(
    value: unknown,
    path: string,
    system: string,
    allowed: readonly C[],
    what: string,
  ): C | undefined {
    const codings = this.codings(value, path);
    if (codings === undefined) return undefined;
    const want = `${allowed.map((c) => `${system}#${c}`).join(" or ")} (${what})`;
    if (codings.length !== 1) return this.flag(path, `must have exactly one coding: ${want}`);
    const [c] = codings as [{ system: string; code: string }];
    if (c.system !== system || !(allowed as readonly string[]).includes(c.code)) {
      return this.flag(
        `${path}.coding[0]`,
        `${c.system}#${c.code} cannot be represented; expected ${want}`,
      );
    }
    return c.code as C;
  }

  /** The bitmask of a list of Codings from `system` whose codes are in `codes` (index = bit). */
  codingMask(
    value: unknown,
    path: string,
    system: string,
    codes: readonly string[],
    what: string,
  ): number | undefined {
    if (value === undefined) {
      return this.flag(
        path,
        `required: an absent ${what} means every ${what}; list the ones granted`,
      );
    }
    const list = this.array(value, path);
    if (list === undefined) return undefined;
    if (list.length === 0) return this.flag(path, `must list at least one ${what}`);
    let mask = 0;
    list.forEach((item, i) => {
      const c = this.coding(item, `${path}[${i}]`);
      if (c === undefined) return;
      const bit = c.system === system ? codes.indexOf(c.code) : -1;
      if (bit < 0)
        this.flag(
          `${path}[${i}]`,
          `${c.system}#${c.code} is not a ${what} CareLedger knows (${system})`,
        );
      else mask |= 1 << bit;
    });
    return mask;
  }

  /** An account, from a logical reference with a CAIP-10 identifier on this chain. */
  account(
    value: unknown,
    path: string,
    types: readonly string[],
  ): { address: string; type?: string } | undefined {
    const ref = this.object(value, path);
    if (ref === undefined) return undefined;
    const expected = `identifier { system: "${FHIR_SYSTEMS.uri}", value: "eip155:${this.chainId}:<address>" }`;
    this.onlyKeys(ref, path, ["id", "type", "identifier", "display"], {
      reference: `literal references cannot be resolved to an on-chain account; use a logical reference with ${expected}`,
    });
    let type: string | undefined;
    if (ref["type"] !== undefined) {
      type = this.string(ref["type"], `${path}.type`);
      if (type !== undefined && !types.includes(type)) {
        this.flag(`${path}.type`, `${type} is not allowed here (${types.join(", ")})`);
      }
    }
    if (ref["identifier"] === undefined)
      return this.flag(`${path}.identifier`, `required: ${expected}`);
    const id = this.object(ref["identifier"], `${path}.identifier`);
    if (id === undefined) return undefined;
    this.onlyKeys(id, `${path}.identifier`, ["id", "use", "system", "value"]);
    if (id["system"] !== FHIR_SYSTEMS.uri)
      return this.flag(`${path}.identifier.system`, `must be ${FHIR_SYSTEMS.uri}`);
    const caip = /^eip155:([0-9]+):(0x[0-9a-fA-F]{40})$/.exec(String(id["value"]));
    if (caip === null) {
      return this.flag(
        `${path}.identifier.value`,
        "must be a CAIP-10 account id eip155:<chainId>:<address>",
      );
    }
    const [, chain, address] = caip as unknown as [string, string, string];
    if (BigInt(chain) !== this.chainId) {
      return this.flag(
        `${path}.identifier.value`,
        `names an account on chain ${chain}, not ${this.chainId}`,
      );
    }
    if (!isAddress(address))
      return this.flag(`${path}.identifier.value`, "has a wrong EIP-55 checksum");
    return type === undefined
      ? { address: getAddress(address) }
      : { address: getAddress(address), type };
  }

  /** Unix seconds of a dateTime given to the second with a time zone. */
  instant(value: unknown, path: string): bigint | undefined {
    const s = this.string(value, path);
    if (s === undefined) return undefined;
    const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.exec(
      s,
    );
    if (m === null) {
      return this.flag(
        path,
        `${s}: needs a date and time to the second with a time zone (the chain stores instants)`,
      );
    }
    const [, y, mo, d, h, mi, sec, frac, zone] = m as unknown as string[];
    if (frac !== undefined && !/^\.0+$/.test(frac)) {
      return this.flag(
        path,
        `${s}: fractions of a second cannot be represented (the chain stores whole seconds)`,
      );
    }
    const fields = [y, mo, d, h, mi, sec].map(Number) as [
      number,
      number,
      number,
      number,
      number,
      number,
    ];
    const utc = Date.UTC(fields[0], fields[1] - 1, fields[2], fields[3], fields[4], fields[5]);
    const back = new Date(utc);
    const valid =
      back.getUTCFullYear() === fields[0] &&
      back.getUTCMonth() === fields[1] - 1 &&
      back.getUTCDate() === fields[2] &&
      back.getUTCHours() === fields[3] &&
      back.getUTCMinutes() === fields[4] &&
      back.getUTCSeconds() === fields[5];
    if (!valid) return this.flag(path, `${s}: not a valid date and time`);
    let offsetMinutes = 0;
    if (zone !== undefined && zone !== "Z") {
      const sign = zone.startsWith("-") ? -1 : 1;
      offsetMinutes = sign * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(4, 6)));
    }
    const seconds = BigInt(utc / 1000 - offsetMinutes * 60);
    if (seconds < 0n || seconds >= 1n << 40n)
      return this.flag(path, `${s}: outside the range the chain stores`);
    return seconds;
  }
}

function isGranteeType(type: string | undefined): type is GranteeResourceType {
  return (GRANTEE_RESOURCE_TYPES as readonly string[]).includes(type ?? "");
}

/**
 * The grant a FHIR R4 `Consent` describes, exactly; otherwise an {@link UnsupportedFhirConsentError}
 * listing every element that cannot be represented. The input is checked element by element at run time,
 * so it may come straight from `JSON.parse`.
 */
export function fromFhirConsent(
  consent: Consent,
  options: { readonly chainId: BigNumberish },
): FhirConsentMapping {
  const r = new ConsentReader(getBigInt(options.chainId));
  const root = r.object(consent as unknown, "Consent");
  if (root === undefined) throw new UnsupportedFhirConsentError(r.unsupported);

  r.onlyKeys(
    root,
    "Consent",
    [
      "resourceType",
      "id",
      "meta",
      "text",
      "language",
      "status",
      "scope",
      "category",
      "patient",
      "dateTime",
      "performer",
      "policyRule",
      "provision",
    ],
    CONSENT_REASONS,
  );
  if (root["resourceType"] !== "Consent") r.flag("Consent.resourceType", "must be Consent");
  const id = root["id"] === undefined ? undefined : r.string(root["id"], "Consent.id");

  const status = root["status"];
  if (status !== "active" && status !== "inactive") {
    r.flag(
      "Consent.status",
      `${String(status)} cannot be represented: a grant on chain is active or inactive`,
    );
  }
  r.fixedConcept(root["scope"], "Consent.scope", SCOPE.system, [SCOPE.code], "a privacy consent");

  const categories = r.array(root["category"], "Consent.category");
  if (categories !== undefined) {
    if (categories.length === 0)
      r.flag("Consent.category", `required: ${CATEGORY.system}#${CATEGORY.code}`);
    categories.forEach((c, i) =>
      r.fixedConcept(
        c,
        `Consent.category[${i}]`,
        CATEGORY.system,
        [CATEGORY.code],
        "Patient Consent",
      ),
    );
  }

  const patient =
    root["patient"] === undefined
      ? r.flag("Consent.patient", "required: whose consent it is")
      : r.account(root["patient"], "Consent.patient", ["Patient"]);

  const grantedAt =
    root["dateTime"] === undefined
      ? r.flag("Consent.dateTime", "required: when the consent was given")
      : r.instant(root["dateTime"], "Consent.dateTime");

  let grantedBy: string | undefined;
  if (root["performer"] !== undefined) {
    const performers = r.array(root["performer"], "Consent.performer") ?? [];
    performers.forEach((p, i) => {
      const path = `Consent.performer[${i}]`;
      if (i > 0) {
        r.flag(path, "a grant records one actor: the patient or one delegate");
        return;
      }
      const by = r.account(p, path, ["Patient", "RelatedPerson"]);
      if (by === undefined || patient === undefined) return;
      const isPatient = by.address === patient.address;
      if (by.type === "Patient" && !isPatient)
        r.flag(`${path}`, "a Patient performer must be the patient");
      else if (by.type === "RelatedPerson" && isPatient)
        r.flag(`${path}`, "the patient is a Patient, not a RelatedPerson");
      else grantedBy = by.address;
    });
  }

  if (root["policyRule"] !== undefined) {
    r.fixedConcept(
      root["policyRule"],
      "Consent.policyRule",
      POLICY_RULE.system,
      [POLICY_RULE.code],
      "opt-in",
    );
  }

  const mapped = readProvision(r, root["provision"], grantedAt);
  if (
    patient !== undefined &&
    mapped.grantee !== undefined &&
    patient.address === mapped.grantee.address
  ) {
    r.flag(
      "Consent.provision.actor[0].reference",
      "the patient cannot be the recipient of their own grant",
    );
  }
  if (
    r.unsupported.length > 0 ||
    patient === undefined ||
    grantedAt === undefined ||
    mapped.grantee === undefined ||
    mapped.expiresAt === undefined ||
    mapped.categories === undefined ||
    mapped.purposes === undefined ||
    mapped.role === undefined
  ) {
    throw new UnsupportedFhirConsentError(r.unsupported);
  }
  return {
    grant: {
      patient: patient.address,
      grantee: mapped.grantee.address,
      categories: mapped.categories,
      purposes: mapped.purposes,
      grantedAt,
      expiresAt: mapped.expiresAt,
      status: status as "active" | "inactive",
      grantedBy,
    },
    chainId: r.chainId,
    id,
    granteeType: isGranteeType(mapped.grantee.type) ? mapped.grantee.type : undefined,
    recipientRole: mapped.role,
  };
}

interface MappedProvision {
  grantee?: { address: string; type?: string } | undefined;
  role?: RecipientRole | undefined;
  expiresAt?: bigint | undefined;
  categories?: number | undefined;
  purposes?: number | undefined;
}

function readProvision(
  r: ConsentReader,
  value: unknown,
  grantedAt: bigint | undefined,
): MappedProvision {
  const path = "Consent.provision";
  if (value === undefined) return r.flag(path, "required: the permit rule of the grant") ?? {};
  const p = r.object(value, path);
  if (p === undefined) return {};
  r.onlyKeys(
    p,
    path,
    ["id", "type", "period", "actor", "action", "purpose", "class"],
    PROVISION_REASONS,
  );
  const out: MappedProvision = {};

  if (p["type"] !== "permit") {
    r.flag(
      `${path}.type`,
      p["type"] === "deny"
        ? "deny rules cannot be represented: a grant only permits"
        : "required: permit (a grant is a permit rule)",
    );
  }

  if (p["period"] === undefined) r.flag(`${path}.period`, "required: a grant has an end");
  else {
    const period = r.object(p["period"], `${path}.period`);
    if (period !== undefined) {
      r.onlyKeys(period, `${path}.period`, ["id", "start", "end"]);
      if (period["end"] === undefined) r.flag(`${path}.period.end`, "required: a grant has an end");
      else {
        const end = r.instant(period["end"], `${path}.period.end`);
        if (end !== undefined) out.expiresAt = end + 1n;
      }
      if (period["start"] !== undefined) {
        const start = r.instant(period["start"], `${path}.period.start`);
        if (start !== undefined && grantedAt !== undefined && start !== grantedAt) {
          r.flag(
            `${path}.period.start`,
            "a grant takes effect when given: start must equal Consent.dateTime",
          );
        }
      }
      if (out.expiresAt !== undefined && grantedAt !== undefined && out.expiresAt <= grantedAt) {
        r.flag(`${path}.period.end`, "must not be before Consent.dateTime");
      }
    }
  }

  const noActor = "required: a grant names exactly one recipient (an absent actor means anyone)";
  const actors =
    p["actor"] === undefined
      ? r.flag(`${path}.actor`, noActor)
      : r.array(p["actor"], `${path}.actor`);
  if (actors?.length === 0) r.flag(`${path}.actor`, noActor);
  actors?.forEach((a, i) => {
    const apath = `${path}.actor[${i}]`;
    if (i > 0) {
      r.flag(apath, "a grant names exactly one recipient; give one Consent per recipient");
      return;
    }
    const actor = r.object(a, apath);
    if (actor === undefined) return;
    r.onlyKeys(actor, apath, ["id", "role", "reference"]);
    out.role = r.fixedConcept(
      actor["role"],
      `${apath}.role`,
      FHIR_SYSTEMS.participationType,
      ["IRCP", "PRCP"] as const,
      "the recipient",
    );
    out.grantee = r.account(actor["reference"], `${apath}.reference`, GRANTEE_RESOURCE_TYPES);
  });

  readActions(r, p["action"], `${path}.action`);
  out.purposes = r.codingMask(
    p["purpose"],
    `${path}.purpose`,
    FHIR_SYSTEMS.actReason,
    purposesInMask(ALL_PURPOSES).map((i) => PURPOSE_HL7_CODES[i]),
    "purpose of use",
  );
  out.categories = r.codingMask(
    p["class"],
    `${path}.class`,
    CARELEDGER_CATEGORY_SYSTEM,
    categoriesInMask(ALL_CATEGORIES).map((i) => CATEGORY_FHIR_CODES[i]),
    "data class",
  );
  return out;
}

/** The actions must be exactly access, collect and correct: a grant permits all three, nothing else. */
function readActions(r: ConsentReader, value: unknown, path: string): void {
  const all = `CareLedger grants always permit ${GRANT_ACTIONS.join(", ")} together`;
  if (value === undefined) {
    r.flag(path, `required: an absent action means every action; ${all}`);
    return;
  }
  const list = r.array(value, path);
  if (list === undefined) return;
  const seen = new Set<string>();
  list.forEach((item, i) => {
    const code = r.fixedConcept(
      item,
      `${path}[${i}]`,
      FHIR_SYSTEMS.consentAction,
      GRANT_ACTIONS,
      "an action",
    );
    if (code !== undefined) seen.add(code);
  });
  const missing = GRANT_ACTIONS.filter((a) => !seen.has(a));
  if (missing.length > 0) r.flag(path, `${all}; missing: ${missing.join(", ")}`);
}

/** {@link fromFhirConsent} of a JSON string. */
export function parseFhirConsentJson(
  json: string,
  options: { readonly chainId: BigNumberish },
): FhirConsentMapping {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json) as unknown;
  } catch {
    throw new UnsupportedFhirConsentError([{ path: "Consent", reason: "is not valid JSON" }]);
  }
  return fromFhirConsent(parsed as Consent, options);
}
