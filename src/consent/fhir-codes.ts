/**
 * The code systems and codes of the grant ↔ FHIR R4 `Consent` mapping, and the two `CodeSystem` resources
 * CareLedger publishes for the codes no standard code system has (shipped as JSON next to this module:
 * `codesystems/*.json`, kept equal to {@link careLedgerCodeSystems} by the tests).
 */
import {
  CATEGORY_LABELS,
  type Category,
  PURPOSE_HL7_CODES,
  type Purpose,
  Purpose as P,
  purposeMask,
} from "../sdk/constants.js";
import type { CodeableConcept, Coding } from "./fhir-r4.js";

/** Root of the canonical URLs CareLedger controls for its FHIR artefacts. */
export const CARELEDGER_FHIR_BASE = "https://careledger.dev/fhir";

/** Code system of the CareLedger data categories no FHIR resource type stands for alone. */
export const CARELEDGER_CATEGORY_SYSTEM = `${CARELEDGER_FHIR_BASE}/CodeSystem/data-category`;
/** Code system of the consent actions `consentaction` has no code for (authoring records). */
export const CARELEDGER_ACTION_SYSTEM = `${CARELEDGER_FHIR_BASE}/CodeSystem/consent-action`;
/** System of the business identifier of a grant (`Consent.identifier`). */
export const CARELEDGER_GRANT_ID_SYSTEM = `${CARELEDGER_FHIR_BASE}/NamingSystem/grant`;
/** The policy a grant follows, for the IHE PCF form (`Consent.policy.uri`). */
export const CARELEDGER_POLICY_URI = `${CARELEDGER_FHIR_BASE}/policy/opt-in-grant`;

/** The code systems the mapping uses. */
export const FHIR_SYSTEMS = {
  consentScope: "http://terminology.hl7.org/CodeSystem/consentscope",
  loinc: "http://loinc.org",
  actCode: "http://terminology.hl7.org/CodeSystem/v3-ActCode",
  participationType: "http://terminology.hl7.org/CodeSystem/v3-ParticipationType",
  consentAction: "http://terminology.hl7.org/CodeSystem/consentaction",
  actReason: "http://terminology.hl7.org/CodeSystem/v3-ActReason",
  resourceTypes: "http://hl7.org/fhir/resource-types",
  category: CARELEDGER_CATEGORY_SYSTEM,
  action: CARELEDGER_ACTION_SYSTEM,
  /** FHIR's system for identifiers whose value is a URI (here a CAIP-10 account id). */
  uri: "urn:ietf:rfc:3986",
} as const;

/** A code with its system and display. */
export interface Code {
  readonly system: string;
  readonly code: string;
  readonly display: string;
}

export const SCOPE: Code = {
  system: FHIR_SYSTEMS.consentScope,
  code: "patient-privacy",
  display: "Privacy Consent",
};
export const CONSENT_CATEGORY: Code = {
  system: FHIR_SYSTEMS.loinc,
  code: "59284-0",
  display: "Patient Consent",
};
export const POLICY_RULE: Code = { system: FHIR_SYSTEMS.actCode, code: "OPTIN", display: "opt-in" };

/**
 * The security label of mental-health data (v3-ActCode, information sensitivity): CareLedger's
 * mental-health category is the data labelled PSY, whatever its resource type.
 */
export const MENTAL_HEALTH_LABEL: Code = {
  system: FHIR_SYSTEMS.actCode,
  code: "PSY",
  display: "psychiatry disorder information sensitivity",
};

/** Why a category has a CareLedger code rather than a standard one (also the CodeSystem's definitions). */
const CUSTOM_CATEGORY_DEFINITIONS = {
  medications:
    "Medication records: no single resource type stands for them (MedicationRequest, MedicationStatement, MedicationAdministration and MedicationDispense all do).",
  vitals:
    "Vital signs: Observations of the vital-signs category; the Observation resource type also carries laboratory results.",
  labs: "Laboratory results: Observations and DiagnosticReports of the laboratory category; the Observation resource type also carries vital signs.",
  "clinical-notes":
    "Clinical notes and documents; DocumentReference and Composition also carry documents of the other categories.",
  billing:
    "Billing and coverage: Claim, ExplanationOfBenefit, Account, Invoice and Coverage, together.",
} as const;
type CustomCategoryCode = keyof typeof CUSTOM_CATEGORY_DEFINITIONS;

const customCategory = (code: CustomCategoryCode, display: string): Code => ({
  system: CARELEDGER_CATEGORY_SYSTEM,
  code,
  display,
});
const resourceType = (code: string): Code => ({
  system: FHIR_SYSTEMS.resourceTypes,
  code,
  display: code,
});

/**
 * `provision.class` of each category but mental health (a security label, {@link MENTAL_HEALTH_LABEL}):
 * a FHIR resource type where one stands for the category alone, a CareLedger code otherwise.
 */
export const CATEGORY_CLASSES: Readonly<Record<Exclude<Category, 8>, Code>> = {
  0: resourceType("Patient"),
  1: resourceType("AllergyIntolerance"),
  2: customCategory("medications", CATEGORY_LABELS[2]),
  3: customCategory("vitals", CATEGORY_LABELS[3]),
  4: customCategory("labs", CATEGORY_LABELS[4]),
  5: resourceType("ImagingStudy"),
  6: customCategory("clinical-notes", CATEGORY_LABELS[6]),
  7: customCategory("billing", CATEGORY_LABELS[7]),
};
/** Index of the mental-health category. */
export const MENTAL_HEALTH: Category = 8;

/** Display names of the v3-ActReason purpose-of-use codes (as in the code system). */
export const PURPOSE_DISPLAYS: Readonly<Record<Purpose, string>> = {
  0: "treatment",
  1: "healthcare payment",
  2: "healthcare operations",
  3: "healthcare research",
  4: "Emergency Treatment",
};

/** The purpose of use `p` as a v3-ActReason Coding. */
export function purposeCoding(p: Purpose): Coding {
  return coding({
    system: FHIR_SYSTEMS.actReason,
    code: PURPOSE_HL7_CODES[p],
    display: PURPOSE_DISPLAYS[p],
  });
}

/**
 * Purposes under which the grantee may also write (anchor, amend, mark in error): the contract's
 * `Purposes.WRITE`. A research-only or emergency-only grant lets its grantee read, never write.
 */
export const WRITE_PURPOSES = purposeMask(P.Treatment, P.Payment, P.Operations);

/** Reading a record to act on it (the grantee decrypts and processes it): consentaction#use. */
export const READ_ACTION: Code = {
  system: FHIR_SYSTEMS.consentAction,
  code: "use",
  display: "Use",
};
/** Writing: amending and marking in error (consentaction#correct) and anchoring new records (CareLedger#author). */
export const WRITE_ACTIONS: readonly Code[] = [
  { system: FHIR_SYSTEMS.consentAction, code: "correct", display: "Access and Correct" },
  { system: CARELEDGER_ACTION_SYSTEM, code: "author", display: "Author" },
];
const AUTHOR_DEFINITION =
  "Anchor new records about the patient (author new information), as opposed to consentaction#collect, which stores information retrieved from elsewhere, and consentaction#correct, which amends existing records.";

/** How the grantee is a recipient (v3 ParticipationType): information recipient, or primary one. */
export type RecipientRole = "IRCP" | "PRCP";
export const RECIPIENT_DISPLAYS: Readonly<Record<RecipientRole, string>> = {
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

/** The resource types a delegate performer (someone acting for the patient) may have. */
export const DELEGATE_RESOURCE_TYPES = ["RelatedPerson", "Practitioner", "Organization"] as const;
export type DelegateResourceType = (typeof DELEGATE_RESOURCE_TYPES)[number];

export function coding(c: Code): Coding {
  return { system: c.system, code: c.code, display: c.display };
}

export function concept(c: Code): CodeableConcept {
  return { coding: [coding(c)] };
}

// ---------------------------------------------------------------------------------------------
// The published CodeSystem resources
// ---------------------------------------------------------------------------------------------

/** A FHIR R4 `CodeSystem`, as far as CareLedger's two use it. */
export interface CareLedgerCodeSystem {
  readonly resourceType: "CodeSystem";
  readonly id: string;
  readonly url: string;
  readonly version: string;
  readonly name: string;
  readonly title: string;
  readonly status: "active";
  readonly experimental: false;
  readonly publisher: string;
  readonly description: string;
  readonly caseSensitive: true;
  readonly content: "complete";
  readonly count: number;
  readonly text: { readonly status: "generated"; readonly div: string };
  readonly concept: readonly { code: string; display: string; definition: string }[];
}

function codeSystem(
  id: string,
  url: string,
  name: string,
  title: string,
  description: string,
  concepts: readonly { code: string; display: string; definition: string }[],
): CareLedgerCodeSystem {
  const rows = concepts
    .map((c) => `<tr><td>${c.code}</td><td>${c.display}</td><td>${c.definition}</td></tr>`)
    .join("");
  return {
    resourceType: "CodeSystem",
    id,
    url,
    version: "1.0.0",
    name,
    title,
    status: "active",
    experimental: false,
    publisher: "CareLedger",
    description,
    caseSensitive: true,
    content: "complete",
    count: concepts.length,
    text: {
      status: "generated",
      div: `<div xmlns="http://www.w3.org/1999/xhtml"><p>${title} (${url})</p><table><tr><th>Code</th><th>Display</th><th>Definition</th></tr>${rows}</table></div>`,
    },
    concept: concepts,
  };
}

/** The CodeSystem resources CareLedger publishes (files `src/consent/codesystems/<id>.json`). */
export function careLedgerCodeSystems(): readonly CareLedgerCodeSystem[] {
  return [
    codeSystem(
      "careledger-data-category",
      CARELEDGER_CATEGORY_SYSTEM,
      "CareLedgerDataCategory",
      "CareLedger data categories",
      "The CareLedger data categories that no single FHIR resource type stands for, used in Consent.provision.class. Demographics, allergies and imaging use the resource types Patient, AllergyIntolerance and ImagingStudy; mental health is the security label v3-ActCode#PSY.",
      Object.values(CATEGORY_CLASSES)
        .filter((c) => c.system === CARELEDGER_CATEGORY_SYSTEM)
        .map((c) => ({
          code: c.code,
          display: c.display,
          definition: CUSTOM_CATEGORY_DEFINITIONS[c.code as CustomCategoryCode],
        })),
    ),
    codeSystem(
      "careledger-consent-action",
      CARELEDGER_ACTION_SYSTEM,
      "CareLedgerConsentAction",
      "CareLedger consent actions",
      "Consent actions that http://terminology.hl7.org/CodeSystem/consentaction has no code for, used in Consent.provision.action.",
      WRITE_ACTIONS.filter((a) => a.system === CARELEDGER_ACTION_SYSTEM).map((a) => ({
        code: a.code,
        display: a.display,
        definition: AUTHOR_DEFINITION,
      })),
    ),
  ];
}
