/**
 * Decoding: finds the revert data inside whatever ethers, Hardhat or a JSON-RPC node threw (a sent
 * transaction, `estimateGas`, `staticCall`, a view) and returns the class of its family, e.g. an
 * {@link AccessDeniedError} reading "billing clerk 0x90F7…b906 may not read labs (role policy)".
 */
import { Interface, type ErrorDescription, type ParamType } from "ethers";
import { careLedgerAbi } from "../abi/careLedger.js";
import {
  CONTRACT_ERRORS,
  isContractErrorName,
  type ContractErrorKind,
  type ContractErrorName,
  type DecodeContext,
} from "./error-catalogue.js";
import {
  AccessDeniedError,
  ContractRevertError,
  InvalidContractArgumentError,
  InvalidSignatureError,
  NotAuthorizedError,
  NotFoundOnChainError,
  PausedError,
  RecordErasedError,
  StateConflictError,
  UnknownRevertError,
  type DecodedRevert,
  type RevertDetails,
} from "./error-classes.js";

let defaultInterface: Interface | undefined;

/** The ABI interface of the deployed `CareLedger` contract (cached). */
export function careLedgerInterface(): Interface {
  defaultInterface ??= new Interface(careLedgerAbi);
  return defaultInterface;
}

const NESTED_KEYS = [
  "error",
  "info",
  "cause",
  "data",
  "originalError",
  "innerError",
  "payload",
] as const;
const HEX_DATA = /^0x[0-9a-fA-F]{8}(?:[0-9a-fA-F]{2})*$/;

/**
 * The revert data inside an error thrown by ethers, Hardhat or a JSON-RPC node: `err.data`,
 * `err.info.error.data`, `err.error.data`, `err.cause…`, at any depth up to 6. Calldata
 * (`err.transaction.data`) is never taken for revert data.
 */
export function findRevertData(err: unknown): string | undefined {
  const seen = new Set<object>();
  const queue: { value: unknown; depth: number }[] = [{ value: err, depth: 0 }];
  while (queue.length > 0) {
    const { value, depth } = queue.shift() as { value: unknown; depth: number };
    if (typeof value !== "object" || value === null || seen.has(value) || depth > 6) continue;
    seen.add(value);
    const record = value as Record<string, unknown>;
    const data = record["data"];
    if (typeof data === "string" && HEX_DATA.test(data)) return data.toLowerCase();
    for (const key of NESTED_KEYS) {
      const next = record[key];
      if (typeof next === "object" && next !== null) queue.push({ value: next, depth: depth + 1 });
    }
  }
  return undefined;
}

function findFunctionName(err: unknown, iface: Interface): string | undefined {
  if (typeof err !== "object" || err === null) return undefined;
  const tx = (err as Record<string, unknown>)["transaction"];
  if (typeof tx !== "object" || tx === null) return undefined;
  const calldata = (tx as Record<string, unknown>)["data"];
  if (typeof calldata !== "string" || calldata.length < 10) return undefined;
  try {
    return iface.getFunction(calldata.slice(0, 10))?.name;
  } catch {
    return undefined;
  }
}

function convert(param: ParamType, value: unknown): unknown {
  const int = /^u?int(\d+)$/.exec(param.type);
  if (int !== null) return Number(int[1]) <= 48 ? Number(value) : BigInt(value as bigint);
  if (param.type === "bytes32" && typeof value === "string") return value.toLowerCase();
  return value;
}

type AnyRevertDetails = RevertDetails<ContractErrorName>;
type RevertClass = new (details: AnyRevertDetails) => ContractRevertError;

/** The class each error family decodes to. */
const CLASS_OF_KIND: { readonly [K in ContractErrorKind]: RevertClass } = {
  "access-denied": AccessDeniedError as unknown as RevertClass,
  "not-authorized": NotAuthorizedError as unknown as RevertClass,
  "not-found": NotFoundOnChainError as unknown as RevertClass,
  "invalid-argument": InvalidContractArgumentError as unknown as RevertClass,
  "state-conflict": StateConflictError as unknown as RevertClass,
  "invalid-signature": InvalidSignatureError as unknown as RevertClass,
  paused: PausedError as unknown as RevertClass,
  erased: RecordErasedError as unknown as RevertClass,
  other: ContractRevertError,
};

/** Build the typed error (the class of its family) for a decoded custom error. */
export function contractErrorFrom<N extends ContractErrorName>(
  details: RevertDetails<N>,
): ContractRevertError<N> {
  const Class = CLASS_OF_KIND[CONTRACT_ERRORS[details.errorName].kind];
  return new Class(details) as ContractRevertError<N>;
}

/**
 * Decode the revert inside `err` (from a sent transaction, `estimateGas`, `staticCall` or a view call)
 * against `iface` (default: the `CareLedger` interface from the TypeChain factory).
 *
 * @returns the typed error ({@link AccessDeniedError}, {@link NotFoundOnChainError}, …) for a CareLedger
 *   custom error, an {@link UnknownRevertError} for other revert data, `err` itself if it is already
 *   decoded, and `undefined` if `err` carries no revert data (a network failure, a mined transaction whose
 *   receipt says "reverted" without data, …).
 */
export function decodeContractError(
  err: unknown,
  iface: Interface = careLedgerInterface(),
  context: DecodeContext = {},
): DecodedRevert | undefined {
  if (err instanceof ContractRevertError || err instanceof UnknownRevertError) return err;
  const data = findRevertData(err);
  if (data === undefined) return undefined;
  const functionName = context.functionName ?? findFunctionName(err, iface);
  let description: ErrorDescription | null;
  try {
    description = iface.parseError(data);
  } catch {
    description = null;
  }
  if (description === null || !isContractErrorName(description.name)) {
    return new UnknownRevertError(data, description, functionName, err);
  }
  const args: Record<string, unknown> = {};
  description.fragment.inputs.forEach((param, i) => {
    args[param.name] = convert(param, description.args[i]);
  });
  return contractErrorFrom({
    errorName: description.name,
    args: args,
    data,
    functionName,
    cause: err,
  });
}

/**
 * Await `promise`; if it rejects with a contract revert, reject with the decoded error instead
 * (other errors pass through unchanged).
 *
 * ```ts
 * await withDecodedErrors(ledger.openRecord(id, Purpose.Treatment), { functionName: "openRecord" });
 * ```
 */
export async function withDecodedErrors<T>(
  promise: Promise<T>,
  options: DecodeContext & { readonly iface?: Interface } = {},
): Promise<T> {
  try {
    return await promise;
  } catch (err) {
    throw decodeContractError(err, options.iface, options) ?? err;
  }
}
