/**
 * `npx hardhat keystore set` driven without a terminal. Hardhat's keystore reads its password and
 * the secret one prompt at a time, and fails when a pipe delivers every line at once ("Detected
 * unsettled top-level await", exit 13): this writes each answer only once its prompt has appeared,
 * as a person would type it. Used by `npm run keystore:set` (scripts/keystore-set.ts).
 */
import { spawn } from "node:child_process";
import { createRequire } from "node:module";
import path from "node:path";
import { CareLedgerError, type CareLedgerErrorOptions } from "../../src/errors.js";

/** The keystore refused (wrong password, short password, …) or the CLI could not run. */
export class KeystoreSetError extends CareLedgerError {
  override readonly name: string = "KeystoreSetError";
  constructor(message: string, options: CareLedgerErrorOptions = {}) {
    super(message, "KEYSTORE_SET", options);
  }
}

/** What {@link setKeystoreValue} stores, and where. */
export interface KeystoreSetOptions {
  /** The configuration variable, e.g. `CARELEDGER_DEPLOYER_KEY`. */
  readonly name: string;
  readonly value: string;
  /** The keystore password (chosen here when the keystore does not exist yet). */
  readonly password: string;
  /** Replace an existing value (`--force`). */
  readonly force?: boolean;
  /** Project root (default: the current directory). */
  readonly cwd?: string;
  /** Environment of the Hardhat process (default: this process's). */
  readonly env?: NodeJS.ProcessEnv;
  /** Give up after this long (default 60 s). */
  readonly timeoutMs?: number;
}

const PROMPTS: readonly { readonly pattern: RegExp; readonly answer: "password" | "value" }[] = [
  { pattern: /Enter the password: $/, answer: "password" },
  { pattern: /Please confirm your password: $/, answer: "password" },
  { pattern: /Enter secret to store in the [a-z]+ keystore: $/, answer: "value" },
];

/** Runs `hardhat keystore set <name>` and answers its prompts; resolves with its last line. */
export async function setKeystoreValue(options: KeystoreSetOptions): Promise<string> {
  const cwd = options.cwd ?? process.cwd();
  const require = createRequire(path.join(cwd, "package.json"));
  const cli = path.join(path.dirname(require.resolve("hardhat/package.json")), "dist/src/cli.js");
  const args = [
    cli,
    "keystore",
    "set",
    ...(options.force === true ? ["--force"] : []),
    options.name,
  ];
  const child = spawn(process.execPath, args, {
    cwd,
    env: options.env ?? process.env,
    stdio: ["pipe", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  let answered = 0;
  child.stdout.on("data", (chunk: Buffer) => {
    stdout += chunk.toString("utf8");
    const pending = stdout.slice(answered);
    for (const prompt of PROMPTS) {
      const match = prompt.pattern.exec(pending);
      if (match === null) continue;
      answered += match.index + match[0].length;
      child.stdin.write(`${prompt.answer === "password" ? options.password : options.value}\n`);
      if (prompt.answer === "value") child.stdin.end();
      break;
    }
  });
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
  const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 60_000);
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) =>
    child.once("close", (c, s) => resolve([c, s])),
  );
  clearTimeout(timer);
  // the prompts echo nothing typed, but never let the value or password reach a message
  const lines = (text: string) =>
    text
      .split("\n")
      .map((l) => l.replace(/^.*\[hardhat-keystore\][^:]*: /, "").trim())
      .filter((l) => l !== "" && !l.includes(options.value) && !l.includes(options.password));
  if (code !== 0) {
    const all = [...lines(stderr), ...lines(stdout)];
    const reason = all.find((l) => /error/i.test(l)) ?? all.at(-1) ?? "";
    throw new KeystoreSetError(
      `npx hardhat keystore set ${options.name} failed: ${reason || (signal ?? `exit ${String(code)}`)}`,
    );
  }
  const lastLine = (text: string) => lines(text).at(-1) ?? "";
  return lastLine(stdout);
}
