/**
 * The SDK's core, with no client and no deployment: typed constants and labels, decoded contract errors,
 * audit-trail verification, formatting, the typed contract, record ids and the transport's public part.
 * `src/sdk/index.ts` re-exports it with the clients; the package's `careledger` entry (`src/index.ts`)
 * re-exports it alone.
 */
export * from "./constants.js";
export * from "./errors.js";
export * from "./audit.js";
export * from "./format.js";
export * from "./contract.js";
export * from "./recordId.js";
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
