/**
 * Streaming side of the blob stores (browser-safe): the {@link StreamingBlobStore} interface and
 * the verifying read shared by the implementations. A blob that is a CLE2 envelope is addressed
 * by its stream content id and checked segment by segment; any other blob by keccak256, read and
 * checked whole (CLE1 envelopes are small).
 */
import { isStreamEnvelope } from "../crypto/stream-format.js";
import {
  verifiedEnvelopeChunks,
  type RandomAccessSource,
  type StreamCipherSuite,
} from "../crypto/stream.js";
import type { ContentHash } from "../crypto/hash.js";
import type { AnchorIntent } from "./journal.js";
import { verifyBlob, type BlobStore } from "./blob-store.js";

/** A {@link RandomAccessSource} that holds a resource (a file handle) until closed. */
export interface BlobSource extends RandomAccessSource {
  close(): Promise<void>;
}

/** Options of {@link StreamingBlobStore.putStream}. */
export interface PutStreamOptions {
  /**
   * Called once the content is written durably and its id is known, before it becomes visible
   * under that id. Throwing aborts the put: nothing is stored (e.g. an anchor simulation refused).
   */
  readonly beforeCommit?: (id: ContentHash) => Promise<void>;
  /**
   * In a store that keeps an anchor journal (`src/store/journal.ts`): record the blob as waiting
   * for this anchor, after `beforeCommit` and before the blob becomes visible (as `putUnanchored`).
   */
  readonly intent?: AnchorIntent;
}

/** A {@link BlobStore} that also takes and returns streams. */
export interface StreamingBlobStore extends BlobStore {
  /**
   * Store the blob given as chunks; resolves to its content id (CLE2 stream id, or keccak256 of
   * anything else) once durable. A CLE2 envelope whose segment table does not match its segments
   * is refused. Idempotent like `put`.
   */
  putStream(
    chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
    options?: PutStreamOptions,
  ): Promise<ContentHash>;
  /**
   * The blob stored under `hash` as a verifying stream: no chunk is yielded before it is checked
   * against `hash` (for CLE2, each segment against the id-bound segment table); a mismatch throws
   * an `IntegrityError` (a `SegmentError` naming the segment) while iterating.
   */
  getStream(hash: string): AsyncIterable<Uint8Array>;
  /**
   * The stored bytes for random access, NOT verified: pass the on-chain id as
   * `expectedContentId` to `openEnvelopeStream`, which verifies. `NotFoundError` when absent.
   */
  openSource(hash: string): Promise<BlobSource>;
}

/** The verified bytes of the blob `hash` in `source` (see {@link StreamingBlobStore.getStream}). */
export async function* verifiedBlobChunks(
  source: RandomAccessSource,
  hash: ContentHash,
  suite: StreamCipherSuite,
  where: string,
): AsyncGenerator<Uint8Array> {
  const head = await source.read(0, Math.min(4, source.size));
  if (isStreamEnvelope(head)) {
    yield* verifiedEnvelopeChunks(source, hash, suite);
    return;
  }
  const bytes = await source.read(0, source.size);
  verifyBlob(hash, bytes, where);
  yield bytes;
}
