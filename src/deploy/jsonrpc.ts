/**
 * A minimal JSON-RPC 2.0 client over HTTP (`fetch`), for the calls that must happen before
 * Hardhat opens a connection (preflight) or that Hardhat does not model (Besu `perm_*`).
 * Every failure is one of two classes (both {@link CareLedgerError}s): the node could not be reached or answered garbage
 * ({@link JsonRpcTransportError}), or it answered with a JSON-RPC error ({@link JsonRpcResponseError}).
 */

import { CareLedgerError, type CareLedgerErrorOptions } from "../errors.js";

/** Options of {@link jsonRpcRequest}. */
export interface JsonRpcRequestOptions {
  /** Abort after this many milliseconds (default 5000). */
  readonly timeoutMs?: number;
  /** Extra HTTP headers (e.g. an `Authorization` header for a protected endpoint). */
  readonly headers?: Readonly<Record<string, string>>;
}

/** The node could not be reached, timed out, or did not answer with a JSON-RPC response. */
export class JsonRpcTransportError extends CareLedgerError {
  override readonly name: string = "JsonRpcTransportError";

  /** The endpoint, without credentials, path or query (see {@link redactUrl}). */
  readonly endpoint: string;
  /** The method that was being called. */
  readonly method: string;
  /** True when nothing answered (connection refused, timeout); false for an answer that is not JSON-RPC. */
  readonly unreachable: boolean;

  constructor(
    endpoint: string,
    method: string,
    reason: string,
    options: CareLedgerErrorOptions & { readonly unreachable?: boolean } = {},
  ) {
    super(`${method} to ${endpoint} failed: ${reason}`, "RPC_TRANSPORT", options);
    this.endpoint = endpoint;
    this.method = method;
    this.unreachable = options.unreachable ?? false;
  }
}

/** The node answered with a JSON-RPC error object. */
export class JsonRpcResponseError extends CareLedgerError {
  override readonly name: string = "JsonRpcResponseError";

  /** The JSON-RPC error code (e.g. -32601 method not found, -32000 Besu permissioning errors). */
  readonly rpcCode: number;
  /** The method that was called. */
  readonly method: string;
  /** The error's `data` member, if any. */
  readonly data: unknown;

  constructor(method: string, rpcCode: number, message: string, data?: unknown) {
    super(`${method} failed: ${message} (JSON-RPC error ${rpcCode})`, "RPC_ERROR");
    this.rpcCode = rpcCode;
    this.method = method;
    this.data = data;
  }
}

/**
 * The URL reduced to scheme, host and port, for messages: RPC URLs of hosted nodes carry API keys
 * in the path or query, and basic-auth credentials in the user info, none of which may be printed.
 */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    const hidden = parsed.pathname !== "/" || parsed.search !== "" || parsed.username !== "";
    return `${parsed.protocol}//${parsed.host}${hidden ? "/…" : ""}`;
  } catch {
    return "<invalid URL>";
  }
}

let nextId = 1;

/** Calls `method` on the node at `url` and returns the `result` member. */
export async function jsonRpcRequest(
  url: string,
  method: string,
  params: readonly unknown[] = [],
  options: JsonRpcRequestOptions = {},
): Promise<unknown> {
  const endpoint = redactUrl(url);
  const id = nextId++;
  let response: Response;
  try {
    response = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json", ...options.headers },
      body: JSON.stringify({ jsonrpc: "2.0", id, method, params }),
      signal: AbortSignal.timeout(options.timeoutMs ?? 5000),
    });
  } catch (error) {
    throw new JsonRpcTransportError(endpoint, method, describeFetchFailure(error), {
      cause: error,
      unreachable: true,
    });
  }
  const text = await response.text().catch(() => "");
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new JsonRpcTransportError(
      endpoint,
      method,
      `HTTP ${response.status} with a body that is not JSON-RPC`,
    );
  }
  if (typeof body !== "object" || body === null) {
    throw new JsonRpcTransportError(endpoint, method, "the response is not a JSON-RPC object");
  }
  if ("error" in body && typeof body.error === "object" && body.error !== null) {
    const error = body.error as { code?: unknown; message?: unknown; data?: unknown };
    throw new JsonRpcResponseError(
      method,
      typeof error.code === "number" ? error.code : 0,
      typeof error.message === "string" ? error.message : "unknown error",
      error.data,
    );
  }
  if (!("result" in body)) {
    throw new JsonRpcTransportError(
      endpoint,
      method,
      `HTTP ${response.status} without a JSON-RPC result`,
    );
  }
  return body.result;
}

/** A JSON-RPC quantity (`0x…`) as a bigint; throws a transport error on anything else. */
export function quantity(value: unknown, method: string, endpoint: string): bigint {
  if (typeof value !== "string" || !/^0x[0-9a-fA-F]+$/.test(value)) {
    throw new JsonRpcTransportError(
      endpoint,
      method,
      `expected a hex quantity, got ${String(value)}`,
    );
  }
  return BigInt(value);
}

function describeFetchFailure(error: unknown): string {
  if (error instanceof Error) {
    if (error.name === "TimeoutError" || error.name === "AbortError")
      return "no answer (timed out)";
    // fetch says only "fetch failed"; the reason (ECONNREFUSED, ENOTFOUND, …) is in its cause, or
    // in the errors of an AggregateError when every address of the host refused
    const code = errorCode((error as { cause?: unknown }).cause);
    if (code !== undefined) return `connection failed (${code})`;
    const cause = (error as { cause?: unknown }).cause;
    return cause instanceof Error ? `${error.message}: ${cause.message}` : error.message;
  }
  return String(error);
}

function errorCode(error: unknown): string | undefined {
  if (typeof error !== "object" || error === null) return undefined;
  if ("code" in error && typeof error.code === "string") return error.code;
  if (error instanceof AggregateError) {
    for (const inner of error.errors) {
      const code = errorCode(inner);
      if (code !== undefined) return code;
    }
  }
  return errorCode((error as { cause?: unknown }).cause);
}
