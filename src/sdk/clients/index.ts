/**
 * SDK clients, one per user kind, on the generated `CareLedger` bindings: {@link PatientClient},
 * {@link ClinicianClient}, {@link AuditorClient}, {@link AdminClient}. Record clients also take a
 * `BlobStore` and the member's X25519 key pair(s).
 */
export * from "./admin.js";
export * from "./auditor.js";
export * from "./base.js";
export * from "./clinician.js";
export * from "./errors.js";
export * from "./patient.js";
export * from "./records.js";
