/**
 * Runs the Hardhat CLI of this project in a child process, as an operator would, with an isolated
 * Hardhat config directory (so the developer's own keystore is never read) and optional answers to
 * interactive prompts (each written only once its prompt appears, as a person would type it).
 */
import { expect } from "chai";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";

const require = createRequire(import.meta.url);
const HARDHAT_CLI = path.join(
  path.dirname(require.resolve("hardhat/package.json")),
  "dist/src/cli.js",
);
const TSX_CLI = path.join(path.dirname(require.resolve("tsx/package.json")), "dist/cli.mjs");
export const PROJECT_ROOT = path.resolve(
  path.dirname(new URL(import.meta.url).pathname),
  "../../..",
);

export interface Answer {
  readonly prompt: RegExp;
  readonly text: string;
}

export interface CliOptions {
  /** Extra environment (values `undefined` remove a variable). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Hardhat global config dir (keystore location); default a fresh empty one. */
  readonly configHome?: string;
  readonly answers?: readonly Answer[];
  readonly timeoutMs?: number;
  /** Called with the child as soon as it is spawned (e.g. to kill it half way). */
  readonly onSpawn?: (child: ChildProcess) => void;
}

export interface CliResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly ms: number;
}

/** A fresh, empty directory to use as the Hardhat config home. */
export function emptyConfigHome(): string {
  return mkdtempSync(path.join(tmpdir(), "careledger-hh-config-"));
}

/** Variables that change how Hardhat resolves configuration variables or talks to the user. */
const SCRUBBED = [
  "HH_TEST",
  "CI",
  "GITHUB_ACTIONS",
  "CONTINUOUS_INTEGRATION",
  "BUILD_NUMBER",
  "RUN_ID",
];

/** This process's environment without the variables that change Hardhat's behaviour, plus `options.env`. */
export function isolatedEnv(
  options: Pick<CliOptions, "env" | "configHome"> = {},
): Record<string, string | undefined> {
  const env: Record<string, string | undefined> = { ...process.env };
  for (const name of SCRUBBED) delete env[name];
  for (const name of Object.keys(env)) {
    if (/^(CARELEDGER|LOCALNODE)_/.test(name)) delete env[name];
  }
  Object.assign(env, { XDG_CONFIG_HOME: options.configHome ?? emptyConfigHome(), NO_COLOR: "1" });
  for (const [name, value] of Object.entries(options.env ?? {})) {
    if (value === undefined) delete env[name];
    else env[name] = value;
  }
  return env;
}

/**
 * `npm run keystore:set -- <name>` as a provisioning script runs it: the value piped on stdin at
 * once, the password in CARELEDGER_KEYSTORE_PASSWORD.
 */
export async function keystoreSetScript(
  configHome: string,
  name: string,
  value: string,
  password: string,
): Promise<CliResult> {
  const started = Date.now();
  const child = spawn(process.execPath, [TSX_CLI, "scripts/keystore-set.ts", name], {
    cwd: PROJECT_ROOT,
    env: isolatedEnv({ configHome, env: { CARELEDGER_KEYSTORE_PASSWORD: password } }),
    stdio: ["pipe", "pipe", "pipe"],
  });
  child.stdin.end(`${value}\n`);
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString("utf8")));
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) =>
    child.once("close", (c, s) => resolve([c, s])),
  );
  return { code, signal, stdout, stderr, ms: Date.now() - started };
}

export async function runHardhat(
  args: readonly string[],
  options: CliOptions = {},
): Promise<CliResult> {
  const env = isolatedEnv(options);
  const started = Date.now();
  const child = spawn(process.execPath, [HARDHAT_CLI, ...args], {
    cwd: PROJECT_ROOT,
    env,
    stdio: ["pipe", "pipe", "pipe"],
  });
  options.onSpawn?.(child);
  if ((options.answers ?? []).length === 0) child.stdin.end();
  let stdout = "";
  let stderr = "";
  const pending = [...(options.answers ?? [])];
  let seen = 0;
  child.stdout.on("data", (chunk: Buffer) => {
    stdout += chunk.toString("utf8");
    const next = pending[0];
    if (next !== undefined) {
      const match = next.prompt.exec(stdout.slice(seen));
      if (match !== null) {
        seen += match.index + match[0].length;
        pending.shift();
        child.stdin.write(`${next.text}\n`);
        // after the last answer, close stdin: an open pipe would keep the child's event loop alive
        if (pending.length === 0) child.stdin.end();
      }
    }
  });
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
  const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 60_000);
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) =>
    child.once("close", (c, s) => resolve([c, s])),
  );
  clearTimeout(timer);
  return { code, signal, stdout, stderr, ms: Date.now() - started };
}

/** `hardhat deploy` arguments as the tests run it: their own parameters, journal and manifest dir. */
export function deployArgs(
  network: string,
  files: { parameters: string; deploymentId: string; manifestDir: string },
): string[] {
  return [
    "deploy",
    ...["--network", network, "--parameters", files.parameters],
    ...["--deployment-id", files.deploymentId, "--manifest-dir", files.manifestDir],
    "--quiet",
    "--skip-build",
  ];
}

/** The lines a failed command printed on stderr, without blank lines. */
export function errorLines(result: CliResult): string[] {
  return result.stderr.split("\n").filter((line) => line.trim() !== "");
}

/** The command failed with exit code 1 and exactly one line on stderr, matching `message`. */
export function expectOneLine(result: CliResult, message: RegExp): void {
  expect(result.code, result.stdout + result.stderr).to.equal(1);
  const lines = errorLines(result);
  expect(lines, result.stderr).to.have.length(1);
  expect(lines[0]).to.match(message);
}
