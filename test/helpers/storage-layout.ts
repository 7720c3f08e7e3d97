/**
 * The storage layout of the deployed `CareLedger`, as solc reports it (`storageLayout` output), reduced to
 * what decides where state lives: each variable's contract, label, slot, offset and type (with the layout
 * of every struct it uses). It is read by re-running solc on the build's own standard-JSON input asking for
 * `storageLayout` only (analysis, no code generation: a few seconds).
 *
 * `test/core/storage-layout.test.ts` compares it with the committed snapshot; after a reviewed change, rewrite
 * the snapshot with `npx tsx scripts/storage-layout.ts --write`.
 */
import { readFile, readdir } from "node:fs/promises";
import { createRequire } from "node:module";
import { join } from "node:path";

const require = createRequire(import.meta.url);

/** The committed snapshot. */
export const STORAGE_LAYOUT_SNAPSHOT = "test/core/snapshots/CareLedger.storage-layout.json";

const SOURCE = "contracts/CareLedger.sol";
const CONTRACT = "CareLedger";

interface SolcStorageEntry {
  readonly contract: string;
  readonly label: string;
  readonly offset: number;
  readonly slot: string;
  readonly type: string;
}

interface SolcTypeEntry {
  readonly label: string;
  readonly numberOfBytes: string;
  readonly encoding: string;
  readonly members?: readonly SolcStorageEntry[];
  readonly key?: string;
  readonly value?: string;
}

/** One state variable: where it lives and what it holds (struct members spelled out). */
export interface StorageVariable {
  readonly contract: string;
  readonly label: string;
  readonly slot: string;
  readonly offset: number;
  readonly type: string;
}

/** The layout: variables in slot order, then every struct type with its members' slots and offsets. */
export interface StorageLayout {
  readonly contract: string;
  readonly variables: readonly StorageVariable[];
  readonly structs: Readonly<Record<string, readonly StorageVariable[]>>;
}

interface BuildInfo {
  readonly userSourceNameMap: Readonly<Record<string, string>>;
  readonly input: {
    readonly sources: Record<string, unknown>;
    readonly settings: Record<string, unknown>;
  };
}

/** The build-info of the last build that compiled `contracts/CareLedger.sol`. */
async function careLedgerBuildInfo(root: string): Promise<{ info: BuildInfo; sourceName: string }> {
  const artifact = JSON.parse(
    await readFile(join(root, "artifacts", SOURCE, `${CONTRACT}.json`), "utf8"),
  ) as { buildInfoId?: string };
  const dir = join(root, "artifacts", "build-info");
  const files = artifact.buildInfoId
    ? [`${artifact.buildInfoId}.json`]
    : (await readdir(dir)).filter((f) => f.endsWith(".json") && !f.endsWith(".output.json"));
  for (const file of files) {
    const info = JSON.parse(await readFile(join(dir, file), "utf8")) as BuildInfo;
    const sourceName = info.userSourceNameMap[SOURCE];
    if (sourceName !== undefined) return { info, sourceName };
  }
  throw new Error(`no build-info compiles ${SOURCE}: run \`npx hardhat build\` first`);
}

/** Strip solc's AST ids from a type name (`t_struct(Grant)1234_storage` → `t_struct(Grant)_storage`). */
function typeName(type: string): string {
  return type.replace(/\)\d+/g, ")");
}

function variable(e: SolcStorageEntry, contractOf: (c: string) => string): StorageVariable {
  return {
    contract: contractOf(e.contract),
    label: e.label,
    slot: e.slot,
    offset: e.offset,
    type: typeName(e.type),
  };
}

/** Read the storage layout of `CareLedger` from the current build. */
export async function readStorageLayout(root = process.cwd()): Promise<StorageLayout> {
  const { info, sourceName } = await careLedgerBuildInfo(root);
  const input = {
    ...info.input,
    settings: {
      ...info.input.settings,
      outputSelection: { [sourceName]: { [CONTRACT]: ["storageLayout"] } },
    },
  };
  const solc = require("solc") as { compile(input: string): string };
  const output = JSON.parse(solc.compile(JSON.stringify(input))) as {
    errors?: { severity: string; formattedMessage: string }[];
    contracts: Record<
      string,
      Record<
        string,
        {
          storageLayout: {
            storage: SolcStorageEntry[];
            types: Record<string, SolcTypeEntry> | null;
          };
        }
      >
    >;
  };
  const errors = (output.errors ?? []).filter((e) => e.severity === "error");
  if (errors.length > 0) throw new Error(errors.map((e) => e.formattedMessage).join("\n"));
  const layout = output.contracts[sourceName]?.[CONTRACT]?.storageLayout;
  if (layout === undefined) throw new Error(`solc returned no storage layout for ${CONTRACT}`);
  // `project/contracts/core/X.sol:X` → `contracts/core/X.sol:X`; `npm/@openzeppelin/...` kept as is.
  const contractOf = (c: string): string => c.replace(/^project\//, "");
  const structs: Record<string, StorageVariable[]> = {};
  for (const [name, type] of Object.entries(layout.types ?? {})) {
    if (type.members !== undefined) {
      structs[typeName(name)] = type.members.map((m) => variable(m, contractOf));
    }
  }
  const sortedStructs = Object.fromEntries(
    Object.keys(structs)
      .sort()
      .map((k) => [k, structs[k] as StorageVariable[]]),
  );
  return {
    contract: `${SOURCE}:${CONTRACT}`,
    variables: layout.storage.map((e) => variable(e, contractOf)),
    structs: sortedStructs,
  };
}

/** The committed snapshot. */
export async function readStorageLayoutSnapshot(root = process.cwd()): Promise<StorageLayout> {
  return JSON.parse(await readFile(join(root, STORAGE_LAYOUT_SNAPSHOT), "utf8")) as StorageLayout;
}
