/**
 * `careledger`: the isomorphic SDK core, for Node and browsers alike (no Node built-in in its graph).
 * Typed constants and labels, the error hierarchy and decoded contract errors, patient consent (EIP-712
 * typed data, readable summaries, the ERC-7730 descriptor, verification, relaying, FHIR), audit-trail
 * verification, deployment manifests and the typed contract from the shipped ABI.
 *
 * Encrypted records and the clients are in `careledger/browser` (or `careledger/node`, which adds the
 * file system); the bare ABI in `careledger/abi`; deploying in `careledger/deploy`.
 */
export * from "./errors.js";
export * from "./sdk/core.js";
export * from "./consent/typedData.js";
export * from "./consent/verify.js";
export * from "./consent/relay.js";
export * from "./consent/fhir.js";
export * from "./consent/errors.js";
export * from "./consent/summary.js";
export type * as FhirR4 from "./consent/fhir-r4.js";
export * from "./deploy/deployment.js";
export { CARE_LEDGER_ABI_HASH, careLedgerAbi, type CareLedgerAbi } from "./abi/index.js";
