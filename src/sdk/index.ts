/**
 * CareLedger SDK: typed constants, decoded contract errors, audit-trail verification, deployment, and
 * one client per user kind (patient, clinician, auditor, admin) for encrypted records end to end, and
 * the emergency key custodian that releases record keys to break-glass responders.
 */
export * from "./constants.js";
export * from "./errors.js";
export * from "./audit.js";
export * from "./deploy.js";
export * from "./format.js";
export * from "./contract.js";
export * from "./recordId.js";
export * from "./clients/index.js";
export { CareLedgerError } from "../errors.js";
export * from "./queries.js";
export {
  AccountSender,
  accountSender,
  Deadline,
  DEFAULT_TIMEOUT_MS,
  isNetworkFault,
  toCareLedgerError,
  type CallOptions,
  type MinedTransaction,
} from "./transport.js";
