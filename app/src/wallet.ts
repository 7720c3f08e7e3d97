/**
 * Wallets: EIP-6963 discovery (`eip6963:announceProvider` / `eip6963:requestProvider`), any EIP-1193
 * provider, adding or switching to the CareLedger chain, and wallet failures in plain words: a rejected
 * request (4001), a wallet that does not answer, the wrong chain.
 */
import type { AppConfig } from "./config.js";

/** An EIP-1193 provider. */
export interface Eip1193Provider {
  request(args: { method: string; params?: unknown[] | object }): Promise<unknown>;
  on?(event: string, listener: (...args: unknown[]) => void): void;
}

/** EIP-6963 provider info. */
export interface WalletInfo {
  readonly uuid: string;
  readonly name: string;
  readonly icon: string;
  readonly rdns: string;
}

/** A discovered wallet. */
export interface DiscoveredWallet {
  readonly info: WalletInfo;
  readonly provider: Eip1193Provider;
}

interface AnnounceEvent extends Event {
  readonly detail: DiscoveredWallet;
}

/** Listen for EIP-6963 announcements and ask wallets to announce; `onChange` gets the list so far. */
export function discoverWallets(onChange: (wallets: readonly DiscoveredWallet[]) => void): void {
  const wallets = new Map<string, DiscoveredWallet>();
  window.addEventListener("eip6963:announceProvider", (event) => {
    const { detail } = event as AnnounceEvent;
    if (typeof detail?.info?.uuid !== "string" || typeof detail.provider?.request !== "function")
      return;
    wallets.set(detail.info.uuid, detail);
    onChange([...wallets.values()]);
  });
  window.dispatchEvent(new Event("eip6963:requestProvider"));
}

/** Why a wallet request failed, in words a patient understands. */
export class WalletError extends Error {
  override readonly name: string = "WalletError";
  constructor(
    readonly kind: "rejected" | "timeout" | "wrong-chain" | "no-account",
    message: string,
  ) {
    super(message);
  }
}

/** Marker carried by the timeout message through ethers' error wrapping. */
const TIMEOUT_MARKER = "did not answer within";

/** Plain words for a wallet timeout of `ms`. */
export function timeoutText(ms: number): string {
  return `Your wallet ${TIMEOUT_MARKER} ${Math.round(ms / 1000)} seconds. Open your wallet, look for a waiting request, and try again.`;
}

export const REJECTED_TEXT =
  "You declined the request in your wallet, so nothing was signed or sent. You can try again when you are ready.";

/**
 * `provider` with every request bounded by `timeoutMs`: a wallet that never answers becomes a
 * {@link WalletError} "timeout" instead of a page that waits forever.
 */
export function guarded(provider: Eip1193Provider, timeoutMs: number): Eip1193Provider {
  return {
    request(args) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new WalletError("timeout", timeoutText(timeoutMs))),
          timeoutMs,
        );
        provider.request(args).then(
          (value) => {
            clearTimeout(timer);
            resolve(value);
          },
          (error: unknown) => {
            clearTimeout(timer);
            reject(error instanceof Error ? error : rpcError(error));
          },
        );
      });
    },
    on: provider.on?.bind(provider),
  };
}

function rpcError(error: unknown): Error {
  const e = error as { code?: number; message?: string; data?: unknown };
  const out = new Error(e?.message ?? String(error)) as Error & { code?: number; data?: unknown };
  out.code = e?.code;
  out.data = e?.data;
  return out;
}

function* causes(error: unknown): Generator<Record<string, unknown>> {
  const seen = new Set<unknown>();
  const queue = [error];
  while (queue.length > 0) {
    const e = queue.shift();
    if (typeof e !== "object" || e === null || seen.has(e)) continue;
    seen.add(e);
    const r = e as Record<string, unknown>;
    yield r;
    const info = r.info as Record<string, unknown> | undefined;
    queue.push(r.cause, r.error, info?.error);
  }
}

/** The wallet failure inside `error` (through SDK and ethers wrapping), if any. */
export function walletFailure(error: unknown): WalletError | undefined {
  for (const e of causes(error)) {
    if (e instanceof WalletError) return e;
    if (e.code === 4001 || e.code === "ACTION_REJECTED")
      return new WalletError("rejected", REJECTED_TEXT);
    const message = typeof e.message === "string" ? e.message : "";
    if (message.includes(TIMEOUT_MARKER)) {
      const start = message.indexOf("Your wallet");
      return new WalletError("timeout", start >= 0 ? message.slice(start) : message);
    }
  }
  return undefined;
}

/** The chain id the wallet is on. */
export async function walletChainId(provider: Eip1193Provider): Promise<number> {
  return Number(BigInt(String(await provider.request({ method: "eth_chainId" }))));
}

/** Plain words for a wallet on chain `actual` when CareLedger runs on `config.chainId`. */
export function wrongChainText(actual: number, config: AppConfig): string {
  return `Your wallet is on network ${actual}, but CareLedger runs on "${config.chainName}" (chain ${config.chainId}). Press "Switch network" to change it; nothing is read or signed until then.`;
}

/** Switch the wallet to the CareLedger chain, adding it first when the wallet does not know it (4902). */
export async function switchChain(provider: Eip1193Provider, config: AppConfig): Promise<void> {
  const chainId = `0x${config.chainId.toString(16)}`;
  try {
    await provider.request({ method: "wallet_switchEthereumChain", params: [{ chainId }] });
  } catch (error) {
    const code = (error as { code?: number }).code;
    if (code !== 4902) throw error;
    await provider.request({
      method: "wallet_addEthereumChain",
      params: [
        {
          chainId,
          chainName: config.chainName,
          rpcUrls: [config.rpcUrl],
          nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
        },
      ],
    });
    await provider.request({ method: "wallet_switchEthereumChain", params: [{ chainId }] });
  }
}
