/**
 * `careledger/browser`: everything a front end needs, with no Node built-in anywhere in its graph. The
 * core (`careledger`), envelope encryption and key files as JSON, blob stores without a file system,
 * and one client per user kind (patient, clinician, auditor, admin, emergency key custodian).
 */
export * from "./index.js";
export * from "./crypto/browser.js";
export * from "./store/browser.js";
export * from "./sdk/clients/index.js";
export type { OpenedRecord } from "./sdk/clients/index.js";
export type { OpenedRecord as OpenedEnvelope } from "./crypto/browser.js";
export * from "./sdk/queries.js";
