/**
 * In-memory {@link BlobStore} for tests and browsers (nothing persists).
 */
import { NotFoundError } from "../errors.js";
import { contentHash, normalizeContentHash, type ContentHash } from "../crypto/hash.js";
import type { BlobStore } from "./blob-store.js";
import type { AnchorIntent, AnchorJournal, UnanchoredBlob } from "./journal.js";

/**
 * A {@link BlobStore} backed by a `Map`. It stores and returns copies, and the map is private,
 * so a stored blob cannot change after `put` hashed it: `get` needs no re-hash.
 */
export class MemoryBlobStore implements BlobStore, AnchorJournal {
  readonly #blobs = new Map<ContentHash, Uint8Array>();
  readonly #unanchored = new Map<ContentHash, UnanchoredBlob>();

  /** Number of blobs stored. */
  get size(): number {
    return this.#blobs.size;
  }

  /** @inheritdoc */
  async put(bytes: Uint8Array): Promise<ContentHash> {
    const hash = contentHash(bytes);
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
  async putUnanchored(bytes: Uint8Array, intent: AnchorIntent): Promise<ContentHash> {
    const hash = contentHash(bytes);
    this.#unanchored.set(hash, { recordId: hash, intent: { ...intent }, storedAt: Date.now() });
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
}
