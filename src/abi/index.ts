/**
 * `careledger/abi`: the CareLedger ABI as an `as const` literal, without bytecode, for viem and wagmi
 * (full type inference of `readContract`, `writeContract`, events and errors) and for ethers
 * (`new Contract(address, careLedgerAbi, runner)`). Imports nothing.
 */
export { CARE_LEDGER_ABI_HASH, careLedgerAbi } from "./careLedger.js";

/** The type of {@link careLedgerAbi}. */
export type CareLedgerAbi = typeof import("./careLedger.js").careLedgerAbi;
