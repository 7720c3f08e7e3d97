/**
 * The three account-permissioning methods of Besu's `PERM` API, as Besu documents and implements
 * them (besu-docs: private-networks/reference/api, "PERM (Permissioning) methods"; besu:
 * `PermAddAccountsToAllowlist`, `RpcErrorType.ACCOUNT_ALLOWLIST_*`):
 *
 * - `perm_getAccountsAllowlist`, no parameters → array of addresses;
 * - `perm_addAccountsToAllowlist` / `perm_removeAccountsFromAllowlist`, one parameter (the list,
 *   hence `params: [[…]]`) → `"Success"`, or error -32000 with: "Request contains an empty list of
 *   accounts", "Request contains an invalid account", "Request contains duplicate accounts",
 *   "Cannot add an existing account to allowlist", "Cannot remove an absent account from allowlist".
 *
 * The whole request is refused on any error (Besu validates the list before changing anything).
 */
import { RpcErrorReply, startFakeRpc, type FakeRpcServer } from "./rpc-server.js";

export interface FakeBesu extends FakeRpcServer {
  /** The current allowlist, lower case, in insertion order. */
  allowlist(): string[];
  /** Change requests received (add/remove), for idempotency checks. */
  changeRequests(): number;
}

const ADDRESS = /^0x[0-9a-fA-F]{40}$/;

function accountsParam(params: readonly unknown[]): string[] {
  const list = params[0];
  if (!Array.isArray(list))
    throw new RpcErrorReply(-32602, "Invalid accounts list parameter (index 0)");
  if (list.length === 0)
    throw new RpcErrorReply(-32000, "Request contains an empty list of accounts");
  if (!list.every((a) => typeof a === "string" && ADDRESS.test(a))) {
    throw new RpcErrorReply(-32000, "Request contains an invalid account");
  }
  const lower = list.map((a: string) => a.toLowerCase());
  if (new Set(lower).size !== lower.length) {
    throw new RpcErrorReply(-32000, "Request contains duplicate accounts");
  }
  return lower;
}

/** A Besu node with account permissioning enabled and `initial` in its allowlist. */
export async function startFakeBesu(initial: readonly string[] = []): Promise<FakeBesu> {
  const accounts: string[] = initial.map((a) => a.toLowerCase());
  let changes = 0;
  const server = await startFakeRpc({
    perm_getAccountsAllowlist: () => [...accounts],
    perm_addAccountsToAllowlist: (params) => {
      changes++;
      const list = accountsParam(params);
      if (list.some((a) => accounts.includes(a))) {
        throw new RpcErrorReply(-32000, "Cannot add an existing account to allowlist");
      }
      accounts.push(...list);
      return "Success";
    },
    perm_removeAccountsFromAllowlist: (params) => {
      changes++;
      const list = accountsParam(params);
      if (list.some((a) => !accounts.includes(a))) {
        throw new RpcErrorReply(-32000, "Cannot remove an absent account from allowlist");
      }
      for (const a of list) accounts.splice(accounts.indexOf(a), 1);
      return "Success";
    },
  });
  return { ...server, allowlist: () => [...accounts], changeRequests: () => changes };
}
