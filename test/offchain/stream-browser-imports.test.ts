/**
 * The streamed-envelope code browsers load imports no Node built-in, directly or through the
 * modules it imports (the OpenSSL suite and file helpers live in separate Node-only files).
 */
import { expect } from "chai";
import { readFile } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const ENTRIES = [
  "src/crypto/browser.ts",
  "src/store/browser.ts",
  "src/crypto/stream.ts",
  "src/crypto/stream-js.ts",
  "src/store/stream.ts",
];
const IMPORT_RE = /(?:import|export)\s[^;]*?from\s+"([^"]+)"/gs;

/** Every module reachable from `entry` through relative imports, and the bare specifiers it uses. */
async function reachable(
  entry: string,
): Promise<{ files: Set<string>; bare: Map<string, string> }> {
  const files = new Set<string>();
  const bare = new Map<string, string>();
  const queue = [resolve(ROOT, entry)];
  while (queue.length > 0) {
    const file = queue.pop() as string;
    if (files.has(file)) continue;
    files.add(file);
    const text = await readFile(file, "utf8");
    for (const [, spec] of text.matchAll(IMPORT_RE)) {
      if (spec === undefined) continue;
      if (spec.startsWith(".")) queue.push(resolve(dirname(file), spec.replace(/\.js$/, ".ts")));
      else bare.set(spec, file.slice(ROOT.length + 1));
    }
  }
  return { files, bare };
}

describe("browser entries of streamed envelopes", function () {
  for (const entry of ENTRIES) {
    it(`${entry} reaches no node: module and no Node-only file`, async function () {
      const { files, bare } = await reachable(entry);
      const nodeImports = [...bare].filter(([spec]) => spec.startsWith("node:"));
      expect(nodeImports, JSON.stringify(nodeImports)).to.deep.equal([]);
      const nodeOnly = [...files].filter((f) =>
        /stream-node\.ts$|fs-stream\.ts$|\/fs\.ts$/.test(f),
      );
      expect(nodeOnly).to.deep.equal([]);
      expect(files.size).to.be.greaterThan(1);
    });
  }
});
