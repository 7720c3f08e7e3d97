/**
 * The anchor journal of a blob store: which stored envelopes have not been seen anchored on chain yet.
 *
 * A record client stores an envelope before it sends the anchor transaction (the chain must never
 * point at a blob that does not exist). If the anchor never lands (the node went down, the app
 * crashed), the blob is an orphan. So the client stores it with an {@link AnchorIntent} (patient,
 * category, the version it amends, author, a keyed fingerprint of the write) and marks it anchored
 * once the receipt is seen. `listUnanchored()` lists what is left; `RecordClient.repairUnanchored`
 * settles each entry against the chain (see `src/sdk/clients/README.md`, "Retries and repair").
 *
 * Browser-safe (no Node built-ins).
 */
import type { ContentHash } from "../crypto/hash.js";
import type { BlobStore } from "./blob-store.js";

/** Why an envelope was stored: the anchor it is waiting for. */
export interface AnchorIntent {
  /** Whose record (checksummed). */
  readonly patient: string;
  /** Category index. */
  readonly category: number;
  /** The version it amends (lower-case hex), or undefined for a new record. */
  readonly supersedes: string | undefined;
  /** Who will anchor it (checksummed). */
  readonly author: string;
  /**
   * A keyed fingerprint of the write (the caller's idempotency key, or the write's inputs, MACed with
   * the author's key): a retry of the same write finds its envelope by it. Reveals nothing alone.
   */
  readonly intentKey: string;
}

/** An envelope stored but not (yet) seen anchored. */
export interface UnanchoredBlob {
  /**
   * The envelope's content hash: its key in the store and what the anchor carries (the record id on
   * chain is derived from it and the intent's patient).
   */
  readonly contentHash: ContentHash;
  readonly intent: AnchorIntent;
  /** When it was stored (ms since the epoch). */
  readonly storedAt: number;
}

/** A blob store that tracks which of its envelopes wait for an anchor. */
export interface AnchorJournal {
  /**
   * Store `bytes` (as `put`) with the intent of anchoring them. The intent is recorded before the
   * blob, so a crash in between never leaves an untracked blob.
   */
  putUnanchored(bytes: Uint8Array, intent: AnchorIntent): Promise<ContentHash>;
  /** The anchor of `hash` was seen on chain: forget the intent (the blob stays). */
  markAnchored(hash: string): Promise<void>;
  /** Envelopes stored with an intent and not marked anchored, oldest first. */
  listUnanchored(): Promise<UnanchoredBlob[]>;
  /** Delete an unanchored blob and its intent (a repair giving up on it). */
  deleteUnanchored(hash: string): Promise<void>;
}

/** Whether `store` keeps an anchor journal. */
export function isAnchorJournal(store: BlobStore): store is BlobStore & AnchorJournal {
  const s = store as Partial<AnchorJournal>;
  return (
    typeof s.putUnanchored === "function" &&
    typeof s.markAnchored === "function" &&
    typeof s.listUnanchored === "function" &&
    typeof s.deleteUnanchored === "function"
  );
}

/**
 * The padded size of a blob of `length` bytes: Padmé (Nikitin et al., "Reducing Metadata Leakage from
 * Encrypted Files and Communication with PURBs", PETS 2019), at least 512 bytes. At most 12 % overhead,
 * and a size reveals O(log log n) bits of the length instead of all of it.
 */
export function paddedSize(length: number): number {
  const minimum = 512;
  if (length <= minimum) return minimum;
  const e = Math.floor(Math.log2(length));
  const s = Math.floor(Math.log2(e)) + 1;
  const step = 2 ** (e - s);
  return Math.ceil(length / step) * step;
}
