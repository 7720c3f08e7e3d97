/**
 * `Consent.provision` → the grantee, role, end, categories and purposes of a grant: the root permit rule
 * and the nested rules `toFhirConsent` writes (writes for some purposes, PSY data permitted or denied,
 * ETREAT denied), each checked against what the chain enforces.
 */
import { ALL_PURPOSES, Purpose, PURPOSE_HL7_CODES, purposesInMask } from "../sdk/constants.js";
import {
  CATEGORY_CLASSES,
  FHIR_SYSTEMS,
  GRANTEE_RESOURCE_TYPES,
  MENTAL_HEALTH,
  MENTAL_HEALTH_LABEL,
  READ_ACTION,
  type RecipientRole,
  WRITE_ACTIONS,
  WRITE_PURPOSES,
} from "./fhir-codes.js";
import type { ConsentReader } from "./fhir-reader.js";

const PROVISION_REASONS: Readonly<Record<string, string>> = {
  code: "rules on specific codes cannot be represented: a grant covers whole categories",
  dataPeriod: "rules on when data was recorded cannot be represented: a grant covers all times",
  data: "rules on specific resources cannot be represented: a grant covers whole categories",
};

const WRITE_CODES = WRITE_ACTIONS.map((a) => `${a.system}#${a.code}`);
const WRITE_PURPOSE_NAMES = purposesInMask(WRITE_PURPOSES)
  .map((p) => PURPOSE_HL7_CODES[p])
  .join(", ");

const CLASS_BITS = new Map(
  Object.entries(CATEGORY_CLASSES).map(([bit, c]) => [`${c.system}#${c.code}`, Number(bit)]),
);
const PURPOSE_BITS = new Map(
  purposesInMask(ALL_PURPOSES).map((p) => [`${FHIR_SYSTEMS.actReason}#${PURPOSE_HL7_CODES[p]}`, p]),
);
const PSY = `${MENTAL_HEALTH_LABEL.system}#${MENTAL_HEALTH_LABEL.code}`;
const READ = `${READ_ACTION.system}#${READ_ACTION.code}`;
const ETREAT = `${FHIR_SYSTEMS.actReason}#${PURPOSE_HL7_CODES[Purpose.Emergency]}`;
export interface MappedProvision {
  grantee?: { address: string; type?: string } | undefined;
  role?: RecipientRole | undefined;
  expiresAt?: bigint | undefined;
  categories?: number | undefined;
  purposes?: number | undefined;
}

export function readProvision(
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
