/**
 * The patient client: list and read one's own records, grant and revoke consent, share a record with a
 * grantee (a new version with one more wrapped key) and revoke with rotation, so a revoked grantee's
 * cached keys open nothing anchored afterwards.
 */
import { getAddress } from "ethers";
import type { Hex } from "../../crypto/bytes.js";
import { normalizeContentHash, type ContentHash } from "../../crypto/hash.js";
import {
  categoryMask,
  purposeMask,
  RecordStatus,
  Role,
  type Category,
  type Purpose,
} from "../constants.js";
import type { ConsentInfo, OnChainRecord, SentTransaction } from "./base.js";
import { signerAddress } from "./base.js";
import { NotYourRecordError } from "./errors.js";
import { InvalidFieldError } from "../errors.js";
import type { CallOptions } from "../transport.js";
import {
  addressSchema,
  callOptionsSchema,
  categorySchema,
  consentTermsSchema,
  parseArg,
  parseArgs,
  recordIdSchema,
} from "../validate.js";
import {
  RecordClient,
  type AnchoredRecord,
  type BulkFailure,
  type DecryptedRecord,
  type DecryptedRecordStream,
  type ProgressCallback,
  type RecordClientOptions,
  type RotatedRecord,
} from "./records.js";

/** What a grant allows. */
export interface ConsentTerms {
  readonly categories: readonly Category[];
  readonly purposes: readonly Purpose[];
  /** End of the grant (exclusive), unix seconds. */
  readonly expiresAt: number;
}

/** A record version of the patient, as listed from the chain. */
export interface PatientRecord extends OnChainRecord {
  /** Block in which it was anchored. */
  readonly blockNumber: number;
}

/** Options of {@link PatientClient.listRecords}. */
export interface ListRecordsOptions extends CallOptions {
  /** Only current versions (default false: every version, oldest first). */
  readonly currentOnly?: boolean;
  /** Only this category. */
  readonly category?: Category;
}

/** Options of the bulk operations. */
export interface BulkOptions {
  /** Called after each record (for a progress bar). */
  readonly onProgress?: ProgressCallback;
}

/** Result of {@link PatientClient.revokeAndRotate}. */
export interface RevokeAndRotateResult {
  readonly grantee: string;
  /** The `revokeConsent` transaction; undefined when the grantee held no consent to revoke. */
  readonly revocation: SentTransaction | undefined;
  /** The grantee's X25519 keys (current and earlier) looked for in the envelopes. */
  readonly granteeKeys: readonly Hex[];
  /** Current records whose envelope held a key of the grantee, rotated to new versions. */
  readonly rotated: readonly RotatedRecord[];
  /** Current records the grantee could not read (not rotated). */
  readonly unaffected: readonly ContentHash[];
  /** Records that could not be checked or rotated (e.g. blob missing from the store). */
  readonly failed: readonly BulkFailure[];
}

/** Result of {@link PatientClient.shareAllowedRecords}. */
export interface ShareResult {
  readonly grantee: string;
  readonly shared: readonly AnchoredRecord[];
  /** Current records the grantee may not read, or already holds a key of. */
  readonly skipped: readonly ContentHash[];
  readonly failed: readonly BulkFailure[];
}

/** SDK client of a patient. */
export class PatientClient extends RecordClient {
  /** A client acting as the patient `options.signer`, decrypting with `options.keys`. */
  static async connect(options: RecordClientOptions): Promise<PatientClient> {
    return new PatientClient(options, await signerAddress(options.signer));
  }

  /** The patient's record versions, from `RecordAnchored` events, with their status from `recordOf`. */
  async listRecords(options: ListRecordsOptions = {}): Promise<PatientRecord[]> {
    if (options.category !== undefined) {
      parseArg("listRecords", "options.category", categorySchema, options.category);
    }
    const d = this.deadline(options);
    const logs = await this.events(this.ledger.filters.RecordAnchored(undefined, this.address), d);
    // A version another one amends is not the latest, even when it stays current on chain (the patient's
    // own version of a clinician's record is linked to it without superseding it).
    const amended = new Set(logs.map((log) => log.args.supersedes.toLowerCase()));
    const out: PatientRecord[] = [];
    for (const log of logs) {
      if (options.category !== undefined && Number(log.args.category) !== options.category)
        continue;
      const record = await this.record(log.args.recordId, { deadline: d });
      if (
        options.currentOnly === true &&
        (record.status !== RecordStatus.Current || amended.has(record.recordId))
      )
        continue;
      out.push({ ...record, blockNumber: log.blockNumber });
    }
    return out;
  }

  /**
   * Read one of the patient's own record versions: fetch, verify against the chain, decrypt. No
   * transaction: the audit trail records others' access to a patient's data.
   */
  async openRecord(recordId: string): Promise<DecryptedRecord> {
    const id = parseArg("openRecord", "recordId", recordIdSchema, recordId);
    return this.decryptRecord(await this.ownRecord(id));
  }

  /** {@link openRecord} as a stream, verified segment by segment as it is read (no transaction). */
  async openRecordStream(recordId: string): Promise<DecryptedRecordStream> {
    return this.decryptRecordStream(await this.ownRecord(recordId));
  }

  /** The patient's live grants (unexpired), from `ConsentGranted` events and `consentOf`. */
  async grants(): Promise<ConsentInfo[]> {
    const logs = await this.events(this.ledger.filters.ConsentGranted(this.address));
    const grantees = [...new Set(logs.map((l) => getAddress(l.args.grantee)))];
    const now = await this.chainTime();
    const out: ConsentInfo[] = [];
    for (const grantee of grantees) {
      const grant = await this.consent(this.address, grantee);
      if (grant.expiresAt > now) out.push(grant);
    }
    return out;
  }

  /**
   * Grant (or replace the grant of) `grantee`. The grant lets the grantee open records on chain; to
   * decrypt records anchored before it, share them ({@link shareRecord}, {@link shareAllowedRecords}).
   */
  async grantConsent(
    grantee: string,
    terms: ConsentTerms,
    options: CallOptions = {},
  ): Promise<SentTransaction> {
    const args = parseArgs("grantConsent", {
      grantee: [addressSchema, grantee],
      terms: [consentTermsSchema, terms],
      options: [callOptionsSchema, options],
    });
    const d = this.deadline(options);
    const member = await this.member(args.grantee, { deadline: d });
    if (member.role === Role.None) {
      throw new InvalidFieldError(
        "grantConsent",
        "grantee",
        `${args.grantee} is not a CareLedger member: a grant to it would open nothing`,
      );
    }
    const categories = categoryMask(...args.terms.categories);
    const purposes = purposeMask(...args.terms.purposes);
    const expiresAt = args.terms.expiresAt;
    // Idempotent: when exactly this grant is in effect (a retry after a lost reply), return the
    // transaction that made it instead of sending another.
    const now = await this.consent(this.address, args.grantee, { deadline: d });
    if (now.categories === categories && now.purposes === purposes && now.expiresAt === expiresAt) {
      const logs = await this.events(
        this.ledger.filters.ConsentGranted(this.address, args.grantee),
        d,
      );
      const last = logs[logs.length - 1];
      const landed =
        last === undefined
          ? undefined
          : await this.landedTransaction("grantConsent", last.transactionHash, d);
      if (landed !== undefined) return landed;
    }
    return this.send(
      "grantConsent",
      () =>
        this.ledger.grantConsent.populateTransaction(args.grantee, categories, purposes, expiresAt),
      d,
    );
  }

  /**
   * Revoke `grantee`'s consent (effective in the same block). Records the grantee could decrypt stay
   * decryptable with keys it may have cached: use {@link revokeAndRotate} to re-key them.
   */
  async revokeConsent(grantee: string, options: CallOptions = {}): Promise<SentTransaction> {
    const args = parseArgs("revokeConsent", {
      grantee: [addressSchema, grantee],
      options: [callOptionsSchema, options],
    });
    return this.send(
      "revokeConsent",
      () => this.ledger.revokeConsent.populateTransaction(args.grantee),
      this.deadline(options),
    );
  }

  /**
   * Share current version `recordId` with `grantee`: wrap its data key for the grantee's on-chain key
   * (no re-encryption) and anchor the new envelope with `amendRecord`. Returns the new version.
   */
  async shareRecord(recordId: string, grantee: string): Promise<AnchoredRecord> {
    const args = parseArgs("shareRecord", {
      recordId: [recordIdSchema, recordId],
      grantee: [addressSchema, grantee],
    });
    return this.addReaderVerified(await this.ownRecord(args.recordId), args.grantee);
  }

  /**
   * Share every current record that `grantee` may read now (live grant ∩ role policy) and does not hold a
   * key of yet.
   */
  async shareAllowedRecords(grantee: string, options: BulkOptions = {}): Promise<ShareResult> {
    const who = parseArg("shareAllowedRecords", "grantee", addressSchema, grantee);
    const granteeKey = await this.encryptionKeyOf(who);
    const records = await this.listRecords({ currentOnly: true });
    const allowed = new Map<Category, boolean>();
    const shared: AnchoredRecord[] = [];
    const skipped: ContentHash[] = [];
    const failed: BulkFailure[] = [];
    for (const [i, record] of records.entries()) {
      try {
        if (!allowed.has(record.category)) {
          allowed.set(
            record.category,
            (await this.liveGrantees(this.address, record.category)).includes(who),
          );
        }
        const readers = await this.envelopeReaders(record);
        if (allowed.get(record.category) !== true || readers.includes(granteeKey)) {
          skipped.push(record.recordId);
        } else {
          shared.push(await this.addReaderVerified(record, who));
        }
      } catch (error) {
        failed.push({ recordId: record.recordId, error: asError(error) });
      }
      options.onProgress?.(i + 1, records.length, record.recordId);
    }
    return { grantee: who, shared, skipped, failed };
  }

  /**
   * Rotate current version `recordId`: re-encrypt it under a new data key for the patient and the
   * grantees allowed its category now (see `readersFor`), anchored as a new version.
   */
  async rotateRecord(recordId: string): Promise<RotatedRecord> {
    const id = parseArg("rotateRecord", "recordId", recordIdSchema, recordId);
    return this.rotateVerified(await this.ownRecord(id));
  }

  /**
   * Revocation that means it: revoke `grantee`'s consent (skipped if it holds none), then rotate every
   * current record whose envelope holds a wrapped key for any key the grantee ever published. The
   * grantee can no longer open anything on chain, and the keys it may have cached open none of the new
   * versions. What it decrypted before cannot be recalled.
   *
   * Failures on single records (a blob missing from the store, the contract paused, …) are collected
   * in `failed` and the rest continue; run it again to retry them.
   */
  async revokeAndRotate(
    grantee: string,
    options: BulkOptions = {},
  ): Promise<RevokeAndRotateResult> {
    const who = parseArg("revokeAndRotate", "grantee", addressSchema, grantee);
    const grant = await this.consent(this.address, who);
    const revocation = grant.expiresAt === 0 ? undefined : await this.revokeConsent(who);
    const granteeKeys = await this.keysPublishedBy(who);
    const records = await this.listRecords({ currentOnly: true });
    const rotated: RotatedRecord[] = [];
    const unaffected: ContentHash[] = [];
    const failed: BulkFailure[] = [];
    for (const [i, record] of records.entries()) {
      try {
        const readers = await this.envelopeReaders(record);
        if (readers.some((k) => granteeKeys.includes(k))) {
          rotated.push(await this.rotateVerified(record));
        } else {
          unaffected.push(record.recordId);
        }
      } catch (error) {
        failed.push({ recordId: record.recordId, error: asError(error) });
      }
      options.onProgress?.(i + 1, records.length, record.recordId);
    }
    return { grantee: who, revocation, granteeKeys, rotated, unaffected, failed };
  }

  /** Every X25519 key `account` published (onboarding and rotations), oldest first. */
  async keysPublishedBy(account: string): Promise<Hex[]> {
    const who = parseArg("keysPublishedBy", "account", addressSchema, account);
    const [onboarded, rotated] = await Promise.all([
      this.events(this.ledger.filters.MemberOnboarded(who)),
      this.events(this.ledger.filters.EncryptionKeyRotated(who)),
    ]);
    const keys = [...onboarded, ...rotated]
      .sort((x, y) => x.blockNumber - y.blockNumber || x.index - y.index)
      .map((l) => l.args.encryptionKey.toLowerCase() as Hex);
    return [...new Set(keys)];
  }

  /** The record on chain, checked to be this patient's. */
  private async ownRecord(recordId: string): Promise<OnChainRecord> {
    const record = await this.record(normalizeContentHash(recordId));
    if (record.patient !== this.address) {
      throw new NotYourRecordError(record.recordId, record.patient, this.address);
    }
    return record;
  }
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}
