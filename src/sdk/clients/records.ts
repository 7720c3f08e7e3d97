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
import { encryptionKeyHex, type MemberKeyPair } from "../../crypto/keys.js";
import type { BlobStore } from "../../store/blob-store.js";
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

/** A record version the client anchored (create, amend, share, rotate). */
export interface AnchoredRecord {
  /** The new version's id = keccak256 of its envelope. */
  readonly recordId: ContentHash;
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

/** Base class of the clients that read and write encrypted records. */
export abstract class RecordClient extends LedgerClient {
  readonly store: BlobStore;
  /** The member's key pairs, current first. */
  readonly keys: readonly MemberKeyPair[];
  /** The emergency key custodian's public key (bytes32 hex) wrapped into every new version, if any. */
  readonly custodianPublicKey: Hex | undefined;
  /** Primitives for streamed (CLE2) records. */
  readonly streamSuite: StreamCipherSuite;

  protected constructor(options: RecordClientOptions, address: string) {
    super(options, address);
    this.store = options.store;
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
  async record(recordId: string): Promise<OnChainRecord> {
    const record = await this.findRecord(recordId);
    if (record === undefined) throw new RecordNotAnchoredError(normalizeContentHash(recordId));
    return record;
  }

  /**
   * The newest version of the record `recordId` belongs to, following amendments forward through the
   * patient's `RecordAnchored` events (a reader holding an old id finds the version to open).
   */
  async latestVersionOf(recordId: string): Promise<ContentHash> {
    const record = await this.record(recordId);
    const logs = await this.events(this.ledger.filters.RecordAnchored(undefined, record.patient));
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
  async readersFor(patient: string, category: Category): Promise<RecordReader[]> {
    const patientAddress = getAddress(patient);
    const readers = new Map<Hex, RecordReader>();
    const add = (reader: RecordReader): void => {
      if (!readers.has(reader.publicKey)) readers.set(reader.publicKey, reader);
    };
    add({
      account: patientAddress,
      publicKey: await this.encryptionKeyOf(patientAddress),
      role: "patient",
    });
    if (this.address !== patientAddress) {
      add({ account: this.address, publicKey: this.publicKey, role: "author" });
    }
    for (const grantee of await this.liveGrantees(patientAddress, category)) {
      add({ account: grantee, publicKey: await this.encryptionKeyOf(grantee), role: "grantee" });
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
  async liveGrantees(patient: string, category: Category): Promise<string[]> {
    const patientAddress = getAddress(patient);
    const [granted, revoked] = await Promise.all([
      this.events(this.ledger.filters.ConsentGranted(patientAddress)),
      this.events(this.ledger.filters.ConsentRevoked(patientAddress)),
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
    const now = await this.chainTime();
    const bit = 1 << category;
    const out: string[] = [];
    for (const grantee of last.keys()) {
      const grant = await this.consent(patientAddress, grantee);
      if (grant.expiresAt <= now || (grant.categories & bit) === 0) continue;
      for (const purpose of purposesInMask(grant.purposes)) {
        if (await this.hasAccess(patientAddress, grantee, category, purpose)) {
          out.push(grantee);
          break;
        }
      }
    }
    return out;
  }

  /** The X25519 public key `account` registered on chain; {@link MissingEncryptionKeyError} if none. */
  async encryptionKeyOf(account: string): Promise<Hex> {
    const { encryptionKey } = await this.member(account);
    if (BigInt(encryptionKey) === 0n) throw new MissingEncryptionKeyError(getAddress(account));
    return encryptionKey as Hex;
  }

  /**
   * Fetch the envelope of `record` from the store and check that it hashes to the record id.
   *
   * @throws NotFoundError when the store does not hold it; IntegrityError when its bytes differ.
   */
  protected async fetchEnvelope(record: OnChainRecord): Promise<Uint8Array> {
    const envelope = await this.store.get(record.recordId);
    const actual = contentHash(envelope);
    if (actual !== record.recordId) {
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
   */
  protected async sealAndAnchor(
    patient: string,
    category: Category,
    body: RecordBody,
    supersedes: ContentHash | undefined,
    options: SealOptions,
  ): Promise<AnchoredRecord> {
    const readers = await this.readersFor(patient, category);
    const envelope = sealRecord({
      body: typeof body === "string" ? utf8(body) : body,
      readers,
      aad: {
        patient,
        category,
        ...(options.context === undefined ? {} : { context: options.context }),
      },
    });
    return this.storeAndAnchor(envelope, patient, category, readers, supersedes);
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
    return this.storeAndAnchor(shared, record.patient, record.category, readers, record.recordId);
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
      ...oldReaders.map((k): RecordReader => {
        const owner = owners.get(k);
        return {
          account: owner,
          publicKey: k,
          role:
            k === this.custodianPublicKey
              ? "custodian"
              : owner === record.patient
                ? "patient"
                : owner === record.author
                  ? "author"
                  : "grantee",
        };
      }),
      { account: getAddress(account), publicKey, role: "grantee" },
    ];
  }

  /** Reader keys of `record`'s envelope (CLE1 fetched and hash-checked; CLE2 id-checked). */
  protected async envelopeReaders(record: OnChainRecord): Promise<readonly Hex[]> {
    const source = await this.streamedSource(record);
    if (source === undefined) return inspectEnvelope(await this.fetchEnvelope(record)).readers;
    try {
      const chunks = verifiedEnvelopeChunks(source, record.recordId, this.streamSuite);
      await chunks.next(); // the content id is checked before the first chunk
      await chunks.return(undefined);
      return (await inspectEnvelopeStream(source)).readers;
    } finally {
      await source.close();
    }
  }

  /** Size in bytes of `record`'s stored envelope. */
  protected async envelopeSizeOf(record: OnChainRecord): Promise<number> {
    const source = await this.streamingStore().openSource(record.recordId);
    await source.close();
    return source.size;
  }

  /** The store's source of `record` when it is a CLE2 envelope in a streaming store. */
  private async streamedSource(record: OnChainRecord): Promise<BlobSource | undefined> {
    const store = this.store as Partial<StreamingBlobStore>;
    if (typeof store.openSource !== "function") return undefined;
    const source = await store.openSource(record.recordId);
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
        { ...bindingOf(record), expectedContentId: record.recordId },
        this.streamSuite,
      );
      const anchored = await this.sealAndAnchorStream(
        record.patient,
        record.category,
        { chunks: opened.body, length: opened.bodyLength },
        record.recordId,
        { context: opened.context },
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
      const info = await inspectEnvelopeStream(source);
      const key = this.readerKey(info);
      const publicKey = await this.encryptionKeyOf(account);
      const shared = await addReaderStream(
        source,
        key.privateKey,
        publicKey,
        { expectedContentId: record.recordId },
        this.streamSuite,
      );
      const readers = await this.sharedReaders(record, info.readers, account, publicKey);
      const stored = await this.streamingStore().putStream(shared, {
        beforeCommit: (id) =>
          this.simulateAnchor(record.patient, record.category, id, record.recordId),
      });
      return this.sendAnchor(
        record.patient,
        record.category,
        readers,
        record.recordId,
        stored,
        shared.contentId,
        shared.envelopeLength,
      );
    } finally {
      await source.close();
    }
  }

  /**
   * Which account published each X25519 key (`MemberOnboarded` and `EncryptionKeyRotated` events),
   * including keys since replaced.
   */
  async keyOwners(): Promise<Map<Hex, string>> {
    const [onboarded, rotated] = await Promise.all([
      this.events(this.ledger.filters.MemberOnboarded()),
      this.events(this.ledger.filters.EncryptionKeyRotated()),
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

  /** Simulate the anchor, store the envelope, send the anchor transaction. */
  private async storeAndAnchor(
    envelope: Uint8Array,
    patient: string,
    category: Category,
    readers: readonly RecordReader[],
    supersedes: ContentHash | undefined,
  ): Promise<AnchoredRecord> {
    const recordId = contentHash(envelope);
    await this.simulateAnchor(patient, category, recordId, supersedes);
    const stored = await this.store.put(envelope);
    return this.sendAnchor(
      patient,
      category,
      readers,
      supersedes,
      stored,
      recordId,
      envelope.length,
    );
  }

  /** Simulate (`staticCall`) the anchor or amendment of `recordId`; a refusal throws its reason. */
  private async simulateAnchor(
    patient: string,
    category: Category,
    recordId: ContentHash,
    supersedes: ContentHash | undefined,
  ): Promise<void> {
    await this.view(
      supersedes === undefined ? "anchorRecord" : "amendRecord",
      supersedes === undefined
        ? this.ledger.anchorRecord.staticCall(patient, category, recordId)
        : this.ledger.amendRecord.staticCall(supersedes, recordId),
    );
  }

  /** Check the store's address of the envelope, then send the anchor (or amendment). */
  private async sendAnchor(
    patient: string,
    category: Category,
    readers: readonly RecordReader[],
    supersedes: ContentHash | undefined,
    stored: ContentHash,
    recordId: ContentHash,
    envelopeSize: number,
  ): Promise<AnchoredRecord> {
    if (stored !== recordId) {
      throw new IntegrityError(
        `the store addressed the envelope as ${stored}, expected ${recordId}`,
      );
    }
    const fn = supersedes === undefined ? "anchorRecord" : "amendRecord";
    const transaction = await this.send(fn, () =>
      supersedes === undefined
        ? this.ledger.anchorRecord(patient, category, recordId)
        : this.ledger.amendRecord(supersedes, recordId),
    );
    return {
      recordId,
      patient: getAddress(patient),
      category,
      supersedes: supersedes ?? ZeroHash,
      envelopeSize,
      readers,
      transaction,
    };
  }

  /**
   * Seal a streamed body into a CLE2 envelope for the readers of `patient`'s `category`, stream it
   * into the store and anchor its content id, in constant memory. The anchor is simulated once the
   * id is known and before the blob becomes visible in the store: a refusal stores nothing.
   */
  protected async sealAndAnchorStream(
    patient: string,
    category: Category,
    body: StreamedBody,
    supersedes: ContentHash | undefined,
    options: SealOptions,
  ): Promise<AnchoredRecord> {
    const store = this.streamingStore();
    const readers = await this.readersFor(patient, category);
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
    const stored = await store.putStream(sealed, {
      beforeCommit: (id) => this.simulateAnchor(patient, category, id, supersedes),
    });
    return this.sendAnchor(
      patient,
      category,
      readers,
      supersedes,
      stored,
      sealed.contentId,
      sealed.envelopeLength,
    );
  }

  /**
   * Open `record` as a stream (no transaction: the caller audited the access or is the patient).
   * A CLE2 envelope is verified against the record id segment by segment as it is read; a CLE1
   * one is fetched, hash-checked and decrypted whole, then given as one chunk.
   */
  protected async decryptRecordStream(record: OnChainRecord): Promise<DecryptedRecordStream> {
    const store = this.streamingStore();
    const source = await store.openSource(record.recordId);
    let handedOver = false;
    try {
      if (!isStreamEnvelope(await source.read(0, Math.min(4, source.size)))) {
        const opened = this.decryptEnvelope(record, await this.fetchEnvelope(record));
        const { body, text: _text, envelopeSize: _size, ...rest } = opened;
        return { ...rest, bodyLength: body.length, body: single(body) };
      }
      const key = this.readerKey(await inspectEnvelopeStream(source));
      const opened = await this.openedStream(record, source, source, key, record.recordId);
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
          record.recordId,
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

/** Whether `record` is the current version (not superseded, not entered in error). */
export function isCurrent(record: OnChainRecord): boolean {
  return record.status === RecordStatus.Current;
}

/** `bytes` as a one-chunk stream. */
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
