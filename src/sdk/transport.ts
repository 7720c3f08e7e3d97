/**
 * The transport layer of the SDK clients: every request to the node runs under a {@link Deadline}
 * (a timeout plus an optional `AbortSignal`), every failure becomes a `CareLedgerError` (a decoded
 * revert, {@link NodeUnavailableError}, {@link TransactionTimeoutError}, {@link NodeRejectedError},
 * {@link OperationAbortedError}; the ethers error is kept as `cause`), and transactions go through one
 * {@link AccountSender} per account and provider:
 *
 * - **Nonces**: assigned by the SDK inside one serialized section per account and broadcast in that
 *   order, so concurrent sends from one account get consecutive nonces. The first send reads the
 *   node's pending count (uncached); a send whose broadcast failed or whose fate is unknown makes the
 *   next one read it again ({@link AccountSender.reset}), so a gap never blocks the queue.
 * - **Receipts**: polled by hash with a bounded interval until the deadline; no block subscription.
 * - **Retries**: a send whose outcome is unknown (timeout, lost reply, node down after the broadcast)
 *   is remembered by its call (target and calldata). The same call sent again first settles the
 *   earlier transaction: mined, it is returned and nothing is sent; still pending, it is awaited;
 *   gone from the node (dropped, or lost in a restart), it is sent anew.
 *
 * Deadlines and the mapping of failures are in `transport-deadline.ts`, re-exported here.
 *
 * Browser-safe: no Node built-ins.
 */
import type { Provider, Signer, TransactionReceipt, TransactionRequest, Interface } from "ethers";
import { BaseWallet, getAddress, isError, Transaction } from "ethers";
import { CareLedgerError, InvalidArgumentError } from "../errors.js";
import {
  NodeRejectedError,
  NodeUnavailableError,
  OperationAbortedError,
  TransactionTimeoutError,
} from "./errors.js";
import {
  Deadline,
  MAX_POLL_MS,
  request,
  retrying,
  toCareLedgerError,
} from "./transport-deadline.js";

export {
  DEFAULT_TIMEOUT_MS,
  Deadline,
  isNetworkFault,
  request,
  toCareLedgerError,
  type CallOptions,
} from "./transport-deadline.js";

/** Extra gas over the estimate (percent): state may move between estimate and inclusion. */
const GAS_MARGIN_PERCENT = 20n;

/** An unsigned contract call: target and calldata. */
export interface CallRequest {
  readonly to: string;
  readonly data: string;
}

/** A transaction sent by an {@link AccountSender} whose receipt has not been seen yet. */
interface Unconfirmed {
  /** The call (target and calldata) it was sent for. */
  readonly key: string;
  readonly functionName: string;
  /** Undefined when a node-managed account signed and the reply carrying the hash was lost. */
  readonly hash: string | undefined;
  readonly nonce: number;
  readonly request: TransactionRequest;
  /** The signed transaction, when signed locally (it can be broadcast again as is). */
  readonly raw?: string | undefined;
}

/** What {@link AccountSender.send} returns: the mined, successful receipt. */
export interface MinedTransaction {
  readonly hash: string;
  readonly nonce: number;
  readonly receipt: TransactionReceipt;
}

/** Options of {@link AccountSender.send}. */
export interface SendOptions {
  readonly functionName: string;
  readonly deadline: Deadline;
  /** Decodes reverts of the call. */
  readonly iface?: Interface;
}

/**
 * Sends the transactions of one account through one provider: SDK-managed nonces, in order,
 * receipts under a deadline, and retries that settle an earlier unconfirmed send of the same call
 * first (see the module comment). Get it with {@link accountSender}; every client of the account
 * shares it.
 */
export class AccountSender {
  readonly address: string;
  readonly signer: Signer;
  readonly provider: Provider;
  /** The next nonce to use; undefined when it must be read from the node. */
  #next: number | undefined;
  /** Tail of the serialized broadcast section. */
  #queue: Promise<unknown> = Promise.resolve();
  readonly #unconfirmed = new Map<string, Unconfirmed>();
  #chargesFees: boolean | undefined;

  constructor(signer: Signer, provider: Provider, address: string) {
    this.signer = signer;
    this.provider = provider;
    this.address = getAddress(address);
  }

  /** Forget the local nonce: the next send reads the node's pending count again. */
  reset(): void {
    this.#next = undefined;
  }

  /** Transactions sent whose outcome the SDK has not seen yet (hash and nonce). */
  unconfirmed(): { functionName: string; hash: string | undefined; nonce: number }[] {
    return [...this.#unconfirmed.values()].map(({ functionName, hash, nonce }) => ({
      functionName,
      hash,
      nonce,
    }));
  }

  /**
   * Send `call` and wait for its receipt, within `options.deadline`. A revert found by the gas
   * estimate throws decoded and sends nothing. A receipt with status 0 throws `NodeRejectedError`.
   */
  async send(call: CallRequest, options: SendOptions): Promise<MinedTransaction> {
    const { functionName, deadline, iface } = options;
    const key = `${call.to.toLowerCase()}:${call.data.toLowerCase()}`;
    const earlier = this.#unconfirmed.get(key);
    if (earlier !== undefined) {
      const settled = await this.#settle(earlier, deadline, iface);
      if (settled !== undefined) {
        this.#unconfirmed.delete(key);
        return settled;
      }
      this.#unconfirmed.delete(key);
    }
    const base: TransactionRequest = { from: this.address, to: call.to, data: call.data };
    // A node-managed account (eth_sendTransaction) gets its fees from the signer or node, as before.
    const [estimate, fees] = await Promise.all([
      request(deadline, functionName, this.provider.estimateGas(base), iface),
      this.signer instanceof BaseWallet ? this.#fees(deadline) : Promise.resolve({}),
    ]);
    const tx: TransactionRequest = {
      ...base,
      ...fees,
      gasLimit: (estimate * (100n + GAS_MARGIN_PERCENT)) / 100n,
    };
    const sent = await this.#broadcast(tx, functionName, deadline, iface);
    const pending: Unconfirmed = {
      key,
      functionName,
      hash: sent.hash,
      nonce: sent.nonce,
      request: tx,
      raw: sent.raw,
    };
    try {
      if (sent.fault !== undefined && sent.hash === undefined) throw sent.fault;
      return await this.#waitReceipt(pending, deadline, iface, sent.fault);
    } catch (error) {
      // Outcome unknown: remember it, so that a retry of the same call settles it first.
      if (error instanceof TransactionTimeoutError || error instanceof NodeUnavailableError) {
        this.#unconfirmed.set(key, pending);
      }
      throw error;
    }
  }

  /** Fee fields as ethers would fill them (EIP-1559 when the chain has a base fee). */
  async #fees(deadline: Deadline): Promise<TransactionRequest> {
    const data = await request(deadline, "getFeeData", this.provider.getFeeData());
    this.#chargesFees ??= (data.gasPrice ?? 0n) > 0n || (data.maxFeePerGas ?? 0n) > 0n;
    if (data.maxFeePerGas !== null && data.maxPriorityFeePerGas !== null) {
      return {
        type: 2,
        maxFeePerGas: data.maxFeePerGas,
        maxPriorityFeePerGas: data.maxPriorityFeePerGas,
      };
    }
    return { type: 0, gasPrice: data.gasPrice ?? 0n };
  }

  /** Whether the chain charges for gas (a replacement by fee is possible). */
  async chargesFees(deadline: Deadline = new Deadline()): Promise<boolean> {
    if (this.#chargesFees === undefined) await this.#fees(deadline);
    return this.#chargesFees === true;
  }

  /** The node's pending transaction count of the account, bypassing any provider cache. */
  async #pendingNonce(deadline: Deadline): Promise<number> {
    const provider = this.provider as Provider & {
      send?: (method: string, params: unknown[]) => Promise<unknown>;
    };
    const count =
      typeof provider.send === "function"
        ? Number(
            BigInt(
              String(
                await request(
                  deadline,
                  "eth_getTransactionCount",
                  provider.send("eth_getTransactionCount", [this.address, "pending"]),
                ),
              ),
            ),
          )
        : await request(
            deadline,
            "eth_getTransactionCount",
            this.provider.getTransactionCount(this.address, "pending"),
          );
    return count;
  }

  /**
   * Assign the next nonce and broadcast, inside the account's serialized section. A definite
   * rejection gives the nonce back (reset) and throws; a network fault leaves the outcome unknown:
   * the hash (when signed locally) and the nonce are returned with the fault.
   */
  async #broadcast(
    tx: TransactionRequest,
    functionName: string,
    deadline: Deadline,
    iface: Interface | undefined,
    fixedNonce?: number,
  ): Promise<Broadcast> {
    const run = async (): Promise<Broadcast> => {
      deadline.checkAborted(functionName);
      for (let attempt = 0; ; attempt++) {
        const nonce = fixedNonce ?? this.#next ?? (await this.#pendingNonce(deadline));
        const full: TransactionRequest = { ...tx, nonce };
        let hash: string | undefined;
        let raw: string | undefined;
        try {
          if (this.signer instanceof BaseWallet) {
            const network = await request(deadline, "eth_chainId", this.provider.getNetwork());
            raw = await this.signer.signTransaction({ ...full, chainId: network.chainId });
            hash = Transaction.from(raw).hash ?? undefined;
            await deadline.race(functionName, this.provider.broadcastTransaction(raw));
          } else {
            const response = await deadline.race(functionName, this.signer.sendTransaction(full));
            hash = response.hash;
          }
          if (fixedNonce === undefined) this.#next = nonce + 1;
          return { hash, nonce, raw };
        } catch (error) {
          const mapped = toCareLedgerError(error, functionName, iface, {
            transactionHash: hash,
            nonce,
          });
          if (mapped instanceof NodeUnavailableError || mapped instanceof OperationAbortedError) {
            // The node may or may not hold it: ask it for the next nonce next time.
            this.reset();
            if (mapped instanceof OperationAbortedError && hash === undefined) throw mapped;
            return { hash, nonce, raw, fault: mapped };
          }
          this.reset();
          if (isAlreadyKnown(error) && hash !== undefined) return { hash, nonce, raw };
          // Another sender used the account, or the chain was reset: read the nonce again, retry.
          if (isNonceMismatch(error) && fixedNonce === undefined && attempt < 2) continue;
          throw mapped;
        }
      }
    };
    const result = this.#queue.then(run, run);
    this.#queue = result.catch(() => undefined);
    return result;
  }

  /** Poll for the receipt of `pending` until the deadline. */
  async #waitReceipt(
    pending: Unconfirmed,
    deadline: Deadline,
    iface: Interface | undefined,
    fault?: CareLedgerError,
  ): Promise<MinedTransaction> {
    const hash = pending.hash;
    if (hash === undefined)
      throw fault ?? new NodeUnavailableError(pending.functionName, "no hash");
    let lastFault: CareLedgerError | undefined = fault;
    // Set while the node may not hold the transaction (its broadcast failed).
    let unacknowledged: CareLedgerError | undefined = fault;
    // Whether the node answered a poll: a poll cut short by the deadline then means "not mined yet".
    let answered = false;
    let pause = 20;
    for (;;) {
      let receipt: TransactionReceipt | null = null;
      try {
        receipt = await deadline.race(
          "eth_getTransactionReceipt",
          this.provider.getTransactionReceipt(hash),
          () =>
            answered
              ? DEADLINE_PASSED
              : new NodeUnavailableError(
                  "eth_getTransactionReceipt",
                  `no answer within ${deadline.timeoutMs} ms`,
                ),
        );
        lastFault = undefined;
        answered = true;
        if (receipt === null && unacknowledged !== undefined) {
          unacknowledged = await this.#acknowledge(pending, deadline, unacknowledged);
        }
      } catch (error) {
        if (error instanceof OperationAbortedError) throw error;
        if (error === DEADLINE_PASSED) break;
        lastFault = toCareLedgerError(error, "eth_getTransactionReceipt");
      }
      if (receipt !== null) return this.#checked(pending, receipt, iface);
      if (deadline.remaining() <= 0) break;
      try {
        await deadline.sleep("eth_getTransactionReceipt", pause);
      } catch (error) {
        if (error instanceof OperationAbortedError) throw error;
        break;
      }
      pause = Math.min(MAX_POLL_MS, pause * 2);
    }
    if (unacknowledged !== undefined) {
      throw new NodeUnavailableError(
        pending.functionName,
        `the node never acknowledged transaction ${hash} (${unacknowledged.message})`,
        { cause: unacknowledged, transactionHash: hash, nonce: pending.nonce },
      );
    }
    if (lastFault instanceof NodeUnavailableError) {
      throw new NodeUnavailableError(
        pending.functionName,
        `the transaction was broadcast but the node stopped answering (${lastFault.message})`,
        { cause: lastFault, transactionHash: hash, nonce: pending.nonce },
      );
    }
    throw new TransactionTimeoutError(
      {
        functionName: pending.functionName,
        transactionHash: hash,
        nonce: pending.nonce,
        from: this.address,
        timeoutMs: deadline.timeoutMs,
      },
      {
        waitLonger: async (ms) => {
          const mined = await this.#waitReceipt(pending, new Deadline(ms), iface);
          this.#unconfirmed.delete(pending.key);
          return mined;
        },
        replace: (options) => this.#replace(pending, options ?? {}, iface),
      },
    );
  }

  /**
   * After a failed broadcast: whether the node holds the transaction now (undefined), else broadcast
   * the same signed bytes again (same hash: never a second transaction). Returns the fault that
   * remains, if any.
   */
  async #acknowledge(
    pending: Unconfirmed,
    deadline: Deadline,
    fault: CareLedgerError,
  ): Promise<CareLedgerError | undefined> {
    const known = await deadline.race(
      "eth_getTransactionByHash",
      this.provider.getTransaction(pending.hash ?? ""),
    );
    if (known !== null) return undefined;
    if (pending.raw === undefined) return fault;
    try {
      await deadline.race(pending.functionName, this.provider.broadcastTransaction(pending.raw));
      return undefined;
    } catch (error) {
      if (error instanceof OperationAbortedError) throw error;
      if (isAlreadyKnown(error)) return undefined;
      return toCareLedgerError(error, pending.functionName);
    }
  }

  #checked(
    pending: Unconfirmed,
    receipt: TransactionReceipt,
    iface: Interface | undefined,
  ): MinedTransaction {
    if (receipt.status !== 1) {
      throw new NodeRejectedError(
        pending.functionName,
        "CALL_EXCEPTION",
        `transaction ${receipt.hash} was mined with status ${String(receipt.status)}`,
      );
    }
    void iface;
    return { hash: receipt.hash, nonce: pending.nonce, receipt };
  }

  /**
   * Settle an earlier send of the same call before sending again: its receipt when mined (or a
   * wait for it while the node still holds it); undefined when it is gone and must be sent anew.
   */
  async #settle(
    earlier: Unconfirmed,
    deadline: Deadline,
    iface: Interface | undefined,
  ): Promise<MinedTransaction | undefined> {
    if (earlier.hash === undefined) {
      // Hash unknown (node-managed account): only the nonce tells whether something was mined.
      const mined = await request(
        deadline,
        "eth_getTransactionCount",
        this.provider.getTransactionCount(this.address, "latest"),
      );
      if (mined > earlier.nonce) {
        // Reported once; the next retry sends again.
        this.#unconfirmed.delete(earlier.key);
        throw new NodeUnavailableError(
          earlier.functionName,
          `nonce ${earlier.nonce} was used while the reply of the earlier attempt was lost; check the chain before retrying`,
          { nonce: earlier.nonce },
        );
      }
      this.reset();
      return undefined;
    }
    const hash = earlier.hash;
    const receipt = await retrying(deadline, "eth_getTransactionReceipt", () =>
      this.provider.getTransactionReceipt(hash),
    );
    if (receipt !== null) return this.#checked(earlier, receipt, iface);
    const known = await retrying(deadline, "eth_getTransactionByHash", () =>
      this.provider.getTransaction(hash),
    );
    if (known !== null) return this.#waitReceipt(earlier, deadline, iface);
    // Dropped, or lost with a node restart: its nonce is free again.
    this.reset();
    return undefined;
  }

  /** Replace `pending` by fee (same nonce): the same call again or a no-op self-transfer. */
  async #replace(
    pending: Unconfirmed,
    options: { readonly noop?: boolean; readonly feeBumpPercent?: number },
    iface: Interface | undefined,
  ): Promise<MinedTransaction> {
    const deadline = new Deadline();
    if (!(await this.chargesFees(deadline))) {
      throw new InvalidArgumentError(
        "replace: this chain charges no fees, so a node cannot prefer a replacement; use waitLonger",
      );
    }
    const bump = BigInt(options.feeBumpPercent ?? 25);
    if (bump < 10n) throw new InvalidArgumentError("feeBumpPercent: must be at least 10");
    const fees = await this.#fees(deadline);
    const raise = (old: unknown, now: unknown): bigint => {
      const o = typeof old === "bigint" ? old : 0n;
      const n = typeof now === "bigint" ? now : 0n;
      const bumped = (o * (100n + bump)) / 100n + 1n;
      return bumped > n ? bumped : n;
    };
    const r = pending.request;
    const tx: TransactionRequest =
      fees.type === 2
        ? {
            ...r,
            ...fees,
            maxFeePerGas: raise(r.maxFeePerGas, fees.maxFeePerGas),
            maxPriorityFeePerGas: raise(r.maxPriorityFeePerGas, fees.maxPriorityFeePerGas),
          }
        : { ...r, ...fees, gasPrice: raise(r.gasPrice, fees.gasPrice) };
    const replacement: TransactionRequest =
      options.noop === true
        ? { ...tx, to: this.address, data: "0x", value: 0n, gasLimit: 21_000n }
        : tx;
    const sent = await this.#broadcast(
      replacement,
      pending.functionName,
      deadline,
      iface,
      pending.nonce,
    );
    if (sent.fault !== undefined && sent.hash === undefined) throw sent.fault;
    const mined = await this.#waitReceipt(
      { ...pending, hash: sent.hash, request: replacement },
      deadline,
      iface,
      sent.fault,
    );
    this.#unconfirmed.delete(pending.key);
    return mined;
  }
}

function isNonceMismatch(error: unknown): boolean {
  if (isError(error, "NONCE_EXPIRED")) return true;
  const text = error instanceof Error ? error.message : String(error);
  return /nonce too (?:high|low)|invalid nonce|nonce has already been used/i.test(text);
}

function isAlreadyKnown(error: unknown): boolean {
  const text = error instanceof Error ? error.message : String(error);
  return /already known|already imported|known transaction/i.test(text);
}

/** Rejection of a receipt poll cut short by the deadline after the node had answered before. */
const DEADLINE_PASSED = new Error("deadline passed");

/** The outcome of one broadcast (the fault is set when the node's answer was lost). */
interface Broadcast {
  readonly hash: string | undefined;
  readonly nonce: number;
  readonly raw?: string | undefined;
  readonly fault?: CareLedgerError;
}

const senders = new WeakMap<Provider, Map<string, AccountSender>>();

/** The {@link AccountSender} of `address` on `signer`'s provider (one per account and provider). */
export function accountSender(signer: Signer, address: string): AccountSender {
  const provider = signer.provider;
  if (provider === null) {
    throw new InvalidArgumentError("signer: not connected to a provider");
  }
  let byAddress = senders.get(provider);
  if (byAddress === undefined) {
    byAddress = new Map();
    senders.set(provider, byAddress);
  }
  const key = getAddress(address);
  let sender = byAddress.get(key);
  if (sender === undefined) {
    sender = new AccountSender(signer, provider, key);
    byAddress.set(key, sender);
  }
  return sender;
}
