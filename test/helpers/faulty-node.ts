/**
 * A real node the test can hurt: anvil out of process on a random loopback port, stopped by PID and
 * restarted with `--dump-state` / `--load-state`, behind a small loopback JSON-RPC proxy the test
 * controls (refuse a request, forward it and drop the reply, hold the connection without answering).
 * Clients talk to the proxy's stable URL, so a restarted node (on a new port) is the same endpoint.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createServer, request as httpRequest, type IncomingMessage, type Server } from "node:http";
import type { Socket } from "node:net";
import { findAnvilBinary } from "../../scripts/lib/node.js";

/** What the proxy does with one JSON-RPC request (or batch, by any of its methods). */
export type ProxyAction = "pass" | "refuse" | "drop-reply" | "hold" | "bad-gateway";
/** Decides the action for a request: its JSON-RPC methods (one, or the methods of a batch). */
export type ProxyRule = (methods: readonly string[]) => ProxyAction;

export interface AnvilOptions {
  /** Where the chain state is dumped on exit and loaded from at start (when the file exists). */
  readonly stateFile?: string;
  /** Load the state from `stateFile` at start. */
  readonly loadState?: boolean;
  /** Zero gas price and base fee (default true). */
  readonly zeroGas?: boolean;
}

export interface Anvil {
  readonly url: string;
  readonly pid: number;
  /** SIGTERM by PID (anvil dumps its state), SIGKILL after 5 s. */
  stop(): Promise<void>;
}

/** Start anvil on 127.0.0.1, port 0, chain 1337, 20 funded accounts, automine. */
export async function startAnvil(options: AnvilOptions = {}): Promise<Anvil> {
  const binary = findAnvilBinary();
  if (binary === undefined) throw new Error("no anvil binary in node_modules/@foundry-rs");
  const args = ["--host", "127.0.0.1", "--port", "0", "--chain-id", "1337", "--accounts", "20"];
  if (options.zeroGas ?? true) {
    args.push("--gas-price", "0", "--base-fee", "0", "--disable-min-priority-fee");
  }
  if (options.stateFile !== undefined) {
    args.push("--dump-state", options.stateFile);
    if (options.loadState === true) args.push("--load-state", options.stateFile);
  }
  const child: ChildProcess = spawn(binary, args, { stdio: ["ignore", "pipe", "pipe"] });
  const pid = child.pid;
  if (pid === undefined) throw new Error("anvil did not start");
  let exited = false;
  const exit = new Promise<void>((resolve) =>
    child.once("exit", () => {
      exited = true;
      resolve();
    }),
  );
  const stop = async (): Promise<void> => {
    if (exited) return;
    process.kill(pid, "SIGTERM");
    const timer = setTimeout(() => {
      if (!exited) process.kill(pid, "SIGKILL");
    }, 5_000);
    await exit;
    clearTimeout(timer);
  };
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("anvil did not listen within 20 s")), 20_000);
    let output = "";
    const onData = (chunk: Buffer): void => {
      output += chunk.toString("utf8");
      const match = /Listening on [^\s:]+:(\d+)/.exec(output);
      if (match?.[1] !== undefined) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
    void exit.then(() => reject(new Error(`anvil exited early: ${output.slice(-300)}`)));
  });
  return { url: `http://127.0.0.1:${port}`, pid, stop };
}

export interface FaultProxy {
  /** The proxy's URL (stable across node restarts). */
  readonly url: string;
  /** Where requests go (a restarted node's URL). */
  upstream: string;
  /** The current rule (default: pass everything). */
  rule: ProxyRule;
  /** Requests seen, by method, in order. */
  readonly seen: string[];
  /** Requests the proxy could not forward (node down), with the reason. */
  readonly forwardErrors: string[];
  /** Release every held connection (closing it) and stop listening. */
  close(): Promise<void>;
  /** Close every held connection now (as a node that finally drops them). */
  releaseHeld(): void;
}

/** Start a proxy on 127.0.0.1, port 0, forwarding to `upstream`. */
export async function startFaultProxy(upstream: string): Promise<FaultProxy> {
  const held = new Set<Socket>();
  const sockets = new Set<Socket>();
  const state: { upstream: string; rule: ProxyRule } = { upstream, rule: () => "pass" };
  const seen: string[] = [];
  const forwardErrors: string[] = [];
  const server: Server = createServer((req, res) => {
    void readBody(req).then(async (body) => {
      const methods = methodsOf(body);
      seen.push(...methods);
      const action = state.rule(methods);
      if (action === "refuse") {
        req.socket.destroy();
        return;
      }
      if (action === "hold") {
        held.add(req.socket);
        return;
      }
      if (action === "bad-gateway") {
        res.writeHead(502, { "content-type": "text/plain" });
        res.end("bad gateway");
        return;
      }
      const answer = await forward(state.upstream, body).catch((error: unknown) => {
        forwardErrors.push(`${methods.join(",")}: ${String(error)}`);
        return undefined;
      });
      if (answer === undefined || action === "drop-reply") {
        req.socket.destroy();
        return;
      }
      res.writeHead(answer.status, { "content-type": "application/json" });
      res.end(answer.body);
    });
  });
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.once("close", () => {
      sockets.delete(socket);
      held.delete(socket);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("proxy has no port");
  return {
    url: `http://127.0.0.1:${address.port}`,
    get upstream() {
      return state.upstream;
    },
    set upstream(url: string) {
      state.upstream = url;
    },
    get rule() {
      return state.rule;
    },
    set rule(rule: ProxyRule) {
      state.rule = rule;
    },
    seen,
    forwardErrors,
    releaseHeld() {
      for (const socket of held) socket.destroy();
      held.clear();
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A rule acting on requests that contain `method`, passing the rest. */
export function on(method: string, action: ProxyAction): ProxyRule {
  return (methods) => (methods.includes(method) ? action : "pass");
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

function methodsOf(body: string): string[] {
  try {
    const parsed = JSON.parse(body) as unknown;
    const list = Array.isArray(parsed) ? parsed : [parsed];
    return list.map((r) => String((r as { method?: unknown }).method));
  } catch {
    return [];
  }
}

function forward(url: string, body: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      url,
      { method: "POST", headers: { "content-type": "application/json" }, timeout: 10_000 },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () =>
          resolve({ status: res.statusCode ?? 502, body: Buffer.concat(chunks).toString("utf8") }),
        );
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.on("timeout", () => req.destroy(new Error("upstream timeout")));
    req.end(body);
  });
}
