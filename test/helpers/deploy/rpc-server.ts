/**
 * A small JSON-RPC 2.0 server on 127.0.0.1 (random port) for tests: each method is a handler;
 * every request is recorded so a test can assert what was (not) sent.
 */
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";

/** A JSON-RPC error the handler wants returned (`{ error: { code, message } }`). */
export class RpcErrorReply extends Error {
  readonly code: number;
  constructor(code: number, message: string) {
    super(message);
    this.code = code;
  }
}

export type RpcHandler = (params: readonly unknown[]) => unknown;

export interface RecordedCall {
  readonly method: string;
  readonly params: readonly unknown[];
  /** The request's Authorization header, if any. */
  readonly authorization: string | undefined;
}

export interface FakeRpcServer {
  readonly url: string;
  readonly calls: RecordedCall[];
  close(): Promise<void>;
}

async function body(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

/** Listens on a random port of 127.0.0.1; `close` ends open connections too. */
async function listen(server: Server): Promise<{ url: string; close(): Promise<void> }> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
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

/** Starts the server; unknown methods answer -32601 like a real node. */
export async function startFakeRpc(
  handlers: Readonly<Record<string, RpcHandler>>,
): Promise<FakeRpcServer> {
  const calls: RecordedCall[] = [];
  const server = createServer((req, res) => {
    void (async () => {
      const request = JSON.parse(await body(req)) as {
        id: number;
        method: string;
        params?: unknown[];
      };
      const params = request.params ?? [];
      calls.push({ method: request.method, params, authorization: req.headers.authorization });
      const handler = handlers[request.method];
      let reply: object;
      if (handler === undefined) {
        reply = { error: { code: -32601, message: "Method not found" } };
      } else {
        try {
          reply = { result: await handler(params) };
        } catch (error) {
          reply =
            error instanceof RpcErrorReply
              ? { error: { code: error.code, message: error.message } }
              : { error: { code: -32603, message: String(error) } };
        }
      }
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ jsonrpc: "2.0", id: request.id, ...reply }));
    })();
  });
  return { ...(await listen(server)), calls };
}

/** A node as preflight sees it: chain id, fees, balances, accounts. */
export interface FakeChain {
  readonly chainId: number;
  /** Omit for a pre-London chain (no `baseFeePerGas` in blocks). */
  readonly baseFeePerGas?: bigint;
  readonly gasPrice: bigint;
  readonly balances?: Readonly<Record<string, bigint>>;
  readonly accounts?: readonly string[];
}

const hex = (value: bigint | number): string => `0x${value.toString(16)}`;

/** Handlers of a fake node for {@link startFakeRpc}; it never accepts a transaction. */
export function fakeChainHandlers(chain: FakeChain): Record<string, RpcHandler> {
  const refuse = (): never => {
    throw new RpcErrorReply(-32000, "this fake node accepts no transactions");
  };
  return {
    eth_chainId: () => hex(chain.chainId),
    eth_blockNumber: () => "0x10",
    eth_gasPrice: () => hex(chain.gasPrice),
    eth_accounts: () => chain.accounts ?? [],
    eth_estimateGas: () => hex(4_000_000),
    eth_getBalance: (params) => hex(chain.balances?.[String(params[0]).toLowerCase()] ?? 0n),
    eth_getBlockByNumber: () => ({
      number: "0x10",
      hash: `0x${"11".repeat(32)}`,
      timestamp: "0x6553f100",
      ...(chain.baseFeePerGas === undefined ? {} : { baseFeePerGas: hex(chain.baseFeePerGas) }),
    }),
    eth_sendTransaction: refuse,
    eth_sendRawTransaction: refuse,
  };
}

/**
 * A JSON-RPC server in front of a real node: every request is forwarded to `target`, except the
 * methods of `overrides`, which answer for it (e.g. a Besu-like refusal of a transaction).
 */
export async function startProxyRpc(
  target: string,
  overrides: Readonly<Record<string, RpcHandler>>,
): Promise<FakeRpcServer> {
  const calls: RecordedCall[] = [];
  const server = createServer((req, res) => {
    void (async () => {
      const text = await body(req);
      const request = JSON.parse(text) as { id: number; method: string; params?: unknown[] };
      const params = request.params ?? [];
      calls.push({ method: request.method, params, authorization: req.headers.authorization });
      const handler = overrides[request.method];
      let reply: string;
      if (handler === undefined) {
        const forwarded = await fetch(target, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: text,
        });
        reply = await forwarded.text();
      } else {
        try {
          reply = JSON.stringify({ jsonrpc: "2.0", id: request.id, result: await handler(params) });
        } catch (error) {
          const e =
            error instanceof RpcErrorReply ? error : new RpcErrorReply(-32603, String(error));
          reply = JSON.stringify({
            jsonrpc: "2.0",
            id: request.id,
            error: { code: e.code, message: e.message },
          });
        }
      }
      res.writeHead(200, { "content-type": "application/json" });
      res.end(reply);
    })();
  });
  return { ...(await listen(server)), calls };
}
