/**
 * Keeps a Besu node's account allowlist in step with the CareLedger member registry.
 *
 * Besu removed onchain permissioning in 25.6.0 (deprecated since 24.12); networks use local
 * permissioning instead: each
 * node reads `accounts-allowlist` from its `permissions_config.toml`
 * (`--permissions-accounts-config-file-enabled`) and can change it at runtime through the `PERM`
 * JSON-RPC API (`perm_getAccountsAllowlist`, `perm_addAccountsToAllowlist`,
 * `perm_removeAccountsFromAllowlist`; each takes one parameter, the list of addresses, and answers
 * `"Success"` or a -32000 error). The desired list is: the governance admin (and a pending one),
 * current registrars, every active member, plus accounts an operator asks to keep.
 */
import { getAddress, ZeroAddress } from "ethers";
import type { CareLedger } from "../../typechain-types/CareLedger.js";
import { CareLedgerError, type CareLedgerErrorOptions } from "../errors.js";
import { ROLE_LABELS, type Role } from "../sdk/constants.js";
import { jsonRpcRequest, JsonRpcResponseError, redactUrl } from "./jsonrpc.js";

/** One account of the allowlist and why it is there. */
export interface AllowlistEntry {
  /** Checksummed address. */
  readonly address: string;
  /** e.g. `["governance admin", "registrar"]` or `["doctor"]`. */
  readonly reasons: readonly string[];
}

/** Options of {@link collectAllowlist}. */
export interface CollectOptions {
  /** Block to scan `RoleGranted` events from (the deployment block). Default 0. */
  readonly fromBlock?: number;
  /** Accounts to keep whatever the registry says (validators' operators, relayers, …). */
  readonly keep?: readonly string[];
  /** Members read in parallel (default 25). */
  readonly batchSize?: number;
}

/** The allowlist the registry implies, sorted by address. O(members) calls, off chain. */
export async function collectAllowlist(
  careLedger: CareLedger,
  options: CollectOptions = {},
): Promise<AllowlistEntry[]> {
  const reasons = new Map<string, string[]>();
  const add = (address: string, reason: string): void => {
    if (address === ZeroAddress) return;
    const key = getAddress(address);
    const list = reasons.get(key) ?? [];
    if (!list.includes(reason)) list.push(reason);
    reasons.set(key, list);
  };

  add(await careLedger.defaultAdmin(), "governance admin");
  const [pendingAdmin] = await careLedger.pendingDefaultAdmin();
  add(pendingAdmin, "pending governance admin");

  const registrarRole = await careLedger.REGISTRAR_ROLE();
  const granted = await careLedger.queryFilter(
    careLedger.filters.RoleGranted(registrarRole),
    options.fromBlock ?? 0,
    "latest",
  );
  const candidates = new Set(granted.map((e) => getAddress(e.args.account)));
  for (const account of candidates) {
    if (await careLedger.hasRole(registrarRole, account)) add(account, "registrar");
  }

  const count = Number(await careLedger.memberCount());
  const batch = options.batchSize ?? 25;
  for (let start = 1; start <= count; start += batch) {
    const ids = Array.from({ length: Math.min(batch, count - start + 1) }, (_, i) => start + i);
    const members = await Promise.all(
      ids.map(async (id) => {
        const account = await careLedger.memberAt(id);
        const [member] = await careLedger.memberOf(account);
        return { account, role: Number(member.role) as Role, active: member.active };
      }),
    );
    for (const m of members) if (m.active) add(m.account, ROLE_LABELS[m.role] ?? `role ${m.role}`);
  }

  for (const account of options.keep ?? []) add(account, "kept by operator");
  return [...reasons.entries()]
    .map(([address, why]) => ({ address, reasons: why }))
    .sort((a, b) => a.address.toLowerCase().localeCompare(b.address.toLowerCase()));
}

/** Header of a generated file; regenerated lines start with this marker. */
const MARKER = "# careledger:";

/** Context printed in the generated file's header. */
export interface TomlContext {
  readonly contract: string;
  readonly chainId: number;
  readonly blockNumber: number;
}

/**
 * The `accounts-allowlist` of Besu's `permissions_config.toml`. Addresses are lower case, as in
 * Besu's documentation. If `existing` file content is given, its other settings (e.g.
 * `nodes-allowlist`) are kept and only the accounts allowlist is replaced.
 */
export function renderPermissionsToml(
  entries: readonly AllowlistEntry[],
  context: TomlContext,
  existing?: string,
): string {
  const header = [
    `${MARKER} accounts-allowlist generated from CareLedger ${context.contract} on chain ${context.chainId} at block ${context.blockNumber}`,
    `${MARKER} by \`npx hardhat allowlist export\`; regenerate it instead of editing it (${entries.length} accounts):`,
    ...entries.map((e) => `${MARKER}   ${e.address.toLowerCase()}  ${e.reasons.join(", ")}`),
  ];
  const block = [
    "accounts-allowlist=[",
    entries.map((e) => `  "${e.address.toLowerCase()}"`).join(",\n"),
    "]",
  ]
    .filter((line) => line !== "")
    .join("\n");
  const kept = (existing ?? "")
    .replace(/^accounts-allowlist\s*=\s*\[[^\]]*\]\s*$/m, "")
    .split("\n")
    .filter((line) => !line.startsWith(MARKER))
    .join("\n")
    .trim();
  return `${[...header, block].join("\n")}\n${kept === "" ? "" : `\n${kept}\n`}`;
}

/** The accounts of an `accounts-allowlist=[…]` in a `permissions_config.toml`. */
export function parseAccountsAllowlist(toml: string): string[] {
  const match = /^accounts-allowlist\s*=\s*\[([^\]]*)\]/m.exec(toml);
  if (match?.[1] === undefined) return [];
  return [...match[1].matchAll(/"(0x[0-9a-fA-F]{40})"/g)].map((m) => getAddress(m[1] ?? ""));
}

/** What a sync changes. */
export interface AllowlistDiff {
  readonly add: readonly string[];
  readonly remove: readonly string[];
  readonly unchanged: readonly string[];
}

/** `desired` minus `current` to add, `current` minus `desired` to remove; case-insensitive. */
export function diffAllowlist(
  current: readonly string[],
  desired: readonly string[],
): AllowlistDiff {
  const norm = (list: readonly string[]) => new Set(list.map((a) => getAddress(a.toLowerCase())));
  const have = norm(current);
  const want = norm(desired);
  const sorted = (set: Iterable<string>) =>
    [...set].sort((a, b) => a.toLowerCase().localeCompare(b.toLowerCase()));
  return {
    add: sorted([...want].filter((a) => !have.has(a))),
    remove: sorted([...have].filter((a) => !want.has(a))),
    unchanged: sorted([...have].filter((a) => want.has(a))),
  };
}

/** The node refused or does not offer account permissioning; the message says what to change. */
export class PermissioningError extends CareLedgerError {
  override readonly name: string = "PermissioningError";

  constructor(message: string, options: CareLedgerErrorOptions = {}) {
    super(message, "PERMISSIONING", options);
  }
}

/** Client of a Besu node's `PERM` account methods. */
export class BesuPermissioningClient {
  readonly url: string;
  readonly endpoint: string;
  readonly #headers: Readonly<Record<string, string>> | undefined;

  constructor(url: string, headers?: Readonly<Record<string, string>>) {
    this.url = url;
    this.endpoint = redactUrl(url);
    this.#headers = headers;
  }

  /** `perm_getAccountsAllowlist`: the node's current allowlist. */
  async getAccountsAllowlist(): Promise<string[]> {
    const result = await this.#call("perm_getAccountsAllowlist", []);
    if (!Array.isArray(result) || !result.every((a) => typeof a === "string")) {
      throw new PermissioningError(
        `perm_getAccountsAllowlist on ${this.endpoint} did not return a list of addresses`,
      );
    }
    return result.map((a: string) => getAddress(a.toLowerCase()));
  }

  /** `perm_addAccountsToAllowlist`. */
  async addAccounts(accounts: readonly string[]): Promise<void> {
    await this.#change("perm_addAccountsToAllowlist", accounts);
  }

  /** `perm_removeAccountsFromAllowlist`. */
  async removeAccounts(accounts: readonly string[]): Promise<void> {
    await this.#change("perm_removeAccountsFromAllowlist", accounts);
  }

  async #change(method: string, accounts: readonly string[]): Promise<void> {
    const result = await this.#call(method, [accounts.map((a) => a.toLowerCase())]);
    // Besu documents "Success"; some versions answer null on success.
    if (result !== "Success" && result !== null) {
      throw new PermissioningError(
        `${method} on ${this.endpoint} answered ${JSON.stringify(result)} instead of "Success"`,
      );
    }
  }

  async #call(method: string, params: readonly unknown[]): Promise<unknown> {
    try {
      return await jsonRpcRequest(this.url, method, params, {
        timeoutMs: 10_000,
        ...(this.#headers === undefined ? {} : { headers: this.#headers }),
      });
    } catch (error) {
      if (error instanceof JsonRpcResponseError) {
        if (error.rpcCode === -32601) {
          throw new PermissioningError(
            `${this.endpoint} does not offer ${method}: start Besu with --rpc-http-api including PERM (on an admin-only endpoint)`,
            { cause: error },
          );
        }
        if (/allowlist has not been enabled/i.test(error.message)) {
          throw new PermissioningError(
            `${this.endpoint} has no account allowlist: start Besu with --permissions-accounts-config-file-enabled`,
            { cause: error },
          );
        }
      }
      throw error;
    }
  }
}

/** Options of {@link syncAllowlist}. */
export interface SyncOptions {
  /** Send the changes (default false: dry run, print only). */
  readonly apply?: boolean;
}

/** What a sync found and did. */
export interface SyncResult {
  readonly endpoint: string;
  readonly diff: AllowlistDiff;
  readonly applied: boolean;
}

/**
 * Brings one node's allowlist to `desired`: adds first, then removes, so an account that stays is
 * never absent; then reads the list back to check. Idempotent: an in-sync node gets no change
 * request at all. Refuses to empty the list, which would stop every account from transacting.
 */
export async function syncAllowlist(
  client: BesuPermissioningClient,
  desired: readonly string[],
  options: SyncOptions = {},
): Promise<SyncResult> {
  if (desired.length === 0) {
    throw new PermissioningError(
      `Refusing to empty the allowlist of ${client.endpoint}: no account of the registry would be able to transact`,
    );
  }
  const diff = diffAllowlist(await client.getAccountsAllowlist(), desired);
  const changes = diff.add.length + diff.remove.length;
  if (!(options.apply ?? false) || changes === 0) {
    return { endpoint: client.endpoint, diff, applied: false };
  }
  if (diff.add.length > 0) await client.addAccounts(diff.add);
  if (diff.remove.length > 0) await client.removeAccounts(diff.remove);
  const after = diffAllowlist(await client.getAccountsAllowlist(), desired);
  if (after.add.length + after.remove.length > 0) {
    throw new PermissioningError(
      `The allowlist of ${client.endpoint} still differs after the sync (${after.add.length} missing, ${after.remove.length} extra): another writer changed it, run the sync again`,
    );
  }
  return { endpoint: client.endpoint, diff, applied: true };
}

/** Human lines of a sync: `+ 0x… doctor`, `- 0x…`, and a summary. */
export function formatSync(result: SyncResult, reasons: ReadonlyMap<string, string>): string[] {
  const lines = [
    ...result.diff.add.map((a) => `  + ${a}  ${reasons.get(a) ?? ""}`.trimEnd()),
    ...result.diff.remove.map((a) => `  - ${a}  (not an active member or governance account)`),
  ];
  const summary = `${result.endpoint}: ${result.diff.add.length} to add, ${result.diff.remove.length} to remove, ${result.diff.unchanged.length} unchanged`;
  const changes = result.diff.add.length + result.diff.remove.length;
  const tail =
    changes === 0
      ? "already in sync"
      : result.applied
        ? "applied"
        : "dry run: re-run with --apply to send these changes";
  return [`${summary} (${tail})`, ...lines];
}

/** One node's outcome in {@link syncAllowlistOnNodes}: what it did, or why it failed. */
export type NodeSyncOutcome =
  | { readonly ok: true; readonly url: string; readonly result: SyncResult }
  | { readonly ok: false; readonly url: string; readonly endpoint: string; readonly error: Error };

/**
 * {@link syncAllowlist} on every node in turn. A node that is down, refuses, or ends out of step
 * does not stop the others: its error is recorded and the next node is synced, so a deactivated
 * member leaves every reachable node's allowlist. Safe to re-run: nodes already in step get no
 * change request.
 */
export async function syncAllowlistOnNodes(
  urls: readonly string[],
  desired: readonly string[],
  options: SyncOptions & { readonly headers?: Readonly<Record<string, string>> } = {},
): Promise<NodeSyncOutcome[]> {
  const outcomes: NodeSyncOutcome[] = [];
  for (const url of urls) {
    try {
      const result = await syncAllowlist(
        new BesuPermissioningClient(url, options.headers),
        desired,
        {
          apply: options.apply ?? false,
        },
      );
      outcomes.push({ ok: true, url, result });
    } catch (error) {
      if (!(error instanceof CareLedgerError)) throw error;
      outcomes.push({ ok: false, url, endpoint: redactUrl(url), error });
    }
  }
  return outcomes;
}

/** Lines of {@link syncAllowlistOnNodes}: each node's lines, failures as `<endpoint>: FAILED …`. */
export function formatNodeSync(
  outcomes: readonly NodeSyncOutcome[],
  reasons: ReadonlyMap<string, string>,
): { lines: string[]; failed: number } {
  const lines: string[] = [];
  let failed = 0;
  for (const outcome of outcomes) {
    if (outcome.ok) {
      lines.push(...formatSync(outcome.result, reasons));
    } else {
      failed++;
      lines.push(
        `${outcome.endpoint}: FAILED, not synced (${outcome.error.message.replace(/\s*\n\s*/g, " ")})`,
      );
    }
  }
  if (outcomes.length > 1 || failed > 0) {
    lines.push(
      failed === 0
        ? `${outcomes.length} nodes synced`
        : `${failed} of ${outcomes.length} nodes FAILED: fix them and run the same command again (nodes already in step get no change)`,
    );
  }
  return { lines, failed };
}
