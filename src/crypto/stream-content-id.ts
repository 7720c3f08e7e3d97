/**
 * Content ids of envelope bytes, in constant memory: the CLE2 stream id (checking the segment table
 * against the segments as they pass) or keccak256 for anything else, and the byte-source helpers the
 * stores and clients share. Part of `stream.ts`, which re-exports it; imports no Node module.
 */
import { keccak_256 } from "@noble/hashes/sha3.js";
import { InvalidEnvelopeError } from "../errors.js";
import { toHex } from "./bytes.js";
import { SegmentIntegrityError, TruncatedEnvelopeError } from "./errors.js";
import type { ContentHash } from "./hash.js";
import {
  isStreamEnvelope,
  parseStreamPrefix,
  segmentCount,
  segmentPlainLength,
  STREAM_SIZES,
  streamPrefixLength,
  type StreamPrefix,
} from "./stream-format.js";
import type { RandomAccessSource, Sha256Hasher, StreamCipherSuite } from "./stream.js";

/**
 * Computes the content id of envelope bytes fed in order, in constant memory: for a CLE2
 * envelope its stream id (checking the segment table against the segments as they pass), for
 * anything else keccak256 of the bytes (the CLE1 record id).
 */
export class ContentIdHasher {
  readonly #suite: StreamCipherSuite;
  #head: Uint8Array[] = [];
  #headLength = 0;
  #mode: "head" | "keccak" | "stream" = "head";
  #keccak = keccak_256.create();
  // stream mode
  #layout: StreamPrefix | undefined;
  #id: Sha256Hasher | undefined;
  #segment: Sha256Hasher | undefined;
  #index = 0;
  #segmentRemaining = 0;
  #leaves: Uint8Array = new Uint8Array(0);
  #trailerOffset = 0;
  #length = 0;

  constructor(suite: StreamCipherSuite) {
    this.#suite = suite;
  }

  /** Bytes fed so far. */
  get length(): number {
    return this.#length;
  }

  update(chunk: Uint8Array): this {
    this.#length += chunk.length;
    if (this.#mode === "keccak") {
      this.#keccak.update(chunk);
    } else if (this.#mode === "stream") {
      this.#feedStream(chunk);
    } else {
      this.#head.push(chunk);
      this.#headLength += chunk.length;
      const head = concat(this.#head, this.#headLength);
      if (head.length < 4) return this;
      if (!isStreamEnvelope(head)) {
        this.#mode = "keccak";
        this.#keccak.update(head);
        this.#head = [];
        return this;
      }
      const prefixLength = streamPrefixLength(head);
      if (prefixLength === undefined || head.length < prefixLength) {
        this.#head = [head];
        return this;
      }
      const layout = parseStreamPrefix(head.subarray(0, prefixLength));
      this.#layout = layout;
      this.#mode = "stream";
      this.#head = [];
      this.#id = this.#suite.createSha256();
      this.#id.update(layout.prefix);
      this.#leaves = new Uint8Array(
        segmentCount(layout.header.bodyLength) * STREAM_SIZES.leaf + STREAM_SIZES.commitment,
      );
      this.#startSegment();
      this.#feedStream(head.subarray(prefixLength));
    }
    return this;
  }

  /**
   * The content id of everything fed. Throws {@link TruncatedEnvelopeError} for a CLE2 envelope
   * that ended early.
   */
  digest(): ContentHash {
    if (this.#mode !== "stream") {
      if (this.#mode === "head") this.#keccak.update(concat(this.#head, this.#headLength));
      return toHex(this.#keccak.digest());
    }
    const layout = this.#layout as StreamPrefix;
    const n = segmentCount(layout.header.bodyLength);
    if (this.#index < n || this.#trailerOffset < this.#leaves.length) {
      throw new TruncatedEnvelopeError(
        Math.min(this.#index, n - 1),
        `the envelope ended after ${this.#length} bytes`,
      );
    }
    return toHex((this.#id as Sha256Hasher).digest());
  }

  #startSegment(): void {
    const layout = this.#layout as StreamPrefix;
    const n = segmentCount(layout.header.bodyLength);
    if (this.#index < n) {
      this.#segment = this.#suite.createSha256();
      this.#segmentRemaining =
        segmentPlainLength(layout.header.bodyLength, this.#index) + STREAM_SIZES.tag;
    }
  }

  #feedStream(chunk: Uint8Array): void {
    const layout = this.#layout as StreamPrefix;
    const n = segmentCount(layout.header.bodyLength);
    let o = 0;
    while (o < chunk.length && this.#index < n) {
      const take = Math.min(this.#segmentRemaining, chunk.length - o);
      (this.#segment as Sha256Hasher).update(chunk.subarray(o, o + take));
      o += take;
      this.#segmentRemaining -= take;
      if (this.#segmentRemaining === 0) {
        this.#leaves.set((this.#segment as Sha256Hasher).digest(), this.#index * STREAM_SIZES.leaf);
        this.#index++;
        this.#startSegment();
      }
    }
    if (o === chunk.length) return;
    const tableLength = n * STREAM_SIZES.leaf;
    const rest = chunk.subarray(o);
    if (this.#trailerOffset + rest.length > this.#leaves.length) {
      throw new InvalidEnvelopeError(
        "invalid CLE2 envelope: bytes after the commitment",
        this.#length - (this.#trailerOffset + rest.length - this.#leaves.length),
      );
    }
    const id = this.#id as Sha256Hasher;
    for (let i = 0; i < rest.length; i++) {
      const at = this.#trailerOffset + i;
      if (at < tableLength && rest[i] !== this.#leaves[at]) {
        throw new SegmentIntegrityError(
          Math.floor(at / STREAM_SIZES.leaf),
          "its segment table entry does not match the segment",
        );
      }
    }
    id.update(rest);
    this.#trailerOffset += rest.length;
  }
}

/** Content id of complete envelope bytes: CLE2 stream id, or keccak256 for anything else. */
export function contentIdOf(bytes: Uint8Array, suite: StreamCipherSuite): ContentHash {
  return new ContentIdHasher(suite).update(bytes).digest();
}

/** A {@link RandomAccessSource} over bytes in memory. */
export function bytesSource(bytes: Uint8Array): RandomAccessSource {
  return {
    size: bytes.length,
    read: (offset, length) => Promise.resolve(bytes.subarray(offset, offset + length)),
  };
}

/** Collect an async byte stream into one array (for tests and small records). */
export async function collectBytes(
  chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  let length = 0;
  for await (const c of chunks) {
    parts.push(c);
    length += c.length;
  }
  return concat(parts, length);
}

function concat(parts: readonly Uint8Array[], length: number): Uint8Array {
  if (parts.length === 1) return parts[0] as Uint8Array;
  const out = new Uint8Array(length);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
