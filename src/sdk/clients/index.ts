/**
 * SDK clients, one per user kind, on the generated `CareLedger` bindings: {@link PatientClient},
 * {@link ClinicianClient}, {@link AuditorClient}, {@link AdminClient}. Record clients also take a
 * `BlobStore` and the member's X25519 key pair(s). {@link EmergencyKeyCustodian} releases record keys to
 * break-glass responders (its JSON-lines log on disk, Node only, is in `./custodian-fs.js`).
 */
export * from "./admin.js";
export * from "./auditor.js";
export * from "./base.js";
export * from "./clinician.js";
export * from "./custodian.js";
export * from "./errors.js";
export * from "./patient.js";
export * from "./records.js";
