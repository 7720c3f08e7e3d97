/**
 * HL7 FHIR R4 (4.0.1) types of the `Consent` resource and the data types it uses.
 *
 * Why here and not `import type { Consent } from "fhir/r4"`: the installed `@types/fhir@3.0.2` (npm's
 * `latest` tag) is the FHIR **STU3** definition (a global `fhir` namespace whose `Consent` has no
 * `provision`); the R4 module `fhir/r4` ships in `@types/fhir@0.0.x` (e.g. 0.0.41). These declarations
 * follow hl7.fhir.r4.core 4.0.1 element for element (names, types, cardinality) with the same interface
 * names as `fhir/r4`, so that once `@types/fhir` is pinned to a 0.0.x release this file can become
 * `export type { Consent, … } from "fhir/r4";` without touching the mapping.
 *
 * Every element of `Consent` and `Consent.provision` is declared, including those the CareLedger mapping
 * rejects, so the rejection is typed too.
 */

/** FHIR `Element`: an id and extensions. */
export interface Element {
  id?: string | undefined;
  extension?: Extension[] | undefined;
}

/** FHIR `Extension` (its value[x] is kept opaque: CareLedger never reads extensions). */
export interface Extension extends Element {
  url: string;
  [valueX: `value${string}`]: unknown;
}

/** FHIR `BackboneElement`. */
export interface BackboneElement extends Element {
  modifierExtension?: Extension[] | undefined;
}

export interface Coding extends Element {
  system?: string | undefined;
  version?: string | undefined;
  code?: string | undefined;
  display?: string | undefined;
  userSelected?: boolean | undefined;
}

export interface CodeableConcept extends Element {
  coding?: Coding[] | undefined;
  text?: string | undefined;
}

export interface Period extends Element {
  /** dateTime, inclusive */
  start?: string | undefined;
  /** dateTime, inclusive: "the end value includes any matching date/time" */
  end?: string | undefined;
}

export interface Identifier extends Element {
  use?: "usual" | "official" | "temp" | "secondary" | "old" | undefined;
  type?: CodeableConcept | undefined;
  system?: string | undefined;
  value?: string | undefined;
  period?: Period | undefined;
  assigner?: Reference | undefined;
}

export interface Reference extends Element {
  /** Literal reference, relative, internal or absolute URL. */
  reference?: string | undefined;
  /** Type the reference refers to (e.g. "Patient"). */
  type?: string | undefined;
  /** Logical reference, when literal reference is not known. */
  identifier?: Identifier | undefined;
  display?: string | undefined;
}

export interface Attachment extends Element {
  contentType?: string | undefined;
  language?: string | undefined;
  data?: string | undefined;
  url?: string | undefined;
  size?: number | undefined;
  hash?: string | undefined;
  title?: string | undefined;
  creation?: string | undefined;
}

export interface Meta extends Element {
  versionId?: string | undefined;
  lastUpdated?: string | undefined;
  source?: string | undefined;
  profile?: string[] | undefined;
  security?: Coding[] | undefined;
  tag?: Coding[] | undefined;
}

export interface Narrative extends Element {
  status: "generated" | "extensions" | "additional" | "empty";
  div: string;
}

/** Fields of `Resource` and `DomainResource`. */
export interface DomainResource {
  id?: string | undefined;
  meta?: Meta | undefined;
  implicitRules?: string | undefined;
  language?: string | undefined;
  text?: Narrative | undefined;
  contained?: { resourceType: string; [key: string]: unknown }[] | undefined;
  extension?: Extension[] | undefined;
  modifierExtension?: Extension[] | undefined;
}

export interface ConsentPolicy extends BackboneElement {
  authority?: string | undefined;
  uri?: string | undefined;
}

export interface ConsentVerification extends BackboneElement {
  verified: boolean;
  verifiedWith?: Reference | undefined;
  verificationDate?: string | undefined;
}

export interface ConsentProvisionActor extends BackboneElement {
  role: CodeableConcept;
  reference: Reference;
}

export interface ConsentProvisionData extends BackboneElement {
  meaning: "instance" | "related" | "dependents" | "authoredby";
  reference: Reference;
}

export interface ConsentProvision extends BackboneElement {
  type?: "deny" | "permit" | undefined;
  period?: Period | undefined;
  actor?: ConsentProvisionActor[] | undefined;
  action?: CodeableConcept[] | undefined;
  securityLabel?: Coding[] | undefined;
  purpose?: Coding[] | undefined;
  class?: Coding[] | undefined;
  code?: CodeableConcept[] | undefined;
  dataPeriod?: Period | undefined;
  data?: ConsentProvisionData[] | undefined;
  provision?: ConsentProvision[] | undefined;
}

export type ConsentState =
  "draft" | "proposed" | "active" | "rejected" | "inactive" | "entered-in-error";

/** FHIR R4 `Consent`. */
export interface Consent extends DomainResource {
  resourceType: "Consent";
  identifier?: Identifier[] | undefined;
  status: ConsentState;
  scope: CodeableConcept;
  category: CodeableConcept[];
  patient?: Reference | undefined;
  dateTime?: string | undefined;
  performer?: Reference[] | undefined;
  organization?: Reference[] | undefined;
  sourceAttachment?: Attachment | undefined;
  sourceReference?: Reference | undefined;
  policy?: ConsentPolicy[] | undefined;
  policyRule?: CodeableConcept | undefined;
  verification?: ConsentVerification[] | undefined;
  provision?: ConsentProvision | undefined;
}
