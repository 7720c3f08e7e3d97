/**
 * The package as a stranger installs it: `npm pack` (which builds `dist/`), the tarball installed in a
 * scratch project outside the repository, `careledger`, `careledger/node` and `careledger/abi` imported
 * from Node, and `careledger/browser` bundled with Vite for a browser target: no Node built-in in the
 * graph, one copy of ethers, the bundle-size budgets, and error names that survive minification.
 */
import { expect } from "chai";
import { execFile } from "node:child_process";
import { mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { promisify } from "node:util";
import {
  BUNDLE_CASES,
  bundleCases,
  overBudget,
  type BundleResult,
} from "../../bench/lib/bundle.js";
import { careLedgerAbi } from "../../src/abi/careLedger.js";
import { skipUnderCoverage } from "../helpers/index.js";

const run = promisify(execFile);
const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const npm = process.platform === "win32" ? "npm.cmd" : "npm";

/** Imports the entries from Node in the scratch project and reports what it found. */
const NODE_PROBE = `
import * as core from "careledger";
import * as node from "careledger/node";
import { careLedgerAbi, CARE_LEDGER_ABI_HASH } from "careledger/abi";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
const store = new node.FsBlobStore(await mkdtemp(join(tmpdir(), "careledger-probe-")));
const hash = await store.put(new TextEncoder().encode("ciphertext"));
const back = await store.get(hash);
console.log(JSON.stringify({
  core: ["buildGrantRequest", "summarizeConsent", "connectCareLedger", "decodeContractError"].filter((k) => typeof core[k] === "function"),
  coreHasFs: "FsBlobStore" in core,
  node: ["FsBlobStore", "PatientClient", "readKeyFile", "sealRecord"].filter((k) => typeof node[k] === "function"),
  roundTrip: new TextDecoder().decode(back),
  abiItems: careLedgerAbi.length,
  abiHash: core.abiHash(careLedgerAbi) === CARE_LEDGER_ABI_HASH,
  errorName: new core.InvalidArgumentError("x").name,
}));
`;

/** A browser entry whose bundle, minified, is run in Node to read error names back. */
const MINIFIED_NAMES_CASE = {
  name: "minified error names",
  source: `import { AbiMismatchError, CareLedgerError, InvalidArgumentError, InvalidConsentInputError, NotAReaderError } from "careledger/browser";
export const names = [
  new CareLedgerError("x").name,
  new InvalidArgumentError("x").name,
  new InvalidConsentInputError("x", []).name,
  new NotAReaderError("0x01").name,
  new AbiMismatchError(1, "0x01", "0x02").name,
];
`,
};

/** The whole browser entry, so every module of its graph is checked for Node built-ins. */
const WHOLE_BROWSER_CASE = {
  name: "everything in careledger/browser",
  source: `export * from "careledger/browser";\n`,
};

describe("package: npm pack, install outside the repository, import and bundle", function () {
  skipUnderCoverage();
  this.timeout(240_000);
  let scratch: string;
  let bundles: BundleResult[];

  before(async function () {
    scratch = await mkdtemp(path.join(tmpdir(), "careledger-consumer-"));
    const { stdout } = await run(npm, ["pack", "--json", "--pack-destination", scratch], {
      cwd: repo,
      maxBuffer: 64 * 1024 * 1024,
    });
    const [packed] = JSON.parse(stdout.slice(stdout.indexOf("["))) as { filename: string }[];
    await writeFile(
      path.join(scratch, "package.json"),
      JSON.stringify({ name: "consumer", private: true, type: "module" }),
    );
    await run(
      npm,
      [
        "install",
        path.join(scratch, packed?.filename ?? "missing.tgz"),
        "--no-audit",
        "--no-fund",
        "--prefer-offline",
        "--ignore-scripts",
      ],
      { cwd: scratch, maxBuffer: 64 * 1024 * 1024 },
    );
    bundles = await bundleCases(scratch, [
      ...BUNDLE_CASES,
      WHOLE_BROWSER_CASE,
      MINIFIED_NAMES_CASE,
    ]);
  });

  after(async function () {
    if (scratch !== undefined) await rm(scratch, { recursive: true, force: true });
  });

  it("installs with ethers as a peer and nothing of the Solidity toolchain", async function () {
    const installed = await readdir(path.join(scratch, "node_modules"));
    expect(installed).to.include.members(["careledger", "ethers", "zod"]);
    expect(installed).to.not.include.members(["hardhat"]);
    expect(installed).to.not.include("cli-progress");
    const nested = await readdir(path.join(scratch, "node_modules/careledger")).catch(() => []);
    expect(nested).to.not.include("node_modules", "careledger must not carry its own ethers");
  });

  it("imports `careledger`, `careledger/node` and `careledger/abi` from Node", async function () {
    const probe = path.join(scratch, "probe.mjs");
    await writeFile(probe, NODE_PROBE);
    const { stdout } = await run(process.execPath, [probe], { cwd: scratch });
    expect(JSON.parse(stdout)).to.deep.equal({
      core: ["buildGrantRequest", "summarizeConsent", "connectCareLedger", "decodeContractError"],
      coreHasFs: false,
      node: ["FsBlobStore", "PatientClient", "readKeyFile", "sealRecord"],
      roundTrip: "ciphertext",
      abiItems: careLedgerAbi.length,
      abiHash: true,
      errorName: "InvalidArgumentError",
    });
  });

  it("loads `careledger/deploy` where Hardhat is installed (this repository, by package name)", async function () {
    const specifier: string = "careledger/deploy"; // resolved through package.json exports to dist/
    const deploy = (await import(specifier)) as Record<string, unknown>;
    const names = ["careLedgerTasks", "buildCareLedgerModule", "writeManifest", "deployCareLedger"];
    expect(names.filter((k) => deploy[k] !== undefined)).to.deep.equal(names);
  });

  it("bundles `careledger/browser` with no Node built-in anywhere in its graph", function () {
    for (const b of bundles) expect(b.nodeImports, b.name).to.deep.equal([]);
    const whole = bundles.find((b) => b.name === WHOLE_BROWSER_CASE.name);
    expect(whole?.moduleIds.some((id) => id.includes("/careledger/dist/src/crypto/"))).to.equal(
      true,
    );
  });

  it("bundles a single copy of ethers, the consumer's", function () {
    for (const b of bundles) {
      if (b.name.startsWith("ABI only")) {
        expect(b.ethersCopies, b.name).to.deep.equal([]);
        continue;
      }
      expect(b.ethersCopies, b.name).to.deep.equal([
        `${path.join(scratch, "node_modules/ethers")}/`,
      ]);
    }
  });

  it("keeps the bytecode out of browser bundles", function () {
    for (const b of bundles) {
      expect(
        b.moduleIds.filter((id) => id.includes("__factory")),
        b.name,
      ).to.deep.equal([]);
    }
  });

  it("stays within the bundle-size budgets (gzip)", function () {
    const budgeted = bundles.filter((b) => b.budgetGzipKb !== undefined);
    expect(budgeted.map((b) => b.name)).to.deep.equal([
      "consent signing path",
      "full patient client",
    ]);
    expect(overBudget(bundles)).to.deep.equal([]);
  });

  it("keeps error names after minification", async function () {
    const { build } = await import("vite");
    const entry = path.join(scratch, "bundle-entries", "names.js");
    await writeFile(entry, MINIFIED_NAMES_CASE.source);
    const outDir = path.join(scratch, "names-out");
    await build({
      configFile: false,
      root: scratch,
      logLevel: "silent",
      build: {
        outDir,
        minify: true,
        target: "es2022",
        rollupOptions: {
          input: entry,
          preserveEntrySignatures: "strict",
          output: { entryFileNames: "names.js" },
        },
      },
    });
    const mod = (await import(pathToFileURL(path.join(outDir, "names.js")).href)) as {
      names: string[];
    };
    expect(mod.names).to.deep.equal([
      "CareLedgerError",
      "InvalidArgumentError",
      "InvalidConsentInputError",
      "NotAReaderError",
      "AbiMismatchError",
    ]);
  });
});
