/**
 * Patient consent without gas: EIP-712 typed data for `grantWithSig` / `revokeWithSig`, signing, the
 * `eth_signTypedData_v4` JSON, local verification mirroring the contract, and relaying.
 */
export * from "./typedData.js";
export * from "./verify.js";
export * from "./relay.js";
export * from "./errors.js";
