/**
 * What every SDK client shares: the contract connected to the user's signer, transactions whose
 * reverts come back decoded (`AccessDeniedError`, `NotFoundOnChainError`, …), paged event queries and
 * the typed views all clients read (members, records, consent).
 */
import type { ContractTransaction, Provider, Signer, TransactionReceipt } from "ethers";
import { getAddress } from "ethers";
import type { CareLedger } from "../../../typechain-types/index.js";
import type {
  TypedContractEvent,
  TypedDeferredTopicFilter,
  TypedEventLog,
} from "../../../typechain-types/common.js";
import { InvalidArgumentError } from "../../errors.js";
import { normalizeContentHash, type ContentHash } from "../../crypto/hash.js";
import type { Category, Purpose, RecordStatus, Role } from "../constants.js";
import {
  addressSchema,
  categorySchema,
  parseArg,
  parseArgs,
  purposeSchema,
  recordIdSchema,
} from "../validate.js";
import {
  accountSender,
  Deadline,
  DEFAULT_TIMEOUT_MS,
  request,
  type AccountSender,
  type CallOptions,
} from "../transport.js";
import { TransactionFailedError } from "./errors.js";

/** Options every client takes. */
export interface LedgerClientOptions {
  /** The deployed `CareLedger` (connected to anything); the client connects it to `signer`. */
  readonly ledger: CareLedger;
  /** The account the client acts as; it signs and pays for the client's transactions. */
  readonly signer: Signer;
  /**
   * First block scanned for events (records, grants, incidents): the deployment block. Default 0.
   * Scanning from a later block misses what happened before it.
   */
  readonly fromBlock?: number;
  /** Blocks per `eth_getLogs` request (many nodes cap the range). Default 5 000. */
  readonly logPageSize?: number;
  /**
   * Deadline of every call that talks to the node, in milliseconds (default 30 000); a call's own
   * `timeoutMs` overrides it. Past it a call rejects with `NodeUnavailableError` (the node did not
   * answer) or `TransactionTimeoutError` (a transaction was sent but not mined).
   */
  readonly timeoutMs?: number;
}

/** A mined, successful transaction of a client. */
export interface SentTransaction {
  /** The contract function called. */
  readonly functionName: string;
  readonly hash: string;
  /** The nonce the SDK assigned to it. */
  readonly nonce: number;
  readonly blockNumber: number;
  readonly gasUsed: bigint;
  readonly receipt: TransactionReceipt;
}

/** A member as `memberOf` reports it. */
export interface MemberInfo {
  readonly account: string;
  /** `Role.None` when the account is not a member. */
  readonly role: Role;
  readonly active: boolean;
  /** Sequential member id (0 when not a member). */
  readonly memberId: number;
  /** Organisation id (0 for none). */
  readonly orgId: number;
  /** Onboarding time, unix seconds. */
  readonly since: number;
  /** The member's X25519 public key as bytes32 hex (zero when not a member). */
  readonly encryptionKey: string;
}

/** A record version as anchored on chain. */
export interface OnChainRecord {
  /** The record version id = `keccak256(abi.encode(patient, contentHash))` (lower-case hex). */
  readonly recordId: ContentHash;
  /**
   * The encrypted envelope's content hash (keccak256 for CLE1, the content id for CLE2): the blob
   * store's key, from the `RecordAnchored` event.
   */
  readonly contentHash: ContentHash;
  readonly patient: string;
  readonly category: Category;
  /** Who anchored this version. */
  readonly author: string;
  readonly status: RecordStatus;
  /** When this version was anchored, unix seconds. */
  readonly createdAt: number;
  /** The version this one amends (zero hash for an original). */
  readonly supersedes: string;
}

/** A patient's grant to one grantee, as `consentOf` reports it. */
export interface ConsentInfo {
  readonly patient: string;
  readonly grantee: string;
  /** Category bitmask. */
  readonly categories: number;
  /** Purpose bitmask. */
  readonly purposes: number;
  /** End of the grant (exclusive), unix seconds; 0 when there is no grant. */
  readonly expiresAt: number;
  readonly grantedAt: number;
}

const DEFAULT_LOG_PAGE = 5_000;

/** Base class of the SDK clients. */
export abstract class LedgerClient {
  /** The contract, connected to the client's signer. */
  readonly ledger: CareLedger;
  /** The client's account (checksummed). */
  readonly address: string;
  readonly signer: Signer;
  /** First block scanned for events. */
  readonly fromBlock: number;
  readonly #logPageSize: number;
  /** Default deadline of a call, in milliseconds. */
  readonly timeoutMs: number;

  protected constructor(options: LedgerClientOptions, address: string) {
    this.signer = options.signer;
    this.ledger = options.ledger.connect(options.signer);
    this.address = getAddress(address);
    this.fromBlock = options.fromBlock ?? 0;
    this.#logPageSize = options.logPageSize ?? DEFAULT_LOG_PAGE;
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    if (!Number.isFinite(this.timeoutMs) || this.timeoutMs <= 0) {
      throw new InvalidArgumentError(`timeoutMs ${this.timeoutMs} must be a positive number`);
    }
    if (!Number.isInteger(this.fromBlock) || this.fromBlock < 0) {
      throw new InvalidArgumentError(`fromBlock ${this.fromBlock} must be a block number`);
    }
    if (!Number.isInteger(this.#logPageSize) || this.#logPageSize < 1) {
      throw new InvalidArgumentError(`logPageSize ${this.#logPageSize} must be >= 1`);
    }
  }

  /** The provider of the signer. */
  get provider(): Provider {
    const provider = this.signer.provider;
    if (provider === null) {
      throw new InvalidArgumentError("the client's signer is not connected to a provider");
    }
    return provider;
  }

  /** The sender of this client's account: SDK-managed nonces, in order (see `transport.ts`). */
  get sender(): AccountSender {
    return accountSender(this.signer, this.address);
  }

  /** The deadline of one call: `options.timeoutMs` or the client's, and the caller's signal. */
  protected deadline(options: CallOptions = {}): Deadline {
    return options.deadline ?? new Deadline(options.timeoutMs ?? this.timeoutMs, options.signal);
  }

  /** Timestamp of the latest block (what the contract compares expiries with). */
  async chainTime(options: CallOptions = {}): Promise<number> {
    const block = await request(
      this.deadline(options),
      "eth_getBlockByNumber",
      this.provider.getBlock("latest"),
    );
    if (block === null) throw new TransactionFailedError("getBlock", undefined, "no latest block");
    return block.timestamp;
  }

  /** `memberOf(account)`, typed. */
  async member(account: string, options: CallOptions = {}): Promise<MemberInfo> {
    account = parseArg("member", "account", addressSchema, account);
    const [m, key] = await this.view(
      "memberOf",
      this.ledger.memberOf(account),
      this.deadline(options),
    );
    return {
      account: getAddress(account),
      role: Number(m.role) as Role,
      active: m.active,
      memberId: Number(m.id),
      orgId: Number(m.orgId),
      since: Number(m.since),
      encryptionKey: key.toLowerCase(),
    };
  }

  /** `consentOf(patient, grantee)`, typed (all zero when there is no grant). */
  async consent(patient: string, grantee: string, options: CallOptions = {}): Promise<ConsentInfo> {
    patient = parseArg("consent", "patient", addressSchema, patient);
    grantee = parseArg("consent", "grantee", addressSchema, grantee);
    const g = await this.view(
      "consentOf",
      this.ledger.consentOf(patient, grantee),
      this.deadline(options),
    );
    return {
      patient: getAddress(patient),
      grantee: getAddress(grantee),
      categories: Number(g.categories),
      purposes: Number(g.purposes),
      expiresAt: Number(g.expiresAt),
      grantedAt: Number(g.grantedAt),
    };
  }

  /**
   * `recordOf` and `previousVersionOf` of a record version, typed; `undefined` when nothing is anchored
   * under `recordId`.
   */
  async findRecord(
    recordId: string,
    options: CallOptions = {},
  ): Promise<OnChainRecord | undefined> {
    const id = parseArg("findRecord", "recordId", recordIdSchema, recordId);
    const d = this.deadline(options);
    const [[r, author], supersedes] = await Promise.all([
      this.view("recordOf", this.ledger.recordOf(id), d),
      this.view("previousVersionOf", this.ledger.previousVersionOf(id), d),
    ]);
    const status = Number(r.status) as RecordStatus;
    if (status === 0) return undefined;
    const [anchored] = await this.events(this.ledger.filters.RecordAnchored(id), d);
    if (anchored === undefined) return undefined;
    return {
      recordId: id,
      contentHash: normalizeContentHash(anchored.args.contentHash),
      patient: getAddress(r.patient),
      category: Number(r.category) as Category,
      author: getAddress(author),
      status,
      createdAt: Number(r.createdAt),
      supersedes: supersedes.toLowerCase(),
    };
  }

  /** Whether `accessor` may open `patient`'s `category` for `purpose` now (a view; not audited). */
  async hasAccess(
    patient: string,
    accessor: string,
    category: Category,
    purpose: Purpose,
    options: CallOptions = {},
  ): Promise<boolean> {
    const args = parseArgs("hasAccess", {
      patient: [addressSchema, patient],
      accessor: [addressSchema, accessor],
      category: [categorySchema, category],
      purpose: [purposeSchema, purpose],
    });
    return this.view(
      "hasAccess",
      this.ledger.hasAccess(args.patient, args.accessor, args.category, args.purpose),
      this.deadline(options),
    );
  }

  /**
   * Send a transaction and wait until it is mined, within `deadline`, through the account's
   * {@link AccountSender} (SDK nonces, in order; a retry of a call whose outcome was unknown settles
   * the earlier transaction first). A revert is thrown decoded (its class says why:
   * `AccessDeniedError`, `NotAuthorizedError`, `StateConflictError`, …) and nothing is sent; node
   * faults are `NodeUnavailableError`, a transaction not mined in time `TransactionTimeoutError`.
   */
  protected async send(
    functionName: string,
    populate: () => Promise<ContractTransaction>,
    deadline: Deadline = this.deadline(),
  ): Promise<SentTransaction> {
    const iface = this.ledger.interface;
    const call = await request(deadline, functionName, populate(), iface);
    const mined = await this.sender.send(
      { to: String(call.to), data: call.data },
      { functionName, deadline, iface },
    );
    const receipt = mined.receipt;
    return {
      functionName,
      hash: receipt.hash,
      nonce: mined.nonce,
      blockNumber: receipt.blockNumber,
      gasUsed: receipt.gasUsed,
      receipt,
    };
  }

  /**
   * The mined transaction `hash` as a {@link SentTransaction} (a write found landed on chain, e.g.
   * after its reply was lost); undefined when the node does not have it.
   */
  protected async landedTransaction(
    functionName: string,
    hash: string,
    deadline: Deadline,
  ): Promise<SentTransaction | undefined> {
    const [receipt, tx] = await Promise.all([
      this.view("eth_getTransactionReceipt", this.provider.getTransactionReceipt(hash), deadline),
      this.view("eth_getTransactionByHash", this.provider.getTransaction(hash), deadline),
    ]);
    if (receipt === null || tx === null) return undefined;
    return {
      functionName,
      hash: receipt.hash,
      nonce: tx.nonce,
      blockNumber: receipt.blockNumber,
      gasUsed: receipt.gasUsed,
      receipt,
    };
  }

  /** Await a view or `staticCall` within `deadline`, decoding a revert. */
  protected view<T>(
    functionName: string,
    promise: Promise<T>,
    deadline: Deadline = this.deadline(),
  ): Promise<T> {
    return request(deadline, functionName, promise, this.ledger.interface);
  }

  /** Every log matching `filter` from {@link fromBlock} to the latest block, page by page, in chain order. */
  protected async events<E extends TypedContractEvent>(
    filter: TypedDeferredTopicFilter<E>,
    deadline: Deadline = this.deadline(),
  ): Promise<TypedEventLog<E>[]> {
    const toBlock = await request(deadline, "eth_blockNumber", this.provider.getBlockNumber());
    const out: TypedEventLog<E>[] = [];
    let start = this.fromBlock;
    for (; start + this.#logPageSize <= toBlock; start += this.#logPageSize) {
      const end = start + this.#logPageSize - 1;
      out.push(
        ...(await request(deadline, "eth_getLogs", this.ledger.queryFilter(filter, start, end))),
      );
    }
    // The last page runs to "latest": a provider may serve a cached block number, and the log of a
    // transaction this client just saw mined must not be missed.
    out.push(
      ...(await request(deadline, "eth_getLogs", this.ledger.queryFilter(filter, start, "latest"))),
    );
    return out.sort((x, y) => x.blockNumber - y.blockNumber || x.index - y.index);
  }
}

/** The checksummed address of `signer`. */
export async function signerAddress(signer: Signer): Promise<string> {
  return getAddress(await signer.getAddress());
}
