/**
 * Browser bundles of the package, built with Vite as a front end would: what they weigh (minified and
 * gzip) against budgets, and what is in them (no Node built-in, one copy of ethers). Used by
 * `npm run bench` (against `dist/`, resolved by alias) and by the package test (against the packed
 * tarball installed in a scratch project).
 */
import { builtinModules } from "node:module";
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { gzipSync } from "node:zlib";

/** A front-end entry to bundle, importing the package by its public specifiers. */
export interface BundleCase {
  readonly name: string;
  /** JS source of the entry module. */
  readonly source: string;
  /** Budget in KB (1,000 bytes) gzip; undefined for a reference without a budget. */
  readonly budgetGzipKb?: number;
}

/** The measured bundle of one case. */
export interface BundleResult {
  readonly name: string;
  readonly minifiedBytes: number;
  readonly gzipBytes: number;
  readonly budgetGzipKb: number | undefined;
  /** Node built-ins the graph tried to import, as `specifier <- importer`. */
  readonly nodeImports: readonly string[];
  /** Distinct `…/node_modules/ethers/` directories the bundle holds modules from. */
  readonly ethersCopies: readonly string[];
  /** Every module in the bundle. */
  readonly moduleIds: readonly string[];
}

export const BUNDLE_CASES: readonly BundleCase[] = [
  {
    name: "consent signing path",
    budgetGzipKb: 80,
    source: `import {
  buildGrantRequest, consentDomain, parseSignedConsent, serializeSignedConsent, summarizeConsent,
  toEthSignTypedDataV4Json,
} from "careledger/browser";
export async function signConsent(eip1193, account, chainId, contract, params) {
  const request = buildGrantRequest(consentDomain(chainId, contract), params);
  const summary = summarizeConsent(request);
  const signature = await eip1193.request({
    method: "eth_signTypedData_v4",
    params: [account, toEthSignTypedDataV4Json(request)],
  });
  const signed = parseSignedConsent({ ...request, signer: account, signature });
  return { summary, body: serializeSignedConsent(signed) };
}
`,
  },
  {
    name: "full patient client",
    // The client validates every argument (zod/mini), has deadlines and a nonce queue (transport) and opens
    // streamed CLE2 records (STREAM over ChaCha20-Poly1305, SHA-256 content id): 152.7 KB measured.
    budgetGzipKb: 155,
    source: `import { BrowserProvider } from "ethers";
import {
  PatientClient, connectCareLedger, decodeContractError, parseManifest, decryptKeyFile,
  MemoryBlobStore, summarizeConsent, signGrant, prepareGrant, serializeSignedConsent,
} from "careledger/browser";
export async function patientPage(eip1193, manifestJson, keyFileJson, passphrase, store = new MemoryBlobStore()) {
  const signer = await new BrowserProvider(eip1193).getSigner();
  const ledger = connectCareLedger(parseManifest(manifestJson), signer);
  const keys = await decryptKeyFile(keyFileJson, passphrase);
  const patient = await PatientClient.connect({ ledger, signer, store, keys });
  return { patient, ledger, summarizeConsent, signGrant, prepareGrant, serializeSignedConsent, decodeContractError };
}
`,
  },
  {
    name: "ABI only (careledger/abi)",
    source: `export { careLedgerAbi } from "careledger/abi";\n`,
  },
  {
    name: "reference: ethers BrowserProvider + signTypedData",
    source: `import { BrowserProvider } from "ethers";
export async function sign(eip1193, domain, types, message) {
  return (await new BrowserProvider(eip1193).getSigner()).signTypedData(domain, types, message);
}
`,
  },
];

const NODE_BUILTINS = new Set(builtinModules);

/**
 * Bundles each case with Vite (browser target, minified, tree-shaken) from entry files written into
 * `workDir`, which must resolve `careledger/*` and `ethers` (an installed project, or `alias`).
 */
export async function bundleCases(
  workDir: string,
  cases: readonly BundleCase[] = BUNDLE_CASES,
  alias: Readonly<Record<string, string>> = {},
): Promise<BundleResult[]> {
  const { build } = await import("vite");
  const results: BundleResult[] = [];
  const entryDir = path.join(workDir, "bundle-entries");
  await mkdir(entryDir, { recursive: true });
  for (const [index, c] of cases.entries()) {
    const entry = path.join(entryDir, `case-${index}.js`);
    await writeFile(entry, c.source, "utf8");
    const nodeImports: string[] = [];
    const output = await build({
      configFile: false,
      root: workDir,
      logLevel: "silent",
      resolve: { alias: { ...alias } },
      plugins: [
        {
          name: "careledger-no-node-builtins",
          enforce: "pre",
          resolveId(source: string, importer: string | undefined) {
            if (source.startsWith("node:") || NODE_BUILTINS.has(source)) {
              nodeImports.push(`${source} <- ${importer ?? "?"}`);
            }
            return null;
          },
        },
      ],
      build: {
        write: false,
        target: "es2022",
        minify: true,
        modulePreload: false,
        reportCompressedSize: false,
        rollupOptions: { input: entry, preserveEntrySignatures: "strict" },
      },
    });
    const outputs = Array.isArray(output) ? output : [output];
    let code = "";
    const moduleIds = new Set<string>();
    for (const out of outputs) {
      if (!("output" in out)) throw new Error("Vite returned a watcher, not a bundle");
      for (const chunk of out.output) {
        if (chunk.type !== "chunk") continue;
        code += chunk.code;
        for (const id of chunk.moduleIds) moduleIds.add(id);
      }
    }
    const ids = [...moduleIds];
    for (const id of ids) {
      if (id.includes("__vite-browser-external"))
        nodeImports.push(`${id} (Vite's stub of a Node built-in)`);
    }
    const ethersCopies = [
      ...new Set(
        ids.flatMap((id) => {
          const at = id.lastIndexOf("/node_modules/ethers/");
          return at < 0 ? [] : [id.slice(0, at + "/node_modules/ethers/".length)];
        }),
      ),
    ];
    const bytes = Buffer.from(code, "utf8");
    results.push({
      name: c.name,
      minifiedBytes: bytes.length,
      gzipBytes: gzipSync(bytes, { level: 9 }).length,
      budgetGzipKb: c.budgetGzipKb,
      nodeImports,
      ethersCopies,
      moduleIds: ids,
    });
  }
  return results;
}

/** Cases over their gzip budget, as messages. */
export function overBudget(results: readonly BundleResult[]): string[] {
  return results.flatMap((r) =>
    r.budgetGzipKb !== undefined && r.gzipBytes > r.budgetGzipKb * 1000
      ? [`${r.name}: ${(r.gzipBytes / 1000).toFixed(1)} KB gzip > budget ${r.budgetGzipKb} KB`]
      : [],
  );
}

/** Rows for the bench table: sizes, budget and ratio to the ethers-only reference of the same run. */
export function bundleRows(results: readonly BundleResult[]): string[][] {
  const reference = results.find((r) => r.name.startsWith("reference"));
  return results.map((r) => [
    r.name,
    (r.minifiedBytes / 1000).toFixed(1),
    (r.gzipBytes / 1000).toFixed(1),
    r.budgetGzipKb === undefined ? "-" : `${r.budgetGzipKb}`,
    reference === undefined ? "-" : `${(r.gzipBytes / reference.gzipBytes).toFixed(2)}x`,
    r.budgetGzipKb === undefined ? "" : r.gzipBytes <= r.budgetGzipKb * 1000 ? "ok" : "OVER",
  ]);
}
