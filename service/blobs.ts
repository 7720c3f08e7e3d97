/**
 * The blob gateway: `GET|HEAD /blobs/:hash` serves a ciphertext verified against its content hash,
 * `PUT /blobs/:hash` stores a body signed for by an active member once it hashes to `:hash`, and
 * `DELETE /blobs/:hash` removes a blob whose record the chain says is erased (crypto-shredding).
 * The store is any `BlobStore`; the file-system store is the default.
 */
import type { FastifyInstance } from "fastify";
import * as z from "zod";
import {
  FsBlobStore,
  IntegrityError,
  MemoryBlobStore,
  NotFoundError,
  RecordStatus,
  blobId,
  normalizeContentHash,
  withVerification,
  type BlobStore,
  type CareLedger,
  type ContentHash,
} from "../src/node.js";
import { verifyBlobRequest, type ChainContext } from "./auth.js";
import { ServiceRequestError } from "./errors.js";

/** Options of the gateway. */
export interface BlobGatewayOptions {
  readonly store: BlobStore;
  readonly chain: ChainContext;
  /** Largest body `PUT` accepts (bytes, default 16 MiB). */
  readonly maxBlobBytes?: number;
  /** First block to scan for `RecordAnchored` when deciding a `DELETE` (default 0). */
  readonly fromBlock?: number;
}

/** Default largest blob: 16 MiB. */
export const DEFAULT_MAX_BLOB_BYTES = 16 * 1024 * 1024;

const hashParams = z.object({
  hash: z.string().regex(/^0x[0-9a-fA-F]{64}$/, "must be 0x + 64 hex digits"),
});

function hashOf(params: unknown): ContentHash {
  const parsed = hashParams.safeParse(params);
  if (!parsed.success) {
    throw new ServiceRequestError(400, "INVALID_HASH", "hash must be 0x + 64 hex digits", {
      field: "params.hash",
    });
  }
  return normalizeContentHash(parsed.data.hash);
}

/** A store that can also delete (the `BlobStore` interface may carry `delete`). */
type DeletableStore = BlobStore & { delete?: (hash: string) => Promise<unknown> };

/** `RecordStatus.Erased` when the SDK has it (the record lifecycle with crypto-shredding). */
const ERASED: number | undefined = (RecordStatus as Readonly<Record<string, number>>)["Erased"];

/** The records anchored with content hash `hash` and whether every one of them is erased. */
async function erasureOf(
  ledger: CareLedger,
  hash: string,
  fromBlock: number,
): Promise<{ anchored: number; erased: boolean }> {
  const logs = await ledger.queryFilter(ledger.filters.RecordAnchored(), fromBlock);
  const ids = logs
    .filter((log) => log.args.contentHash.toLowerCase() === hash)
    .map((log) => log.args.recordId);
  if (ids.length === 0) return { anchored: 0, erased: false };
  const statuses = await Promise.all(
    ids.map(async (id) => Number((await ledger.recordOf(id)).record.status)),
  );
  return {
    anchored: ids.length,
    erased: ERASED !== undefined && statuses.every((s) => s === ERASED),
  };
}

/** Register the `/blobs/:hash` routes on `app`. */
export function registerBlobGateway(app: FastifyInstance, options: BlobGatewayOptions): void {
  // Every store's `get` must verify (the `BlobStore` contract); the SDK's own stores do, any other is
  // wrapped so that nothing that does not hash to its address leaves the gateway.
  const store =
    options.store instanceof FsBlobStore || options.store instanceof MemoryBlobStore
      ? options.store
      : Object.assign(withVerification(options.store), {
          delete: (options.store as DeletableStore).delete?.bind(options.store),
        });
  const maxBytes = options.maxBlobBytes ?? DEFAULT_MAX_BLOB_BYTES;
  const fromBlock = options.fromBlock ?? 0;

  app.addContentTypeParser(
    "application/octet-stream",
    { parseAs: "buffer", bodyLimit: maxBytes },
    (_request, body, done) => done(null, body),
  );

  app.get("/blobs/:hash", async (request, reply) => {
    const hash = hashOf(request.params);
    const etag = `"${hash}"`;
    if (request.headers["if-none-match"] === etag && (await store.has(hash))) {
      return reply.code(304).header("etag", etag).send();
    }
    let bytes: Uint8Array;
    try {
      bytes = await store.get(hash);
    } catch (error) {
      if (error instanceof NotFoundError) {
        throw new ServiceRequestError(404, "BLOB_NOT_FOUND", `no blob ${hash}`);
      }
      if (error instanceof IntegrityError) {
        // The store's copy is damaged: a fault of the service, never served.
        throw new ServiceRequestError(500, "BLOB_CORRUPT", `the stored blob ${hash} is damaged`, {
          cause: error,
        });
      }
      throw error;
    }
    return reply
      .header("content-type", "application/octet-stream")
      .header("etag", etag)
      .header("cache-control", "public, max-age=31536000, immutable")
      .send(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  });

  app.put("/blobs/:hash", async (request, reply) => {
    const hash = hashOf(request.params);
    if (!(request.body instanceof Buffer)) {
      throw new ServiceRequestError(
        415,
        "UNSUPPORTED_MEDIA_TYPE",
        "the body must be the ciphertext as application/octet-stream",
        { field: "header.content-type" },
      );
    }
    const member = await verifyBlobRequest(options.chain, "PUT", hash, request.headers);
    const bytes = new Uint8Array(request.body);
    let actual: string;
    try {
      actual = blobId(bytes);
    } catch (error) {
      throw new ServiceRequestError(422, "HASH_MISMATCH", "the body is a malformed envelope", {
        field: "body",
        cause: error,
      });
    }
    if (actual !== hash) {
      throw new ServiceRequestError(
        422,
        "HASH_MISMATCH",
        `the body hashes to ${actual}, not ${hash}`,
        {
          field: "body",
        },
      );
    }
    const existed = await store.has(hash);
    await store.put(bytes);
    request.log.info({ hash, signer: member.signer, bytes: bytes.length }, "blob stored");
    return reply.code(existed ? 200 : 201).send({ hash, size: bytes.length });
  });

  app.delete("/blobs/:hash", async (request, reply) => {
    const hash = hashOf(request.params);
    const member = await verifyBlobRequest(options.chain, "DELETE", hash, request.headers);
    const { anchored, erased } = await erasureOf(options.chain.ledger, hash, fromBlock);
    if (!erased) {
      throw new ServiceRequestError(
        409,
        "NOT_ERASED",
        anchored === 0
          ? `no record is anchored with content hash ${hash}; only an erased record's blob is deleted`
          : `the record anchored with content hash ${hash} is not erased on chain`,
      );
    }
    if (store.delete === undefined) {
      throw new ServiceRequestError(501, "DELETE_UNSUPPORTED", "this blob store cannot delete");
    }
    await store.delete(hash);
    request.log.info({ hash, signer: member.signer }, "erased blob deleted");
    return reply.code(204).send();
  });
}
