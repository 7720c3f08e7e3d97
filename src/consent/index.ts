/**
 * Patient consent without gas: EIP-712 typed data for `grantWithSig` / `revokeWithSig`, signing, the
 * `eth_signTypedData_v4` JSON, local verification mirroring the contract, relaying, and the HL7 FHIR R4
 * `Consent` mapping of a grant.
 */
export * from "./typedData.js";
export * from "./verify.js";
export * from "./relay.js";
export * from "./fhir.js";
export * from "./fhir-read.js";
export * from "./fhir-codes.js";
export * from "./fhir-proof.js";
export { narrativeContradictions } from "./fhir-narrative.js";
export * from "./errors.js";
export * from "./summary.js";
export type * as FhirR4 from "./fhir-r4.js";
