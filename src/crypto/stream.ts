/**
 * Streamed envelopes (format CLE2, see `src/crypto/README.md`): seal and open records of any
 * size segment by segment in constant memory, and compute or check their content id.
 *
 * The primitives come from a {@link StreamCipherSuite}: `stream-js.ts` (pure JS, `@noble/*`,
 * browsers) or `stream-node.ts` (OpenSSL through `node:crypto`). Both produce the same bytes;
 * this file holds everything else and imports no Node module. Content ids and byte sources are in
 * `stream-content-id.ts`, re-exported here.
 */
import { equalBytes } from "@noble/ciphers/utils.js";
import { x25519 } from "@noble/curves/ed25519.js";
import { hkdf } from "@noble/hashes/hkdf.js";
import { hmac } from "@noble/hashes/hmac.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { randomBytes } from "@noble/hashes/utils.js";
import { IntegrityError, InvalidArgumentError } from "../errors.js";
import { toBytes, toHex, utf8, wipe, type BytesInput } from "./bytes.js";
import {
  checkExpectations,
  describeEnvelope,
  uniqueReaderKeys,
  unwrapDataKey,
  wrapDataKey,
  type EnvelopeInfo,
  type OpenOptions,
  type ReaderInput,
  type RecordBinding,
} from "./envelope.js";
import { parseAddress } from "./envelope-format.js";
import {
  DuplicateReaderError,
  NotAReaderError,
  SegmentDroppedError,
  SegmentDuplicatedError,
  SegmentIntegrityError,
  SegmentReorderedError,
  TruncatedEnvelopeError,
} from "./errors.js";
import { normalizeContentHash, type ContentHash } from "./hash.js";
import { parsePublicKey, X25519_KEY_BYTES } from "./keys.js";
import {
  encodeStreamHeader,
  encodeStreamPrefix,
  isStreamEnvelope,
  parseStreamPrefix,
  SEGMENT_SIZE,
  segmentCount,
  segmentNonce,
  segmentPlainLength,
  STREAM_SIZES,
  streamEnvelopeLength,
  streamPrefixLength,
  trailerLength,
  type StreamPrefix,
} from "./stream-format.js";

export * from "./stream-content-id.js";

/** An incremental SHA-256. */
export interface Sha256Hasher {
  update(data: Uint8Array): void;
  digest(): Uint8Array;
}

/** The primitives a streamed envelope needs; implementations must be byte-identical. */
export interface StreamCipherSuite {
  /** Short name for reports, e.g. `"node:crypto"`. */
  readonly name: string;
  /** ChaCha20-Poly1305 (RFC 8439) seal, no associated data: ciphertext ‖ 16-byte tag. */
  sealSegment(key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array): Uint8Array;
  /** The plaintext of `sealed` (ciphertext ‖ tag), or `undefined` when the tag does not verify. */
  openSegment(key: Uint8Array, nonce: Uint8Array, sealed: Uint8Array): Uint8Array | undefined;
  sha256(data: Uint8Array): Uint8Array;
  createSha256(): Sha256Hasher;
}

/** Random-access bytes of an envelope (a file, a buffer, an HTTP range reader). */
export interface RandomAccessSource {
  /** Total length in bytes. */
  readonly size: number;
  /** Exactly `length` bytes starting at `offset` (callers stay within `size`). */
  read(offset: number, length: number): Promise<Uint8Array>;
}

/** Input of {@link sealEnvelopeStream}. */
export interface SealStreamInput {
  /** The plaintext, in chunks of any size. */
  readonly body: AsyncIterable<Uint8Array> | Iterable<Uint8Array>;
  /** Exact plaintext length; the stream must deliver exactly this many bytes. */
  readonly bodyLength: number;
  /** Readers to wrap the data key for; duplicates are merged. At least one. */
  readonly readers: readonly ReaderInput[];
  readonly aad: RecordBinding;
}

/** Options of {@link openEnvelopeStream}: {@link OpenOptions} with the CLE2 content id. */
export interface StreamOpenOptions extends Omit<OpenOptions, "expectedContentHash"> {
  /** The content id anchored on chain ({@link streamContentId}); checked before any key use. */
  readonly expectedContentId?: string;
}

/** An opened streamed envelope: its public facts and the verified plaintext as a stream. */
export interface OpenedEnvelopeStream extends EnvelopeInfo {
  /** The envelope's content id. */
  readonly contentId: ContentHash;
  /**
   * The plaintext, one verified segment at a time. Iterating throws a `SegmentError` (an
   * `IntegrityError`) naming the segment, before yielding any byte of it, when one fails.
   */
  readonly body: AsyncIterable<Uint8Array>;
}

const INFO_WRAP = utf8("careledger/cle2/wrap");
const INFO_PAYLOAD = utf8("careledger/cle2/payload");
const INFO_COMMIT = utf8("careledger/cle2/commit");
/** Bytes read from a source at once when scanning segments. */
const READ_AHEAD = 16 * (SEGMENT_SIZE + STREAM_SIZES.tag);

/**
 * A streamed envelope being sealed: iterate it (once) for the envelope bytes. Its length is known
 * up front; its content id once iteration has finished.
 */
export class SealedEnvelopeStream implements AsyncIterable<Uint8Array> {
  /** Total envelope length in bytes. */
  readonly envelopeLength: number;
  /** Reader public keys (bytes32 hex), ascending. */
  readonly readers: readonly `0x${string}`[];
  #contentId: ContentHash | undefined;
  #chunks: AsyncGenerator<Uint8Array> | undefined;

  constructor(
    envelopeLength: number,
    readers: readonly `0x${string}`[],
    chunks: (done: (id: ContentHash) => void) => AsyncGenerator<Uint8Array>,
  ) {
    this.envelopeLength = envelopeLength;
    this.readers = readers;
    this.#chunks = chunks((id) => {
      this.#contentId = id;
    });
  }

  /** The content id; throws {@link InvalidArgumentError} before the envelope has been read. */
  get contentId(): ContentHash {
    if (this.#contentId === undefined) {
      throw new InvalidArgumentError("content id is known once the sealed stream has been read");
    }
    return this.#contentId;
  }

  [Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    const chunks = this.#chunks;
    if (chunks === undefined) throw new InvalidArgumentError("a sealed stream is read only once");
    this.#chunks = undefined;
    return chunks;
  }
}

/**
 * Seal a body given as a stream into a CLE2 envelope, segment by segment (memory stays at about
 * one segment plus 32 bytes per 64 KiB of body for the segment table).
 *
 * @throws InvalidArgumentError on bad readers, patient, category, context or length, and (while
 *   iterating) when the body stream delivers more or fewer bytes than `bodyLength`.
 */
export function sealEnvelopeStream(
  input: SealStreamInput,
  suite: StreamCipherSuite,
): SealedEnvelopeStream {
  const { bodyLength } = input;
  const readerKeys = uniqueReaderKeys(input.readers);
  const patient = parseAddress(input.aad.patient, "patient");
  const context =
    input.aad.context === undefined ? new Uint8Array(0) : toBytes(input.aad.context, "context");
  const headerBytes = encodeStreamHeader(patient, input.aad.category, bodyLength, context);
  const headerHash = sha256(headerBytes);
  const dataKey = randomBytes(32);
  const prefix = encodeStreamPrefix(
    headerBytes,
    readerKeys.map((r) => wrapDataKey(dataKey, r, headerHash, INFO_WRAP)),
  );
  const payloadKey = hkdf(sha256, dataKey, headerHash, INFO_PAYLOAD, 32);
  const commitKey = hkdf(sha256, dataKey, headerHash, INFO_COMMIT, 32);
  wipe(dataKey);
  const readers = parseStreamPrefix(prefix).entries.map((e) => toHex(e.readerPublicKey));

  async function* chunks(done: (id: ContentHash) => void): AsyncGenerator<Uint8Array> {
    try {
      yield prefix;
      const n = segmentCount(bodyLength);
      const table = new Uint8Array(n * STREAM_SIZES.leaf);
      let index = 0;
      const seal = (plaintext: Uint8Array): Uint8Array => {
        const sealed = suite.sealSegment(
          payloadKey,
          segmentNonce(index, index === n - 1),
          plaintext,
        );
        table.set(suite.sha256(sealed), index * STREAM_SIZES.leaf);
        index++;
        return sealed;
      };
      const buffer = new Uint8Array(Math.min(SEGMENT_SIZE, bodyLength));
      let filled = 0;
      let received = 0;
      for await (const chunk of input.body) {
        if (!(chunk instanceof Uint8Array)) {
          throw new InvalidArgumentError("body stream must yield Uint8Array chunks");
        }
        received += chunk.length;
        if (received > bodyLength) {
          throw new InvalidArgumentError(`body stream is longer than bodyLength ${bodyLength}`);
        }
        let o = 0;
        while (o < chunk.length) {
          const want = segmentPlainLength(bodyLength, index);
          if (filled === 0 && chunk.length - o >= want) {
            yield seal(chunk.subarray(o, o + want)); // aligned: no copy
            o += want;
            continue;
          }
          const take = Math.min(want - filled, chunk.length - o);
          buffer.set(chunk.subarray(o, o + take), filled);
          filled += take;
          o += take;
          if (filled === want) {
            yield seal(buffer.subarray(0, want));
            filled = 0;
          }
        }
      }
      if (received !== bodyLength) {
        throw new InvalidArgumentError(
          `body stream ended after ${received} bytes, bodyLength is ${bodyLength}`,
        );
      }
      if (bodyLength === 0) yield seal(new Uint8Array(0));
      const commitment = hmac.create(sha256, commitKey).update(prefix).update(table).digest();
      yield table;
      yield commitment;
      done(streamIdOf(suite, prefix, table, commitment));
    } finally {
      wipe(payloadKey, commitKey);
    }
  }

  return new SealedEnvelopeStream(streamEnvelopeLength(prefix.length, bodyLength), readers, chunks);
}

/**
 * The content id of a CLE2 envelope: SHA-256 of the envelope with every sealed segment replaced
 * by its SHA-256 (= SHA-256(prefix ‖ segment table ‖ commitment)). 32 bytes, like the CLE1 id.
 */
function streamIdOf(
  suite: StreamCipherSuite,
  prefix: Uint8Array,
  table: Uint8Array,
  commitment: Uint8Array,
): ContentHash {
  const h = suite.createSha256();
  h.update(prefix);
  h.update(table);
  h.update(commitment);
  return toHex(h.digest());
}

/** The layout of a streamed envelope read from a source (prefix and trailer, not the segments). */
interface StreamLayout extends StreamPrefix {
  readonly segments: number;
  readonly table: Uint8Array;
  readonly commitment: Uint8Array;
  /** Where the segments end in the source (the trailer is read from its end). */
  readonly regionEnd: number;
  /** Where they would end in an intact envelope. */
  readonly expectedRegionEnd: number;
  readonly size: number;
}

async function readLayout(source: RandomAccessSource): Promise<StreamLayout> {
  const { size } = source;
  let head = await source.read(0, Math.min(size, STREAM_SIZES.headerFixed));
  if (head.length === STREAM_SIZES.headerFixed && isStreamEnvelope(head)) {
    const contextLength = new DataView(head.buffer, head.byteOffset).getUint16(37);
    head = await source.read(0, Math.min(size, STREAM_SIZES.headerFixed + contextLength + 2));
  }
  const prefixLength = streamPrefixLength(head);
  if (prefixLength === undefined || prefixLength > size) {
    parseStreamPrefix(head); // throws the precise reason
    throw new TruncatedEnvelopeError(0, `${size} bytes, shorter than the prefix`);
  }
  const parsed = parseStreamPrefix(await source.read(0, prefixLength));
  const segments = segmentCount(parsed.header.bodyLength);
  const trailer = trailerLength(segments);
  const expectedRegionEnd = prefixLength + parsed.header.bodyLength + segments * STREAM_SIZES.tag;
  if (size < prefixLength + trailer) {
    throw new TruncatedEnvelopeError(0, `${size} bytes, shorter than prefix and segment table`);
  }
  const trailerBytes = await source.read(size - trailer, trailer);
  return {
    ...parsed,
    segments,
    table: trailerBytes.subarray(0, segments * STREAM_SIZES.leaf),
    commitment: trailerBytes.subarray(segments * STREAM_SIZES.leaf),
    regionEnd: size - trailer,
    expectedRegionEnd,
    size,
  };
}

/** The trailer did not verify: report a short envelope as truncated, anything else as `reason`. */
function trailerFailure(layout: StreamLayout, reason: string): IntegrityError {
  const prefixLength = layout.prefix.length;
  if (layout.size < layout.expectedRegionEnd + trailerLength(layout.segments)) {
    const reached = Math.floor((layout.size - prefixLength) / (SEGMENT_SIZE + STREAM_SIZES.tag));
    return new TruncatedEnvelopeError(
      Math.min(reached, layout.segments - 1),
      `${layout.size} bytes of ${layout.expectedRegionEnd + trailerLength(layout.segments)}`,
    );
  }
  return new IntegrityError(reason);
}

function checkContentId(layout: StreamLayout, suite: StreamCipherSuite, expected: string): void {
  const want = normalizeContentHash(expected);
  const actual = streamIdOf(suite, layout.prefix, layout.table, layout.commitment);
  if (actual !== want)
    throw trailerFailure(layout, `envelope content id ${actual}, expected ${want}`);
}

/**
 * The sealed segments of `layout`, each checked against the segment table before it is yielded.
 * A mismatch is classified (dropped, duplicated, reordered, truncated, modified or foreign).
 */
async function* checkedSegments(
  source: RandomAccessSource,
  layout: StreamLayout,
  suite: StreamCipherSuite,
): AsyncGenerator<{ index: number; sealed: Uint8Array }> {
  const { segments, table, regionEnd, expectedRegionEnd } = layout;
  let positions: Map<string, number> | undefined;
  let window: Uint8Array = new Uint8Array(0);
  let windowStart = layout.prefix.length;
  let offset = layout.prefix.length;
  for (let index = 0; index < segments; index++) {
    const want = segmentPlainLength(layout.header.bodyLength, index) + STREAM_SIZES.tag;
    const available = regionEnd - offset;
    if (available <= 0) {
      throw new TruncatedEnvelopeError(index, `the envelope ends before segment ${index}`);
    }
    const length = Math.min(want, available);
    if (offset + length > windowStart + window.length) {
      windowStart = offset;
      window = await source.read(
        offset,
        Math.min(regionEnd - offset, Math.max(length, READ_AHEAD)),
      );
    }
    const sealed = window.subarray(offset - windowStart, offset - windowStart + length);
    const leaf = suite.sha256(sealed);
    const at = index * STREAM_SIZES.leaf;
    if (!equalBytes(leaf, table.subarray(at, at + STREAM_SIZES.leaf))) {
      positions ??= leafPositions(table);
      const found = positions.get(toHex(leaf));
      if (found === undefined) {
        throw length < want
          ? new TruncatedEnvelopeError(index, `the envelope ends inside segment ${index}`)
          : new SegmentIntegrityError(index, "modified, or taken from another record");
      }
      if (found < index) throw new SegmentDuplicatedError(index, found);
      throw regionEnd < expectedRegionEnd
        ? new SegmentDroppedError(index, found)
        : new SegmentReorderedError(index, found);
    }
    offset += want;
    if (index === segments - 1 && offset !== regionEnd) {
      throw new SegmentIntegrityError(
        segments,
        `${regionEnd - offset} unexpected bytes after the final segment ${index}`,
      );
    }
    yield { index, sealed };
  }
}

function leafPositions(table: Uint8Array): Map<string, number> {
  const out = new Map<string, number>();
  for (let i = 0; i * STREAM_SIZES.leaf < table.length; i++) {
    const key = toHex(table.subarray(i * STREAM_SIZES.leaf, (i + 1) * STREAM_SIZES.leaf));
    if (!out.has(key)) out.set(key, i);
  }
  return out;
}

/**
 * Open a CLE2 envelope from a random-access source with a reader's X25519 private key.
 *
 * Before anything is returned: the prefix is parsed strictly, the content id is checked against
 * `expectedContentId` (when given), patient and category against the expectations, the data key
 * is unwrapped and the key commitment (over prefix and segment table) verified. While iterating
 * `body`, each segment is checked against the table and its STREAM tag before its bytes are
 * released.
 *
 * @throws NotAReaderError when the key has no wrapped key in the envelope.
 * @throws IntegrityError (or a subclass: InvalidEnvelopeError, TruncatedEnvelopeError, a
 *   SegmentError) when any byte does not verify.
 */
export async function openEnvelopeStream(
  source: RandomAccessSource,
  readerPrivateKey: BytesInput,
  options: StreamOpenOptions,
  suite: StreamCipherSuite,
): Promise<OpenedEnvelopeStream> {
  const layout = await readLayout(source);
  const contentId = streamIdOf(suite, layout.prefix, layout.table, layout.commitment);
  if (options.expectedContentId !== undefined) {
    checkContentId(layout, suite, options.expectedContentId);
  }
  checkExpectations(layout.header, options);
  const { dataKey, headerHash } = unlockStream(layout, readerPrivateKey);
  const payloadKey = hkdf(sha256, dataKey, headerHash, INFO_PAYLOAD, 32);
  wipe(dataKey);

  async function* body(): AsyncGenerator<Uint8Array> {
    try {
      for await (const { index, sealed } of checkedSegments(source, layout, suite)) {
        const last = index === layout.segments - 1;
        const plaintext = suite.openSegment(payloadKey, segmentNonce(index, last), sealed);
        if (plaintext === undefined) {
          throw new SegmentIntegrityError(index, "does not authenticate under its STREAM nonce");
        }
        yield plaintext;
      }
    } finally {
      wipe(payloadKey);
    }
  }

  return {
    ...describeStream(layout),
    contentId,
    body: body(),
  };
}

/**
 * Share a CLE2 envelope without re-encrypting: a new envelope with the same header, segments and
 * segment table, one more wrapped key (for `newReaderPublicKey`) and a new key commitment, hence
 * a new content id (anchor it as an amendment, as CLE1 `addReader`). Before anything is yielded the
 * source's id (when given), its key commitment under `ownerPrivateKey` and, while copying, every
 * segment against the table are checked. Constant memory, no decryption of the body.
 *
 * @throws NotAReaderError, DuplicateReaderError, IntegrityError (or a SegmentError).
 */
export async function addReaderStream(
  source: RandomAccessSource,
  ownerPrivateKey: BytesInput,
  newReaderPublicKey: BytesInput,
  options: { readonly expectedContentId?: string },
  suite: StreamCipherSuite,
): Promise<SealedEnvelopeStream> {
  const layout = await readLayout(source);
  if (options.expectedContentId !== undefined) {
    checkContentId(layout, suite, options.expectedContentId);
  }
  const { prefix, commitment, readers } = rekey(layout, ownerPrivateKey, newReaderPublicKey);
  async function* chunks(done: (id: ContentHash) => void): AsyncGenerator<Uint8Array> {
    yield prefix;
    for await (const { sealed } of checkedSegments(source, layout, suite)) yield sealed;
    yield layout.table;
    yield commitment;
    done(streamIdOf(suite, prefix, layout.table, commitment));
  }
  return new SealedEnvelopeStream(
    streamEnvelopeLength(prefix.length, layout.header.bodyLength),
    readers,
    chunks,
  );
}

/** A new prefix with one more wrapped key for `newReaderPublicKey`, and its key commitment. */
function rekey(
  layout: StreamLayout,
  ownerPrivateKey: BytesInput,
  newReaderPublicKey: BytesInput,
): { prefix: Uint8Array; commitment: Uint8Array; readers: `0x${string}`[] } {
  const newReader = parsePublicKey(newReaderPublicKey, "new reader public key");
  if (layout.entries.some((e) => equalBytes(e.readerPublicKey, newReader))) {
    throw new DuplicateReaderError(toHex(newReader));
  }
  const { dataKey, headerHash } = unlockStream(layout, ownerPrivateKey);
  const prefix = encodeStreamPrefix(layout.headerBytes, [
    ...layout.entries,
    wrapDataKey(dataKey, newReader, headerHash, INFO_WRAP),
  ]);
  const commitKey = hkdf(sha256, dataKey, headerHash, INFO_COMMIT, 32);
  wipe(dataKey);
  const commitment = hmac.create(sha256, commitKey).update(prefix).update(layout.table).digest();
  wipe(commitKey);
  const readers = parseStreamPrefix(prefix).entries.map((e) => toHex(e.readerPublicKey));
  return { prefix, commitment, readers };
}

/** Magic of a key release of a CLE2 envelope (`releaseStreamKey`): ASCII `CLR2`. */
export const STREAM_RELEASE_MAGIC: Uint8Array = Uint8Array.of(0x43, 0x4c, 0x52, 0x32);

/**
 * Release the key of a CLE2 envelope to one more reader without copying the body: the result is
 * `CLR2` ‖ the envelope's prefix with one more wrapped key ‖ the new key commitment (a few hundred
 * bytes, whatever the body size). Together with the anchored envelope's segments and table it
 * forms the shared envelope ({@link openReleasedStream}). The source's content id (when given) and
 * key commitment are checked first; the segments are not read.
 */
export async function releaseStreamKey(
  source: RandomAccessSource,
  ownerPrivateKey: BytesInput,
  newReaderPublicKey: BytesInput,
  options: { readonly expectedContentId?: string },
  suite: StreamCipherSuite,
): Promise<Uint8Array> {
  const layout = await readLayout(source);
  if (options.expectedContentId !== undefined) {
    checkContentId(layout, suite, options.expectedContentId);
  }
  const { prefix, commitment } = rekey(layout, ownerPrivateKey, newReaderPublicKey);
  const out = new Uint8Array(4 + prefix.length + commitment.length);
  out.set(STREAM_RELEASE_MAGIC, 0);
  out.set(prefix, 4);
  out.set(commitment, 4 + prefix.length);
  return out;
}

/**
 * Check a key release (`releaseStreamKey`) against the anchored envelope in `anchored`: the
 * anchored envelope must have the content id `recordId`; the release must carry the same header,
 * every anchored wrapped key unchanged and exactly one more, for one of `readerKeys`. Returns that
 * key and a source of the shared envelope (the release's prefix and commitment around the anchored
 * segments and table) for {@link openEnvelopeStream}, which then verifies the commitment.
 *
 * @throws IntegrityError when the release is not the anchored envelope plus one key.
 */
export async function releasedStreamSource(
  anchored: RandomAccessSource,
  release: Uint8Array,
  recordId: string,
  readerKeys: readonly `0x${string}`[],
  suite: StreamCipherSuite,
): Promise<{ readonly readerKey: `0x${string}`; readonly source: RandomAccessSource }> {
  const layout = await readLayout(anchored);
  checkContentId(layout, suite, recordId);
  const fail = (detail: string): never => {
    throw new IntegrityError(`key release does not match the anchored envelope: ${detail}`);
  };
  if (release.length < 4 || !STREAM_RELEASE_MAGIC.every((b, i) => release[i] === b)) {
    fail("not a CLR2 key release");
  }
  const body = release.subarray(4);
  const prefixLength = streamPrefixLength(body);
  if (prefixLength === undefined || body.length !== prefixLength + STREAM_SIZES.commitment) {
    fail(`wrong length ${release.length}`);
  }
  const copy = parseStreamPrefix(body.subarray(0, prefixLength));
  if (!equalBytes(copy.headerBytes, layout.headerBytes)) fail("the header differs");
  const before = new Map(layout.entries.map((e) => [toHex(e.readerPublicKey), e]));
  const added: `0x${string}`[] = [];
  for (const entry of copy.entries) {
    const reader = toHex(entry.readerPublicKey);
    const old = before.get(reader);
    if (old === undefined) added.push(reader);
    else if (
      !equalBytes(old.ephemeralPublicKey, entry.ephemeralPublicKey) ||
      !equalBytes(old.wrappedKey, entry.wrappedKey)
    ) {
      fail(`the wrapped key of reader ${reader} differs`);
    }
  }
  const [readerKey] = added;
  if (
    copy.entries.length !== layout.entries.length + 1 ||
    readerKey === undefined ||
    !readerKeys.includes(readerKey)
  ) {
    fail(`expected one new wrapped key, for ${readerKeys.join(" or ")}; got ${added.join(", ")}`);
  }
  return {
    readerKey: readerKey as `0x${string}`,
    source: splice(copy.prefix, anchored, layout, body.subarray(prefixLength)),
  };
}

/** `prefix` ‖ the anchored segments and table ‖ `commitment`, as one random-access source. */
function splice(
  prefix: Uint8Array,
  anchored: RandomAccessSource,
  layout: StreamLayout,
  commitment: Uint8Array,
): RandomAccessSource {
  const from = layout.prefix.length;
  const middle = layout.size - from - STREAM_SIZES.commitment;
  const size = prefix.length + middle + commitment.length;
  return {
    size,
    async read(offset, length) {
      const out = new Uint8Array(length);
      const parts: [number, number, (o: number, n: number) => Promise<Uint8Array>][] = [
        [0, prefix.length, (o, n) => Promise.resolve(prefix.subarray(o, o + n))],
        [prefix.length, middle, (o, n) => anchored.read(from + o, n)],
        [
          prefix.length + middle,
          commitment.length,
          (o, n) => Promise.resolve(commitment.subarray(o, o + n)),
        ],
      ];
      for (const [start, len, read] of parts) {
        const a = Math.max(offset, start);
        const b = Math.min(offset + length, start + len);
        if (a < b) out.set(await read(a - start, b - a), a - offset);
      }
      return out;
    },
  };
}

/** Find the caller's wrapped key, unwrap it and verify the key commitment. */
function unlockStream(
  layout: StreamLayout,
  privateKey: BytesInput,
): { dataKey: Uint8Array; headerHash: Uint8Array } {
  const sk = toBytes(privateKey, "X25519 private key", X25519_KEY_BYTES);
  const readerPublicKey = x25519.getPublicKey(sk);
  const entry = layout.entries.find((e) => equalBytes(e.readerPublicKey, readerPublicKey));
  if (entry === undefined) {
    wipe(sk);
    throw new NotAReaderError(toHex(readerPublicKey));
  }
  const headerHash = sha256(layout.headerBytes);
  const dataKey = unwrapDataKey(entry, sk, headerHash, INFO_WRAP);
  wipe(sk);
  const commitKey = hkdf(sha256, dataKey, headerHash, INFO_COMMIT, 32);
  const expected = hmac.create(sha256, commitKey).update(layout.prefix).update(layout.table);
  const ok = equalBytes(expected.digest(), layout.commitment);
  wipe(commitKey);
  if (!ok) {
    wipe(dataKey);
    throw trailerFailure(
      layout,
      "envelope key commitment does not verify: the envelope was modified",
    );
  }
  return { dataKey, headerHash };
}

/**
 * The bytes of the CLE2 envelope in `source`, verified without any key: the content id must equal
 * `expectedContentId` (checked before the first byte is yielded) and every segment must match
 * the segment table before it is yielded. What a blob store's verifying `get` stream is built on.
 */
export async function* verifiedEnvelopeChunks(
  source: RandomAccessSource,
  expectedContentId: string,
  suite: StreamCipherSuite,
): AsyncGenerator<Uint8Array> {
  const layout = await readLayout(source);
  checkContentId(layout, suite, expectedContentId);
  yield layout.prefix;
  for await (const { sealed } of checkedSegments(source, layout, suite)) yield sealed;
  yield layout.table;
  yield layout.commitment;
}

/** Public facts of a streamed envelope in `source`, without any key or verification. */
export async function inspectEnvelopeStream(source: RandomAccessSource): Promise<EnvelopeInfo> {
  return describeStream(await readLayout(source));
}

function describeStream(layout: StreamPrefix): EnvelopeInfo {
  return describeEnvelope(layout.header, layout.entries, layout.header.bodyLength);
}
