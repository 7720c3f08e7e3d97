/**
 * A small stand-in for `service/` with the same HTTP interface, used by `npm run app` and the browser tests
 * only while `service/index.ts` is not in the tree: `POST /consents` (verify locally, relay once per
 * signature digest), `GET /consents/:digest`, `GET /blobs/:hash` and `PUT /blobs/:hash` signed by an active
 * member (EIP-191, see `blobUploadMessage` in `app/src/blobs.ts`). Loopback only, port 0 by default.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { getAddress, verifyMessage, type Signer } from "ethers";
import {
  consentDigest,
  decodeContractError,
  parseSignedConsent,
  relaySignedConsent,
  Role,
  type CareLedger,
} from "../../src/index.js";
import { blobId, type BlobStore } from "../../src/store/index.js";
import { BLOB_UPLOAD_MAX_SKEW_S, blobUploadMessage } from "../../app/src/blob-auth.js";

/** Options of {@link startDevService}. */
export interface DevServiceOptions {
  /** The deployed contract, connected to the relayer's signer. */
  readonly ledger: CareLedger;
  readonly relayer: Signer;
  readonly store: BlobStore;
  readonly port?: number;
  /** Largest request body in bytes (default 8 MiB). */
  readonly maxBodyBytes?: number;
}

/** A running stand-in service. */
export interface DevService {
  readonly url: string;
  close(): Promise<void>;
}

interface RelayState {
  status: "pending" | "mined" | "failed";
  txHash?: string;
  error?: string;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

async function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buf = chunk as Buffer;
    size += buf.length;
    if (size > limit) throw new HttpError(413, `body larger than ${limit} bytes`);
    chunks.push(buf);
  }
  return Buffer.concat(chunks);
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
}

/** Start the stand-in service on 127.0.0.1. */
export async function startDevService(options: DevServiceOptions): Promise<DevService> {
  const limit = options.maxBodyBytes ?? 8 * 1024 * 1024;
  const relays = new Map<string, RelayState>();
  const ledger = options.ledger.connect(options.relayer);

  const relay = async (body: Buffer): Promise<[number, unknown]> => {
    let signed;
    try {
      signed = parseSignedConsent(JSON.parse(body.toString("utf8")));
    } catch (error) {
      throw new HttpError(400, error instanceof Error ? error.message : String(error));
    }
    const digest = consentDigest(signed);
    const statusUrl = `/consents/${digest}`;
    const known = relays.get(digest);
    if (known !== undefined) return [200, { digest, ...known, statusUrl }];
    const state: RelayState = { status: "pending" };
    relays.set(digest, state);
    try {
      const result = await relaySignedConsent(ledger, signed, { gasLimit: 500_000n });
      state.status = "mined";
      state.txHash = result.hash;
      return [201, { digest, txHash: result.hash, status: state.status, statusUrl }];
    } catch (error) {
      relays.delete(digest);
      const decoded = decodeContractError(error) ?? error;
      const message = decoded instanceof Error ? decoded.message : String(decoded);
      throw new HttpError(422, message);
    }
  };

  const putBlob = async (req: IncomingMessage, hash: string): Promise<[number, unknown]> => {
    const account = String(req.headers["x-careledger-account"] ?? "");
    const signature = String(req.headers["x-careledger-signature"] ?? "");
    const time = Number(req.headers["x-careledger-time"] ?? "NaN");
    if (!Number.isSafeInteger(time)) throw new HttpError(401, "x-careledger-time is missing");
    if (Math.abs(Date.now() / 1000 - time) > BLOB_UPLOAD_MAX_SKEW_S) {
      throw new HttpError(401, "the upload signature is too old or from the future");
    }
    let signer: string;
    try {
      signer = verifyMessage(blobUploadMessage(hash, getAddress(account), time), signature);
    } catch {
      throw new HttpError(401, "the upload signature does not verify");
    }
    if (signer !== getAddress(account)) {
      throw new HttpError(401, `the upload is signed by ${signer}, not ${account}`);
    }
    const [member] = await options.ledger.memberOf(signer);
    if (Number(member.role) === Role.None || !member.active) {
      throw new HttpError(403, `${signer} is not an active CareLedger member`);
    }
    const bytes = new Uint8Array(await readBody(req, limit));
    const actual = blobId(bytes);
    if (actual !== hash) throw new HttpError(400, `the body hashes to ${actual}, not ${hash}`);
    await options.store.put(bytes);
    return [201, { hash }];
  };

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://localhost");
    const parts = url.pathname.split("/").filter((p) => p !== "");
    const handle = async (): Promise<void> => {
      if (parts[0] === "consents" && parts.length === 1 && req.method === "POST") {
        const [status, body] = await relay(await readBody(req, limit));
        return send(res, status, body);
      }
      if (parts[0] === "consents" && parts.length === 2 && req.method === "GET") {
        const state = relays.get(parts[1]!.toLowerCase());
        if (state === undefined) throw new HttpError(404, "no relay with this digest");
        return send(res, 200, { digest: parts[1], ...state });
      }
      if (parts[0] === "blobs" && parts.length === 2) {
        const hash = parts[1]!.toLowerCase();
        if (!/^0x[0-9a-f]{64}$/.test(hash)) throw new HttpError(400, `${hash} is not a hash`);
        if (req.method === "GET" || req.method === "HEAD") {
          if (!(await options.store.has(hash))) throw new HttpError(404, `no blob ${hash}`);
          const bytes = await options.store.get(hash);
          res.writeHead(200, { "content-type": "application/octet-stream" });
          res.end(bytes);
          return;
        }
        if (req.method === "PUT") {
          const [status, body] = await putBlob(req, hash);
          return send(res, status, body);
        }
      }
      throw new HttpError(404, `no route ${req.method ?? ""} ${url.pathname}`);
    };
    handle().catch((error: unknown) => {
      const status = error instanceof HttpError ? error.status : 500;
      send(res, status, { error: error instanceof Error ? error.message : String(error) });
    });
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
