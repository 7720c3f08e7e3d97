/**
 * The generated narrative (`Consent.text`, dom-6) of a grant's `Consent`, and the check that an incoming
 * narrative does not contradict the coded permissions.
 *
 * The check is a keyword heuristic over the narrative's text, sentence by sentence: a sentence that names
 * a category or purpose the coded permissions do NOT grant, without a negation, claims more than the code;
 * a sentence that names a granted one WITH a negation (and no "except"/"other than" turning it around)
 * denies what the code grants. Either is reported; a narrative it cannot read as either is left alone.
 */
import {
  CATEGORY_LABELS,
  type Category,
  PURPOSE_LABELS,
  type Purpose,
  categoriesInMask,
  purposesInMask,
} from "../sdk/constants.js";
import { isoTime } from "../sdk/format.js";
import { Purpose as P } from "../sdk/constants.js";

/** What the narrative describes. */
export interface NarrativeFacts {
  readonly patient: string;
  readonly grantee: string;
  readonly grantedBy: string | undefined;
  readonly categories: number;
  readonly purposes: number;
  readonly writes: boolean;
  readonly grantedAt: bigint;
  /** Exclusive end. */
  readonly end: bigint;
  readonly status: "active" | "inactive";
  readonly revokedAt: bigint | undefined;
  readonly signed: boolean;
}

const XHTML = "http://www.w3.org/1999/xhtml";

function escape(s: string): string {
  return s
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;");
}

function list(items: readonly string[]): string {
  if (items.length <= 1) return items.join("");
  return `${items.slice(0, -1).join(", ")} and ${items[items.length - 1]}`;
}

/** The XHTML narrative of a grant (`Narrative.div`). */
export function consentNarrativeDiv(f: NarrativeFacts): string {
  const categories = categoriesInMask(f.categories).map((c) => CATEGORY_LABELS[c]);
  const purposes = purposesInMask(f.purposes).map((p) => PURPOSE_LABELS[p]);
  const lines = [
    `Patient ${f.patient} permits ${f.grantee} to read their ${list(categories)} records for ${list(purposes)}` +
      (f.writes ? ", and to add and amend such records." : ". Read only: no adding or amending."),
    `From ${isoTime(f.grantedAt)} until before ${isoTime(f.end)}; status ${f.status}` +
      (f.revokedAt === undefined ? "." : `, revoked at ${isoTime(f.revokedAt)}.`),
  ];
  if ((f.purposes & (1 << P.Treatment)) !== 0 && (f.purposes & (1 << P.Emergency)) === 0) {
    lines.push(
      "Treatment does not include emergency treatment: emergency treatment is not permitted.",
    );
  }
  if (f.grantedBy !== undefined && f.grantedBy !== f.patient)
    lines.push(`Given by ${f.grantedBy}, a delegate acting for the patient.`);
  if (f.signed) lines.push("Signed by EIP-712 typed data; the signature is attached.");
  return `<div xmlns="${XHTML}">${lines.map((l) => `<p>${escape(l)}</p>`).join("")}</div>`;
}

/** Patterns that name each category and purpose in a narrative (lower case, matched from a word start). */
const CATEGORY_WORDS: Readonly<Record<Category, readonly string[]>> = {
  0: ["demographic"],
  1: ["allerg"],
  2: ["medication", "prescription"],
  3: ["vital"],
  4: ["labs?\\b", "laborator"],
  5: ["imaging", "radiolog", "x-ray"],
  6: ["clinical note", "progress note", "clinical document"],
  7: ["billing", "claim", "financial"],
  8: ["mental health", "psychiatr", "behavioral health", "behavioural health"],
};
const PURPOSE_WORDS: Readonly<Record<Purpose, readonly string[]>> = {
  0: [],
  1: ["payment"],
  2: ["operations"],
  3: ["research"],
  4: ["emergenc"],
};
const NEGATION =
  /\b(not|no|never|without|deny|denies|denied|excluding|excludes|excluded|exclude|except|refuses?|withh[eo]ld)\b/;

function mentions(sentence: string, words: readonly string[]): boolean {
  return words.some((w) => new RegExp(`\\b${w}`).test(sentence));
}

/** The text of an XHTML narrative, split into lower-case sentences. */
function sentences(div: string): string[] {
  const text = div
    .replace(/<[^>]*>/g, " ")
    .replace(/&nbsp;/g, " ")
    .replace(/&amp;/g, "&")
    .toLowerCase();
  return text
    .split(/[.;:!?\n]+/)
    .map((s) => s.replace(/\s+/g, " ").trim())
    .filter((s) => s !== "");
}

/** Where a narrative contradicts the coded categories and purposes; empty when it does not. */
export function narrativeContradictions(
  div: string,
  coded: { readonly categories: number; readonly purposes: number },
): string[] {
  const found: string[] = [];
  for (const s of sentences(div)) {
    const negated = NEGATION.test(s);
    const check = (granted: boolean, label: string, words: readonly string[]) => {
      if (!mentions(s, words)) return;
      if (!granted && !negated)
        found.push(`says "${s}", but the coded permissions do not grant ${label}`);
      else if (granted && negated && !/\b(except|other than|excluding)\b/.test(s))
        found.push(`says "${s}", but the coded permissions grant ${label}`);
    };
    for (const c of Object.keys(CATEGORY_WORDS).map(Number) as Category[])
      check((coded.categories & (1 << c)) !== 0, CATEGORY_LABELS[c], CATEGORY_WORDS[c]);
    for (const p of Object.keys(PURPOSE_WORDS).map(Number) as Purpose[])
      check((coded.purposes & (1 << p)) !== 0, PURPOSE_LABELS[p], PURPOSE_WORDS[p]);
  }
  return found;
}
