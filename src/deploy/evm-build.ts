/**
 * CareLedger built for an older EVM than the default `cancun` (e.g. `paris` for GoQuorum, or a
 * `london` Clique network), into `artifacts-evm/<evm>/CareLedger.json`: its own output, so the
 * default artifacts are never overwritten.
 *
 * The sources are the default build's (its Hardhat build info), compiled with the settings of the
 * build profile named after the EVM in `hardhat.config.ts`. OpenZeppelin's inline assembly uses
 * `mcopy` (Cancun) in `Bytes` and `SignatureChecker`: for an EVM without it, each `mcopy(d, s, n)`
 * becomes a Yul block with the same effect (a word copy with a masked tail, or a backward byte copy
 * when the regions overlap with `d` after `s`). A build is cached by the hash of its input.
 */
import { createHash } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import path from "node:path";
import { CareLedgerError, type CareLedgerErrorOptions } from "../errors.js";

/** EVMs that lack `mcopy` (the ones this module can target). */
export const PRE_CANCUN_EVMS = ["paris", "london", "shanghai"] as const;
export type PreCancunEvm = (typeof PRE_CANCUN_EVMS)[number];

/** Directory of the per-EVM builds, relative to the project root. */
export const EVM_ARTIFACTS_DIR = "artifacts-evm";

/** EIP-170: the largest runtime code a chain with the default limit accepts. */
export const RUNTIME_SIZE_LIMIT = 24_576;

/** The per-EVM build could not be made (no default build, no profile, compiler errors). */
export class EvmBuildError extends CareLedgerError {
  override readonly name: string = "EvmBuildError";
  constructor(message: string, options: CareLedgerErrorOptions = {}) {
    super(message, "EVM_BUILD", options);
  }
}

/** A Hardhat-format artifact (what Ignition's `m.contract(name, artifact, …)` takes). */
export interface EvmArtifact {
  readonly _format: "hh3-artifact-1";
  readonly contractName: string;
  readonly sourceName: string;
  readonly abi: readonly unknown[];
  readonly bytecode: string;
  readonly deployedBytecode: string;
  readonly linkReferences: Record<string, never>;
  readonly deployedLinkReferences: Record<string, never>;
  readonly immutableReferences: Record<string, never>;
  readonly inputSourceName: string;
  readonly buildInfoId: string;
  /** The EVM it was compiled for. */
  readonly evmVersion: string;
  /** Cache key: sha256 of the compiler input. */
  readonly inputHash: string;
}

/** Where the build for `evm` is written. */
export function evmArtifactPath(root: string, evm: string): string {
  return path.join(root, EVM_ARTIFACTS_DIR, evm, "CareLedger.json");
}

/** The index after the parenthesis that closes the one at `open`. */
function closingParen(text: string, open: number): number {
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    if (text[i] === "(") depth++;
    else if (text[i] === ")" && --depth === 0) return i;
  }
  return -1;
}

/** Splits `a, f(b, c), d` at top-level commas. */
function splitArguments(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === "(") depth++;
    else if (c === ")") depth--;
    else if (c === "," && depth === 0) {
      parts.push(text.slice(start, i).trim());
      start = i + 1;
    }
  }
  parts.push(text.slice(start).trim());
  return parts;
}

/**
 * `mcopy(dst, src, len)` statements of inline assembly rewritten for an EVM without MCOPY: the same
 * bytes land in the same place (memmove semantics), without reading the environment, so `pure`
 * functions stay `pure`. Returns the source unchanged if it has no `mcopy(`.
 */
export function rewriteMcopy(source: string): string {
  let out = "";
  let from = 0;
  const pattern = /\bmcopy\s*\(/g;
  for (let match = pattern.exec(source); match !== null; match = pattern.exec(source)) {
    const open = match.index + match[0].length - 1;
    const close = closingParen(source, open);
    if (close < 0) break;
    const args = splitArguments(source.slice(open + 1, close));
    if (args.length !== 3) continue;
    const [d, s, l] = args;
    out +=
      source.slice(from, match.index) +
      `{ let $d := ${d} let $s := ${s} let $l := ${l} ` +
      `switch and(gt($d, $s), lt($d, add($s, $l))) ` +
      `case 0 { for {} iszero(lt($l, 32)) { $d := add($d, 32) $s := add($s, 32) $l := sub($l, 32) } { mstore($d, mload($s)) } ` +
      `if $l { let $m := shr(mul($l, 8), not(0)) mstore($d, or(and(mload($s), not($m)), and(mload($d), $m))) } } ` +
      `default { for {} $l {} { $l := sub($l, 1) mstore8(add($d, $l), byte(0, mload(add($s, $l)))) } } }`;
    from = close + 1;
    pattern.lastIndex = from;
  }
  return out + source.slice(from);
}

/** What {@link buildForEvm} needs of Hardhat (kept small so scripts can call it without an HRE). */
export interface EvmBuildContext {
  /** Project root. */
  readonly root: string;
  /** Hardhat's artifacts directory (the default build). */
  readonly artifactsDir: string;
  /** The compiler settings of the build profile named after the EVM. */
  readonly settings: Readonly<Record<string, unknown>>;
  /** Path of the `soljson.js` the profile uses. */
  readonly compilerPath: string;
}

/** Result of {@link buildForEvm}. */
export interface EvmBuild {
  readonly artifact: EvmArtifact;
  readonly file: string;
  /** False when the cached build matched the input. */
  readonly compiled: boolean;
  /** Runtime size in bytes, and what is left under {@link RUNTIME_SIZE_LIMIT}. */
  readonly runtimeSize: number;
  readonly headroom: number;
}

interface BuildInfo {
  readonly id: string;
  readonly input: {
    readonly language: string;
    readonly sources: Record<string, { content: string }>;
    readonly settings: Record<string, unknown>;
  };
}

interface SolcOutput {
  readonly errors?: readonly { severity: string; formattedMessage: string }[];
  readonly contracts?: Record<
    string,
    Record<
      string,
      {
        abi: unknown[];
        evm: { bytecode: { object: string }; deployedBytecode: { object: string } };
      }
    >
  >;
}

/**
 * Builds CareLedger for `evm` from the default build's sources (run `hardhat build` first) and
 * writes `artifacts-evm/<evm>/CareLedger.json`; refuses a runtime over the EIP-170 limit.
 */
export async function buildForEvm(context: EvmBuildContext, evm: string): Promise<EvmBuild> {
  const defaultArtifact = path.join(
    context.artifactsDir,
    "contracts",
    "CareLedger.sol",
    "CareLedger.json",
  );
  let buildInfoId: string;
  let inputSourceName: string;
  try {
    const artifact = JSON.parse(await readFile(defaultArtifact, "utf8")) as {
      buildInfoId: string;
      inputSourceName: string;
    };
    buildInfoId = artifact.buildInfoId;
    inputSourceName = artifact.inputSourceName;
  } catch (error) {
    throw new EvmBuildError(
      `${path.relative(context.root, defaultArtifact)} is missing or unreadable: run npx hardhat build first`,
      { cause: error },
    );
  }
  const buildInfo = JSON.parse(
    await readFile(path.join(context.artifactsDir, "build-info", `${buildInfoId}.json`), "utf8"),
  ) as BuildInfo;

  const mcopyMissing = (PRE_CANCUN_EVMS as readonly string[]).includes(evm);
  const sources: Record<string, { content: string }> = {};
  for (const [name, source] of Object.entries(buildInfo.input.sources)) {
    // the Solidity tests and their helpers are not part of the contract
    if (name.startsWith("project/test/")) continue;
    sources[name] = { content: mcopyMissing ? rewriteMcopy(source.content) : source.content };
  }
  const input = {
    language: buildInfo.input.language,
    sources,
    settings: {
      ...buildInfo.input.settings,
      ...context.settings,
      evmVersion: evm,
      outputSelection: {
        [inputSourceName]: {
          CareLedger: ["abi", "evm.bytecode.object", "evm.deployedBytecode.object"],
        },
      },
    },
  };
  const inputText = JSON.stringify(input);
  const inputHash = createHash("sha256").update(inputText).digest("hex");
  const file = evmArtifactPath(context.root, evm);

  let artifact: EvmArtifact | undefined;
  try {
    const cached = JSON.parse(await readFile(file, "utf8")) as EvmArtifact;
    if (cached.inputHash === inputHash) artifact = cached;
  } catch {
    // no cached build
  }
  const compiled = artifact === undefined;
  if (artifact === undefined) {
    const require = createRequire(path.join(context.root, "package.json"));
    const wrapper = require("solc/wrapper.js") as (soljson: unknown) => {
      compile(input: string): string;
    };
    const solc = wrapper(require(context.compilerPath));
    const output = JSON.parse(solc.compile(inputText)) as SolcOutput;
    const errors = (output.errors ?? []).filter((e) => e.severity === "error");
    if (errors.length > 0) {
      const first = errors[0]?.formattedMessage.split("\n").slice(0, 2).join(" ").trim() ?? "";
      throw new EvmBuildError(`CareLedger does not compile for ${evm}: ${first}`);
    }
    const contract = output.contracts?.[inputSourceName]?.["CareLedger"];
    if (contract === undefined) {
      throw new EvmBuildError(`The compiler produced no CareLedger for ${evm}`);
    }
    artifact = {
      _format: "hh3-artifact-1",
      contractName: "CareLedger",
      sourceName: "contracts/CareLedger.sol",
      abi: contract.abi,
      bytecode: `0x${contract.evm.bytecode.object}`,
      deployedBytecode: `0x${contract.evm.deployedBytecode.object}`,
      linkReferences: {},
      deployedLinkReferences: {},
      immutableReferences: {},
      inputSourceName,
      buildInfoId: `${buildInfoId}-${evm}`,
      evmVersion: evm,
      inputHash,
    };
  }
  const runtimeSize = (artifact.deployedBytecode.length - 2) / 2;
  if (runtimeSize > RUNTIME_SIZE_LIMIT) {
    throw new EvmBuildError(
      `The ${evm} build of CareLedger has ${runtimeSize} bytes of runtime code, over the ${RUNTIME_SIZE_LIMIT}-byte limit (EIP-170)`,
    );
  }
  if (compiled) {
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, `${JSON.stringify(artifact, null, 2)}\n`);
  }
  return { artifact, file, compiled, runtimeSize, headroom: RUNTIME_SIZE_LIMIT - runtimeSize };
}

/** Reads the build for `evm` written by {@link buildForEvm}. */
export async function readEvmArtifact(root: string, evm: string): Promise<EvmArtifact> {
  const file = evmArtifactPath(root, evm);
  try {
    return JSON.parse(await readFile(file, "utf8")) as EvmArtifact;
  } catch (error) {
    throw new EvmBuildError(
      `No ${evm} build of CareLedger (${path.relative(root, file)}): run npx hardhat build-evm --evm ${evm}`,
      { cause: error },
    );
  }
}
