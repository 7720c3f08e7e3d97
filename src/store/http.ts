/**
 * A {@link BlobStore} over HTTP: the blob gateway of the CareLedger service (`service/`), for the
 * browser (global `fetch`, no Node built-ins). `GET /blobs/<hash>` bodies are verified against their
 * hash before they are returned; `PUT /blobs/<hash>` is signed by a member (EIP-191 `personal_sign`
 * over {@link blobRequestMessage}), which the gateway checks against the chain.
 */
import {
  CareLedgerError,
  type CareLedgerErrorOptions,
  InvalidArgumentError,
  NotFoundError,
} from "../errors.js";
import { normalizeContentHash, type ContentHash } from "../crypto/hash.js";
import { blobId, verifyBlob, type BlobStore } from "./blob-store.js";

/** The method a signed blob request is for. */
export type BlobRequestMethod = "PUT" | "DELETE";

/** The fields of a signed blob request (see {@link blobRequestMessage}). */
export interface BlobRequestFields {
  readonly method: BlobRequestMethod;
  readonly hash: string;
  readonly chainId: bigint | number;
  /** The CareLedger contract the signer is a member of. */
  readonly contract: string;
  /** Unix seconds when signed; the gateway accepts ±{@link BLOB_REQUEST_MAX_SKEW_SECONDS}. */
  readonly timestamp: number;
}

/** How far (seconds) a signed blob request's timestamp may be from the gateway's clock. */
export const BLOB_REQUEST_MAX_SKEW_SECONDS = 300;

/** Headers carrying a signed blob request. */
export const BLOB_REQUEST_HEADERS = {
  signer: "x-careledger-signer",
  timestamp: "x-careledger-timestamp",
  signature: "x-careledger-signature",
} as const;

/**
 * The text a member signs with EIP-191 `personal_sign` to store or delete a blob at the gateway
 * (documented in docs/service.md): one field per line, the contract address in lower case.
 */
export function blobRequestMessage(fields: BlobRequestFields): string {
  return [
    "CareLedger blob gateway request",
    `Method: ${fields.method}`,
    `Hash: ${normalizeContentHash(fields.hash)}`,
    `Chain ID: ${String(fields.chainId)}`,
    `Contract: ${fields.contract.toLowerCase()}`,
    `Timestamp: ${String(fields.timestamp)}`,
  ].join("\n");
}

/** The gateway answered with a refusal (4xx other than 404): `status` and its reason `reason`. */
export class BlobRequestRefusedError extends CareLedgerError {
  override readonly name: string = "BlobRequestRefusedError";

  /** HTTP status. */
  readonly status: number;
  /** The gateway's error code (e.g. `"NOT_A_MEMBER"`), when it gave one. */
  readonly reason: string | undefined;

  constructor(status: number, reason: string | undefined, message: string) {
    super(`blob gateway refused (${String(status)}): ${message}`, "BLOB_REQUEST_REFUSED");
    this.status = status;
    this.reason = reason;
  }
}

/** The gateway could not be reached or failed (network error, 5xx). */
export class BlobGatewayUnavailableError extends CareLedgerError {
  override readonly name: string = "BlobGatewayUnavailableError";

  /** HTTP status, undefined for a network failure. */
  readonly status: number | undefined;

  constructor(message: string, status?: number, options: CareLedgerErrorOptions = {}) {
    super(message, "BLOB_GATEWAY_UNAVAILABLE", options);
    this.status = status;
  }
}

/** Signs blob requests: an ethers `Signer`, a browser wallet's signer, … */
export interface BlobRequestSigner {
  getAddress(): Promise<string>;
  signMessage(message: string): Promise<string>;
}

/** Options of {@link HttpBlobStore}. */
export interface HttpBlobStoreOptions {
  /** The service's base URL, e.g. `http://127.0.0.1:8545`; `/blobs/<hash>` is appended. */
  readonly baseUrl: string;
  /** Signs `put` (and `delete`) requests; reads need none. */
  readonly signer?: BlobRequestSigner;
  /** Chain id and contract bound into signed requests; read from the gateway's `GET /info` when omitted. */
  readonly chainId?: bigint | number;
  readonly contract?: string;
  readonly fetch?: typeof fetch;
  /** Unix seconds used for signed requests (tests); default: the local clock. */
  readonly now?: () => number;
}

interface GatewayInfo {
  readonly chainId: string;
  readonly contract: string;
}

/** The blob gateway as a {@link BlobStore}. */
export class HttpBlobStore implements BlobStore {
  readonly baseUrl: string;
  readonly #signer: BlobRequestSigner | undefined;
  readonly #fetch: typeof fetch;
  readonly #now: () => number;
  #info: Promise<GatewayInfo> | undefined;

  constructor(options: HttpBlobStoreOptions) {
    if (typeof options.baseUrl !== "string" || !/^https?:\/\//.test(options.baseUrl)) {
      throw new InvalidArgumentError(`baseUrl: ${String(options.baseUrl)} is not an http(s) URL`);
    }
    this.baseUrl = options.baseUrl.replace(/\/+$/, "");
    this.#signer = options.signer;
    this.#fetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
    this.#now = options.now ?? (() => Math.floor(Date.now() / 1000));
    if (options.chainId !== undefined && options.contract !== undefined) {
      this.#info = Promise.resolve({
        chainId: String(options.chainId),
        contract: options.contract,
      });
    }
  }

  /** Upload `bytes` (signed by the signer); resolves to their content hash once the gateway stored them. */
  async put(bytes: Uint8Array): Promise<ContentHash> {
    const hash = blobId(bytes);
    const body = new Uint8Array(bytes).buffer;
    await this.#signed("PUT", hash, { "content-type": "application/octet-stream" }, body);
    return hash;
  }

  /** The blob `hash`, verified against it. */
  async get(hash: string): Promise<Uint8Array> {
    const key = normalizeContentHash(hash);
    const response = await this.#request(`/blobs/${key}`, { method: "GET" });
    if (response.status === 404) throw new NotFoundError("blob", key);
    await this.#check(response);
    const bytes = new Uint8Array(await response.arrayBuffer());
    verifyBlob(key, bytes, `blob gateway ${this.baseUrl}`);
    return bytes;
  }

  /** Whether the gateway holds `hash` (`HEAD`). */
  async has(hash: string): Promise<boolean> {
    const key = normalizeContentHash(hash);
    const response = await this.#request(`/blobs/${key}`, { method: "HEAD" });
    if (response.status === 404) return false;
    await this.#check(response);
    return true;
  }

  /**
   * Ask the gateway to delete `hash` (signed). It refuses unless the chain says the record anchored with
   * that content hash is erased.
   */
  async delete(hash: string): Promise<void> {
    await this.#signed("DELETE", normalizeContentHash(hash), {});
  }

  async #signed(
    method: BlobRequestMethod,
    hash: ContentHash,
    headers: Record<string, string>,
    body?: ArrayBuffer,
  ): Promise<void> {
    const signer = this.#signer;
    if (signer === undefined) {
      throw new InvalidArgumentError(`signer: HttpBlobStore needs a signer to ${method} a blob`);
    }
    const info = await this.#gatewayInfo();
    const timestamp = this.#now();
    const message = blobRequestMessage({
      method,
      hash,
      chainId: BigInt(info.chainId),
      contract: info.contract,
      timestamp,
    });
    const [address, signature] = await Promise.all([
      signer.getAddress(),
      signer.signMessage(message),
    ]);
    const response = await this.#request(`/blobs/${hash}`, {
      method,
      headers: {
        ...headers,
        [BLOB_REQUEST_HEADERS.signer]: address,
        [BLOB_REQUEST_HEADERS.timestamp]: String(timestamp),
        [BLOB_REQUEST_HEADERS.signature]: signature,
      },
      ...(body === undefined ? {} : { body }),
    });
    if (response.status === 404) throw new NotFoundError("blob", hash);
    await this.#check(response);
  }

  #gatewayInfo(): Promise<GatewayInfo> {
    this.#info ??= (async () => {
      const response = await this.#request("/info", { method: "GET" });
      await this.#check(response);
      const info = (await response.json()) as Partial<GatewayInfo>;
      if (typeof info.chainId !== "string" || typeof info.contract !== "string") {
        throw new BlobGatewayUnavailableError(
          `blob gateway ${this.baseUrl}: /info has no chainId and contract`,
        );
      }
      return { chainId: info.chainId, contract: info.contract };
    })();
    this.#info.catch(() => (this.#info = undefined));
    return this.#info;
  }

  async #request(path: string, init: RequestInit): Promise<Response> {
    try {
      return await this.#fetch(`${this.baseUrl}${path}`, init);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new BlobGatewayUnavailableError(
        `blob gateway ${this.baseUrl} unreachable: ${reason}`,
        undefined,
        { cause: error },
      );
    }
  }

  /** Throw the typed error of a non-2xx answer. */
  async #check(response: Response): Promise<void> {
    if (response.ok || response.status === 304) return;
    let reason: string | undefined;
    let message = response.statusText;
    try {
      const body = (await response.json()) as { error?: { code?: unknown; message?: unknown } };
      if (typeof body.error?.code === "string") reason = body.error.code;
      if (typeof body.error?.message === "string") message = body.error.message;
    } catch {
      // No JSON body (HEAD, a proxy's HTML page): the status line says it all.
    }
    if (response.status >= 500) {
      throw new BlobGatewayUnavailableError(
        `blob gateway ${this.baseUrl} failed (${String(response.status)}): ${message}`,
        response.status,
      );
    }
    throw new BlobRequestRefusedError(response.status, reason, message);
  }
}
