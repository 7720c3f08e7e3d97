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
  async put(bytes: Uint8Array): Promise<ContentHash> {
    const hash = contentIdOf(bytes, this.#suite);
    if (!this.#blobs.has(hash)) this.#blobs.set(hash, Uint8Array.from(bytes));
    return hash;
  }

  /** @inheritdoc */
  async get(hash: string): Promise<Uint8Array> {
    const key = normalizeContentHash(hash);
    const bytes = this.#blobs.get(key);
    if (bytes === undefined) throw new NotFoundError("blob", key);
    return Uint8Array.from(bytes);
  }

  /** @inheritdoc */
  async has(hash: string): Promise<boolean> {
    return this.#blobs.has(normalizeContentHash(hash));
  }

  /** @inheritdoc */
  async delete(hash: string): Promise<void> {
    const key = normalizeContentHash(hash);
    const bytes = this.#blobs.get(key);
    bytes?.fill(0); // no other reference: `put` stored a copy, `get` hands out copies
    this.#blobs.delete(key);
    this.#unanchored.delete(key);
  }

  /** @inheritdoc */
  async putUnanchored(bytes: Uint8Array, intent: AnchorIntent): Promise<ContentHash> {
    const hash = contentIdOf(bytes, this.#suite);
    this.#note(hash, intent);
    return this.put(bytes);
  }

  /** @inheritdoc */
  async markAnchored(hash: string): Promise<void> {
    this.#unanchored.delete(normalizeContentHash(hash));
  }

  /** @inheritdoc */
  async listUnanchored(): Promise<UnanchoredBlob[]> {
    return [...this.#unanchored.values()].sort((a, b) => a.storedAt - b.storedAt);
  }

  /** @inheritdoc */
  async deleteUnanchored(hash: string): Promise<void> {
    const key = normalizeContentHash(hash);
    this.#unanchored.delete(key);
    this.#blobs.delete(key);
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
  async openSource(hash: string): Promise<BlobSource> {
    const key = normalizeContentHash(hash);
    const bytes = this.#blobs.get(key);
    if (bytes === undefined) throw new NotFoundError("blob", key);
    return { ...bytesSource(bytes), close: async () => undefined };
  }
}
