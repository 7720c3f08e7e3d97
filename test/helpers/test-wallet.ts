/**
 * An injected EIP-1193 test wallet for the browser tests: announced through EIP-6963, signing in Node
 * with a development key through `@metamask/eth-sig-util` (typed data V4, personal_sign) after the checks
 * MetaMask makes (the request names the connected account; the typed data's chain id is the active
 * chain), sending transactions to the node, and able to reject (4001) or hang on demand.
 */
import {
  personalSign,
  signTypedData,
  SignTypedDataVersion,
  type MessageTypes,
  type TypedMessage,
} from "@metamask/eth-sig-util";
import { getAddress, Wallet, type JsonRpcProvider } from "ethers";
import type { Page } from "playwright-core";

/** What the wallet does with the next signing request. */
export type WalletMode = "approve" | "reject" | "hang";

const SIGNING = new Set(["eth_signTypedData_v4", "personal_sign", "eth_sendTransaction"]);

interface RpcFailure {
  readonly code: number;
  readonly message: string;
  readonly data?: unknown;
}

/** The page side: an EIP-1193 provider over the exposed bridge, announced through EIP-6963. */
const INJECTED_PROVIDER = `(() => {
  const bridge = window.__careLedgerTestWallet;
  const listeners = new Map();
  const provider = {
    async request(args) {
      const reply = await bridge(args.method, JSON.stringify(args.params ?? []));
      if (reply.error !== undefined) {
        throw Object.assign(new Error(reply.error.message), {
          code: reply.error.code,
          data: reply.error.data,
        });
      }
      return reply.result;
    },
    on(event, listener) {
      listeners.set(event, [...(listeners.get(event) ?? []), listener]);
    },
    removeListener() {},
  };
  const info = Object.freeze({
    uuid: "6a4a1c8e-0000-4000-8000-00000000c1ed",
    name: "CareLedger Test Wallet",
    icon: "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' width='20' height='20'/%3E",
    rdns: "org.careledger.testwallet",
  });
  const announce = () =>
    window.dispatchEvent(
      new CustomEvent("eip6963:announceProvider", { detail: Object.freeze({ info, provider }) }),
    );
  window.addEventListener("eip6963:requestProvider", announce);
  announce();
})();`;

class WalletRpcError extends Error {
  constructor(readonly failure: RpcFailure) {
    super(failure.message);
  }
}

/** The Node side of the injected wallet. */
export class TestWallet {
  mode: WalletMode = "approve";
  /** Signing methods asked so far, in order. */
  readonly prompts: string[] = [];
  readonly address: string;
  readonly #wallet: Wallet;

  constructor(
    privateKey: string,
    private readonly provider: JsonRpcProvider,
    /** The chain the wallet is on. */
    public chainId: number,
    private readonly knownChains: ReadonlySet<number>,
  ) {
    this.#wallet = new Wallet(privateKey, provider);
    this.address = this.#wallet.address;
  }

  /** Inject the wallet into `page` (before any of its scripts run). */
  async install(page: Page): Promise<void> {
    await page.exposeFunction("__careLedgerTestWallet", async (method: string, params: string) => {
      try {
        return { result: await this.handle(method, JSON.parse(params) as unknown[]) };
      } catch (error) {
        if (error instanceof WalletRpcError) return { error: error.failure };
        return {
          error: { code: -32603, message: error instanceof Error ? error.message : String(error) },
        };
      }
    });
    // A string, not a function: the test runner's transform would add helpers the page lacks.
    await page.addInitScript({ content: INJECTED_PROVIDER });
  }

  private async handle(method: string, params: unknown[]): Promise<unknown> {
    if (SIGNING.has(method)) {
      this.prompts.push(method);
      if (this.mode === "reject") {
        throw new WalletRpcError({ code: 4001, message: "User rejected the request." });
      }
      if (this.mode === "hang") return new Promise(() => undefined);
    }
    switch (method) {
      case "eth_requestAccounts":
      case "eth_accounts":
        return [this.address.toLowerCase()];
      case "eth_chainId":
        return `0x${this.chainId.toString(16)}`;
      case "net_version":
        return String(this.chainId);
      case "wallet_switchEthereumChain": {
        const target = Number(BigInt((params[0] as { chainId: string }).chainId));
        if (!this.knownChains.has(target)) {
          throw new WalletRpcError({ code: 4902, message: `Unrecognized chain ID ${target}` });
        }
        this.chainId = target;
        return null;
      }
      case "wallet_addEthereumChain":
        return null;
      case "eth_signTypedData_v4": {
        this.checkAccount(String(params[0]));
        const data = JSON.parse(String(params[1])) as TypedMessage<MessageTypes>;
        const chainId = Number(data.domain.chainId);
        if (chainId !== this.chainId) {
          throw new WalletRpcError({
            code: -32602,
            message: `Provided chainId "${chainId}" must match the active chainId "${this.chainId}"`,
          });
        }
        return signTypedData({
          privateKey: this.privateKeyBytes(),
          data,
          version: SignTypedDataVersion.V4,
        });
      }
      case "personal_sign":
        this.checkAccount(String(params[1]));
        return personalSign({ privateKey: this.privateKeyBytes(), data: String(params[0]) });
      case "eth_sendTransaction": {
        const tx = params[0] as Record<string, string | undefined>;
        this.checkAccount(String(tx.from));
        const sent = await this.#wallet.sendTransaction({
          to: tx.to,
          data: tx.data,
          value: tx.value === undefined ? undefined : BigInt(tx.value),
          gasLimit: tx.gas === undefined ? undefined : BigInt(tx.gas),
          // Like a real wallet, the nonce comes from the node's pending count, never a cached answer.
          nonce: Number(
            BigInt(
              tx.nonce ??
                String(await this.forward("eth_getTransactionCount", [this.address, "pending"])),
            ),
          ),
          chainId: this.chainId,
        });
        return sent.hash;
      }
      default:
        return this.forward(method, params);
    }
  }

  /** A read passed to the node as is, its JSON-RPC error (code, message, revert data) kept whole. */
  private async forward(method: string, params: unknown[]): Promise<unknown> {
    const response = await fetch(this.provider._getConnection().url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }),
    });
    const reply = (await response.json()) as { result?: unknown; error?: RpcFailure };
    if (reply.error !== undefined) throw new WalletRpcError(reply.error);
    return reply.result;
  }

  private checkAccount(account: string): void {
    if (getAddress(account) !== this.address) {
      throw new WalletRpcError({
        code: 4100,
        message: `The requested account ${account} has not been authorized by the user.`,
      });
    }
  }

  private privateKeyBytes(): Buffer {
    return Buffer.from(this.#wallet.privateKey.slice(2), "hex");
  }
}
