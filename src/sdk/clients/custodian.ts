/**
 * Break-glass key release: the emergency key custodian.
 *
 * A break-glass open is audited on chain, but a responder holds no wrapped key of the envelopes it may
 * open (it had no consent when they were sealed). The hospital runs a custodian with its own X25519
 * key pair; writers wrap every envelope's data key for it as one more reader (`emergencyCustodian`
 * client option). The custodian hands a responder a key only after, and only because of, a successful
 * audited `openRecord` transaction on chain that took the break-glass path: it checks the receipt with
 * its own provider, the incident window that covered the open, the responder's membership, then wraps
 * the data key for the responder's on-chain key (`addReader`, no re-encryption), logs the release and
 * returns the released copy. See `README.md`, "Break-glass key release".
 *
 * Browser-safe (no Node built-ins); the JSON-lines release log on disk is in `custodian-fs.ts`.
 */
import { equalBytes } from "@noble/ciphers/utils.js";
import type { Provider, TransactionReceipt } from "ethers";
import { getAddress, isHexString } from "ethers";
import * as z from "zod/mini";
import type { CareLedger } from "../../../typechain-types/index.js";
import { careLedgerAt } from "../contract.js";
import { CareLedgerError, IntegrityError, NotFoundError } from "../../errors.js";
import { toHex, type Hex } from "../../crypto/bytes.js";
import { addReader, inspectEnvelope, type EnvelopeInfo } from "../../crypto/envelope.js";
import { parseEnvelope, type EnvelopeParts } from "../../crypto/envelope-format.js";
import { contentHash, normalizeContentHash, type ContentHash } from "../../crypto/hash.js";
import { anchoredContentHash, recordIdOf } from "../recordId.js";
import type { MemberKeyPair } from "../../crypto/keys.js";
import { blobId, type BlobStore } from "../../store/blob-store.js";
import type { BlobSource, StreamingBlobStore } from "../../store/stream.js";
import { isStreamEnvelope } from "../../crypto/stream-format.js";
import { bytesSource, inspectEnvelopeStream, releaseStreamKey } from "../../crypto/stream.js";
import { jsStreamSuite } from "../../crypto/stream-js.js";
import type { AuditEntry, RecordOpenedEvent } from "../audit.js";
import { AccessPath, accessPathLabel, RecordStatus, type Category } from "../constants.js";
import { withDecodedErrors } from "../errors.js";
import {
  KeyReleaseRefusedError,
  RecordNotErasedError,
  ReleasedCopyMismatchError,
  type KeyReleaseRefusalReason,
} from "./errors.js";

/** What a responder asks the custodian for: the key of `recordId`, because of its open `openTxHash`. */
export interface KeyReleaseRequest {
  /** The record version opened. */
  readonly recordId: string;
  /** The responder's account: the `accessor` of the audited open. */
  readonly responder: string;
  /** Hash of the responder's `openRecord` transaction that took the break-glass path. */
  readonly openTxHash: string;
}

/** A key released to a responder. */
export interface KeyRelease {
  readonly recordId: ContentHash;
  readonly patient: string;
  readonly category: Category;
  readonly responder: string;
  /** The responder's X25519 key on chain, which the data key was wrapped for. */
  readonly responderPublicKey: Hex;
  /** The break-glass incident whose window covered the open. */
  readonly incidentId: bigint;
  /** The audited open (lower-case hash). */
  readonly openTxHash: Hex;
  readonly openBlockNumber: number;
  /** Block time of the open, unix seconds. */
  readonly openedAt: number;
  /** End of the window that covered the open, unix seconds. */
  readonly windowExpiresAt: number;
  /**
   * The released copy: the anchored envelope with one more wrapped key, for the responder (same header,
   * same body ciphertext, new key commitment, so a hash that is not the record id). Not anchored; the
   * responder checks it against the anchored envelope before decrypting.
   */
  readonly envelope: Uint8Array;
  /**
   * True when the key of this open was released before and the same copy is handed out again (a retry,
   * or someone else asked first: the copy only opens with the responder's key).
   */
  readonly repeat: boolean;
  /** What the custodian logged for this release (once per open). */
  readonly logEntry: ReleaseLogEntry;
}

/**
 * Anything that releases keys: an {@link EmergencyKeyCustodian} in process, or a client of one running
 * as a service. The responder trusts none of the answer but the envelope bytes, which it verifies.
 */
export interface KeyReleaseService {
  release(request: KeyReleaseRequest): Promise<KeyRelease>;
}

/** One line of the custodian's release log (JSON-friendly: numbers, strings). */
export interface ReleaseLogEntry {
  readonly recordId: ContentHash;
  readonly patient: string;
  /** Category index of the record. */
  readonly category: number;
  readonly responder: string;
  readonly responderPublicKey: Hex;
  /** The break-glass incident, as a decimal string. */
  readonly incidentId: string;
  /** The audited open that caused the release (lower-case hash). */
  readonly openTxHash: Hex;
  readonly openBlockNumber: number;
  /** Block time of the open, unix seconds. */
  readonly openedAt: number;
  /** End of the window that covered the open, as of the release, unix seconds. */
  readonly windowExpiresAt: number;
  /** Time of the latest block when the key was released, unix seconds. */
  readonly chainTime: number;
  /** The custodian's wall-clock time of the release, ISO 8601. */
  readonly releasedAt: string;
  /** keccak256 of the released copy handed out (kept in the custodian's store under it). */
  readonly releasedEnvelopeHash: ContentHash;
}

const hex32 = z.string().check(z.regex(/^0x[0-9a-f]{64}$/));
const address = z.string().check(z.regex(/^0x[0-9a-fA-F]{40}$/));
const unixTime = z.number().check(z.int(), z.nonnegative());

/** Schema of a {@link ReleaseLogEntry}, for logs read back from storage. */
export const releaseLogEntrySchema = z.strictObject({
  recordId: hex32,
  patient: address,
  category: z.number().check(z.int(), z.minimum(0), z.maximum(8)),
  responder: address,
  responderPublicKey: hex32,
  incidentId: z.string().check(z.regex(/^[1-9][0-9]*$/)),
  openTxHash: hex32,
  openBlockNumber: unixTime,
  openedAt: unixTime,
  windowExpiresAt: unixTime,
  chainTime: unixTime,
  releasedAt: z.iso.datetime(),
  releasedEnvelopeHash: hex32,
});

/**
 * Where the custodian records its releases, append-only, one entry per audited open. A release is handed
 * out only after `append` resolved, so every key a responder holds has an entry.
 */
export interface ReleaseLog {
  /** The release of `recordId` caused by the open `openTxHash` (both lower-case), if logged. */
  findRelease(openTxHash: Hex, recordId: ContentHash): Promise<ReleaseLogEntry | undefined>;
  /** Append one entry; resolves once it is durable. */
  append(entry: ReleaseLogEntry): Promise<void>;
  /** Every entry, oldest first. */
  entries(): Promise<ReleaseLogEntry[]>;
}

/** A release log in memory (tests, demos, or a sink that forwards elsewhere). */
export class MemoryReleaseLog implements ReleaseLog {
  readonly #entries: ReleaseLogEntry[] = [];

  findRelease(openTxHash: Hex, recordId: ContentHash): Promise<ReleaseLogEntry | undefined> {
    const found = this.#entries.find((e) => e.openTxHash === openTxHash && e.recordId === recordId);
    return Promise.resolve(found === undefined ? undefined : { ...found });
  }

  append(entry: ReleaseLogEntry): Promise<void> {
    // The executor runs at once and a throw in it (a malformed entry) rejects, as in an async body.
    return new Promise((resolve) => {
      this.#entries.push(releaseLogEntrySchema.parse(entry) as ReleaseLogEntry);
      resolve();
    });
  }

  entries(): Promise<ReleaseLogEntry[]> {
    return Promise.resolve(this.#entries.map((e) => ({ ...e })));
  }
}

/** Options of {@link EmergencyKeyCustodian}. */
export interface EmergencyKeyCustodianOptions {
  /** The CareLedger whose audited opens release keys. */
  readonly ledgerAddress: string;
  /** The custodian's own node: receipts and views are read from it, never taken from the requester. */
  readonly provider: Provider;
  /**
   * Where the envelopes are (checked against the record id before use). The custodian also puts each
   * released copy there, under its own hash, to hand the same copy out again on a repeated request.
   */
  readonly store: BlobStore;
  /** The custodian's X25519 key pair (e.g. `loadKeyFile`); writers wrap for its public half. */
  readonly keys: MemberKeyPair;
  /** The append-only release log. */
  readonly log: ReleaseLog;
  /**
   * Confirmations the open transaction needs (1 = mined). Default 1: right for chains with immediate
   * finality (Besu QBFT / IBFT 2.0); raise it on chains that can reorganise (Clique).
   */
  readonly minConfirmations?: number;
  /** Wall clock for the log. Default `() => new Date()`. */
  readonly clock?: () => Date;
}

/** Builds the refusal of the request being handled. */
type Refuse = (
  reason: KeyReleaseRefusalReason,
  detail: string,
  cause?: unknown,
) => KeyReleaseRefusedError;

/** The anchored envelope as the custodian uses it (CLE1 bytes, or a CLE2 source). */
interface AnchoredEnvelope {
  info(): Promise<EnvelopeInfo>;
  /** The released copy for `responderKey`: CLE1 envelope + key, or a CLE2 key release (`CLR2`). */
  release(responderKey: Hex): Promise<Uint8Array>;
  close(): Promise<void>;
}

/** What `#wrap` and `#logRelease` need of the checks already made. */
interface ReleaseContext {
  readonly request: Request;
  readonly refuse: Refuse;
  readonly patient: string;
  readonly category: Category;
  readonly responderPublicKey: Hex;
  readonly incidentId: bigint;
  readonly openBlockNumber: number;
  readonly openedAt: number;
  readonly windowExpiresAt: number;
  readonly now: number;
}

/** The released copy, stored under its hash, not yet logged. */
interface WrappedCopy {
  readonly released: Uint8Array;
  readonly releasedEnvelopeHash: ContentHash;
}

/** The normalised request. */
interface Request {
  readonly recordId: ContentHash;
  readonly responder: string;
  readonly openTxHash: Hex;
}

/**
 * The emergency key custodian. `release` refuses with a {@link KeyReleaseRefusedError} (its `reason`
 * names the failed check) unless every check passes; releases are serialised, so two requests for the
 * same open log one release (the second gets the same copy).
 */
export class EmergencyKeyCustodian implements KeyReleaseService {
  /** The CareLedger, read-only on the custodian's provider. */
  readonly ledger: CareLedger;
  /** The CareLedger's address (checksummed). */
  readonly ledgerAddress: string;
  readonly provider: Provider;
  /** The custodian's public key (bytes32 hex): give it to writers as `emergencyCustodian`. */
  readonly publicKey: Hex;
  readonly #privateKey: Uint8Array;
  readonly #store: BlobStore;
  readonly #log: ReleaseLog;
  readonly #minConfirmations: number;
  readonly #clock: () => Date;
  #queue: Promise<unknown> = Promise.resolve();

  constructor(options: EmergencyKeyCustodianOptions) {
    this.ledgerAddress = getAddress(options.ledgerAddress);
    this.provider = options.provider;
    this.ledger = careLedgerAt(this.ledgerAddress, options.provider);
    this.publicKey = toHex(options.keys.publicKey);
    this.#privateKey = Uint8Array.from(options.keys.privateKey);
    this.#store = options.store;
    this.#log = options.log;
    this.#minConfirmations = options.minConfirmations ?? 1;
    this.#clock = options.clock ?? (() => new Date());
    if (!Number.isInteger(this.#minConfirmations) || this.#minConfirmations < 1) {
      throw new CareLedgerError(`minConfirmations ${this.#minConfirmations} must be >= 1`);
    }
  }

  /**
   * Release the data key of `request.recordId` to `request.responder`, because of its audited open
   * `request.openTxHash`. A request for an open whose key was already released (a retry, or a third
   * party who saw the open on chain and asked first) gets the same copy again, marked `repeat`, and no
   * new log entry: the copy only ever opens with the responder's key. Otherwise the custodian checks, in
   * this order (the first failure is the refusal's `reason`): the request is well formed; the
   * transaction is mined, succeeded, was sent to the CareLedger and is confirmed; it holds a
   * `RecordOpened` of exactly this record by exactly this responder on the break-glass path; the
   * responder's current window on the patient belongs to an incident of this patient and responder that
   * covered the time of the open and is still open now; the responder is an active member with a key on
   * chain; the record is anchored and the stored envelope hashes to its id, names its patient and
   * category, and holds the custodian's key but not the responder's. Then: wrap the data key for the
   * responder's on-chain key, store the copy, log, return.
   *
   * @throws KeyReleaseRefusedError on any failed check; nothing is released or logged then.
   */
  release(request: KeyReleaseRequest): Promise<KeyRelease> {
    const run = this.#queue.then(() => this.#release(request));
    this.#queue = run.catch(() => undefined);
    return run;
  }

  /** Every release logged so far, oldest first. */
  releases(): Promise<ReleaseLogEntry[]> {
    return this.#log.entries();
  }

  /**
   * Destroy the custodian's copies of erased record version `recordId`: the anchored envelope (which holds
   * the data key wrapped for the custodian) and every copy it released for it, from its store. Only once
   * the chain says the record is erased, so no one makes the custodian drop an emergency key without an
   * audited `RecordErased`. The release log keeps its entries: hashes, addresses and public keys, no key
   * material. Serialised with releases; deleting what is already gone is a no-op, so it can be retried.
   *
   * @returns the content hashes deleted (the anchored envelope first, then the released copies)
   * @throws RecordNotErasedError when the record's status on chain is not `Erased`.
   */
  erase(recordId: string): Promise<ContentHash[]> {
    const run = this.#queue.then(() => this.#erase(normalizeContentHash(recordId)));
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async #erase(recordId: ContentHash): Promise<ContentHash[]> {
    const [record] = await this.#view("recordOf", this.ledger.recordOf(recordId));
    if (Number(record.status) !== RecordStatus.Erased) throw new RecordNotErasedError(recordId);
    const anchored = await anchoredContentHash(this.ledger, recordId);
    const released = (await this.#log.entries())
      .filter((e) => e.recordId === recordId)
      .map((e) => e.releasedEnvelopeHash);
    const hashes = [...(anchored === undefined ? [] : [anchored]), ...released];
    for (const hash of hashes) await this.#store.delete(hash);
    return hashes;
  }

  /**
   * One release, in three steps: {@link #check} what the chain says (the open, the window, the responder,
   * the record), {@link #wrap} the anchored envelope's key for the responder and store the copy, then
   * {@link #logRelease} it. A repeated request for a logged open gets the logged copy again.
   */
  async #release(raw: KeyReleaseRequest): Promise<KeyRelease> {
    const request = parseRequest(raw);
    const refuse: Refuse = (reason, detail, cause) =>
      new KeyReleaseRefusedError(reason, request, detail, cause === undefined ? {} : { cause });

    const earlier = await this.#log.findRelease(request.openTxHash, request.recordId);
    if (earlier !== undefined && earlier.responder === request.responder) {
      return this.#again(earlier, refuse);
    }
    const { context, anchoredHash } = await this.#check(request, refuse);
    const anchored = await this.#anchored(anchoredHash, refuse);
    let wrapped: WrappedCopy;
    try {
      wrapped = await this.#wrap(anchored, context);
    } finally {
      await anchored.close();
    }
    return this.#logRelease(context, wrapped);
  }

  /**
   * The chain's checks of a request, in the order `release` documents: the open transaction, the audited
   * break-glass open in it, the window that covered it, the responder, the anchored record. Returns what
   * the release needs, and the content hash of the anchored envelope.
   */
  async #check(
    request: Request,
    refuse: Refuse,
  ): Promise<{ readonly context: ReleaseContext; readonly anchoredHash: ContentHash }> {
    const { receipt, open, openedAt, now } = await this.#checkOpenTransaction(request, refuse);

    // The window that covered the open: the responder's latest window on the patient, of an incident
    // of this patient and responder, declared at or before the open and ending after it.
    const window = await this.#view(
      "breakGlassWindowOf",
      this.ledger.breakGlassWindowOf(open.patient, request.responder),
    );
    const incidentId = BigInt(window.incidentId);
    const incident = await this.#view("incidentOf", this.ledger.incidentOf(incidentId));
    const windowExpiresAt = Number(window.expiresAt);
    if (
      incidentId === 0n ||
      getAddress(incident.patient) !== open.patient ||
      getAddress(incident.responder) !== request.responder ||
      Number(incident.openedAt) > openedAt ||
      windowExpiresAt <= openedAt
    ) {
      throw refuse(
        "no-covering-window",
        incidentId === 0n
          ? `${request.responder} has no break-glass window on patient ${open.patient}`
          : `the current window of ${request.responder} on patient ${open.patient} (incident #${incidentId}, ${Number(incident.openedAt)}..${windowExpiresAt}) did not cover the open at ${openedAt}`,
      );
    }
    if (now >= windowExpiresAt) {
      throw refuse(
        "window-closed",
        `the window of incident #${incidentId} ended at ${windowExpiresAt} (chain time ${now})`,
      );
    }

    const [member, memberKey] = await this.#view(
      "memberOf",
      this.ledger.memberOf(request.responder),
    );
    if (Number(member.role) === 0 || BigInt(memberKey) === 0n) {
      throw refuse("responder-not-a-member", `${request.responder} is not a member with a key`);
    }
    if (!member.active) {
      throw refuse("responder-inactive", `${request.responder} is deactivated`);
    }
    const responderPublicKey = memberKey.toLowerCase() as Hex;

    const [record] = await this.#view("recordOf", this.ledger.recordOf(request.recordId));
    if (Number(record.status) === 0 || getAddress(record.patient) !== open.patient) {
      throw refuse("record-not-anchored", `no record ${request.recordId} of ${open.patient}`);
    }
    const category = Number(record.category) as Category;
    // The envelope's content hash comes from the anchoring event; with the patient it must give the
    // record id. The store is keyed by that content hash.
    const anchoredHash = await anchoredContentHash(this.ledger, request.recordId);
    if (anchoredHash === undefined || recordIdOf(open.patient, anchoredHash) !== request.recordId) {
      throw refuse("record-not-anchored", `no anchored envelope of record ${request.recordId}`);
    }
    return {
      anchoredHash,
      context: {
        request,
        refuse,
        patient: open.patient,
        category,
        responderPublicKey,
        incidentId,
        openBlockNumber: receipt.blockNumber,
        openedAt,
        windowExpiresAt,
        now,
      },
    };
  }

  /**
   * The open transaction: mined, succeeded, sent to the CareLedger, confirmed, and holding the audited
   * break-glass open of this record by this responder. Returns it with the block time of the open and now.
   */
  async #checkOpenTransaction(
    request: Request,
    refuse: Refuse,
  ): Promise<{
    readonly receipt: TransactionReceipt;
    readonly open: { readonly patient: string };
    readonly openedAt: number;
    readonly now: number;
  }> {
    const receipt = await this.provider.getTransactionReceipt(request.openTxHash);
    if (receipt === null) {
      throw refuse("transaction-not-found", `no mined transaction ${request.openTxHash}`);
    }
    if (receipt.status !== 1) {
      throw refuse(
        "transaction-failed",
        `transaction ${receipt.hash} failed (status ${receipt.status})`,
      );
    }
    if (receipt.to === null || getAddress(receipt.to) !== this.ledgerAddress) {
      throw refuse(
        "wrong-contract",
        `transaction ${receipt.hash} was sent to ${receipt.to ?? "no contract"}, not to the CareLedger at ${this.ledgerAddress}`,
      );
    }
    const confirmations = await receipt.confirmations();
    if (confirmations < this.#minConfirmations) {
      throw refuse(
        "not-confirmed",
        `transaction ${receipt.hash} has ${confirmations} confirmations, ${this.#minConfirmations} needed`,
      );
    }
    const open = this.#auditedOpen(receipt, request, refuse);
    const openBlock = await this.provider.getBlock(receipt.blockNumber);
    const latest = await this.provider.getBlock("latest");
    if (openBlock === null || latest === null) {
      throw refuse("transaction-not-found", `block ${receipt.blockNumber} is not available`);
    }
    return { receipt, open, openedAt: openBlock.timestamp, now: latest.timestamp };
  }

  /** Check the anchored envelope, wrap its key for the responder and store the copy. */
  async #wrap(anchored: AnchoredEnvelope, c: ReleaseContext): Promise<WrappedCopy> {
    const { request, refuse, category, responderPublicKey } = c;
    let info: EnvelopeInfo;
    try {
      info = await anchored.info();
    } catch (cause) {
      throw refuse("envelope-integrity", "the anchored envelope is malformed", cause);
    }
    if (info.patient !== c.patient || info.category !== category) {
      throw refuse(
        "envelope-integrity",
        `the envelope names patient ${info.patient} and category ${info.category}, the chain ${c.patient} and ${category}`,
      );
    }
    if (!info.readers.includes(this.publicKey)) {
      throw refuse(
        "custodian-not-a-reader",
        `the envelope was sealed without the custodian's key ${this.publicKey}`,
      );
    }
    if (info.readers.includes(responderPublicKey)) {
      throw refuse("responder-already-a-reader", `${request.responder} already holds a key`);
    }
    let released: Uint8Array;
    try {
      released = await anchored.release(responderPublicKey);
    } catch (cause) {
      throw refuse(
        "envelope-integrity",
        "the envelope does not open with the custodian's key",
        cause,
      );
    }

    const releasedEnvelopeHash = await this.#store.put(released);
    if (releasedEnvelopeHash !== contentHash(released)) {
      throw new IntegrityError(`the store addressed the released copy as ${releasedEnvelopeHash}`);
    }
    return { released, releasedEnvelopeHash };
  }

  /** Log the release of the stored copy (durably), then hand it out. */
  async #logRelease(
    c: ReleaseContext,
    { released, releasedEnvelopeHash }: WrappedCopy,
  ): Promise<KeyRelease> {
    const { request, category, responderPublicKey } = c;
    const logEntry: ReleaseLogEntry = {
      recordId: request.recordId,
      patient: c.patient,
      category,
      responder: request.responder,
      responderPublicKey,
      incidentId: c.incidentId.toString(),
      openTxHash: request.openTxHash,
      openBlockNumber: c.openBlockNumber,
      openedAt: c.openedAt,
      windowExpiresAt: c.windowExpiresAt,
      chainTime: c.now,
      releasedAt: this.#clock().toISOString(),
      releasedEnvelopeHash,
    };
    await this.#log.append(logEntry);
    return keyRelease(logEntry, released, false);
  }

  /** The copy released earlier for the same open, from the store. */
  async #again(entry: ReleaseLogEntry, refuse: Refuse): Promise<KeyRelease> {
    const copy = await this.#fromStore(
      entry.releasedEnvelopeHash,
      `the copy released for this open (${entry.releasedEnvelopeHash}); open the record again`,
      refuse,
    );
    return keyRelease(entry, copy, true);
  }

  /** The responder's break-glass `RecordOpened` of the record, from the CareLedger, in `receipt`. */
  #auditedOpen(
    receipt: TransactionReceipt,
    request: Request,
    refuse: Refuse,
  ): { readonly patient: string } {
    const opens: { accessor: string; patient: string; path: AccessPath }[] = [];
    for (const log of receipt.logs) {
      if (getAddress(log.address) !== this.ledgerAddress) continue;
      const parsed = this.ledger.interface.parseLog({ topics: [...log.topics], data: log.data });
      if (parsed?.name !== "RecordOpened") continue;
      if (String(parsed.args.getValue("recordId")).toLowerCase() !== request.recordId) continue;
      opens.push({
        accessor: getAddress(String(parsed.args.getValue("accessor"))),
        patient: getAddress(String(parsed.args.getValue("patient"))),
        path: Number(parsed.args.getValue("path")) as AccessPath,
      });
    }
    if (opens.length === 0) {
      throw refuse(
        "record-not-opened",
        `transaction ${receipt.hash} holds no RecordOpened of record ${request.recordId}`,
      );
    }
    const mine = opens.filter((o) => o.accessor === request.responder);
    if (mine.length === 0) {
      throw refuse(
        "wrong-accessor",
        `record ${request.recordId} was opened in ${receipt.hash} by ${opens.map((o) => o.accessor).join(", ")}`,
      );
    }
    const flagged = mine.find((o) => o.path === AccessPath.BreakGlass);
    if (flagged === undefined) {
      throw refuse(
        "not-break-glass",
        `the open took path ${mine.map((o) => accessPathLabel(o.path)).join(", ")}, not break-glass`,
      );
    }
    return { patient: flagged.patient };
  }

  /** The blob `hash` (`what` it is, for messages) from the store, checked to hash to it. */
  async #fromStore(hash: ContentHash, what: string, refuse: Refuse): Promise<Uint8Array> {
    let bytes: Uint8Array;
    try {
      bytes = await this.#store.get(hash);
    } catch (cause) {
      if (cause instanceof IntegrityError) {
        throw refuse("envelope-integrity", `the store holds altered bytes of ${what}`, cause);
      }
      if (cause instanceof NotFoundError) {
        throw refuse("envelope-unavailable", `the store does not hold ${what}`, cause);
      }
      throw cause;
    }
    let actual: ContentHash | undefined;
    try {
      actual = blobId(bytes);
    } catch {
      actual = undefined; // a malformed CLE2 envelope
    }
    if (actual !== hash) {
      throw refuse("envelope-integrity", `the store returned bytes of ${what} hashing otherwise`);
    }
    return bytes;
  }

  /**
   * The anchored envelope whose content hash is `hash`: a CLE2 envelope is read through the store's `openSource`
   * when it has one (constant memory: only its prefix and segment table are read, and the key
   * release is a few hundred bytes), anything else is fetched whole and hash-checked.
   */
  async #anchored(hash: ContentHash, refuse: Refuse): Promise<AnchoredEnvelope> {
    const store = this.#store as Partial<StreamingBlobStore>;
    let source: BlobSource | undefined;
    if (typeof store.openSource === "function") {
      try {
        source = await store.openSource(hash);
      } catch (cause) {
        if (cause instanceof NotFoundError) {
          throw refuse(
            "envelope-unavailable",
            "the store does not hold the anchored envelope",
            cause,
          );
        }
        throw cause;
      }
      if (!isStreamEnvelope(await source.read(0, Math.min(4, source.size)))) {
        await source.close();
        source = undefined;
      }
    }
    if (source === undefined) {
      const envelope = await this.#fromStore(hash, "the anchored envelope", refuse);
      if (!isStreamEnvelope(envelope)) {
        return {
          info: () => new Promise((resolve) => resolve(inspectEnvelope(envelope))),
          release: (key) =>
            new Promise((resolve) => resolve(addReader(envelope, this.#privateKey, key))),
          close: () => Promise.resolve(),
        };
      }
      source = { ...bytesSource(envelope), close: () => Promise.resolve() };
    }
    const s = source;
    return {
      info: () => inspectEnvelopeStream(s),
      release: (key) =>
        releaseStreamKey(s, this.#privateKey, key, { expectedContentId: hash }, jsStreamSuite),
      close: () => s.close(),
    };
  }

  #view<T>(functionName: string, promise: Promise<T>): Promise<T> {
    return withDecodedErrors(promise, { functionName, iface: this.ledger.interface });
  }
}

/**
 * Check that `released` is the anchored envelope plus exactly one wrapped key, for one of
 * `responderKeys`: same header, same body ciphertext, every anchored reader's wrapped key unchanged.
 * `anchored` must already be checked to hash to `recordId`. So the released bytes can only open to the
 * plaintext anchored on chain, never to another body. Returns the responder key that was added.
 *
 * @throws ReleasedCopyMismatchError otherwise.
 */
export function verifyReleasedCopy(
  recordId: string,
  anchored: Uint8Array,
  released: Uint8Array,
  responderKeys: readonly Hex[],
): Hex {
  const mismatch = (detail: string) => new ReleasedCopyMismatchError(recordId, detail);
  const original = parseEnvelope(anchored);
  let copy: EnvelopeParts;
  try {
    copy = parseEnvelope(released);
  } catch (cause) {
    throw mismatch(`not a well-formed envelope (${(cause as Error).message})`);
  }
  if (!equalBytes(original.headerBytes, copy.headerBytes)) throw mismatch("the header differs");
  if (!equalBytes(original.ciphertext, copy.ciphertext)) {
    throw mismatch("the body ciphertext differs");
  }
  const originalEntries = new Map(original.entries.map((e) => [toHex(e.readerPublicKey), e]));
  const added: Hex[] = [];
  for (const entry of copy.entries) {
    const reader = toHex(entry.readerPublicKey);
    const before = originalEntries.get(reader);
    if (before === undefined) {
      added.push(reader);
    } else if (
      !equalBytes(before.ephemeralPublicKey, entry.ephemeralPublicKey) ||
      !equalBytes(before.wrappedKey, entry.wrappedKey)
    ) {
      throw mismatch(`the wrapped key of reader ${reader} differs`);
    }
  }
  if (copy.entries.length - added.length !== original.entries.length) {
    throw mismatch("wrapped keys of the anchored envelope are missing");
  }
  const [responderKey] = added;
  if (added.length !== 1 || responderKey === undefined || !responderKeys.includes(responderKey)) {
    throw mismatch(
      `expected one new wrapped key, for ${responderKeys.join(" or ")}; got ${added.join(", ") || "none"}`,
    );
  }
  return responderKey;
}

/** Releases matched with the audited opens that caused them. */
export interface ReleaseReconciliation {
  /** Each release with its break-glass `RecordOpened` (same transaction, record and responder). */
  readonly matched: readonly {
    readonly release: ReleaseLogEntry;
    readonly open: AuditEntry & RecordOpenedEvent;
  }[];
  /** Releases with no such open in the trail: a custodian fault or an edited log. */
  readonly unmatched: readonly ReleaseLogEntry[];
  /** Second and later releases for the same open (the custodian allows one). */
  readonly duplicates: readonly ReleaseLogEntry[];
}

/**
 * Match a custodian's release log with the audit trail (e.g. `AuditorClient.verifyTrail().entries`):
 * every release must have its own break-glass open, by the responder, of the record, in the transaction
 * the release names.
 */
export function reconcileReleases(
  releases: readonly ReleaseLogEntry[],
  trail: readonly AuditEntry[],
): ReleaseReconciliation {
  const opens = new Map<string, AuditEntry & RecordOpenedEvent>();
  for (const entry of trail) {
    if (entry.action !== "RecordOpened" || entry.path !== AccessPath.BreakGlass) continue;
    opens.set(openKey(entry.transactionHash, entry.recordId, entry.accessor), entry);
  }
  const seen = new Set<string>();
  const matched: { release: ReleaseLogEntry; open: AuditEntry & RecordOpenedEvent }[] = [];
  const unmatched: ReleaseLogEntry[] = [];
  const duplicates: ReleaseLogEntry[] = [];
  for (const release of releases) {
    const key = openKey(release.openTxHash, release.recordId, release.responder);
    const open = opens.get(key);
    if (open === undefined) unmatched.push(release);
    else if (seen.has(key)) duplicates.push(release);
    else matched.push({ release, open });
    seen.add(key);
  }
  return { matched, unmatched, duplicates };
}

/** One audited open: transaction, record, accessor. */
function openKey(transactionHash: string, recordId: string, accessor: string): string {
  return `${transactionHash.toLowerCase()}/${recordId.toLowerCase()}/${getAddress(accessor)}`;
}

function keyRelease(entry: ReleaseLogEntry, envelope: Uint8Array, repeat: boolean): KeyRelease {
  return {
    recordId: entry.recordId,
    patient: entry.patient,
    category: entry.category as Category,
    responder: entry.responder,
    responderPublicKey: entry.responderPublicKey,
    incidentId: BigInt(entry.incidentId),
    openTxHash: entry.openTxHash,
    openBlockNumber: entry.openBlockNumber,
    openedAt: entry.openedAt,
    windowExpiresAt: entry.windowExpiresAt,
    envelope,
    repeat,
    logEntry: entry,
  };
}

function parseRequest(request: KeyReleaseRequest): Request {
  const fallback = {
    recordId: String(request.recordId),
    responder: String(request.responder),
    openTxHash: String(request.openTxHash),
  };
  try {
    if (!isHexString(request.openTxHash, 32)) throw new Error("openTxHash is not a 32-byte hash");
    return {
      recordId: normalizeContentHash(request.recordId),
      responder: getAddress(request.responder),
      openTxHash: request.openTxHash.toLowerCase() as Hex,
    };
  } catch (cause) {
    throw new KeyReleaseRefusedError("invalid-request", fallback, (cause as Error).message, {
      cause,
    });
  }
}
