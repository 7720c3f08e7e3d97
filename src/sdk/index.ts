/**
 * CareLedger SDK foundation: typed constants, decoded contract errors, audit-trail verification and
 * deployment. Client classes per user kind build on these.
 */
export * from "./constants.js";
export * from "./errors.js";
export * from "./audit.js";
export * from "./deploy.js";
export * from "./format.js";
export { CareLedgerError } from "../errors.js";
