/**
 * Starts and stops a real JSON-RPC node out of process on 127.0.0.1: anvil from the npm package
 * `@foundry-rs/anvil` (its platform binary, which needs no postinstall download), or `hardhat node`
 * when no working anvil binary is installed. Used by `npm run node` and by the out-of-process tests.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { accessSync, constants as fsConstants } from "node:fs";
import { createRequire } from "node:module";
import { createServer } from "node:net";
import path from "node:path";
import { CareLedgerError, type CareLedgerErrorOptions } from "../../src/errors.js";
import { jsonRpcRequest, LOCALNODE, quantity } from "../../src/deploy/index.js";

/** How blocks are produced. */
export type MiningMode =
  | { readonly kind: "auto" }
  | { readonly kind: "manual" }
  | { readonly kind: "interval"; readonly seconds: number };

/** Options of {@link startNode}. */
export interface NodeOptions {
  /** `anvil` (default when its binary works), `hardhat`, or `auto`. */
  readonly engine?: "anvil" | "hardhat" | "auto";
  /** Default 127.0.0.1. */
  readonly host?: string;
  /** Default 8545; 0 picks a free port. */
  readonly port?: number;
  /** Default 1337 (the `localnode` network). */
  readonly chainId?: number;
  /**
   * Zero gas (default true): gas price 0 and base fee 0, like a Besu network with `zeroBaseFee`.
   * Anvil only; `hardhat node` uses the fees of the `hardhat` network config.
   */
  readonly zeroGas?: boolean;
  /** Default automine. Anvil only. */
  readonly mining?: MiningMode;
  /** More anvil arguments (e.g. `["--hardfork", "paris"]`), after the ones above. Anvil only. */
  readonly extraArgs?: readonly string[];
  /** Give up if the node does not answer `eth_chainId` within this time (default 20 s). */
  readonly readyTimeoutMs?: number;
  /** Receives the node's own output, line by line. */
  readonly onOutput?: (line: string) => void;
  /** Project root (where `node_modules` is), default the current directory. */
  readonly cwd?: string;
}

/** A node started by {@link startNode}. */
export interface RunningNode {
  readonly engine: "anvil" | "hardhat";
  readonly pid: number;
  readonly url: string;
  readonly port: number;
  readonly chainId: number;
  /** Stops the node by its PID: SIGTERM, then SIGKILL after 3 s. Safe to call twice. */
  stop(): Promise<void>;
  /** Whether the process has exited. */
  readonly exited: boolean;
}

/** The node could not be started (no binary, exited early, never answered, wrong chain id). */
export class NodeStartError extends CareLedgerError {
  override readonly name: string = "NodeStartError";

  constructor(message: string, options: CareLedgerErrorOptions = {}) {
    super(message, "NODE_START", options);
  }
}

const PLATFORM_PACKAGES: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  darwin: { x64: "darwin-amd64", arm64: "darwin-arm64" },
  linux: { x64: "linux-amd64", arm64: "linux-arm64" },
  win32: { x64: "win32-amd64" },
};

/**
 * The anvil binary shipped by `@foundry-rs/anvil`, if one is installed and runs (`--version`).
 * The wrapper package resolves a platform package (`@foundry-rs/anvil-linux-amd64`, …) that
 * carries the binary; its postinstall only downloads a binary when that package is missing.
 */
export function findAnvilBinary(cwd: string = process.cwd()): string | undefined {
  const require = createRequire(path.join(cwd, "package.json"));
  const suffix = PLATFORM_PACKAGES[process.platform]?.[process.arch];
  const name = process.platform === "win32" ? "anvil.exe" : "anvil";
  const candidates: string[] = [];
  for (const base of ["@foundry-rs/anvil/package.json", "./package.json"]) {
    let from: NodeJS.Require;
    try {
      from = createRequire(require.resolve(base));
    } catch {
      continue;
    }
    if (suffix !== undefined) {
      try {
        const pkg = from.resolve(`@foundry-rs/anvil-${suffix}/package.json`);
        candidates.push(path.join(path.dirname(pkg), "bin", name));
      } catch {
        // platform package not installed
      }
    }
  }
  try {
    // where the wrapper's postinstall puts a downloaded binary
    const wrapper = require.resolve("@foundry-rs/anvil/package.json");
    candidates.push(path.join(path.dirname(wrapper), "..", "dist", name));
  } catch {
    // wrapper not installed
  }
  for (const candidate of candidates) {
    try {
      accessSync(candidate, fsConstants.X_OK);
    } catch {
      continue;
    }
    const probe = spawnSync(candidate, ["--version"], { timeout: 10_000, encoding: "utf8" });
    if (probe.status === 0 && /anvil/i.test(probe.stdout)) return candidate;
  }
  return undefined;
}

/** A free TCP port on `host` (the OS picks it; there is a small race until the node binds it). */
export async function freePort(host: string = LOCALNODE.host): Promise<number> {
  return await new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, host, () => {
      const address = server.address();
      server.close(() => {
        if (typeof address === "object" && address !== null) resolve(address.port);
        else reject(new Error("could not allocate a port"));
      });
    });
  });
}

/** Children still running, killed synchronously if this process exits without stopping them. */
const running = new Set<ChildProcess>();
let exitHookInstalled = false;
function trackChild(child: ChildProcess): void {
  running.add(child);
  child.once("exit", () => running.delete(child));
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once("exit", () => {
      for (const c of running) c.kill("SIGKILL");
    });
  }
}

/** Starts a node, waits until it answers `eth_chainId` with the expected chain id. */
export async function startNode(options: NodeOptions = {}): Promise<RunningNode> {
  const cwd = options.cwd ?? process.cwd();
  const host = options.host ?? LOCALNODE.host;
  const chainId = options.chainId ?? LOCALNODE.chainId;
  const requested = options.engine ?? "auto";
  const anvil = requested === "hardhat" ? undefined : findAnvilBinary(cwd);
  if (requested === "anvil" && anvil === undefined) {
    throw new NodeStartError(
      "No working anvil binary in node_modules/@foundry-rs: reinstall @foundry-rs/anvil or use --engine hardhat",
    );
  }
  const engine = anvil === undefined ? "hardhat" : "anvil";
  let port = options.port ?? LOCALNODE.port;
  if (engine === "hardhat" && port === 0) port = await freePort(host);

  let command: string;
  let args: string[];
  if (anvil !== undefined) {
    command = anvil;
    // 20 dev accounts, as `hardhat node` has (the demo alone needs 11); the first 10 are anvil's usual ones.
    args = [
      "--host",
      host,
      "--port",
      String(port),
      "--chain-id",
      String(chainId),
      "--accounts",
      "20",
    ];
    if (options.zeroGas ?? true) {
      args.push("--gas-price", "0", "--base-fee", "0", "--disable-min-priority-fee");
    }
    const mining = options.mining ?? { kind: "auto" };
    if (mining.kind === "manual") args.push("--no-mining");
    if (mining.kind === "interval") args.push("--block-time", String(mining.seconds));
    args.push(...(options.extraArgs ?? []));
  } else {
    command = process.execPath;
    const require = createRequire(path.join(cwd, "package.json"));
    const cli = path.join(path.dirname(require.resolve("hardhat/package.json")), "dist/src/cli.js");
    args = [cli, "node", "--hostname", host, "--port", String(port), "--chain-id", String(chainId)];
  }

  const child = spawn(command, args, { cwd, stdio: ["ignore", "pipe", "pipe"] });
  if (child.pid === undefined) {
    throw new NodeStartError(`Could not start ${engine}: ${command}`);
  }
  trackChild(child);
  const pid = child.pid;

  // Probe only once the child itself says it is listening: a fixed port may belong to another node.
  let listening: number | undefined;
  let exitCode: number | null | undefined;
  const exitPromise = new Promise<void>((resolve) =>
    child.once("exit", (code) => {
      exitCode = code;
      resolve();
    }),
  );
  const output: string[] = [];
  const onChunk = (chunk: Buffer): void => {
    for (const line of chunk.toString("utf8").split(/\r?\n/)) {
      if (line === "") continue;
      output.push(line);
      if (output.length > 50) output.shift();
      const match = /(?:Listening on|JSON-RPC server at) (?:https?:\/\/)?[^\s:]+:(\d+)/.exec(line);
      if (match?.[1] !== undefined) listening = Number(match[1]);
      options.onOutput?.(line);
    }
  };
  child.stdout?.on("data", onChunk);
  child.stderr?.on("data", onChunk);

  const stop = async (): Promise<void> => {
    if (exitCode !== undefined) return;
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), 3000);
    await exitPromise;
    clearTimeout(timer);
  };

  const deadline = Date.now() + (options.readyTimeoutMs ?? 20_000);
  let lastError: unknown;
  while (Date.now() < deadline) {
    if (exitCode !== undefined) {
      throw new NodeStartError(
        `${engine} exited with code ${String(exitCode)} before answering: ${output.slice(-3).join(" | ")}`,
      );
    }
    if (listening !== undefined) {
      const url = `http://${host}:${listening}`;
      try {
        const reported = quantity(
          await jsonRpcRequest(url, "eth_chainId", [], { timeoutMs: 1000 }),
          "eth_chainId",
          url,
        );
        if (reported !== BigInt(chainId)) {
          await stop();
          throw new NodeStartError(
            `The node at ${url} reports chain id ${reported}, expected ${chainId}: is another node using port ${listening}?`,
          );
        }
        return {
          engine,
          pid,
          url,
          port: listening,
          chainId,
          stop,
          get exited() {
            return exitCode !== undefined;
          },
        };
      } catch (error) {
        if (error instanceof NodeStartError) throw error;
        lastError = error;
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  await stop();
  throw new NodeStartError(`${engine} did not answer within the timeout`, { cause: lastError });
}
