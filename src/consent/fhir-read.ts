/**
 * An HL7 FHIR R4 `Consent` → the CareLedger grant it describes, exactly, or an
 * {@link UnsupportedFhirConsentError} listing EVERY element a grant cannot represent, with the reason. It
 * never narrows or widens a consent to make it fit: the forms it accepts are the ones `toFhirConsent`
 * writes (see docs/fhir-consent.md), in any order, with or without displays, with EHR housekeeping
 * (`id`, `meta`, `text`, `language`, other business identifiers, `organization`).
 *
 * Times: `dateTime` and `provision.period.start` may carry fractions of a second; the grant starts at the
 * first whole second at or after them (block times are whole seconds). `provision.period.end` is
 * inclusive, so the grant is live through its whole second: `expiresAt = floor(end) + 1`.
 */
import { type BigNumberish, type Provider, getAddress, getBigInt, isAddress } from "ethers";
import { ALL_PURPOSES, Purpose, PURPOSE_HL7_CODES, purposesInMask } from "../sdk/constants.js";
import { UnsupportedFhirConsentError, type UnsupportedElement } from "./errors.js";
import type { ConsentGrant, ToFhirOptions } from "./fhir.js";
import {
  CARELEDGER_GRANT_ID_SYSTEM,
  CARELEDGER_POLICY_URI,
  CATEGORY_CLASSES,
  CONSENT_CATEGORY,
  DELEGATE_RESOURCE_TYPES,
  type DelegateResourceType,
  FHIR_SYSTEMS,
  GRANTEE_RESOURCE_TYPES,
  type GranteeResourceType,
  MENTAL_HEALTH,
  MENTAL_HEALTH_LABEL,
  POLICY_RULE,
  READ_ACTION,
  type RecipientRole,
  SCOPE,
  WRITE_ACTIONS,
  WRITE_PURPOSES,
} from "./fhir-codes.js";
import { narrativeContradictions } from "./fhir-narrative.js";
import {
  type ConsentProof,
  type VerifiedProof,
  isProofAttachment,
  readProofAttachment,
  verifyConsentProof,
} from "./fhir-proof.js";
import type { Consent, Identifier, Reference } from "./fhir-r4.js";

/** A FHIR consent read as a grant, with what FHIR said that the chain does not record. */
export interface FhirConsentMapping extends ToFhirOptions {
  readonly grant: ConsentGrant;
  readonly chainId: bigint;
  readonly id: string | undefined;
  readonly granteeType: GranteeResourceType | undefined;
  readonly recipientRole: RecipientRole;
  /** The CareLedger contract named by CareLedger's business identifier, when there is one. */
  readonly ledger: string | undefined;
  /** The other business identifiers (an EHR's own), as given. */
  readonly identifiers: readonly Identifier[];
  readonly delegateType: DelegateResourceType | undefined;
  /** The EIP-712 proof carried in `sourceAttachment`, checked against the coded grant (not yet its signature). */
  readonly proof: ConsentProof | undefined;
  readonly form: "careledger" | "ihe-pcf";
  readonly organization: Reference | undefined;
}

/** Options of {@link fromFhirConsent}. */
export interface FromFhirOptions {
  /** Chain the accounts must be on. */
  readonly chainId: BigNumberish;
  /** The time `status` is checked against (unix seconds); default: now. */
  readonly now?: bigint | undefined;
}

type Json = Readonly<Record<string, unknown>>;

const GENERIC_REASONS: Readonly<Record<string, string>> = {
  extension: "extensions cannot be represented in a CareLedger grant",
  modifierExtension:
    "modifier extensions change the meaning of the consent and cannot be represented",
};

const CONSENT_REASONS: Readonly<Record<string, string>> = {
  implicitRules: "implicit rules change how the consent must be read and cannot be represented",
  contained: "contained resources are not supported: accounts are referenced by identifier",
  sourceReference: "the source document is not stored on chain",
};

const PROVISION_REASONS: Readonly<Record<string, string>> = {
  code: "rules on specific codes cannot be represented: a grant covers whole categories",
  dataPeriod: "rules on when data was recorded cannot be represented: a grant covers all times",
  data: "rules on specific resources cannot be represented: a grant covers whole categories",
};

const WRITE_CODES = WRITE_ACTIONS.map((a) => `${a.system}#${a.code}`);
const WRITE_PURPOSE_NAMES = purposesInMask(WRITE_PURPOSES)
  .map((p) => PURPOSE_HL7_CODES[p])
  .join(", ");

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

  /** `system#code` of each Coding of a list (a missing or empty list is flagged as required). */
  codingList(value: unknown, path: string, what: string): (string | undefined)[] | undefined {
    if (value === undefined)
      return this.flag(path, `required: an absent ${what} means every ${what}`);
    const list = this.array(value, path);
    if (list === undefined) return undefined;
    if (list.length === 0) return this.flag(path, `must list at least one ${what}`);
    return list.map((item, i) => {
      const c = this.coding(item, `${path}[${i}]`);
      return c === undefined ? undefined : `${c.system}#${c.code}`;
    });
  }

  /** The bitmask of a list of Codings; `bits` maps `system#code` to its bit. */
  codingMask(
    value: unknown,
    path: string,
    bits: ReadonlyMap<string, number>,
    what: string,
  ): number | undefined {
    const codes = this.codingList(value, path, what);
    if (codes === undefined) return undefined;
    let mask = 0;
    codes.forEach((code, i) => {
      if (code === undefined) return;
      const bit = bits.get(code);
      if (bit === undefined)
        this.flag(`${path}[${i}]`, `${code} is not a ${what} CareLedger knows`);
      else mask |= 1 << bit;
    });
    return mask;
  }

  /** `system#code` of each CodeableConcept of a list (one coding each). */
  conceptList(value: unknown, path: string, what: string): (string | undefined)[] | undefined {
    if (value === undefined)
      return this.flag(path, `required: an absent ${what} means every ${what}`);
    const list = this.array(value, path);
    if (list === undefined) return undefined;
    return list.map((item, i) => {
      const codings = this.codings(item, `${path}[${i}]`);
      if (codings === undefined) return undefined;
      if (codings.length !== 1) return this.flag(`${path}[${i}]`, "must have exactly one coding");
      const [c] = codings as [{ system: string; code: string }];
      return `${c.system}#${c.code}`;
    });
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
    const address = this.caipAddress(id["value"], `${path}.identifier.value`);
    if (address === undefined) return undefined;
    return type === undefined ? { address } : { address, type };
  }

  /** The address of a CAIP-10 account id on this chain. */
  caipAddress(value: unknown, path: string): string | undefined {
    const caip = /^eip155:([0-9]+):(0x[0-9a-fA-F]{40})$/.exec(String(value));
    if (caip === null)
      return this.flag(path, "must be a CAIP-10 account id eip155:<chainId>:<address>");
    const [, chain, address] = caip as unknown as [string, string, string];
    if (BigInt(chain) !== this.chainId)
      return this.flag(path, `names an account on chain ${chain}, not ${this.chainId}`);
    if (!isAddress(address)) return this.flag(path, "has a wrong EIP-55 checksum");
    return getAddress(address);
  }

  /**
   * Milliseconds since the epoch of a dateTime given at least to the second with a time zone (a date
   * alone, or a time without zone, does not name an instant).
   */
  instantMs(value: unknown, path: string): bigint | undefined {
    const s = this.string(value, path);
    if (s === undefined) return undefined;
    const m =
      /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:\d{2})$/.exec(s);
    if (m === null) {
      return this.flag(
        path,
        `${s}: needs a date and time to the second with a time zone (the chain stores instants)`,
      );
    }
    const [, y, mo, d, h, mi, sec, frac, zone] = m as unknown as string[];
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
      fields[0] >= 1 &&
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
    // Fractions beyond milliseconds only matter for their sign: any non-zero rest rounds up below.
    const digits = (frac ?? "").padEnd(3, "0");
    const ms = BigInt(digits.slice(0, 3)) + (/[1-9]/.test(digits.slice(3)) ? 1n : 0n);
    const total = BigInt(utc) - BigInt(offsetMinutes * 60_000) + ms;
    if (total < 0n || total >= (1n << 40n) * 1000n)
      return this.flag(path, `${s}: outside the range the chain stores`);
    return total;
  }

  /** The first whole second at or after a dateTime (when a permission starts, in block time). */
  startSecond(value: unknown, path: string): bigint | undefined {
    const ms = this.instantMs(value, path);
    return ms === undefined ? undefined : (ms + 999n) / 1000n;
  }
}

function includes<T extends string>(list: readonly T[], value: string | undefined): value is T {
  return (list as readonly string[]).includes(value ?? "");
}

const CLASS_BITS = new Map(
  Object.entries(CATEGORY_CLASSES).map(([bit, c]) => [`${c.system}#${c.code}`, Number(bit)]),
);
const PURPOSE_BITS = new Map(
  purposesInMask(ALL_PURPOSES).map((p) => [`${FHIR_SYSTEMS.actReason}#${PURPOSE_HL7_CODES[p]}`, p]),
);
const PSY = `${MENTAL_HEALTH_LABEL.system}#${MENTAL_HEALTH_LABEL.code}`;
const READ = `${READ_ACTION.system}#${READ_ACTION.code}`;
const ETREAT = `${FHIR_SYSTEMS.actReason}#${PURPOSE_HL7_CODES[Purpose.Emergency]}`;

/**
 * The grant a FHIR R4 `Consent` describes, exactly; otherwise an {@link UnsupportedFhirConsentError}
 * listing every element that cannot be represented. The input is checked element by element at run time,
 * so it may come straight from `JSON.parse`.
 */
export function fromFhirConsent(consent: Consent, options: FromFhirOptions): FhirConsentMapping {
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
      "identifier",
      "status",
      "scope",
      "category",
      "patient",
      "dateTime",
      "performer",
      "organization",
      "sourceAttachment",
      "policy",
      "policyRule",
      "verification",
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
      r.flag("Consent.category", `required: ${CONSENT_CATEGORY.system}#${CONSENT_CATEGORY.code}`);
    categories.forEach((c, i) =>
      r.fixedConcept(
        c,
        `Consent.category[${i}]`,
        CONSENT_CATEGORY.system,
        [CONSENT_CATEGORY.code],
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
      : r.startSecond(root["dateTime"], "Consent.dateTime");

  let grantedBy: string | undefined;
  let delegateType: DelegateResourceType | undefined;
  if (root["performer"] !== undefined) {
    const performers = r.array(root["performer"], "Consent.performer") ?? [];
    performers.forEach((p, i) => {
      const path = `Consent.performer[${i}]`;
      if (i > 0) {
        r.flag(path, "a grant records one actor: the patient or one delegate");
        return;
      }
      const by = r.account(p, path, ["Patient", ...DELEGATE_RESOURCE_TYPES]);
      if (by === undefined || patient === undefined) return;
      const isPatient = by.address === patient.address;
      if (by.type === "Patient" && !isPatient)
        r.flag(path, "a Patient performer must be the patient");
      else if (by.type !== undefined && by.type !== "Patient" && isPatient)
        r.flag(path, `the patient is a Patient, not a ${by.type}`);
      else {
        grantedBy = by.address;
        if (includes(DELEGATE_RESOURCE_TYPES, by.type)) delegateType = by.type;
      }
    });
  }

  const organization = readOrganization(r, root["organization"]);
  const form = readPolicy(r, root);
  if (form === "ihe-pcf" && organization === undefined)
    r.flag("Consent.organization", "required in the IHE PCF form (policy.uri)");

  const mapped = readProvision(r, root["provision"], grantedAt);
  if (patient !== undefined && mapped.grantee?.address === patient.address) {
    r.flag(
      "Consent.provision.actor[0].reference",
      "the patient cannot be the recipient of their own grant",
    );
  }

  const ids = readIdentifiers(r, root["identifier"]);
  if (ids.grant !== undefined) {
    const want = [patient?.address, mapped.grantee?.address, grantedAt?.toString()];
    const got = [ids.grant.patient, ids.grant.grantee, ids.grant.grantedAt];
    if (want.some((w, i) => w !== undefined && w !== got[i]))
      r.flag(
        `Consent.identifier[${ids.grant.index}].value`,
        "names another grant than the coded patient, grantee and dateTime",
      );
  }

  // Status against the period.
  const now = options.now ?? BigInt(Math.floor(Date.now() / 1000));
  if (mapped.expiresAt !== undefined && (status === "active" || status === "inactive")) {
    if (status === "active" && mapped.expiresAt <= now)
      r.flag("Consent.status", "active, but provision.period.end is in the past");
    if (status === "inactive" && mapped.expiresAt > now)
      r.flag(
        "Consent.status",
        "inactive before provision.period.end: a revoked consent ends its period at the revocation",
      );
  }

  const proof = readProof(r, root, {
    patient: patient?.address,
    grantee: mapped.grantee?.address,
    grantedBy,
    categories: mapped.categories,
    purposes: mapped.purposes,
    expiresAt: mapped.expiresAt,
    status,
  });

  if (
    root["text"] !== undefined &&
    mapped.categories !== undefined &&
    mapped.purposes !== undefined
  ) {
    const text = r.object(root["text"], "Consent.text");
    const div = text?.["div"];
    if (typeof div === "string") {
      for (const c of narrativeContradictions(div, {
        categories: mapped.categories,
        purposes: mapped.purposes,
      }))
        r.flag("Consent.text.div", `the narrative contradicts the coded permissions: it ${c}`);
    }
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
    granteeType: includes(GRANTEE_RESOURCE_TYPES, mapped.grantee.type)
      ? mapped.grantee.type
      : undefined,
    recipientRole: mapped.role,
    ledger: ids.grant?.ledger,
    identifiers: ids.others,
    delegateType,
    proof,
    form,
    organization,
  };
}

function readOrganization(r: ConsentReader, value: unknown): Reference | undefined {
  if (value === undefined) return undefined;
  const list = r.array(value, "Consent.organization");
  if (list === undefined) return undefined;
  if (list.length !== 1)
    return r.flag("Consent.organization", "one custodian organisation at most");
  return r.object(list[0], "Consent.organization[0]") as Reference | undefined;
}

/** `policyRule` OPTIN (CareLedger's form) or `policy` [{uri: CareLedger's policy}] (the IHE PCF form). */
function readPolicy(r: ConsentReader, root: Json): "careledger" | "ihe-pcf" {
  if (root["policy"] === undefined) {
    if (root["policyRule"] !== undefined)
      r.fixedConcept(
        root["policyRule"],
        "Consent.policyRule",
        POLICY_RULE.system,
        [POLICY_RULE.code],
        "opt-in",
      );
    return "careledger";
  }
  if (root["policyRule"] !== undefined)
    r.flag("Consent.policyRule", "give policyRule OPTIN or CareLedger's policy.uri, not both");
  const list = r.array(root["policy"], "Consent.policy") ?? [];
  list.forEach((p, i) => {
    const path = `Consent.policy[${i}]`;
    const policy = r.object(p, path);
    if (policy === undefined) return;
    r.onlyKeys(policy, path, ["id", "uri"]);
    if (i > 0 || policy["uri"] !== CARELEDGER_POLICY_URI)
      r.flag(path, `a grant follows one policy: ${CARELEDGER_POLICY_URI}`);
  });
  return "ihe-pcf";
}

interface GrantIdentifier {
  readonly index: number;
  readonly ledger: string;
  readonly patient: string;
  readonly grantee: string;
  readonly grantedAt: string;
}

function readIdentifiers(
  r: ConsentReader,
  value: unknown,
): { grant: GrantIdentifier | undefined; others: Identifier[] } {
  const out: { grant: GrantIdentifier | undefined; others: Identifier[] } = {
    grant: undefined,
    others: [],
  };
  if (value === undefined) return out;
  const list = r.array(value, "Consent.identifier") ?? [];
  list.forEach((item, i) => {
    const path = `Consent.identifier[${i}]`;
    const ident = r.object(item, path);
    if (ident === undefined) return;
    if (ident["system"] !== CARELEDGER_GRANT_ID_SYSTEM) {
      out.others.push(ident as Identifier);
      return;
    }
    r.onlyKeys(ident, path, ["id", "use", "system", "value"]);
    const m =
      /^(eip155:[0-9]+:0x[0-9a-fA-F]{40})\/(0x[0-9a-fA-F]{40})\/(0x[0-9a-fA-F]{40})\/([0-9]+)$/.exec(
        String(ident["value"]),
      );
    if (m === null) {
      r.flag(`${path}.value`, "must be eip155:<chainId>:<ledger>/<patient>/<grantee>/<grantedAt>");
      return;
    }
    const [, caip, patient, grantee, grantedAt] = m as unknown as [
      string,
      string,
      string,
      string,
      string,
    ];
    const ledger = r.caipAddress(caip, `${path}.value`);
    if (ledger === undefined) return;
    if (out.grant !== undefined) {
      r.flag(path, "one CareLedger grant identifier at most");
      return;
    }
    if (!isAddress(patient) || !isAddress(grantee)) {
      r.flag(`${path}.value`, "has a wrong EIP-55 checksum");
      return;
    }
    out.grant = {
      index: i,
      ledger,
      patient: getAddress(patient),
      grantee: getAddress(grantee),
      grantedAt,
    };
  });
  return out;
}

interface CodedGrant {
  readonly patient: string | undefined;
  readonly grantee: string | undefined;
  readonly grantedBy: string | undefined;
  readonly categories: number | undefined;
  readonly purposes: number | undefined;
  readonly expiresAt: bigint | undefined;
  readonly status: unknown;
}

/** The EIP-712 proof in `sourceAttachment` (and its `verification`), checked against the coded grant. */
function readProof(r: ConsentReader, root: Json, coded: CodedGrant): ConsentProof | undefined {
  const attachment = root["sourceAttachment"];
  let proof: ConsentProof | undefined;
  if (attachment !== undefined) {
    if (!isProofAttachment(attachment)) {
      r.flag(
        "Consent.sourceAttachment",
        "the source document is not stored on chain; only CareLedger's EIP-712 proof is carried",
      );
    } else {
      try {
        proof = readProofAttachment(attachment);
      } catch (err) {
        r.flag("Consent.sourceAttachment.data", (err as Error).message);
      }
    }
  }
  if (proof !== undefined) {
    const m = proof.signed.message;
    const d = proof.signed.domain;
    // The chain may have narrowed the grant since (a subset) or revoked it (an earlier end, inactive);
    // an extension is not covered by the signature.
    const subset = (signed: number, said: number | undefined) =>
      said === undefined || (said & ~signed) === 0;
    const endCovered =
      coded.expiresAt === undefined ||
      coded.expiresAt === m.expiresAt ||
      (coded.status === "inactive" && coded.expiresAt < m.expiresAt);
    const checks: [string, unknown, unknown, boolean][] = [
      ["domain.chainId", d.chainId, r.chainId, d.chainId === r.chainId],
      ["patient", m.patient, coded.patient, [undefined, m.patient].includes(coded.patient)],
      ["grantee", m.grantee, coded.grantee, [undefined, m.grantee].includes(coded.grantee)],
      ["categories", m.categories, coded.categories, subset(m.categories, coded.categories)],
      ["purposes", m.purposes, coded.purposes, subset(m.purposes, coded.purposes)],
      ["expiresAt", m.expiresAt, coded.expiresAt, endCovered],
      [
        "signer",
        proof.signed.signer,
        coded.grantedBy,
        [undefined, proof.signed.signer].includes(coded.grantedBy),
      ],
    ];
    for (const [field, signed, said, ok] of checks) {
      if (!ok)
        r.flag(
          "Consent.sourceAttachment.data",
          `the signed ${field} (${String(signed)}) does not cover the consent's (${String(said)})`,
        );
    }
  }
  if (root["verification"] !== undefined) {
    const list = r.array(root["verification"], "Consent.verification") ?? [];
    list.forEach((v, i) => {
      const path = `Consent.verification[${i}]`;
      if (proof === undefined || i > 0) {
        r.flag(
          path,
          "verification records are not stored on chain; only CareLedger's EIP-712 proof is",
        );
        return;
      }
      const ver = r.object(v, path);
      if (ver === undefined) return;
      r.onlyKeys(ver, path, ["id", "verified", "verifiedWith", "verificationDate"]);
      if (ver["verified"] !== true) r.flag(`${path}.verified`, "a carried proof is verified: true");
      if (ver["verifiedWith"] !== undefined) {
        const by = r.account(ver["verifiedWith"], `${path}.verifiedWith`, [
          "Patient",
          "RelatedPerson",
        ]);
        if (by !== undefined && by.address !== proof.signed.signer)
          r.flag(`${path}.verifiedWith`, "must be the signer of the proof");
      }
    });
  }
  return proof;
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
    ["id", "type", "period", "actor", "action", "securityLabel", "purpose", "class", "provision"],
    PROVISION_REASONS,
  );
  const out: MappedProvision = {};

  if (p["type"] !== "permit") {
    r.flag(
      `${path}.type`,
      p["type"] === "deny"
        ? "a deny root rule cannot be represented: a grant permits"
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
        // Inclusive end: live through the whole second it falls in.
        const end = r.instantMs(period["end"], `${path}.period.end`);
        if (end !== undefined) out.expiresAt = end / 1000n + 1n;
      }
      if (period["start"] !== undefined) {
        const start = r.startSecond(period["start"], `${path}.period.start`);
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

  readReadAction(r, p["action"], `${path}.action`);
  out.purposes = r.codingMask(p["purpose"], `${path}.purpose`, PURPOSE_BITS, "purpose of use");

  // Data: classes, or the PSY label alone (mental health only).
  let categories: number | undefined;
  const onlyPsy = p["class"] === undefined && p["securityLabel"] !== undefined;
  if (onlyPsy) {
    const labels = r.codingList(p["securityLabel"], `${path}.securityLabel`, "security label");
    if (labels !== undefined && (labels.length !== 1 || labels[0] !== PSY))
      r.flag(`${path}.securityLabel`, `must be exactly ${PSY} (mental health), or use class`);
    else if (labels !== undefined) categories = 1 << MENTAL_HEALTH;
  } else {
    if (p["securityLabel"] !== undefined)
      r.flag(
        `${path}.securityLabel`,
        "with class, a security label narrows the classes to labelled data, which a grant cannot represent; put PSY in a nested provision",
      );
    categories = r.codingMask(p["class"], `${path}.class`, CLASS_BITS, "data class");
  }

  const nested = readNested(r, p["provision"], `${path}.provision`, !onlyPsy);
  if (categories !== undefined && !onlyPsy) {
    if (nested.psy === "permit") categories |= 1 << MENTAL_HEALTH;
    if (nested.psy === undefined)
      r.flag(
        `${path}.provision`,
        `psychiatric data (${PSY}) is its own category on chain: add a nested deny of securityLabel ${PSY} (or a nested permit to grant it)`,
      );
  }
  out.categories = categories;

  if (out.purposes !== undefined) {
    const writes = out.purposes & WRITE_PURPOSES;
    if (writes !== 0 && nested.writes === undefined)
      r.flag(
        `${path}.provision`,
        `under ${WRITE_PURPOSE_NAMES} the chain also lets the grantee write: add a nested permit of ${WRITE_CODES.join(" and ")} for ${purposesInMask(
          writes,
        )
          .map((x) => PURPOSE_HL7_CODES[x])
          .join(", ")}`,
      );
    if (nested.writes !== undefined && nested.writes.mask !== writes)
      r.flag(
        `${nested.writes.path}.purpose`,
        `writes are permitted exactly for the granted purposes among ${WRITE_PURPOSE_NAMES}`,
      );
    const treatOnly =
      (out.purposes & (1 << Purpose.Treatment)) !== 0 &&
      (out.purposes & (1 << Purpose.Emergency)) === 0;
    if (treatOnly && !nested.etreatDeny)
      r.flag(
        `${path}.provision`,
        `v3-ActReason makes ETREAT a child of TREAT, but a treatment grant never covers emergency treatment on chain: add a nested deny of purpose ${ETREAT}`,
      );
    if (!treatOnly && nested.etreatDeny)
      r.flag(`${nested.etreatPath}`, "a deny of ETREAT only fits a grant of TREAT without ETREAT");
  }
  return out;
}

/** The root action: exactly consentaction#use. */
function readReadAction(r: ConsentReader, value: unknown, path: string): void {
  const codes = r.conceptList(value, path, "action");
  if (codes === undefined) return;
  if (codes.length === 0) r.flag(path, `must be ${READ}`);
  codes.forEach((code, i) => {
    if (code === undefined || code === READ) return;
    const reason =
      code === `${FHIR_SYSTEMS.consentAction}#access`
        ? `access is view-only; a CareLedger read releases the record's key for the purpose: ${READ}`
        : WRITE_CODES.includes(code) || code === `${FHIR_SYSTEMS.consentAction}#collect`
          ? `${code}: writes are permitted only under ${WRITE_PURPOSE_NAMES}, in a nested permit of ${WRITE_CODES.join(" and ")}`
          : `${code} cannot be represented; a grant permits ${READ}`;
    r.flag(`${path}[${i}]`, reason);
  });
  if (codes.length > 1 && codes.filter((c) => c === READ).length > 1) r.flag(path, `${READ} once`);
}

interface NestedRules {
  writes?: { mask: number; path: string } | undefined;
  psy?: "permit" | "deny" | undefined;
  etreatDeny: boolean;
  etreatPath?: string | undefined;
}

/** The nested rules CareLedger writes: writes for some purposes, PSY permit/deny, ETREAT deny. */
function readNested(
  r: ConsentReader,
  value: unknown,
  path: string,
  psyAllowed: boolean,
): NestedRules {
  const out: NestedRules = { etreatDeny: false };
  if (value === undefined) return out;
  const list = r.array(value, path) ?? [];
  list.forEach((item, i) => {
    const npath = `${path}[${i}]`;
    const n = r.object(item, npath);
    if (n === undefined) return;
    const keys = Object.keys(n).filter((k) => k !== "id" && k !== "type");
    const kind = keys.sort().join(",");
    const type = n["type"];
    if (kind === "action,purpose" && type === "permit" && out.writes === undefined) {
      const actions = r.conceptList(n["action"], `${npath}.action`, "action") ?? [];
      const set = new Set(actions);
      if (actions.length !== WRITE_CODES.length || WRITE_CODES.some((c) => !set.has(c)))
        r.flag(
          `${npath}.action`,
          `a nested permit of writes is exactly ${WRITE_CODES.join(" and ")}`,
        );
      const mask = r.codingMask(n["purpose"], `${npath}.purpose`, PURPOSE_BITS, "purpose of use");
      out.writes = { mask: mask ?? 0, path: npath };
    } else if (
      kind === "securityLabel" &&
      (type === "permit" || type === "deny") &&
      psyAllowed &&
      out.psy === undefined
    ) {
      const labels = r.codingList(n["securityLabel"], `${npath}.securityLabel`, "security label");
      if (labels !== undefined && (labels.length !== 1 || labels[0] !== PSY))
        r.flag(`${npath}.securityLabel`, `only ${PSY} (mental health) is a CareLedger category`);
      else out.psy = type;
    } else if (kind === "purpose" && type === "deny" && !out.etreatDeny) {
      const purposes = r.codingList(n["purpose"], `${npath}.purpose`, "purpose of use");
      if (purposes !== undefined && (purposes.length !== 1 || purposes[0] !== ETREAT))
        r.flag(
          `${npath}.purpose`,
          `a nested deny of purposes other than ${ETREAT} cannot be represented: list the granted purposes instead`,
        );
      else {
        out.etreatDeny = true;
        out.etreatPath = npath;
      }
    } else {
      r.flag(
        npath,
        "nested provisions cannot be represented, except a permit of writes for some purposes, a permit or deny of PSY data, and a deny of ETREAT",
      );
    }
  });
  return out;
}

/** {@link fromFhirConsent} of a JSON string. */
export function parseFhirConsentJson(json: string, options: FromFhirOptions): FhirConsentMapping {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json) as unknown;
  } catch {
    throw new UnsupportedFhirConsentError([{ path: "Consent", reason: "is not valid JSON" }]);
  }
  return fromFhirConsent(parsed as Consent, options);
}

/**
 * Verify the EIP-712 signature a `Consent` carries, from the resource alone: read the proof from
 * `sourceAttachment`, check that the consent's coded permissions are exactly the signed ones (by
 * {@link fromFhirConsent} on the signed chain), and check the signature (offline for an EOA; a smart-account
 * signer needs `provider`). Throws {@link ConsentProofError} or {@link UnsupportedFhirConsentError}.
 */
export async function verifyFhirConsentSignature(
  consent: Consent,
  options: { readonly provider?: Pick<Provider, "call">; readonly now?: bigint } = {},
): Promise<VerifiedProof & { readonly mapping: FhirConsentMapping }> {
  const proof = readProofAttachment((consent as { sourceAttachment?: unknown }).sourceAttachment);
  const mapping = fromFhirConsent(consent, {
    chainId: proof.signed.domain.chainId,
    now: options.now,
  });
  const verified = await verifyConsentProof(proof, options);
  return { ...verified, mapping };
}
