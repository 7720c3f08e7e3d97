/**
 * One connected session: the wallet's account on the right chain, the contract through the wallet, the
 * member as the registry knows it, the list queries (indexer or log scan), the blob gateway, and the
 * member's key once unlocked (held in memory only, never stored).
 */
import { BrowserProvider, getAddress, type JsonRpcSigner } from "ethers";
import {
  careLedgerAt,
  careLedgerQueries,
  CareLedgerError,
  HttpBlobStore,
  ContractRevertError,
  decryptKeyFile,
  encryptionKeyHex,
  Role,
  roleLabel,
  type CareLedger,
  type CareLedgerQueries,
  type MemberKeyPair,
} from "../../src/browser.js";
import type { AppConfig } from "./config.js";
import { busy, say } from "./ui.js";
import { walletFailure, type Eip1193Provider } from "./wallet.js";

/** A member as shown: role, organisation, active flag. */
export interface MemberView {
  readonly address: string;
  readonly role: Role;
  readonly roleName: string;
  readonly orgId: number;
  readonly active: boolean;
  readonly encryptionKey: string;
}

/** The connected account and everything the views need. */
export class Session {
  readonly provider: BrowserProvider;
  readonly ledger: CareLedger;
  readonly queries: CareLedgerQueries;
  readonly store: HttpBlobStore;
  keys: MemberKeyPair | undefined;
  readonly #members = new Map<string, Promise<MemberView>>();

  constructor(
    provider: BrowserProvider,
    readonly config: AppConfig,
    readonly wallet: Eip1193Provider,
    readonly signer: JsonRpcSigner,
    readonly account: string,
    readonly member: MemberView,
  ) {
    this.provider = provider;
    this.ledger = careLedgerAt(config.contract, signer);
    this.queries = careLedgerQueries({
      contract: this.ledger,
      fromBlock: config.fromBlock,
      ...(config.indexerUrl === undefined ? {} : { indexerUrl: config.indexerUrl }),
    });
    this.store = new HttpBlobStore({
      baseUrl: serviceBaseUrl(config),
      signer,
      chainId: config.chainId,
      contract: config.contract,
    });
  }

  /** Connect `wallet` (already on the right chain) as `account`. */
  static async open(config: AppConfig, wallet: Eip1193Provider, account: string): Promise<Session> {
    // No request cache: a list read right after a transaction must see its block.
    const provider = new BrowserProvider(wallet, config.chainId, { cacheTimeout: -1 });
    const signer = await provider.getSigner(account);
    const ledger = careLedgerAt(config.contract, provider);
    const member = await memberView(ledger, getAddress(account));
    return new Session(provider, config, wallet, signer, getAddress(account), member);
  }

  /** `memberOf`, cached per page. */
  memberOf(address: string): Promise<MemberView> {
    const key = getAddress(address);
    let found = this.#members.get(key);
    if (found === undefined) {
      found = memberView(this.ledger, key);
      this.#members.set(key, found);
    }
    return found;
  }

  /** "doctor, organisation 1 (0x7099…79c8)". */
  async describe(address: string): Promise<string> {
    const m = await this.memberOf(address);
    const who =
      m.address === this.account ? "you" : `${m.address.slice(0, 6)}…${m.address.slice(-4)}`;
    if (m.role === Role.None) return `not a member (${who})`;
    return `${m.roleName}${m.orgId === 0 ? "" : `, organisation ${m.orgId}`} (${who})`;
  }

  /** Unlock the member's key file with `passphrase`; it must be the key registered on chain. */
  async unlock(keyFileJson: string, passphrase: string): Promise<void> {
    const pair = await decryptKeyFile(keyFileJson, passphrase);
    if (
      encryptionKeyHex(pair.publicKey).toLowerCase() !== this.member.encryptionKey.toLowerCase()
    ) {
      throw new Error(
        "This key file holds a different key from the one registered for your account: pick your own key file.",
      );
    }
    this.keys = pair;
  }

  /** The unlocked key, or a plain-words error. */
  requireKeys(): MemberKeyPair {
    if (this.keys === undefined)
      throw new Error("Unlock your key file first (section “Your key”).");
    return this.keys;
  }
}

/** The service's absolute base URL (`config.serviceUrl` may be relative to the page, e.g. `/api`). */
export function serviceBaseUrl(config: AppConfig): string {
  return new URL(config.serviceUrl, location.href).href.replace(/\/+$/, "");
}

async function memberView(ledger: CareLedger, address: string): Promise<MemberView> {
  const [m, key] = await ledger.memberOf(address);
  const role = Number(m.role) as Role;
  return {
    address,
    role,
    roleName: roleLabel(role),
    orgId: Number(m.orgId),
    active: m.active,
    encryptionKey: String(key),
  };
}

/** Run `action` with `button` disabled, saying any failure in words in the status area. */
export function run(button: HTMLButtonElement, action: () => Promise<void>): Promise<void> {
  return busy(button, action, (error) => say(explain(error), "error"));
}

/** An error in words: a wallet failure, a decoded contract refusal, or the error's message. */
export function explain(error: unknown): string {
  const wallet = walletFailure(error);
  if (wallet !== undefined) return wallet.message;
  if (error instanceof ContractRevertError) {
    return `Refused by CareLedger (${error.errorName}): ${error.message}`;
  }
  if (error instanceof CareLedgerError) return `${error.name}: ${error.message}`;
  if (error instanceof Error) return error.message;
  return String(error);
}
