/**
 * The app's runtime configuration, `config.json` next to `index.html`: the chain to add or switch the
 * wallet to, the contract, and where the relay, blob gateway and (optionally) the indexer are.
 */

/** Contents of `config.json`. */
export interface AppConfig {
  readonly chainId: number;
  readonly chainName: string;
  /** RPC URL the wallet is asked to add (`wallet_addEthereumChain`). */
  readonly rpcUrl: string;
  /** The deployed CareLedger. */
  readonly contract: string;
  /** Deployment block: first block of the log scans. */
  readonly fromBlock: number;
  /** Base URL of the relay and blob gateway (same origin: `/api`). */
  readonly serviceUrl: string;
  /** Base URL of the indexer; lists come from the node's logs without it. */
  readonly indexerUrl?: string;
  /** How long to wait for the wallet before saying it hangs (ms). */
  readonly walletTimeoutMs?: number;
}

/** Fetch and check `config.json`. */
export async function loadConfig(url = "config.json"): Promise<AppConfig> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url}: ${response.status} ${response.statusText}`);
  const raw = (await response.json()) as Partial<AppConfig>;
  for (const field of ["chainId", "chainName", "rpcUrl", "contract", "serviceUrl"] as const) {
    if (raw[field] === undefined) throw new Error(`${url}: field ${field} is missing`);
  }
  return { fromBlock: 0, ...raw } as AppConfig;
}
