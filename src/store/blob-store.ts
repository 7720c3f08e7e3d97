/**
 * Content-addressed blob storage for encrypted record envelopes.
 */
import { IntegrityError } from "../errors.js";
import { normalizeContentHash, type ContentHash } from "../crypto/hash.js";
import { contentIdOf, type StreamCipherSuite } from "../crypto/stream.js";
import { jsStreamSuite } from "../crypto/stream-js.js";

/**
 * A content-addressed store of immutable blobs, addressed by keccak256 (the same hash the chain
 * anchors, so a record id is directly a blob address).
 *
 * Contract every implementation must keep:
 * - `put(bytes)` returns `blobId(bytes)` (keccak256, or the CLE2 stream id) and is idempotent: storing the same bytes twice is
 *   a no-op returning the same hash; it resolves only once the blob is durably stored.
 * - `get(hash)` returns bytes whose keccak256 equals `hash`, or throws: `NotFoundError` when
 *   absent, `IntegrityError` when the stored bytes do not hash to `hash`. Tampered data is never
 *   returned.
 * - `has(hash)` reports presence only; it does not verify content (a later `get` does).
 * - `delete(hash)` destroys the blob stored under `hash` and everything the store keeps about it (an
 *   anchor-journal entry); it resolves once the blob is gone for good, and deleting an absent blob is a
 *   no-op, so an erasure can be retried. Used to crypto-shred an erased record's envelope.
 * - Hashes are accepted in any hex case and returned in lower case; a malformed hash is an
 *   `InvalidArgumentError`.
 *
 * Other back ends plug in behind the same interface:
 * - **IPFS**: keccak-256 is multihash code `0x1b`, so `hash` maps one-to-one to a CIDv1 with the
 *   `raw` codec (`0x55`) and a keccak-256 multihash; `put` adds the block with those options and
 *   pins it, `get` fetches the block and still verifies it locally.
 * - **S3 / object stores**: object key = the same fan-out path as the filesystem store
 *   (`ab/cd/<hash>`); `put` uses a conditional write (`If-None-Match: *`) so it is idempotent and
 *   never overwrites; `get` verifies the body before returning it.
 * Wrap any third-party adapter in {@link withVerification} if you do not trust it to verify.
 */
export interface BlobStore {
  /** Store `bytes`; resolves to their content hash once durable. */
  put(bytes: Uint8Array): Promise<ContentHash>;
  /** The bytes stored under `hash`, verified to hash to it. */
  get(hash: string): Promise<Uint8Array>;
  /** Whether a blob is stored under `hash` (presence only, not verified). */
  has(hash: string): Promise<boolean>;
  /** Destroy the blob stored under `hash` and any journal entry of it; a no-op when absent. */
  delete(hash: string): Promise<void>;
}

/**
 * The address of a blob: the stream content id of a CLE2 envelope (`src/crypto/stream.ts`), the
 * keccak256 of anything else (so of every CLE1 envelope). A malformed CLE2 envelope throws an
 * `IntegrityError`.
 */
export function blobId(bytes: Uint8Array, suite: StreamCipherSuite = jsStreamSuite): ContentHash {
  return contentIdOf(bytes, suite);
}

/**
 * Throw {@link IntegrityError} unless `bytes` hash to `expected` (normalised lower-case hash).
 * Shared by every store implementation.
 */
export function verifyBlob(
  expected: ContentHash,
  bytes: Uint8Array,
  where = "blob store",
  suite: StreamCipherSuite = jsStreamSuite,
): void {
  const actual = blobId(bytes, suite);
  if (actual !== expected) {
    throw new IntegrityError(
      `${where}: blob ${expected} hashes to ${actual}; refusing to return it`,
    );
  }
}

/**
 * A view of `inner` whose `get` re-verifies every blob (and whose `put` checks the returned hash),
 * for back ends that are not trusted to keep the {@link BlobStore} contract themselves.
 */
export function withVerification(inner: BlobStore): BlobStore {
  return {
    async put(bytes: Uint8Array): Promise<ContentHash> {
      const expected = blobId(bytes);
      const returned = normalizeContentHash(await inner.put(bytes));
      if (returned !== expected) {
        throw new IntegrityError(
          `store returned hash ${returned} for a blob hashing to ${expected}`,
        );
      }
      return expected;
    },
    async get(hash: string): Promise<Uint8Array> {
      const expected = normalizeContentHash(hash);
      const bytes = await inner.get(expected);
      verifyBlob(expected, bytes);
      return bytes;
    },
    has(hash: string): Promise<boolean> {
      return inner.has(normalizeContentHash(hash));
    },
    delete(hash: string): Promise<void> {
      return inner.delete(normalizeContentHash(hash));
    },
  };
}
