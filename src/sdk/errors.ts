/**
 * Decoding of CareLedger's custom errors into classes a caller can `instanceof`, and the node and
 * transaction faults of the transport layer.
 *
 * Every custom error of the deployed `CareLedger` contract (its own and the OpenZeppelin ones it
 * inherits) has an entry in {@link CONTRACT_ERRORS} (`error-catalogue.ts`): the typed shape of its
 * arguments, the class it decodes to (`error-classes.ts`) and a human message.
 * {@link decodeContractError} (`error-decoding.ts`) finds the revert data inside whatever ethers or
 * Hardhat threw (a sent transaction, `estimateGas`, `staticCall`, a view) and returns the matching
 * class, e.g. an {@link AccessDeniedError} reading "billing clerk 0x90F7…b906 may not read labs (role
 * policy)".
 */
export {
  CONTRACT_ERRORS,
  isContractErrorName,
  type AccessDeniedReason,
  type ContractErrorArgs,
  type ContractErrorKind,
  type ContractErrorName,
  type DecodeContext,
  type ErasedReason,
  type InvalidArgumentReason,
  type InvalidSignatureReason,
  type NotAuthorizedReason,
  type NotFoundReason,
  type OtherRevertReason,
  type PausedReason,
  type StateConflictReason,
} from "./error-catalogue.js";
export * from "./error-classes.js";
export * from "./error-decoding.js";
