/**
 * The service's HTTP errors: every refusal is `{ error: { code, message, field?, … } }` with a 4xx
 * status naming the reason; SDK errors map to a status by class (see {@link httpErrorOf}).
 */
import {
  CareLedgerError,
  ContractRevertError,
  DomainMismatchError,
  IntegrityError,
  InvalidArgumentError,
  InvalidConsentInputError,
  NodeUnavailableError,
  NotFoundError,
  TransactionTimeoutError,
  UnknownRevertError,
} from "../src/node.js";

/** A request the service refuses or cannot serve, with its HTTP status. */
export class ServiceRequestError extends CareLedgerError {
  override readonly name: string = "ServiceRequestError";

  readonly status: number;
  /** The offending request field (`body.message.nonce`, `params.hash`, `header.x-careledger-signature`). */
  readonly field: string | undefined;
  /** Extra machine-readable details (a decoded contract error's name and arguments). */
  readonly details: Readonly<Record<string, unknown>> | undefined;

  constructor(
    status: number,
    code: string,
    message: string,
    extra: { field?: string; details?: Readonly<Record<string, unknown>>; cause?: unknown } = {},
  ) {
    super(message, code, { cause: extra.cause });
    this.status = status;
    this.field = extra.field;
    this.details = extra.details;
  }
}

/** The JSON body of an error answer. */
export interface ErrorBody {
  readonly error: {
    readonly code: string;
    readonly message: string;
    readonly field?: string;
    readonly [detail: string]: unknown;
  };
}

/** JSON-safe copy of decoded contract error arguments (bigints as decimal strings). */
export function jsonSafe(value: unknown): unknown {
  if (typeof value === "bigint") return value.toString();
  if (Array.isArray(value)) return value.map(jsonSafe);
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, jsonSafe(v)]));
  }
  return value;
}

/** Signature-validity refusals: the request itself is bad (422); other refusals conflict with chain state (409). */
const UNPROCESSABLE_KINDS = new Set(["invalid-signature", "invalid-argument"]);

/** The HTTP form of any error thrown while handling a request. */
export function httpErrorOf(error: unknown): ServiceRequestError {
  if (error instanceof ServiceRequestError) return error;
  if (error instanceof InvalidConsentInputError) {
    const first = error.issues[0];
    const field = first === undefined || first.path === "" ? "body" : `body.${first.path}`;
    return new ServiceRequestError(400, error.code, error.message, { field, cause: error });
  }
  if (error instanceof DomainMismatchError) {
    return new ServiceRequestError(422, error.code, error.message, {
      field: `body.domain.${error.field}`,
      cause: error,
    });
  }
  if (error instanceof ContractRevertError) {
    return new ServiceRequestError(
      UNPROCESSABLE_KINDS.has(error.kind) ? 422 : 409,
      error.code,
      error.message,
      {
        details: {
          errorName: error.errorName,
          args: jsonSafe(error.args),
          kind: error.kind,
          data: error.data,
        },
        cause: error,
      },
    );
  }
  if (error instanceof UnknownRevertError) {
    return new ServiceRequestError(409, error.code, error.message, { cause: error });
  }
  if (error instanceof NotFoundError) {
    return new ServiceRequestError(404, error.code, error.message, { cause: error });
  }
  if (error instanceof IntegrityError) {
    return new ServiceRequestError(422, error.code, error.message, { cause: error });
  }
  if (error instanceof InvalidArgumentError) {
    return new ServiceRequestError(400, error.code, error.message, { cause: error });
  }
  if (error instanceof NodeUnavailableError || error instanceof TransactionTimeoutError) {
    return new ServiceRequestError(503, error.code, error.message, { cause: error });
  }
  if (error instanceof CareLedgerError) {
    return new ServiceRequestError(500, error.code, error.message, { cause: error });
  }
  const fastify = error as { statusCode?: unknown; code?: unknown; message?: unknown };
  if (typeof fastify.statusCode === "number" && fastify.statusCode < 500) {
    return new ServiceRequestError(
      fastify.statusCode,
      typeof fastify.code === "string" ? fastify.code : "BAD_REQUEST",
      typeof fastify.message === "string" ? fastify.message : "bad request",
      { cause: error },
    );
  }
  return new ServiceRequestError(500, "INTERNAL", "internal error", { cause: error });
}

/** The body answered for `error`. */
export function errorBody(error: ServiceRequestError): ErrorBody {
  return {
    error: {
      code: error.code,
      message: error.message,
      ...(error.field === undefined ? {} : { field: error.field }),
      ...(error.details ?? {}),
    },
  };
}
