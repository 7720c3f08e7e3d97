/**
 * The record half shared by the patient and clinician clients: who the readers of a record are
 * (patient, author, live grantees, with their on-chain X25519 keys), fetching an envelope and checking
 * it against the chain, decrypting with the member's key, and re-keying a record (rotation) or adding
 * a reader (sharing) as a new version anchored with `amendRecord`.
 *
 * Trust rule: the chain is the authority. An envelope is only decrypted after its keccak256 equals the
 * record id anchored on chain and its header names the patient and category the chain holds; a
 * tampered blob is an `IntegrityError`, never data.
 */
import { hmac } from "@noble/hashes/hmac.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { randomBytes } from "@noble/hashes/utils.js";
import { getAddress, ZeroHash } from "ethers";
import { IntegrityError, InvalidArgumentError } from "../../errors.js";
import { toHex, utf8, type BytesInput, type Hex } from "../../crypto/bytes.js";
import {
  addReader,
  inspectEnvelope,
  openEnvelope,
  rotate,
  sealRecord,
  type EnvelopeInfo,
} from "../../crypto/envelope.js";
import { NotAReaderError } from "../../crypto/errors.js";
import { contentHash, normalizeContentHash, type ContentHash } from "../../crypto/hash.js";
import { recordIdOf } from "../recordId.js";
import { encryptionKeyHex, type MemberKeyPair } from "../../crypto/keys.js";
import type { BlobStore } from "../../store/blob-store.js";
import {
  isAnchorJournal,
  type AnchorIntent,
  type AnchorJournal,
  type UnanchoredBlob,
} from "../../store/journal.js";
import { ContractRevertError, InvalidFieldError, recordErasedError } from "../errors.js";
import type { CallOptions, Deadline } from "../transport.js";
import { addressSchema, categorySchema, parseArgs } from "../validate.js";
import type { BlobSource, StreamingBlobStore } from "../../store/stream.js";
import { isStreamEnvelope } from "../../crypto/stream-format.js";
import {
  addReaderStream,
  collectBytes,
  inspectEnvelopeStream,
  openEnvelopeStream,
  releasedStreamSource,
  sealEnvelopeStream,
  verifiedEnvelopeChunks,
  type RandomAccessSource,
  type StreamCipherSuite,
} from "../../crypto/stream.js";
import { jsStreamSuite } from "../../crypto/stream-js.js";
import { purposesInMask, RecordStatus, type Category } from "../constants.js";
import {
  LedgerClient,
  type LedgerClientOptions,
  type OnChainRecord,
  type SentTransaction,
} from "./base.js";
import type { KeyRelease } from "./custodian.js";
import {
  MissingEncryptionKeyError,
  RecordNotAnchoredError,
  ReleasedCopyMismatchError,
} from "./errors.js";

/** A record body: bytes, or text (stored as UTF-8). */
export type RecordBody = Uint8Array | string;

/** Options of the clients that read and write records. */
export interface RecordClientOptions extends LedgerClientOptions {
  /** Where envelopes live (content-addressed: the blob address is the record id). */
  readonly store: BlobStore;
  /**
   * The member's X25519 key pair, whose public key is registered on chain. After a key rotation pass
   * the new pair first and older pairs after it: envelopes sealed before the rotation open with them.
   */
  readonly keys: MemberKeyPair | readonly MemberKeyPair[];
  /**
   * The hospital's emergency key custodian (see `custodian.ts` and the README, "Break-glass key
   * release"): its X25519 public key is wrapped into every envelope this client seals, amends, shares
   * to or rotates, so that a break-glass responder can have the key released after an audited open.
   * Without it, envelopes hold no key a responder could ever obtain.
   */
  readonly emergencyCustodian?: EmergencyCustodianKey;
  /**
   * Primitives for streamed (CLE2) records: default pure JS (browser-safe); in Node pass
   * `nodeStreamSuite` from `src/crypto/index.js` for OpenSSL speed (same bytes).
   */
  readonly streamSuite?: StreamCipherSuite;
}

/** A record body given as a stream: its chunks and their exact total length in bytes. */
export interface StreamedBody {
  readonly chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>;
  readonly length: number;
}

/**
 * A record version opened as a stream, verified against the chain as it is read: iterating `body`
 * throws an `IntegrityError` (a `SegmentError` naming the segment) before releasing any byte
 * that does not verify. Drain it (or call `body.return()`) to release the blob.
 */
export interface DecryptedRecordStream extends OnChainRecord {
  /** The plaintext, one verified segment at a time. */
  readonly body: AsyncGenerator<Uint8Array>;
  readonly bodyLength: number;
  readonly context: Uint8Array;
  readonly readerKeys: readonly Hex[];
  readonly openedWith: Hex;
}

/** The public half of the emergency key custodian's X25519 key pair, as given to writers. */
export interface EmergencyCustodianKey {
  /** 32-byte X25519 public key, as bytes or bytes32 hex. */
  readonly publicKey: BytesInput;
}

/** Why a reader holds a wrapped key of a record. */
export type ReaderRole = "patient" | "author" | "grantee" | "custodian";

/** One reader a record key is wrapped for. */
export interface RecordReader {
  /**
   * The reader's account; undefined for the emergency key custodian (not a member) and for a key no
   * member published.
   */
  readonly account: string | undefined;
  /** The X25519 public key the key is wrapped to (bytes32 hex, lower case). */
  readonly publicKey: Hex;
  readonly role: ReaderRole;
}

/** Options of sealing a new version. */
export interface SealOptions {
  /**
   * Application bytes bound to the envelope, authenticated but NOT encrypted (e.g. a media type).
   * Never put names or identifiers here.
   */
  readonly context?: Uint8Array;
}

/** Options of a write that seals a new envelope (create, amend). */
export interface WriteOptions extends SealOptions, CallOptions {
  /**
   * Names the write for retries (e.g. the app's own id of the order or observation). A retry with the
   * same key finishes the first attempt's envelope instead of sealing a new one, even after a
   * restart when the store keeps an anchor journal. Without it the write's inputs (patient,
   * category, amended version, body, context) are its key: the same body retried after an unknown
   * outcome yields one anchor, while the same body written again after a success is a new record.
   */
  readonly idempotencyKey?: string;
}

/** Options of {@link RecordClient.repairUnanchored}. */
export interface RepairOptions extends CallOptions {
  /** Leave entries younger than this alone (writes in flight). Default one hour. */
  readonly graceMs?: number;
}

/** What {@link RecordClient.repairUnanchored} did with one unanchored envelope. */
export interface RepairOutcome {
  /** The record id the envelope is (or would be) anchored under: bound to the intended patient. */
  readonly recordId: ContentHash;
  /** The envelope's content hash: its key in the store. */
  readonly contentHash: ContentHash;
  /**
   * `confirmed`: the anchor had landed (marked); `anchored`: anchored now; `deleted`: the chain refuses
   * the anchor, the blob was deleted; `skipped`: another member's, or within the grace period.
   */
  readonly action: "confirmed" | "anchored" | "deleted" | "skipped";
  readonly transaction?: SentTransaction;
  readonly reason?: string;
}

/** The outcome of {@link RecordClient.repairUnanchored}, one entry per envelope looked at. */
export interface RepairReport {
  readonly outcomes: readonly RepairOutcome[];
}

/** Default grace period of {@link RecordClient.repairUnanchored}: one hour. */
export const DEFAULT_REPAIR_GRACE_MS = 60 * 60 * 1000;

/** A record version the client anchored (create, amend, share, rotate). */
export interface AnchoredRecord {
  /** The new version's id = `keccak256(abi.encode(patient, contentHash))`. */
  readonly recordId: ContentHash;
  /** Its envelope's content hash (keccak256 for CLE1, the content id for CLE2): the blob store's key. */
  readonly contentHash: ContentHash;
  readonly patient: string;
  readonly category: Category;
  /** The version it supersedes (zero hash for a new record). */
  readonly supersedes: string;
  /** Size of the stored envelope in bytes. */
  readonly envelopeSize: number;
  /** Who holds a wrapped key of this version. */
  readonly readers: readonly RecordReader[];
  /** The `anchorRecord` / `amendRecord` transaction. */
  readonly transaction: SentTransaction;
}

/** A rotated record: the new version, plus which reader keys lost access. */
export interface RotatedRecord extends AnchoredRecord {
  /** Reader keys of the old version that the new version is not wrapped for. */
  readonly removedReaderKeys: readonly Hex[];
}

/** A decrypted record version, verified against the chain. */
export interface DecryptedRecord extends OnChainRecord {
  /** The plaintext body. */
  readonly body: Uint8Array;
  /** The body decoded as UTF-8 (throws on invalid UTF-8). */
  readonly text: () => string;
  /** The authenticated, unencrypted context bound to the envelope. */
  readonly context: Uint8Array;
  /** Reader keys of this version. */
  readonly readerKeys: readonly Hex[];
  /** The public key of the key pair that opened it. */
  readonly openedWith: Hex;
  readonly envelopeSize: number;
}

/** Progress of a bulk operation: `done` of `total` records, the last one handled. */
export type ProgressCallback = (done: number, total: number, recordId: string) => void;

/** A record a bulk operation could not handle, and why. */
export interface BulkFailure {
  readonly recordId: string;
  readonly error: Error;
}

const utf8Decoder = new TextDecoder("utf-8", { fatal: true });

/**
 * Someone holding a copy of a record's envelope or key on another's behalf, who destroys it only once
 * the chain records the erasure: the emergency key custodian (`EmergencyKeyCustodian.erase`), a blob
 * gateway.
 */
export interface ErasureFollower {
  erase(recordId: string): Promise<unknown>;
}

/** Options of {@link RecordClient.eraseRecord}. */
export interface EraseOptions extends CallOptions {
  /** Other stores holding a copy of the envelope (replicas, caches): each deletes it before the transaction. */
  readonly stores?: readonly BlobStore[];
  /** Holders that destroy their copies after the `eraseRecord` transaction (e.g. the emergency key custodian). */
  readonly followers?: readonly ErasureFollower[];
}

/** A record version erased by {@link RecordClient.eraseRecord}. */
export interface ErasedRecord {
  readonly recordId: ContentHash;
  /** The envelope's content hash, deleted from every store given. */
  readonly contentHash: ContentHash;
  readonly patient: string;
  readonly category: Category;
  /** The `eraseRecord` transaction; `undefined` when the chain already held the erasure (a retry). */
  readonly transaction: SentTransaction | undefined;
}

/** Base class of the clients that read and write encrypted records. */
export abstract class RecordClient extends LedgerClient {
  readonly store: BlobStore;
  /** The member's key pairs, current first. */
  readonly keys: readonly MemberKeyPair[];
  /** The emergency key custodian's public key (bytes32 hex) wrapped into every new version, if any. */
  readonly custodianPublicKey: Hex | undefined;
  readonly #journal: AnchorJournal;
  /** Primitives for streamed (CLE2) records. */
  readonly streamSuite: StreamCipherSuite;

  protected constructor(options: RecordClientOptions, address: string) {
    super(options, address);
    this.store = options.store;
    this.#journal = isAnchorJournal(options.store)
      ? options.store
      : new ProcessJournal(options.store);
    this.keys = Array.isArray(options.keys)
      ? [...(options.keys as readonly MemberKeyPair[])]
      : [options.keys as MemberKeyPair];
    if (this.keys.length === 0) throw new InvalidArgumentError("at least one key pair is required");
    const custodian = options.emergencyCustodian;
    this.custodianPublicKey =
      custodian === undefined ? undefined : encryptionKeyHex(custodian.publicKey);
    this.streamSuite = options.streamSuite ?? jsStreamSuite;
  }

  /** The current public key (bytes32 hex), the one to register on chain. */
  get publicKey(): Hex {
    return toHex((this.keys[0] as MemberKeyPair).publicKey);
  }

  /** The record version `recordId` on chain; throws {@link RecordNotAnchoredError} if none. */
  async record(recordId: string, options: CallOptions = {}): Promise<OnChainRecord> {
    const record = await this.findRecord(recordId, options);
    if (record === undefined) throw new RecordNotAnchoredError(normalizeContentHash(recordId));
    return record;
  }

  /**
   * Erase record version `recordId` by crypto-shredding: destroy every copy of its envelope (which holds
   * the data key wrapped for each reader) this client can reach, then record the erasure on chain
   * (`eraseRecord`: status `Erased`, an audited `RecordErased`), then have the `followers` destroy theirs.
   * Every later open is refused with {@link RecordErasedError}. Order, so that a crash leaves no readable
   * copy and a retry completes:
   * 1. `eraseRecord` is simulated: a refusal (role policy, consent, pause) throws its decoded reason and
   *    destroys nothing;
   * 2. the envelope is deleted from this client's store, its anchor-journal entry, and `options.stores`
   *    (each delete is a no-op when absent);
   * 3. the `eraseRecord` transaction is sent (skipped when the chain already says `Erased`);
   * 4. each follower (the emergency key custodian, which drops the envelope and every copy it released)
   *    destroys its copies; they act only once the chain says `Erased`.
   * A crash after 2 leaves the envelope gone and the chain unchanged; a crash after 3, only copies held
   * by followers, which release nothing for an erased record (no audited open of it can happen). Calling
   * again finishes the job. Copies outside the system (an export, a reader's cache) are out of reach.
   */
  async eraseRecord(recordId: string, options: EraseOptions = {}): Promise<ErasedRecord> {
    const d = this.deadline(options);
    const record = await this.record(recordId, { deadline: d });
    const { recordId: id, contentHash: hash } = record;
    const recorded = record.status === RecordStatus.Erased;
    if (!recorded) await this.view("eraseRecord", this.ledger.eraseRecord.staticCall(id), d);
    await this.#journal.deleteUnanchored(hash);
    for (const store of [this.store, ...(options.stores ?? [])]) await store.delete(hash);
    let transaction: SentTransaction | undefined;
    if (!recorded) {
      try {
        transaction = await this.send(
          "eraseRecord",
          () => this.ledger.eraseRecord.populateTransaction(id),
          d,
        );
      } catch (error) {
        // Another erasure of the same record landed first: the chain holds it either way.
        if (!(error instanceof ContractRevertError && error.is("RecordIsErased"))) throw error;
      }
    }
    for (const follower of options.followers ?? []) await follower.erase(id);
    return {
      recordId: id,
      contentHash: hash,
      patient: record.patient,
      category: record.category,
      transaction,
    };
  }

  /**
   * The newest version of the record `recordId` belongs to, following amendments forward through the
   * patient's `RecordAnchored` events (a reader holding an old id finds the version to open).
   */
  async latestVersionOf(recordId: string, options: CallOptions = {}): Promise<ContentHash> {
    const d = this.deadline(options);
    const record = await this.record(recordId, { deadline: d });
    const logs = await this.events(
      this.ledger.filters.RecordAnchored(undefined, record.patient),
      d,
    );
    const next = new Map<string, ContentHash>();
    for (const log of logs) {
      const supersedes = log.args.supersedes.toLowerCase();
      if (supersedes !== ZeroHash) next.set(supersedes, normalizeContentHash(log.args.recordId));
    }
    let id = record.recordId;
    for (let hops = 0; next.has(id) && hops <= logs.length; hops++)
      id = next.get(id) as ContentHash;
    return id;
  }

  /**
   * The accounts a new version of `patient`'s `category` record is sealed for: the patient, this client's
   * member (the author), and every grantee whose consent is live, covers the category and whose role may
   * read it (`hasAccess` for one of the grant's purposes). Grantees are found from the patient's
   * `ConsentGranted` / `ConsentRevoked` events and checked with `consentOf` and `hasAccess` now. When the
   * client has an `emergencyCustodian`, its key comes last (role `"custodian"`, no account).
   */
  async readersFor(
    patient: string,
    category: Category,
    options: CallOptions = {},
  ): Promise<RecordReader[]> {
    const args = parseArgs("readersFor", {
      patient: [addressSchema, patient],
      category: [categorySchema, category],
    });
    const o = { deadline: this.deadline(options) };
    const patientAddress = args.patient;
    const readers = new Map<Hex, RecordReader>();
    const add = (reader: RecordReader): void => {
      if (!readers.has(reader.publicKey)) readers.set(reader.publicKey, reader);
    };
    add({
      account: patientAddress,
      publicKey: await this.encryptionKeyOf(patientAddress, o),
      role: "patient",
    });
    if (this.address !== patientAddress) {
      add({ account: this.address, publicKey: this.publicKey, role: "author" });
    }
    for (const grantee of await this.liveGrantees(patientAddress, args.category, o)) {
      add({ account: grantee, publicKey: await this.encryptionKeyOf(grantee, o), role: "grantee" });
    }
    if (this.custodianPublicKey !== undefined) {
      add({ account: undefined, publicKey: this.custodianPublicKey, role: "custodian" });
    }
    return [...readers.values()];
  }

  /**
   * Grantees of `patient` who may read `category` now: a live grant covering the category and a role
   * that may read it, for at least one purpose of the grant. Not audited (views).
   */
  async liveGrantees(
    patient: string,
    category: Category,
    options: CallOptions = {},
  ): Promise<string[]> {
    const args = parseArgs("liveGrantees", {
      patient: [addressSchema, patient],
      category: [categorySchema, category],
    });
    const d = this.deadline(options);
    const o = { deadline: d };
    const patientAddress = args.patient;
    category = args.category;
    const [granted, revoked] = await Promise.all([
      this.events(this.ledger.filters.ConsentGranted(patientAddress), d),
      this.events(this.ledger.filters.ConsentRevoked(patientAddress), d),
    ]);
    // The last consent event per grantee decides whether it is worth asking the chain.
    const last = new Map<string, number>();
    for (const log of granted)
      last.set(getAddress(log.args.grantee), log.blockNumber * 1e6 + log.index);
    for (const log of revoked) {
      const grantee = getAddress(log.args.grantee);
      const position = log.blockNumber * 1e6 + log.index;
      if ((last.get(grantee) ?? -1) < position) last.delete(grantee);
    }
    const now = await this.chainTime(o);
    const bit = 1 << category;
    const out: string[] = [];
    for (const grantee of last.keys()) {
      const grant = await this.consent(patientAddress, grantee, o);
      if (grant.expiresAt <= now || (grant.categories & bit) === 0) continue;
      for (const purpose of purposesInMask(grant.purposes)) {
        if (await this.hasAccess(patientAddress, grantee, category, purpose, o)) {
          out.push(grantee);
          break;
        }
      }
    }
    return out;
  }

  /** The X25519 public key `account` registered on chain; {@link MissingEncryptionKeyError} if none. */
  async encryptionKeyOf(account: string, options: CallOptions = {}): Promise<Hex> {
    const { encryptionKey } = await this.member(account, options);
    if (BigInt(encryptionKey) === 0n) throw new MissingEncryptionKeyError(getAddress(account));
    return encryptionKey as Hex;
  }

  /**
   * Fetch the envelope of `record` from the store and check that it hashes to the record's content hash,
   * and that this hash and the record's patient give the record id.
   *
   * @throws NotFoundError when the store does not hold it; IntegrityError when its bytes differ.
   */
  protected async fetchEnvelope(record: OnChainRecord): Promise<Uint8Array> {
    checkRecordBinding(record);
    const envelope = await this.store.get(record.contentHash);
    const actual = contentHash(envelope);
    if (actual !== record.contentHash) {
      throw new IntegrityError(
        `the store returned a blob hashing to ${actual} for record ${record.recordId}; refusing it`,
      );
    }
    return envelope;
  }

  /**
   * Decrypt `envelope`, fetched and hash-checked for `record` by {@link fetchEnvelope}, with whichever
   * of the member's keys is a reader, checking patient and category against the chain first.
   *
   * @throws NotAReaderError (a WrongKeyError) when none of the member's keys holds a wrapped key.
   * @throws IntegrityError when any byte of the envelope does not verify.
   */
  protected decryptEnvelope(record: OnChainRecord, envelope: Uint8Array): DecryptedRecord {
    const key = this.readerKey(inspectEnvelope(envelope));
    const opened = openEnvelope(envelope, key.privateKey, bindingOf(record));
    const body = opened.body;
    return {
      ...record,
      body,
      text: () => utf8Decoder.decode(body),
      context: opened.context,
      readerKeys: opened.readers,
      openedWith: toHex(key.publicKey),
      envelopeSize: envelope.length,
    };
  }

  /** Fetch, verify and decrypt `record` (no transaction: the caller has audited the access or is the patient). */
  protected async decryptRecord(record: OnChainRecord): Promise<DecryptedRecord> {
    if (record.status === RecordStatus.Erased)
      throw recordErasedError(record.recordId, "openRecord");
    const streamed = await this.streamedSource(record);
    if (streamed === undefined)
      return this.decryptEnvelope(record, await this.fetchEnvelope(record));
    // A CLE2 record read whole: the verified stream, collected (for small ones; large ones stream).
    const envelopeSize = streamed.size;
    await streamed.close();
    const { body: chunks, bodyLength: _length, ...rest } = await this.decryptRecordStream(record);
    const body = await collectBytes(chunks);
    return { ...rest, body, text: () => utf8Decoder.decode(body), envelopeSize };
  }

  /**
   * Seal `body` for the readers of `patient`'s `category`, store it and anchor it: as a new record, or
   * as an amendment of `supersedes`. The transaction is simulated (`staticCall`) before the blob is
   * stored, so a refused write leaves nothing behind and throws the decoded reason.
   *
   * Safe to retry: the write's intent key (the caller's `idempotencyKey`, or a MAC of its inputs under
   * this member's key) finds an envelope an earlier attempt stored but did not see anchored; that same
   * envelope is then anchored (or, when it landed, its anchor returned), never a second one.
   */
  protected async sealAndAnchor(
    patient: string,
    category: Category,
    body: RecordBody,
    supersedes: ContentHash | undefined,
    options: WriteOptions,
  ): Promise<AnchoredRecord> {
    const d = this.deadline(options);
    const bytes = typeof body === "string" ? utf8(body) : body;
    const intentKey = this.intentKey(
      options.idempotencyKey !== undefined
        ? ["key", options.idempotencyKey]
        : [
            "write",
            patient,
            String(category),
            supersedes ?? "",
            contentHash(bytes),
            toHex(options.context ?? new Uint8Array(0)),
          ],
    );
    const earlier = await this.findIntent(intentKey);
    if (earlier !== undefined) return this.resumeAnchor(earlier, d);
    const readers = await this.readersFor(patient, category, { deadline: d });
    const envelope = sealRecord({
      body: bytes,
      readers,
      aad: {
        patient,
        category,
        ...(options.context === undefined ? {} : { context: options.context }),
      },
    });
    return this.storeAndAnchor(envelope, patient, category, readers, supersedes, intentKey, d);
  }

  /** The store's anchor journal, or an in-process one when the store keeps none. */
  get journal(): AnchorJournal {
    return this.#journal;
  }

  /**
   * The intent key of a write: HMAC-SHA256 under a key derived from this member's current private key,
   * so the journal (readable by the store's owner) reveals nothing about the inputs.
   */
  protected intentKey(parts: readonly string[]): string {
    const key = hmac(sha256, (this.keys[0] as MemberKeyPair).privateKey, utf8("careledger/intent"));
    return toHex(hmac(sha256, key, utf8(JSON.stringify(parts))));
  }

  /** The journal entry of this member with `intentKey`, if an earlier attempt left one. */
  protected async findIntent(intentKey: string): Promise<UnanchoredBlob | undefined> {
    return (await this.#journal.listUnanchored()).find(
      (e) => e.intent.intentKey === intentKey && e.intent.author === this.address,
    );
  }

  /**
   * Finish a write an earlier attempt began: if its envelope is anchored (the reply was lost), clear
   * the journal entry and return the landed anchor; otherwise anchor the stored envelope.
   */
  protected async resumeAnchor(entry: UnanchoredBlob, deadline: Deadline): Promise<AnchoredRecord> {
    const hash = entry.contentHash;
    const envelope = await this.storedEnvelopeInfo(hash);
    const owners = await this.keyOwners({ deadline });
    const { patient, category, supersedes } = entry.intent;
    const readers = this.readersOfKeys(envelope.readers, owners, patient, this.address);
    const recordId = recordIdOf(patient, hash);
    const landed = await this.landedAnchor(recordId, deadline);
    const anchored = (transaction: SentTransaction): AnchoredRecord => ({
      recordId,
      contentHash: hash,
      patient,
      category: category as Category,
      supersedes: supersedes ?? ZeroHash,
      envelopeSize: envelope.size,
      readers,
      transaction,
    });
    if (landed !== undefined) {
      await this.#journal.markAnchored(hash);
      return anchored(landed);
    }
    return anchored(await this.anchorStored(hash, entry.intent, deadline));
  }

  /**
   * The reader keys and size of the stored envelope with content hash `hash`: a CLE2 envelope is inspected from its
   * prefix (never read whole), a CLE1 envelope is fetched and inspected.
   */
  private async storedEnvelopeInfo(
    hash: ContentHash,
  ): Promise<{ readonly readers: readonly Hex[]; readonly size: number }> {
    const store = this.store as Partial<StreamingBlobStore>;
    if (typeof store.openSource === "function") {
      const source = await store.openSource(hash);
      try {
        if (isStreamEnvelope(await source.read(0, Math.min(4, source.size)))) {
          return { readers: (await inspectEnvelopeStream(source)).readers, size: source.size };
        }
      } finally {
        await source.close();
      }
    }
    const envelope = await this.store.get(hash);
    return { readers: inspectEnvelope(envelope).readers, size: envelope.length };
  }

  /**
   * The anchor transaction of record version `recordId` (bound to the patient) when this member anchored it (found by its `RecordAnchored`
   * event), undefined when it is not anchored. Anchored by someone else: `StateConflictError`-like
   * refusal is the caller's to make, so undefined is never returned for it.
   */
  protected async landedAnchor(
    recordId: ContentHash,
    deadline: Deadline,
  ): Promise<SentTransaction | undefined> {
    const onChain = await this.findRecord(recordId, { deadline });
    if (onChain === undefined) return undefined;
    const logs = await this.events(
      this.ledger.filters.RecordAnchored(recordId, undefined, this.address),
      deadline,
    );
    const log = logs[0];
    if (log === undefined) {
      throw new IntegrityError(
        `record ${recordId} is anchored on chain, but not by ${this.address}: refusing to claim it`,
      );
    }
    return this.landedTransaction(
      onChain.supersedes === ZeroHash ? "anchorRecord" : "amendRecord",
      log.transactionHash,
      deadline,
    );
  }

  /**
   * Settle every envelope of this member that the store holds but the chain does not show anchored
   * ({@link AnchorJournal.listUnanchored}), leaving alone entries younger than `graceMs` (a write in
   * flight elsewhere). Each is, in this order: found anchored (the reply was lost) and marked so;
   * anchored now, when the chain still accepts the write (simulated first); or deleted, when the chain
   * refuses it (consent revoked, the version it amends moved on, …): nothing on chain refers to it.
   * Entries of other members are reported as skipped. Node faults stop the repair (run it again).
   */
  async repairUnanchored(options: RepairOptions = {}): Promise<RepairReport> {
    const graceMs = options.graceMs ?? DEFAULT_REPAIR_GRACE_MS;
    if (!Number.isFinite(graceMs) || graceMs < 0) {
      throw new InvalidFieldError("repairUnanchored", "options.graceMs", "must be >= 0");
    }
    const d = this.deadline(options);
    const report: RepairOutcome[] = [];
    for (const entry of await this.#journal.listUnanchored()) {
      const { contentHash: hash, intent } = entry;
      const ids = { recordId: recordIdOf(intent.patient, hash), contentHash: hash };
      if (intent.author !== this.address) {
        report.push({ ...ids, action: "skipped", reason: `written by ${intent.author}` });
        continue;
      }
      if (Date.now() - entry.storedAt < graceMs) {
        report.push({ ...ids, action: "skipped", reason: "younger than the grace period" });
        continue;
      }
      const landed = await this.landedAnchor(ids.recordId, d);
      if (landed !== undefined) {
        await this.#journal.markAnchored(hash);
        report.push({ ...ids, action: "confirmed", transaction: landed });
        continue;
      }
      try {
        await this.simulateAnchor(hash, intent, d);
      } catch (error) {
        if (!(error instanceof ContractRevertError)) throw error;
        await this.#journal.deleteUnanchored(hash);
        report.push({ ...ids, action: "deleted", reason: error.message });
        continue;
      }
      const transaction = await this.anchorStored(hash, intent, d);
      report.push({ ...ids, action: "anchored", transaction });
    }
    return { outcomes: report };
  }

  /**
   * Re-key `record`: decrypt it and re-encrypt the body under a new data key for the readers it should
   * have now ({@link readersFor}: the patient, this member and the live grantees), then anchor the result
   * as a new version. A reader whose consent was revoked gets no wrapped key, and its cached old data
   * key does not open the new envelope (new header, new key).
   */
  protected async rotateVerified(record: OnChainRecord): Promise<RotatedRecord> {
    const streamed = await this.streamedSource(record);
    if (streamed !== undefined) return this.rotateStreamed(record, streamed);
    const envelope = await this.fetchEnvelope(record);
    const info = inspectEnvelope(envelope);
    const key = this.readerKey(info);
    // Open once with every check before re-encrypting: never re-publish a damaged envelope.
    openEnvelope(envelope, key.privateKey, bindingOf(record)).body.fill(0);
    const readers = await this.readersFor(record.patient, record.category);
    const rotated = rotate(envelope, key.privateKey, readers);
    const anchored = await this.storeAndAnchor(
      rotated,
      record.patient,
      record.category,
      readers,
      record.recordId,
      this.intentKey(["rotate", record.recordId]),
      this.deadline(),
    );
    const kept = new Set(readers.map((r) => r.publicKey));
    return { ...anchored, removedReaderKeys: info.readers.filter((k) => !kept.has(k)) };
  }

  /**
   * Share `record` with one more reader without re-encrypting the body: wrap its data key for
   * `account`'s on-chain key and anchor the new envelope as an amendment (see `src/crypto/README.md`).
   */
  protected async addReaderVerified(
    record: OnChainRecord,
    account: string,
  ): Promise<AnchoredRecord> {
    const streamed = await this.streamedSource(record);
    if (streamed !== undefined) return this.addReaderStreamed(record, account, streamed);
    const envelope = await this.fetchEnvelope(record);
    const info = inspectEnvelope(envelope);
    const key = this.readerKey(info);
    const publicKey = await this.encryptionKeyOf(account);
    const shared = addReader(envelope, key.privateKey, publicKey);
    const readers = await this.sharedReaders(record, info.readers, account, publicKey);
    return this.storeAndAnchor(
      shared,
      record.patient,
      record.category,
      readers,
      record.recordId,
      this.intentKey(["share", record.recordId, publicKey]),
      this.deadline(),
    );
  }

  /** The readers of a shared version: the old version's, each with its owner, plus `account`. */
  private async sharedReaders(
    record: OnChainRecord,
    oldReaders: readonly Hex[],
    account: string,
    publicKey: Hex,
  ): Promise<RecordReader[]> {
    const owners = await this.keyOwners();
    return [
      ...this.readersOfKeys(oldReaders, owners, record.patient, record.author),
      { account: getAddress(account), publicKey, role: "grantee" },
    ];
  }

  /** Reader keys of `record`'s envelope (CLE1 fetched and hash-checked; CLE2 id-checked). */
  protected async envelopeReaders(record: OnChainRecord): Promise<readonly Hex[]> {
    const source = await this.streamedSource(record);
    if (source === undefined) return inspectEnvelope(await this.fetchEnvelope(record)).readers;
    try {
      const chunks = verifiedEnvelopeChunks(source, record.contentHash, this.streamSuite);
      await chunks.next(); // the content id is checked before the first chunk
      await chunks.return(undefined);
      return (await inspectEnvelopeStream(source)).readers;
    } finally {
      await source.close();
    }
  }

  /** Size in bytes of `record`'s stored envelope. */
  protected async envelopeSizeOf(record: OnChainRecord): Promise<number> {
    const source = await this.streamingStore().openSource(record.contentHash);
    await source.close();
    return source.size;
  }

  /** The store's source of `record` when it is a CLE2 envelope in a streaming store. */
  private async streamedSource(record: OnChainRecord): Promise<BlobSource | undefined> {
    const store = this.store as Partial<StreamingBlobStore>;
    if (typeof store.openSource !== "function") return undefined;
    checkRecordBinding(record);
    const source = await store.openSource(record.contentHash);
    if (isStreamEnvelope(await source.read(0, Math.min(4, source.size)))) return source;
    await source.close();
    return undefined;
  }

  /**
   * {@link rotateVerified} for a CLE2 record, in constant memory: the old body is decrypted and
   * verified segment by segment straight into a new envelope (new data key) for the readers of
   * now; a segment that fails stops the put, so nothing damaged is re-published.
   */
  private async rotateStreamed(record: OnChainRecord, source: BlobSource): Promise<RotatedRecord> {
    try {
      const info = await inspectEnvelopeStream(source);
      const key = this.readerKey(info);
      const opened = await openEnvelopeStream(
        source,
        key.privateKey,
        { ...bindingOf(record), expectedContentId: record.contentHash },
        this.streamSuite,
      );
      const anchored = await this.sealAndAnchorStream(
        record.patient,
        record.category,
        { chunks: opened.body, length: opened.bodyLength },
        record.recordId,
        { context: opened.context },
        this.intentKey(["rotate", record.recordId]),
      );
      const kept = new Set(anchored.readers.map((r) => r.publicKey));
      return { ...anchored, removedReaderKeys: info.readers.filter((k) => !kept.has(k)) };
    } finally {
      await source.close();
    }
  }

  /** {@link addReaderVerified} for a CLE2 record: new prefix and commitment, segments copied. */
  private async addReaderStreamed(
    record: OnChainRecord,
    account: string,
    source: BlobSource,
  ): Promise<AnchoredRecord> {
    try {
      const d = this.deadline();
      const publicKey = await this.encryptionKeyOf(account, { deadline: d });
      const intent = this.anchorIntent(
        record.patient,
        record.category,
        record.recordId,
        this.intentKey(["share", record.recordId, publicKey]),
      );
      const earlier = await this.findIntent(intent.intentKey);
      if (earlier !== undefined) return await this.resumeAnchor(earlier, d);
      const info = await inspectEnvelopeStream(source);
      const key = this.readerKey(info);
      const shared = await addReaderStream(
        source,
        key.privateKey,
        publicKey,
        { expectedContentId: record.contentHash },
        this.streamSuite,
      );
      const readers = await this.sharedReaders(record, info.readers, account, publicKey);
      return await this.streamAndAnchor(shared, intent, readers, d);
    } finally {
      await source.close();
    }
  }

  /**
   * Which account published each X25519 key (`MemberOnboarded` and `EncryptionKeyRotated` events),
   * including keys since replaced.
   */
  async keyOwners(options: CallOptions = {}): Promise<Map<Hex, string>> {
    const d = this.deadline(options);
    const [onboarded, rotated] = await Promise.all([
      this.events(this.ledger.filters.MemberOnboarded(), d),
      this.events(this.ledger.filters.EncryptionKeyRotated(), d),
    ]);
    const owners = new Map<Hex, string>();
    for (const log of onboarded) {
      owners.set(log.args.encryptionKey.toLowerCase() as Hex, getAddress(log.args.account));
    }
    for (const log of rotated) {
      owners.set(log.args.encryptionKey.toLowerCase() as Hex, getAddress(log.args.account));
    }
    return owners;
  }

  /** Simulate the anchor, store the envelope with its intent, send the anchor transaction. */
  private async storeAndAnchor(
    envelope: Uint8Array,
    patient: string,
    category: Category,
    readers: readonly RecordReader[],
    supersedes: ContentHash | undefined,
    intentKey: string,
    deadline: Deadline,
  ): Promise<AnchoredRecord> {
    const earlier = await this.findIntent(intentKey);
    if (earlier !== undefined) return this.resumeAnchor(earlier, deadline);
    const hash = contentHash(envelope);
    const intent = this.anchorIntent(patient, category, supersedes, intentKey);
    await this.simulateAnchor(hash, intent, deadline);
    const stored = await this.#journal.putUnanchored(envelope, intent);
    return this.finishAnchor(intent, readers, stored, hash, envelope.length, deadline);
  }

  /** The journal's record of a write by this member that is about to be anchored. */
  private anchorIntent(
    patient: string,
    category: Category,
    supersedes: ContentHash | undefined,
    intentKey: string,
  ): AnchorIntent {
    return { patient: getAddress(patient), category, supersedes, author: this.address, intentKey };
  }

  /**
   * Check the store's address of the stored envelope (its content hash), then send its anchor (or
   * amendment) with that hash. The new version's record id is bound to the patient.
   */
  private async finishAnchor(
    intent: AnchorIntent,
    readers: readonly RecordReader[],
    stored: ContentHash,
    hash: ContentHash,
    envelopeSize: number,
    deadline: Deadline,
  ): Promise<AnchoredRecord> {
    if (stored !== hash) {
      throw new IntegrityError(`the store addressed the envelope as ${stored}, expected ${hash}`);
    }
    const transaction = await this.anchorStored(hash, intent, deadline);
    const { patient, category, supersedes } = intent;
    const recordId = recordIdOf(patient, hash);
    return {
      recordId,
      contentHash: hash,
      patient: getAddress(patient),
      category: category as Category,
      supersedes: supersedes ?? ZeroHash,
      envelopeSize,
      readers,
      transaction,
    };
  }

  /** `staticCall` of the anchor of the envelope with content hash `hash` (a refusal throws decoded). */
  private async simulateAnchor(
    hash: ContentHash,
    intent: AnchorIntent,
    deadline: Deadline,
  ): Promise<void> {
    await this.view(
      intent.supersedes === undefined ? "anchorRecord" : "amendRecord",
      intent.supersedes === undefined
        ? this.ledger.anchorRecord.staticCall(intent.patient, intent.category, hash)
        : this.ledger.amendRecord.staticCall(intent.supersedes, hash),
      deadline,
    );
  }

  /**
   * Seal a streamed body into a CLE2 envelope for the readers of `patient`'s `category`, stream it
   * into the store and anchor its content id, in constant memory. The anchor is simulated once the
   * id is known and before the blob becomes visible in the store: a refusal stores nothing. The
   * envelope enters the anchor journal before it becomes visible (like {@link sealAndAnchor}'s), so an
   * anchor that never lands leaves it to `listUnanchored` and {@link repairUnanchored}.
   *
   * A stream cannot be read twice to fingerprint it: only the caller's `idempotencyKey` makes a
   * streamed write resume an earlier attempt; without one each call is a new write.
   */
  protected async sealAndAnchorStream(
    patient: string,
    category: Category,
    body: StreamedBody,
    supersedes: ContentHash | undefined,
    options: WriteOptions,
    intentKey = this.intentKey(
      options.idempotencyKey !== undefined
        ? ["key", options.idempotencyKey]
        : ["stream", toHex(randomBytes(16))],
    ),
  ): Promise<AnchoredRecord> {
    const d = this.deadline(options);
    this.streamingStore(); // a store that cannot take streams fails before anything is sent
    const earlier = await this.findIntent(intentKey);
    if (earlier !== undefined) return this.resumeAnchor(earlier, d);
    const readers = await this.readersFor(patient, category, { deadline: d });
    const intent = this.anchorIntent(patient, category, supersedes, intentKey);
    const sealed = sealEnvelopeStream(
      {
        body: body.chunks,
        bodyLength: body.length,
        readers,
        aad: {
          patient,
          category,
          ...(options.context === undefined ? {} : { context: options.context }),
        },
      },
      this.streamSuite,
    );
    return this.streamAndAnchor(sealed, intent, readers, d);
  }

  /**
   * Stream an envelope into the store with its anchor intent (the anchor simulated once its id is
   * known, before it becomes visible), then anchor it as {@link storeAndAnchor} does.
   */
  private async streamAndAnchor(
    envelope: AsyncIterable<Uint8Array> & {
      readonly contentId: ContentHash;
      readonly envelopeLength: number;
    },
    intent: AnchorIntent,
    readers: readonly RecordReader[],
    d: Deadline,
  ): Promise<AnchoredRecord> {
    const store = this.streamingStore();
    // A store that keeps a journal records the intent itself, durably, before the rename.
    const journaled = isAnchorJournal(store);
    const stored = await store.putStream(envelope, {
      beforeCommit: (id) => this.simulateAnchor(id, intent, d),
      ...(journaled ? { intent } : {}),
    });
    if (!journaled && this.#journal instanceof ProcessJournal) {
      this.#journal.note(stored, intent);
    }
    return this.finishAnchor(
      intent,
      readers,
      stored,
      envelope.contentId,
      envelope.envelopeLength,
      d,
    );
  }

  /**
   * Send the anchor of the stored envelope with content hash `hash` and mark it anchored in the
   * journal. If the chain already holds it under the patient's record id (an earlier attempt landed
   * unseen), that anchor is returned instead.
   */
  private async anchorStored(
    hash: ContentHash,
    intent: AnchorIntent,
    deadline: Deadline,
  ): Promise<SentTransaction> {
    let transaction: SentTransaction;
    try {
      transaction = await this.send(
        intent.supersedes === undefined ? "anchorRecord" : "amendRecord",
        () =>
          intent.supersedes === undefined
            ? this.ledger.anchorRecord.populateTransaction(intent.patient, intent.category, hash)
            : this.ledger.amendRecord.populateTransaction(intent.supersedes, hash),
        deadline,
      );
    } catch (error) {
      if (error instanceof ContractRevertError && error.is("RecordAlreadyAnchored")) {
        const landed = await this.landedAnchor(recordIdOf(intent.patient, hash), deadline);
        if (landed !== undefined) {
          await this.#journal.markAnchored(hash);
          return landed;
        }
      }
      throw error;
    }
    await this.#journal.markAnchored(hash);
    return transaction;
  }

  /** Who holds each of `keys` (an envelope's readers), by the keys' owners on chain. */
  protected readersOfKeys(
    keys: readonly Hex[],
    owners: ReadonlyMap<Hex, string>,
    patient: string,
    author: string,
  ): RecordReader[] {
    return keys.map((k): RecordReader => {
      const owner = owners.get(k);
      const role =
        k === this.custodianPublicKey
          ? "custodian"
          : owner === patient
            ? "patient"
            : owner === author
              ? "author"
              : "grantee";
      return { account: owner, publicKey: k, role };
    });
  }

  /**
   * Open `record` as a stream (no transaction: the caller audited the access or is the patient).
   * A CLE2 envelope is verified against the anchored content id segment by segment as it is read; a CLE1
   * one is fetched, hash-checked and decrypted whole, then given as one chunk.
   */
  protected async decryptRecordStream(record: OnChainRecord): Promise<DecryptedRecordStream> {
    if (record.status === RecordStatus.Erased) {
      throw recordErasedError(record.recordId, "openRecordStream");
    }
    const store = this.streamingStore();
    checkRecordBinding(record);
    const source = await store.openSource(record.contentHash);
    let handedOver = false;
    try {
      if (!isStreamEnvelope(await source.read(0, Math.min(4, source.size)))) {
        const opened = this.decryptEnvelope(record, await this.fetchEnvelope(record));
        const { body, text: _text, envelopeSize: _size, ...rest } = opened;
        return { ...rest, bodyLength: body.length, body: single(body) };
      }
      const key = this.readerKey(await inspectEnvelopeStream(source));
      const opened = await this.openedStream(record, source, source, key, record.contentHash);
      handedOver = true;
      return opened;
    } finally {
      if (!handedOver) await source.close();
    }
  }

  /**
   * For a CLE2 `record`: a verified stream, decrypted with the member's own key when it holds one,
   * else with the key `askRelease` obtains (a `CLR2` key release, checked against the anchored
   * envelope by `releasedStreamSource`). `undefined` for a CLE1 record (the caller handles it).
   *
   * @throws ReleasedCopyMismatchError when the release is not the anchored envelope plus one key.
   */
  protected async openReleasedRecordStream(
    record: OnChainRecord,
    myKeys: readonly Hex[],
    askRelease: () => Promise<KeyRelease>,
  ): Promise<(DecryptedRecordStream & { readonly release: KeyRelease | undefined }) | undefined> {
    const source = await this.streamedSource(record);
    if (source === undefined) return undefined;
    let handedOver = false;
    try {
      const info = await inspectEnvelopeStream(source);
      if (info.readers.some((k) => myKeys.includes(k))) {
        return { ...(await this.decryptRecordStream(record)), release: undefined };
      }
      const release = await askRelease();
      let shared: Awaited<ReturnType<typeof releasedStreamSource>>;
      try {
        shared = await releasedStreamSource(
          source,
          release.envelope,
          record.contentHash,
          myKeys,
          this.streamSuite,
        );
      } catch (cause) {
        if (cause instanceof IntegrityError) {
          throw new ReleasedCopyMismatchError(record.recordId, cause.message);
        }
        throw cause;
      }
      const key = this.keys.find((k) => toHex(k.publicKey) === shared.readerKey) as MemberKeyPair;
      // The anchored id was checked by releasedStreamSource; the spliced copy has its own.
      const opened = await this.openedStream(record, shared.source, source, key, undefined);
      handedOver = true;
      return { ...opened, readerKeys: info.readers, release };
    } finally {
      if (!handedOver) await source.close();
    }
  }

  /** Open `source` with `key` as a record stream that closes `blob` once drained. */
  private async openedStream(
    record: OnChainRecord,
    source: RandomAccessSource,
    blob: BlobSource,
    key: MemberKeyPair,
    expectedContentId: ContentHash | undefined,
  ): Promise<DecryptedRecordStream> {
    const opened = await openEnvelopeStream(
      source,
      key.privateKey,
      {
        ...bindingOf(record),
        ...(expectedContentId === undefined ? {} : { expectedContentId }),
      },
      this.streamSuite,
    );
    return {
      ...record,
      bodyLength: opened.bodyLength,
      context: opened.context,
      readerKeys: opened.readers,
      openedWith: toHex(key.publicKey),
      body: closing(opened.body, () => blob.close()),
    };
  }

  /** The store, which must take and return streams for streamed records. */
  private streamingStore(): StreamingBlobStore {
    const store = this.store as Partial<StreamingBlobStore>;
    if (typeof store.putStream !== "function" || typeof store.openSource !== "function") {
      throw new InvalidArgumentError(
        "streamed records need a StreamingBlobStore (putStream, getStream, openSource)",
      );
    }
    return this.store as StreamingBlobStore;
  }

  /** The member key pair that is a reader of the envelope. */
  protected readerKey(info: EnvelopeInfo): MemberKeyPair {
    const readers = new Set(info.readers);
    const key = this.keys.find((k) => readers.has(toHex(k.publicKey)));
    if (key === undefined) throw new NotAReaderError(this.publicKey);
    return key;
  }
}

/**
 * What an envelope of `record` must be bound to. The hash is checked once, by `fetchEnvelope`, on the
 * bytes that are then opened (hashing a 10 MB envelope twice costs ~0.1 s).
 */
function bindingOf(record: OnChainRecord): { expectedPatient: string; expectedCategory: number } {
  return { expectedPatient: record.patient, expectedCategory: record.category };
}

/**
 * Check that `record`'s content hash (read from its anchoring event) and patient give its record id,
 * before the store is asked for the blob under that hash.
 *
 * @throws IntegrityError otherwise.
 */
function checkRecordBinding(record: OnChainRecord): void {
  if (recordIdOf(record.patient, record.contentHash) !== record.recordId) {
    throw new IntegrityError(
      `record ${record.recordId} is not patient ${record.patient}'s version of envelope ${record.contentHash}`,
    );
  }
}

/** Whether `record` is the current version (not superseded, not entered in error). */
export function isCurrent(record: OnChainRecord): boolean {
  return record.status === RecordStatus.Current;
}

/**
 * The anchor journal of a store that keeps none: in this process only (lost on restart; the write's
 * envelope stays in the store either way).
 */
class ProcessJournal implements AnchorJournal {
  readonly #store: BlobStore;
  /** By content hash (the store's key). */
  readonly #entries = new Map<ContentHash, UnanchoredBlob>();

  constructor(store: BlobStore) {
    this.#store = store;
  }

  async putUnanchored(bytes: Uint8Array, intent: AnchorIntent): Promise<ContentHash> {
    const stored = await this.#store.put(bytes);
    this.note(stored, intent);
    return stored;
  }

  /** Track the blob `hash`, already stored (a streamed put), as waiting for its anchor. */
  note(hash: ContentHash, intent: AnchorIntent): void {
    this.#entries.set(hash, { contentHash: hash, intent, storedAt: Date.now() });
  }

  markAnchored(hash: string): Promise<void> {
    return this.deleteUnanchored(hash);
  }

  listUnanchored(): Promise<UnanchoredBlob[]> {
    return Promise.resolve([...this.#entries.values()]);
  }

  deleteUnanchored(hash: string): Promise<void> {
    // The executor runs at once and a throw in it rejects, as in an async body.
    return new Promise((resolve) => {
      this.#entries.delete(normalizeContentHash(hash));
      resolve();
    });
  }
}

/** `bytes` as a one-chunk stream. */
// eslint-disable-next-line @typescript-eslint/require-await -- the AsyncGenerator type is the contract; nothing to await
export async function* single(bytes: Uint8Array): AsyncGenerator<Uint8Array> {
  yield bytes;
}

async function* closing(
  chunks: AsyncIterable<Uint8Array>,
  close: () => Promise<void>,
): AsyncGenerator<Uint8Array> {
  try {
    yield* chunks;
  } finally {
    await close();
  }
}
