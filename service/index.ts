/**
 * The CareLedger service: the consent relay (`POST /consents`, `GET /consents/:digest`) and the blob
 * gateway (`GET|HEAD|PUT|DELETE /blobs/:hash`) on Fastify, with `GET /info` (chain id, contract) for
 * clients such as `HttpBlobStore`. See docs/service.md.
 */
import Fastify, { type FastifyInstance, type FastifyServerOptions } from "fastify";
import cors from "@fastify/cors";
import rateLimit from "@fastify/rate-limit";
import { JsonRpcProvider, getAddress, type Provider, type Signer } from "ethers";
import { FsBlobStore, InvalidArgumentError, careLedgerAt, type BlobStore } from "../src/node.js";
import { registerBlobGateway } from "./blobs.js";
import { errorBody, httpErrorOf } from "./errors.js";
import { ConsentRelay, registerRelay } from "./relay.js";

export { ServiceRequestError, httpErrorOf, type ErrorBody } from "./errors.js";
export { verifyBlobRequest, type SignedBlobRequest } from "./auth.js";
export { DEFAULT_GAS_CAP, type RelayState, type RelayStatus } from "./relay.js";
export { DEFAULT_MAX_BLOB_BYTES } from "./blobs.js";

/** Options of {@link createService}. */
export interface ServiceOptions {
  /** JSON-RPC URL of the node; or give `provider`. */
  readonly rpcUrl?: string;
  readonly provider?: Provider;
  /** Address of the CareLedger contract. */
  readonly contractAddress: string;
  /** Pays for relayed consents; without it `POST /consents` answers 503. */
  readonly relayer?: Signer;
  /** Where blobs live; default the file-system store under `blobDir`. */
  readonly blobStore?: BlobStore;
  /** Root of the default file-system store (required when no `blobStore` is given). */
  readonly blobDir?: string;
  readonly rateLimit?: { readonly perPatientPerMinute?: number };
  /** Largest gas limit of a relayed transaction (default 500 000). */
  readonly gasCap?: bigint;
  /** How long `POST /consents` waits for the receipt before answering `pending` (ms, default 5 000). */
  readonly responseWaitMs?: number;
  /** Largest `PUT` body in bytes (default 16 MiB). */
  readonly maxBlobBytes?: number;
  /** First block to scan for anchors (the deployment block; default 0). */
  readonly fromBlock?: number;
  /** Allowed CORS origins (default: any, `*`). */
  readonly corsOrigin?: string | readonly string[] | boolean;
  /** Fastify's pino logger: `false` (default), `true`, or pino options. */
  readonly logger?: FastifyServerOptions["logger"];
}

/** A created service. */
export interface Service {
  readonly app: FastifyInstance;
  /** The URL it listens on (after {@link startService}). */
  readonly url?: string;
  close(): Promise<void>;
}

/** Build the service (routes registered, not listening). */
export async function createService(options: ServiceOptions): Promise<Service> {
  const ownProvider =
    options.provider === undefined && options.rpcUrl !== undefined
      ? new JsonRpcProvider(options.rpcUrl, undefined, { cacheTimeout: -1 })
      : undefined;
  const provider = options.provider ?? ownProvider ?? options.relayer?.provider ?? undefined;
  if (provider == null) {
    throw new InvalidArgumentError("rpcUrl: give rpcUrl or provider to reach the chain");
  }
  const contract = getAddress(options.contractAddress);
  const ledger = careLedgerAt(contract, provider);
  const { chainId } = await provider.getNetwork();
  const store =
    options.blobStore ??
    (options.blobDir === undefined
      ? undefined
      : new FsBlobStore(options.blobDir, { padding: true }));
  if (store === undefined) {
    throw new InvalidArgumentError("blobDir: give blobDir or blobStore for the blob gateway");
  }

  const app = Fastify({ logger: options.logger ?? false });
  app.setErrorHandler((error, request, reply) => {
    const mapped = httpErrorOf(error);
    if (mapped.status >= 500) request.log.error({ err: error }, "request failed");
    else request.log.info({ code: mapped.code, status: mapped.status }, mapped.message);
    return reply.code(mapped.status).send(errorBody(mapped));
  });
  await app.register(cors, {
    origin: (options.corsOrigin ?? "*") as string | string[] | boolean,
    exposedHeaders: ["etag", "retry-after"],
  });
  await app.register(rateLimit, { global: false });

  app.get("/info", () => ({ chainId: chainId.toString(), contract }));
  registerBlobGateway(app, {
    store,
    chain: { ledger, chainId, contract },
    ...(options.maxBlobBytes === undefined ? {} : { maxBlobBytes: options.maxBlobBytes }),
    ...(options.fromBlock === undefined ? {} : { fromBlock: options.fromBlock }),
  });
  if (options.relayer !== undefined) {
    const relayer =
      options.relayer.provider == null ? options.relayer.connect(provider) : options.relayer;
    const relay = new ConsentRelay({
      ledger: careLedgerAt(contract, relayer),
      relayer,
      ...(options.gasCap === undefined ? {} : { gasCap: options.gasCap }),
    });
    registerRelay(app, relay, {
      ...(options.rateLimit?.perPatientPerMinute === undefined
        ? {}
        : { perPatientPerMinute: options.rateLimit.perPatientPerMinute }),
      ...(options.responseWaitMs === undefined ? {} : { responseWaitMs: options.responseWaitMs }),
    });
  } else {
    app.post("/consents", (_request, reply) =>
      reply.code(503).send({
        error: { code: "RELAY_DISABLED", message: "this service has no relayer account" },
      }),
    );
  }

  return {
    app,
    async close() {
      await app.close();
      ownProvider?.destroy();
    },
  };
}

/** Create the service and listen (`127.0.0.1`, port 0 by default); `url` is the bound address. */
export async function startService(
  options: ServiceOptions & { readonly host?: string; readonly port?: number },
): Promise<Service & { readonly url: string }> {
  const service = await createService(options);
  const host = options.host ?? "127.0.0.1";
  await service.app.listen({ host, port: options.port ?? 0 });
  const address = service.app.server.address();
  if (address === null || typeof address === "string") {
    await service.close();
    throw new Error("the service is not listening on a TCP port");
  }
  const shown = address.family === "IPv6" ? `[${address.address}]` : address.address;
  return { ...service, url: `http://${shown}:${String(address.port)}` };
}
