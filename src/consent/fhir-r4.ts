/**
 * HL7 FHIR R4 (4.0.1) types used by the Consent mapping, from the maintained `@types/fhir` package
 * (pinned to its 0.0.x line: that line ships the per-release modules `fhir/r4`, `fhir/r5`, …, while the
 * npm `latest` tag, 3.0.2, is the old STU3 global namespace without `Consent.provision`).
 */
export type {
  Attachment,
  BackboneElement,
  CodeableConcept,
  Coding,
  Consent,
  ConsentPolicy,
  ConsentProvision,
  ConsentProvisionActor,
  ConsentProvisionData,
  ConsentVerification,
  DomainResource,
  Element,
  Extension,
  Identifier,
  Meta,
  Narrative,
  Period,
  Reference,
} from "fhir/r4.js";
