/**
 * In-memory {@link BlobStore} for tests and browsers (nothing persists).
 */
import { NotFoundError } from "../errors.js";
import { normalizeContentHash, type ContentHash } from "../crypto/hash.js";
import type { BlobStore } from "./blob-store.js";
import type { AnchorIntent, AnchorJournal, UnanchoredBlob } from "./journal.js";
import {
  bytesSource,
  collectBytes,
  contentIdOf,
  type StreamCipherSuite,
} from "../crypto/stream.js";
import { jsStreamSuite } from "../crypto/stream-js.js";
import {
  verifiedBlobChunks,
  type BlobSource,
  type PutStreamOptions,
  type StreamingBlobStore,
} from "./stream.js";

/**
 * A {@link BlobStore} backed by a `Map`. It stores and returns copies, and the map is private,
 * so a stored blob cannot change after `put` hashed it: `get` needs no re-hash.
 */
export class MemoryBlobStore implements BlobStore, StreamingBlobStore, AnchorJournal {
  readonly #blobs = new Map<ContentHash, Uint8Array>();
  readonly #unanchored = new Map<ContentHash, UnanchoredBlob>();
  readonly #suite: StreamCipherSuite;

  /** `suite` hashes streamed envelopes (default: pure JS; Node may pass `nodeStreamSuite`). */
  constructor(suite: StreamCipherSuite = jsStreamSuite) {
    this.#suite = suite;
  }

  /** Number of blobs stored. */
  get size(): number {
    return this.#blobs.size;
  }

  /** @inheritdoc */
  put(bytes: Uint8Array): Promise<ContentHash> {
    // The executor runs at once and a throw in it rejects, as in an async body.
    return new Promise((resolve) => {
      const hash = contentIdOf(bytes, this.#suite);
      if (!this.#blobs.has(hash)) this.#blobs.set(hash, Uint8Array.from(bytes));
      resolve(hash);
    });
  }

  /** @inheritdoc */
  get(hash: string): Promise<Uint8Array> {
    return new Promise((resolve) => resolve(Uint8Array.from(this.#bytes(hash))));
  }

  /** @inheritdoc */
  has(hash: string): Promise<boolean> {
    return new Promise((resolve) => resolve(this.#blobs.has(normalizeContentHash(hash))));
  }

  /** @inheritdoc */
  delete(hash: string): Promise<void> {
    return new Promise((resolve) => {
      const key = normalizeContentHash(hash);
      const bytes = this.#blobs.get(key);
      bytes?.fill(0); // no other reference: `put` stored a copy, `get` hands out copies
      this.#blobs.delete(key);
      this.#unanchored.delete(key);
      resolve();
    });
  }

  /** @inheritdoc */
  async putUnanchored(bytes: Uint8Array, intent: AnchorIntent): Promise<ContentHash> {
    const hash = contentIdOf(bytes, this.#suite);
    this.#note(hash, intent);
    return this.put(bytes);
  }

  /** @inheritdoc */
  markAnchored(hash: string): Promise<void> {
    return new Promise((resolve) => {
      this.#unanchored.delete(normalizeContentHash(hash));
      resolve();
    });
  }

  /** @inheritdoc */
  listUnanchored(): Promise<UnanchoredBlob[]> {
    return Promise.resolve([...this.#unanchored.values()].sort((a, b) => a.storedAt - b.storedAt));
  }

  /** @inheritdoc */
  deleteUnanchored(hash: string): Promise<void> {
    return new Promise((resolve) => {
      const key = normalizeContentHash(hash);
      this.#unanchored.delete(key);
      this.#blobs.delete(key);
      resolve();
    });
  }

  #note(hash: ContentHash, intent: AnchorIntent): void {
    this.#unanchored.set(hash, { contentHash: hash, intent: { ...intent }, storedAt: Date.now() });
  }

  /** @inheritdoc */
  async putStream(
    chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
    options: PutStreamOptions = {},
  ): Promise<ContentHash> {
    const bytes = Uint8Array.from(await collectBytes(chunks));
    const id = contentIdOf(bytes, this.#suite);
    await options.beforeCommit?.(id);
    if (options.intent !== undefined) this.#note(id, options.intent);
    if (!this.#blobs.has(id)) this.#blobs.set(id, bytes);
    return id;
  }

  /** @inheritdoc */
  async *getStream(hash: string): AsyncGenerator<Uint8Array> {
    const source = await this.openSource(hash);
    yield* verifiedBlobChunks(source, normalizeContentHash(hash), this.#suite, "memory blob store");
  }

  /** @inheritdoc */
  openSource(hash: string): Promise<BlobSource> {
    return new Promise((resolve) =>
      resolve({ ...bytesSource(this.#bytes(hash)), close: () => Promise.resolve() }),
    );
  }

  /** The stored bytes of `hash` (not copied); throws NotFoundError. */
  #bytes(hash: string): Uint8Array {
    const key = normalizeContentHash(hash);
    const bytes = this.#blobs.get(key);
    if (bytes === undefined) throw new NotFoundError("blob", key);
    return bytes;
  }
}
