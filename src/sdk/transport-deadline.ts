/**
 * Deadlines and fault mapping of the transport layer (`transport.ts`, which re-exports this file): a
 * {@link Deadline} bounds every request to the node, and every failure becomes a `CareLedgerError` (a
 * decoded revert, {@link NodeUnavailableError}, {@link NodeRejectedError}, {@link OperationAbortedError}),
 * the ethers error kept as `cause`. Browser-safe: no Node built-ins.
 */
import type { Interface } from "ethers";
import { CareLedgerError, InvalidArgumentError } from "../errors.js";
import {
  decodeContractError,
  NodeRejectedError,
  NodeUnavailableError,
  OperationAbortedError,
} from "./errors.js";

/** Per-call options of every SDK call that talks to a node. */
export interface CallOptions {
  /** Deadline of the whole call in milliseconds (default: the client's `timeoutMs`). */
  readonly timeoutMs?: number;
  /** Aborts the call: it rejects with `OperationAbortedError` and sends nothing more. */
  readonly signal?: AbortSignal;
  /** A deadline shared with an enclosing call (overrides `timeoutMs` and `signal`). */
  readonly deadline?: Deadline;
}

/** Default deadline of an SDK call: 30 s. */
export const DEFAULT_TIMEOUT_MS = 30_000;
/** Longest pause between two receipt polls. */
export const MAX_POLL_MS = 500;

/** A point in time after which a call gives up, and the caller's abort signal. */
export class Deadline {
  /** Wall-clock time (ms) at which the call gives up. */
  readonly at: number;
  readonly timeoutMs: number;
  readonly signal: AbortSignal | undefined;

  constructor(timeoutMs: number = DEFAULT_TIMEOUT_MS, signal?: AbortSignal) {
    if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) {
      throw new InvalidArgumentError(`timeoutMs: ${String(timeoutMs)} must be a positive number`);
    }
    this.timeoutMs = timeoutMs;
    this.at = Date.now() + timeoutMs;
    this.signal = signal;
  }

  /** Milliseconds left (0 when passed). */
  remaining(): number {
    return Math.max(0, this.at - Date.now());
  }

  get expired(): boolean {
    return this.remaining() === 0;
  }

  /** Throw `OperationAbortedError` if the caller aborted. */
  checkAborted(operation: string): void {
    if (this.signal?.aborted === true)
      throw new OperationAbortedError(operation, this.signal.reason);
  }

  /**
   * `promise`, or a rejection when the deadline passes first (`onTimeout()`, by default a
   * {@link NodeUnavailableError} for `operation`) or the caller aborts. The request itself is not
   * cancelled (ethers offers no per-request abort); its late answer is ignored.
   */
  race<T>(operation: string, promise: Promise<T>, onTimeout?: () => Error): Promise<T> {
    this.checkAborted(operation);
    return new Promise<T>((resolve, reject) => {
      const timeout = (): Error =>
        onTimeout?.() ??
        new NodeUnavailableError(operation, `no answer within ${this.timeoutMs} ms`);
      const timer = setTimeout(() => finish(() => reject(timeout())), this.remaining());
      const onAbort = (): void =>
        finish(() => reject(new OperationAbortedError(operation, this.signal?.reason)));
      this.signal?.addEventListener("abort", onAbort, { once: true });
      let done = false;
      const finish = (settle: () => void): void => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        this.signal?.removeEventListener("abort", onAbort);
        settle();
      };
      promise.then(
        (value) => finish(() => resolve(value)),
        // The promise's own rejection passes through as is; request() maps it to a CareLedgerError.
        // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
        (error: unknown) => finish(() => reject(error)),
      );
    });
  }

  /** Sleep `ms` (cut short by the deadline or an abort, which reject as {@link race} does). */
  async sleep(operation: string, ms: number): Promise<void> {
    const wait = Math.min(ms, this.remaining());
    await this.race(operation, new Promise<void>((resolve) => setTimeout(resolve, wait)));
  }
}

const NETWORK_CODES = new Set(["NETWORK_ERROR", "SERVER_ERROR", "TIMEOUT"]);
const SYSTEM_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "EPIPE",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EAI_AGAIN",
  "UND_ERR_SOCKET",
  "UND_ERR_CONNECT_TIMEOUT",
  "UND_ERR_HEADERS_TIMEOUT",
]);
const NETWORK_MESSAGE =
  /ECONNREFUSED|ECONNRESET|socket hang up|fetch failed|other side closed|network error|bad response|missing response|connection (?:refused|reset|closed)/i;

/** Whether `error` (or something in its `cause`/`error` chain) says the node was not reached. */
export function isNetworkFault(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e !== undefined && e !== null && depth < 6; depth++) {
    if (typeof e !== "object") break;
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && (NETWORK_CODES.has(code) || SYSTEM_CODES.has(code))) {
      return true;
    }
    const message = (e as { message?: unknown }).message;
    if (typeof message === "string" && NETWORK_MESSAGE.test(message)) return true;
    const record = e as { cause?: unknown; error?: unknown };
    e = record.cause ?? record.error;
  }
  return false;
}

/**
 * The `CareLedgerError` for anything a node request threw: itself when already one, the decoded revert
 * when the error carries revert data, {@link NodeUnavailableError} for network faults, else
 * {@link NodeRejectedError}. The original error is kept as `cause`.
 */
export function toCareLedgerError(
  error: unknown,
  operation: string,
  iface?: Interface,
  sent?: { readonly transactionHash?: string | undefined; readonly nonce?: number | undefined },
): CareLedgerError {
  if (error instanceof CareLedgerError) return error;
  const decoded = decodeContractError(error, iface, { functionName: operation });
  if (decoded !== undefined) return decoded;
  if (isNetworkFault(error)) {
    return new NodeUnavailableError(operation, shortMessage(error), { cause: error, ...sent });
  }
  const reason = isErrorWithCode(error) ? error.code : undefined;
  return new NodeRejectedError(operation, reason, shortMessage(error), error);
}

function isErrorWithCode(error: unknown): error is { code: string } {
  return typeof (error as { code?: unknown } | null)?.code === "string";
}

function shortMessage(error: unknown): string {
  if (error instanceof Error) {
    const short = (error as { shortMessage?: unknown }).shortMessage;
    return typeof short === "string" ? short : (error.message.split("\n")[0] ?? error.message);
  }
  return String(error);
}

/** `await promise` under `deadline`, with every failure mapped by {@link toCareLedgerError}. */
export async function request<T>(
  deadline: Deadline,
  operation: string,
  promise: Promise<T>,
  iface?: Interface,
): Promise<T> {
  try {
    return await deadline.race(operation, promise);
  } catch (error) {
    throw toCareLedgerError(error, operation, iface);
  }
}

/**
 * `work()` under `deadline`, tried again after a node fault (20 ms doubling to 500 ms) until the
 * deadline: for lookups whose answer decides whether to send again.
 */
export async function retrying<T>(
  deadline: Deadline,
  operation: string,
  work: () => Promise<T>,
): Promise<T> {
  for (let pause = 20; ; pause = Math.min(MAX_POLL_MS, pause * 2)) {
    try {
      return await request(deadline, operation, work());
    } catch (error) {
      if (!(error instanceof NodeUnavailableError) || deadline.remaining() <= pause) throw error;
    }
    await deadline.sleep(operation, pause);
  }
}
