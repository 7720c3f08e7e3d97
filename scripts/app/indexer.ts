/**
 * The indexer for `npm run app`: `scripts/indexer.ts` (Ponder on PGlite) as a child process against the app's
 * chain, its database in the stack's work directory, ready once `/health` answers.
 */
import { spawn } from "node:child_process";
import path from "node:path";
import { freePort } from "../lib/node.js";

/** A running indexer. */
export interface AppIndexer {
  readonly url: string;
  stop(): Promise<void>;
}

/** Options of {@link startAppIndexer}. */
export interface AppIndexerOptions {
  readonly root: string;
  readonly rpcUrl: string;
  readonly chainId: number;
  readonly address: string;
  readonly startBlock: number;
  /** PGlite directory (a fresh one per chain: Ponder caches the chain's answers there). */
  readonly dataDir: string;
  readonly readyTimeoutMs?: number;
}

/** Start the indexer; rejects (after stopping it) when it does not serve in time. */
export async function startAppIndexer(options: AppIndexerOptions): Promise<AppIndexer> {
  const port = await freePort();
  const child = spawn(
    process.execPath,
    [
      path.join(options.root, "node_modules/tsx/dist/cli.mjs"),
      path.join(options.root, "scripts/indexer.ts"),
      "--chain-id",
      String(options.chainId),
      "--rpc",
      options.rpcUrl,
      "--address",
      options.address,
      "--start-block",
      String(options.startBlock),
      "--port",
      String(port),
    ],
    {
      cwd: options.root,
      env: {
        ...process.env,
        PONDER_PGLITE_DIR: options.dataDir,
        CARELEDGER_POLL_MS: "200",
        PONDER_TELEMETRY_DISABLED: "true",
      },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let output = "";
  child.stdout.on("data", (chunk: Buffer) => (output = (output + chunk.toString()).slice(-4000)));
  child.stderr.on("data", (chunk: Buffer) => (output = (output + chunk.toString()).slice(-4000)));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  let gone = false;
  void exited.then(() => (gone = true));
  const stop = async (): Promise<void> => {
    if (!gone) child.kill("SIGTERM");
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 10_000))]);
    if (!gone) child.kill("SIGKILL");
  };
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + (options.readyTimeoutMs ?? 120_000);
  while (Date.now() < deadline && !gone) {
    const ok = await fetch(`${url}/health`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return { url, stop };
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  await stop();
  throw new Error(`the indexer did not serve at ${url}:\n${output}`);
}
