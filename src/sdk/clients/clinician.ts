/**
 * The clinician client (doctor, nurse, billing clerk, emergency responder): create a record (encrypt →
 * store → anchor), open one (audited `openRecord` transaction → fetch → verify against the chain →
 * unwrap → decrypt), amend, rotate, break the glass, and open in an emergency with the key released by
 * the emergency key custodian.
 */
import { getAddress } from "ethers";
import { toHex } from "../../crypto/bytes.js";
import { collectBytes } from "../../crypto/stream.js";
import { inspectEnvelope } from "../../crypto/envelope.js";
import { NotAReaderError } from "../../crypto/errors.js";
import type { ContentHash } from "../../crypto/hash.js";
import { AccessPath, Purpose, type Category } from "../constants.js";
import type { OnChainRecord, SentTransaction } from "./base.js";
import { signerAddress } from "./base.js";
import { verifyReleasedCopy, type KeyRelease, type KeyReleaseService } from "./custodian.js";
import { TransactionFailedError } from "./errors.js";
import {
  RecordClient,
  type AnchoredRecord,
  type DecryptedRecord,
  type DecryptedRecordStream,
  type StreamedBody,
  type RecordBody,
  type RecordClientOptions,
  type RotatedRecord,
  type WriteOptions,
  single,
} from "./records.js";
import type { CallOptions } from "../transport.js";
import {
  addressSchema,
  bodySchema,
  bytes32Schema,
  callOptionsSchema,
  categorySchema,
  durationSchema,
  parseArgs,
  parseCallOptions,
  purposeSchema,
  recordIdSchema,
  writeOptionsSchema,
} from "../validate.js";

/** The audited access of an `openRecord` transaction. */
export interface RecordAccess {
  readonly recordId: ContentHash;
  readonly purpose: Purpose;
  /** Why the contract allowed it (`BreakGlass` flags an emergency open). */
  readonly path: AccessPath;
  /** Block time of the open, unix seconds. */
  readonly openedAt: number;
  readonly transaction: SentTransaction;
}

/** A record opened through the audited path and decrypted. */
export interface OpenedRecord extends DecryptedRecord {
  readonly access: RecordAccess;
}

/** A break-glass window that was opened. */
export interface BreakGlassWindowOpened {
  readonly incidentId: bigint;
  readonly patient: string;
  readonly openedAt: number;
  readonly expiresAt: number;
  readonly transaction: SentTransaction;
}

/** A record opened in an emergency (see {@link ClinicianClient.openRecordInEmergency}). */
export interface EmergencyOpenedRecord extends OpenedRecord {
  /**
   * The custodian's release that made it readable; undefined when the member already held a wrapped
   * key of the version (no release was asked for).
   */
  readonly release: KeyRelease | undefined;
}

/** Options of {@link ClinicianClient.openRecordInEmergency}. */
export interface EmergencyOpenOptions extends CallOptions {
  /** Purpose of the audited open. Default emergency. */
  readonly purpose?: Purpose;
}

/** Options of {@link ClinicianClient.rotateRecord}. */
export interface ClinicianRotateOptions extends CallOptions {
  /** Purpose of the audited open that precedes the re-encryption. Default treatment. */
  readonly purpose?: Purpose;
}

/** SDK client of a staff member who writes and reads records. */
export class ClinicianClient extends RecordClient {
  /** A client acting as `options.signer`, decrypting with `options.keys`. */
  static async connect(options: RecordClientOptions): Promise<ClinicianClient> {
    return new ClinicianClient(options, await signerAddress(options.signer));
  }

  /**
   * Create a record of `patient`: seal `body` under a fresh data key for the patient, this clinician and
   * every grantee allowed `category` now, store the envelope and anchor its hash. The write is simulated
   * before anything is stored; a refusal throws the decoded reason (e.g. `AccessDeniedError`).
   */
  async createRecord(
    patient: string,
    category: Category,
    body: RecordBody,
    options: WriteOptions = {},
  ): Promise<AnchoredRecord> {
    const args = parseArgs("createRecord", {
      patient: [addressSchema, patient],
      category: [categorySchema, category],
      body: [bodySchema, body],
      options: [writeOptionsSchema, options],
    });
    return this.sealAndAnchor(args.patient, args.category, body, undefined, options);
  }

  /**
   * {@link createRecord} for a body given as a stream (e.g. an imaging study read from a file with
   * `bodyFromFile`): sealed in a CLE2 envelope segment by segment and streamed into the store, in
   * constant memory. Needs a `StreamingBlobStore`. Safe to retry with the same `idempotencyKey`
   * (a stream cannot be read twice, so without a key each call is a new write); an envelope stored
   * but not seen anchored is in the store's anchor journal like one of {@link createRecord}.
   */
  async createRecordStream(
    patient: string,
    category: Category,
    body: StreamedBody,
    options: WriteOptions = {},
  ): Promise<AnchoredRecord> {
    const args = parseArgs("createRecordStream", {
      patient: [addressSchema, patient],
      category: [categorySchema, category],
      options: [writeOptionsSchema, options],
    });
    return this.sealAndAnchorStream(args.patient, args.category, body, undefined, options);
  }

  /**
   * {@link openRecord} as a stream: the audited `openRecord` transaction first, then the body is
   * decrypted and verified against the record id segment by segment as it is read.
   */
  async openRecordStream(
    recordId: string,
    purpose: Purpose,
    options: CallOptions = {},
  ): Promise<DecryptedRecordStream & { readonly access: RecordAccess }> {
    const o = { deadline: this.deadline(parseCallOptions("openRecordStream", options)) };
    const access = await this.auditOpen(recordId, purpose, o);
    const record = await this.record(access.recordId, o);
    return { ...(await this.decryptRecordStream(record)), access };
  }

  /**
   * Open a record version for `purpose`: the audited `openRecord` transaction first (a refusal throws
   * e.g. `AccessDeniedError` and nothing is fetched), then fetch the envelope, check it hashes to the
   * record id and matches the record's patient and category on chain, unwrap the key and decrypt.
   *
   * @throws NotFoundError when the store lacks the envelope; IntegrityError when it was tampered with;
   *   NotAReaderError (a WrongKeyError) when no key was wrapped for this member (e.g. a break-glass
   *   responder: see {@link openRecordInEmergency}; or a grantee added after the version was sealed:
   *   see `latestVersionOf`).
   */
  async openRecord(
    recordId: string,
    purpose: Purpose,
    options: CallOptions = {},
  ): Promise<OpenedRecord> {
    const o = { deadline: this.deadline(parseCallOptions("openRecord", options)) };
    const access = await this.auditOpen(recordId, purpose, o);
    const record = await this.record(access.recordId, o);
    return { ...(await this.decryptRecord(record)), access };
  }

  /**
   * Open a record version in an emergency, through the emergency key `custodian`: the audited
   * `openRecord` transaction (a refusal throws the decoded reason, e.g. an `AccessDeniedError`
   * `NoBreakGlassWindow`, and nothing is fetched), then fetch the anchored envelope and check it hashes
   * to the record id. If one of the member's keys is a reader it is decrypted as usual. Otherwise, if
   * the open took the break-glass path, the custodian is asked to release the key because of this open
   * transaction; the released copy must be the anchored envelope plus one wrapped key for this member
   * (same header, same body ciphertext, every other wrapped key unchanged) before it is decrypted.
   *
   * @throws KeyReleaseRefusedError when the custodian refuses (its `reason` says why).
   * @throws ReleasedCopyMismatchError (an IntegrityError) when the released copy is not the anchored
   *   envelope plus a key for this member; IntegrityError when any byte does not verify.
   * @throws NotAReaderError when the member holds no key and the open was not a break-glass open.
   */
  async openRecordInEmergency(
    recordId: string,
    custodian: KeyReleaseService,
    options: EmergencyOpenOptions = {},
  ): Promise<EmergencyOpenedRecord> {
    const o = { deadline: this.deadline(parseCallOptions("openRecordInEmergency", options)) };
    const access = await this.auditOpen(recordId, options.purpose ?? Purpose.Emergency, o);
    return this.emergencyOpen(access, await this.record(access.recordId, o), custodian);
  }

  /** Ask `custodian` for the key because of the break-glass open `access` (none other). */
  private async askRelease(
    access: RecordAccess,
    custodian: KeyReleaseService,
  ): Promise<KeyRelease> {
    if (access.path !== AccessPath.BreakGlass) throw new NotAReaderError(this.publicKey);
    return custodian.release({
      recordId: access.recordId,
      responder: this.address,
      openTxHash: access.transaction.hash,
    });
  }

  /** The fetch-and-decrypt half of {@link openRecordInEmergency}, after the audited open. */
  private async emergencyOpen(
    access: RecordAccess,
    record: OnChainRecord,
    custodian: KeyReleaseService,
  ): Promise<EmergencyOpenedRecord> {
    const myKeys = this.keys.map((k) => toHex(k.publicKey));
    const streamed = await this.openReleasedRecordStream(record, myKeys, () =>
      this.askRelease(access, custodian),
    );
    if (streamed !== undefined) {
      // A CLE2 record read whole (openRecordStreamInEmergency streams it).
      const { body: chunks, bodyLength: _length, ...rest } = streamed;
      const body = await collectBytes(chunks);
      const envelopeSize = await this.envelopeSizeOf(record);
      return { ...rest, access, body, text: () => new TextDecoder().decode(body), envelopeSize };
    }
    const anchored = await this.fetchEnvelope(record);
    const readers = inspectEnvelope(anchored).readers;
    if (readers.some((k) => myKeys.includes(k))) {
      return { ...this.decryptEnvelope(record, anchored), access, release: undefined };
    }
    if (access.path !== AccessPath.BreakGlass) throw new NotAReaderError(this.publicKey);
    const release = await custodian.release({
      recordId: access.recordId,
      responder: this.address,
      openTxHash: access.transaction.hash,
    });
    verifyReleasedCopy(record.recordId, anchored, release.envelope, myKeys);
    const opened = this.decryptEnvelope(record, release.envelope);
    // The version's readers and size are the anchored envelope's; the released copy is private.
    return { ...opened, readerKeys: readers, envelopeSize: anchored.length, access, release };
  }

  /**
   * {@link openRecordInEmergency} as a stream. For a CLE2 record the custodian releases only a key
   * (`CLR2`: the prefix with one more wrapped key and a new key commitment, a few hundred bytes);
   * it must carry the anchored header and every anchored wrapped key unchanged plus one for this
   * member, and the body is then read from the anchored envelope, verified segment by segment
   * against the record id. A CLE1 record goes through {@link openRecordInEmergency}'s checks.
   *
   * @throws the errors of {@link openRecordInEmergency}.
   */
  async openRecordStreamInEmergency(
    recordId: string,
    custodian: KeyReleaseService,
    options: EmergencyOpenOptions = {},
  ): Promise<
    DecryptedRecordStream & {
      readonly access: RecordAccess;
      readonly release: KeyRelease | undefined;
    }
  > {
    const o = { deadline: this.deadline(parseCallOptions("openRecordStreamInEmergency", options)) };
    const access = await this.auditOpen(recordId, options.purpose ?? Purpose.Emergency, o);
    const record = await this.record(access.recordId, o);
    const myKeys = this.keys.map((k) => toHex(k.publicKey));
    const released = await this.openReleasedRecordStream(record, myKeys, () =>
      this.askRelease(access, custodian),
    );
    if (released !== undefined) return { ...released, access };
    const opened = await this.emergencyOpen(access, record, custodian);
    const { body, text: _text, envelopeSize: _size, release, ...rest } = opened;
    return { ...rest, access, release, bodyLength: body.length, body: single(body) };
  }

  /**
   * Only the audited `openRecord` transaction, without fetching or decrypting: what an integration that
   * only logs access calls.
   */
  async auditOpen(
    recordId: string,
    purpose: Purpose,
    options: CallOptions = {},
  ): Promise<RecordAccess> {
    const args = parseArgs("openRecord", {
      recordId: [recordIdSchema, recordId],
      purpose: [purposeSchema, purpose],
      options: [callOptionsSchema, options],
    });
    const id = args.recordId;
    purpose = args.purpose;
    const transaction = await this.send(
      "openRecord",
      () => this.ledger.openRecord.populateTransaction(id, purpose),
      this.deadline(options),
    );
    for (const log of transaction.receipt.logs) {
      const parsed = this.ledger.interface.parseLog({ topics: [...log.topics], data: log.data });
      if (parsed?.name === "RecordOpened" && parsed.args.getValue("recordId") === id) {
        return {
          recordId: id,
          purpose,
          path: Number(parsed.args.getValue("path")) as AccessPath,
          openedAt: Number(parsed.args.getValue("openedAt")),
          transaction,
        };
      }
    }
    throw new TransactionFailedError("openRecord", transaction.hash, "no RecordOpened event");
  }

  /**
   * Amend current version `recordId` with `newBody`: a new envelope sealed for the readers of now,
   * anchored with `amendRecord`. Needs write access to the record's category.
   */
  async amendRecord(
    recordId: string,
    newBody: RecordBody,
    options: WriteOptions = {},
  ): Promise<AnchoredRecord> {
    const args = parseArgs("amendRecord", {
      recordId: [recordIdSchema, recordId],
      newBody: [bodySchema, newBody],
      options: [writeOptionsSchema, options],
    });
    const deadline = this.deadline(options);
    const record = await this.record(args.recordId, { deadline });
    return this.sealAndAnchor(record.patient, record.category, newBody, record.recordId, {
      ...options,
      deadline,
    });
  }

  /**
   * Rotate current version `recordId` (after a revocation): an audited open (this member decrypts the
   * body), then re-encryption under a new data key for the patient, this member and the live grantees,
   * anchored as a new version. Needs to be a reader of the current version and write access.
   */
  async rotateRecord(
    recordId: string,
    options: ClinicianRotateOptions = {},
  ): Promise<RotatedRecord> {
    const o = { deadline: this.deadline(parseCallOptions("rotateRecord", options)) };
    const access = await this.auditOpen(recordId, options.purpose ?? Purpose.Treatment, o);
    return this.rotateVerified(await this.record(access.recordId, o));
  }

  /**
   * Open a break-glass window on `patient` for `durationSeconds` (emergency responders; doctors by
   * default). `justificationHash` is the hash of a justification kept off chain: make it unguessable
   * (hash a document or add a random salt), since a short text could be found by trial.
   */
  async breakGlass(
    patient: string,
    justificationHash: string,
    durationSeconds: number,
    options: CallOptions = {},
  ): Promise<BreakGlassWindowOpened> {
    const args = parseArgs("breakGlass", {
      patient: [addressSchema, patient],
      justificationHash: [bytes32Schema, justificationHash],
      durationSeconds: [durationSchema, durationSeconds],
      options: [callOptionsSchema, options],
    });
    patient = args.patient;
    const transaction = await this.send(
      "breakGlass",
      () =>
        this.ledger.breakGlass.populateTransaction(
          args.patient,
          args.justificationHash,
          args.durationSeconds,
        ),
      this.deadline(options),
    );
    for (const log of transaction.receipt.logs) {
      const parsed = this.ledger.interface.parseLog({ topics: [...log.topics], data: log.data });
      if (parsed?.name === "BreakGlassDeclared") {
        return {
          incidentId: BigInt(parsed.args.getValue("incidentId") as bigint),
          patient: getAddress(patient),
          openedAt: Number(parsed.args.getValue("openedAt")),
          expiresAt: Number(parsed.args.getValue("expiresAt")),
          transaction,
        };
      }
    }
    throw new TransactionFailedError("breakGlass", transaction.hash, "no BreakGlassDeclared event");
  }
}
