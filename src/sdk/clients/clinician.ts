/**
 * The clinician client (doctor, nurse, billing clerk, emergency responder): create a record (encrypt →
 * store → anchor), open one (audited `openRecord` transaction → fetch → verify against the chain →
 * unwrap → decrypt), amend, rotate, and break the glass.
 */
import { getAddress } from "ethers";
import { normalizeContentHash, type ContentHash } from "../../crypto/hash.js";
import { AccessPath, Purpose, type Category } from "../constants.js";
import type { SentTransaction } from "./base.js";
import { signerAddress } from "./base.js";
import { TransactionFailedError } from "./errors.js";
import {
  RecordClient,
  type AnchoredRecord,
  type DecryptedRecord,
  type RecordBody,
  type RecordClientOptions,
  type RotatedRecord,
  type SealOptions,
} from "./records.js";

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

/** Options of {@link ClinicianClient.rotateRecord}. */
export interface ClinicianRotateOptions {
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
  createRecord(
    patient: string,
    category: Category,
    body: RecordBody,
    options: SealOptions = {},
  ): Promise<AnchoredRecord> {
    return this.sealAndAnchor(getAddress(patient), category, body, undefined, options);
  }

  /**
   * Open a record version for `purpose`: the audited `openRecord` transaction first (a refusal throws
   * e.g. `AccessDeniedError` and nothing is fetched), then fetch the envelope, check it hashes to the
   * record id and matches the record's patient and category on chain, unwrap the key and decrypt.
   *
   * @throws NotFoundError when the store lacks the envelope; IntegrityError when it was tampered with;
   *   NotAReaderError (a WrongKeyError) when no key was wrapped for this member (e.g. a break-glass
   *   responder, or a grantee added after the version was sealed: see `latestVersionOf`).
   */
  async openRecord(recordId: string, purpose: Purpose): Promise<OpenedRecord> {
    const access = await this.auditOpen(recordId, purpose);
    const record = await this.record(access.recordId);
    return { ...(await this.decryptRecord(record)), access };
  }

  /**
   * Only the audited `openRecord` transaction, without fetching or decrypting: what a break-glass
   * responder (who holds no wrapped key) or an integration that only logs access calls.
   */
  async auditOpen(recordId: string, purpose: Purpose): Promise<RecordAccess> {
    const id = normalizeContentHash(recordId);
    const transaction = await this.send("openRecord", () => this.ledger.openRecord(id, purpose));
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
    options: SealOptions = {},
  ): Promise<AnchoredRecord> {
    const record = await this.record(recordId);
    return this.sealAndAnchor(record.patient, record.category, newBody, record.recordId, options);
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
    const access = await this.auditOpen(recordId, options.purpose ?? Purpose.Treatment);
    return this.rotateVerified(await this.record(access.recordId));
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
  ): Promise<BreakGlassWindowOpened> {
    const transaction = await this.send("breakGlass", () =>
      this.ledger.breakGlass(patient, justificationHash, durationSeconds),
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
