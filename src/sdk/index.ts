/**
 * CareLedger SDK: typed constants, decoded contract errors, audit-trail verification, deployment, and
 * one client per user kind (patient, clinician, auditor, admin) for encrypted records end to end, and
 * the emergency key custodian that releases record keys to break-glass responders.
 */
export * from "./core.js";
export * from "./deploy.js";
export * from "./clients/index.js";
export { CareLedgerError } from "../errors.js";
export * from "./queries.js";
