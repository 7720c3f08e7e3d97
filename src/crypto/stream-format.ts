/**
 * The CLE2 streamed envelope format: constants, the prefix encoder and strict parser, segment
 * geometry and nonces. The byte layout is documented in `src/crypto/README.md` ("Streamed
 * envelope format CLE2"); this file is its executable form. No cryptography happens here.
 */
import { InvalidArgumentError, InvalidEnvelopeError } from "../errors.js";
import { compareBytes } from "./bytes.js";
import {
  checkCategory,
  MAX_CONTEXT_BYTES,
  MAX_READERS,
  parseCommonFields,
  readEntries,
  SIZES,
  WrapAlgorithm,
  writeEntries,
  type WrappedKeyEntry,
} from "./envelope-format.js";

/** The four magic bytes of a streamed envelope: ASCII `CLE2`. */
export const STREAM_MAGIC: Uint8Array = Uint8Array.of(0x43, 0x4c, 0x45, 0x32);
/** Format version of streamed envelopes. */
export const STREAM_VERSION = 2;
/** Body algorithm of CLE2 (header byte 5). */
export const StreamBodyAlgorithm = {
  /** ChaCha20-Poly1305 (RFC 8439) in the STREAM construction, 64 KiB plaintext segments. */
  ChaCha20Poly1305Stream64K: 2,
} as const;
/** Plaintext bytes per segment (every segment but the last is exactly this long). */
export const SEGMENT_SIZE = 65536;
/** Largest body a streamed envelope may carry (2^48 bytes; the counter never wraps). */
export const MAX_STREAM_BODY_BYTES = 2 ** 48;

/** Sizes of the fixed-width CLE2 fields. */
export const STREAM_SIZES = {
  magic: 4,
  tag: SIZES.tag,
  /** SHA-256 of one sealed segment, an entry of the segment table. */
  leaf: 32,
  commitment: SIZES.commitment,
  nonce: 12,
  /** magic + version + bodyAlg + wrapAlg + flags + patient + category + bodyLength(8) + contextLen */
  headerFixed: 4 + 1 + 1 + 1 + 1 + 20 + 1 + 8 + 2,
  /** reader public key + ephemeral public key + wrapped data key */
  entry: SIZES.entry,
} as const;

/** Decoded CLE2 header fields. */
export interface StreamHeaderFields {
  readonly version: number;
  readonly bodyAlgorithm: number;
  readonly wrapAlgorithm: number;
  readonly patient: Uint8Array;
  readonly category: number;
  /** Plaintext length of the body in bytes. */
  readonly bodyLength: number;
  readonly context: Uint8Array;
}

/** A parsed CLE2 prefix (header + wrapped keys); every `Uint8Array` is a view into the input. */
export interface StreamPrefix {
  readonly header: StreamHeaderFields;
  /** The encoded header: the HKDF salt input (as SHA-256) of every key of the envelope. */
  readonly headerBytes: Uint8Array;
  readonly entries: readonly WrappedKeyEntry[];
  /** The whole prefix (header, reader count, wrapped keys). */
  readonly prefix: Uint8Array;
}

/** `true` when `bytes` starts with the CLE2 magic. */
export function isStreamEnvelope(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && STREAM_MAGIC.every((b, i) => bytes[i] === b);
}

/** Number of segments of a body of `bodyLength` bytes (an empty body still has one). */
export function segmentCount(bodyLength: number): number {
  return bodyLength === 0 ? 1 : Math.ceil(bodyLength / SEGMENT_SIZE);
}

/** Plaintext length of segment `index` of a body of `bodyLength` bytes. */
export function segmentPlainLength(bodyLength: number, index: number): number {
  return Math.min(SEGMENT_SIZE, bodyLength - index * SEGMENT_SIZE);
}

/** Length of the trailer (segment table + commitment) for `segments` segments. */
export function trailerLength(segments: number): number {
  return segments * STREAM_SIZES.leaf + STREAM_SIZES.commitment;
}

/** Total envelope length for a prefix of `prefixLength` bytes and a body of `bodyLength` bytes. */
export function streamEnvelopeLength(prefixLength: number, bodyLength: number): number {
  const n = segmentCount(bodyLength);
  return prefixLength + bodyLength + n * STREAM_SIZES.tag + trailerLength(n);
}

/**
 * The 12-byte ChaCha20-Poly1305 nonce of segment `index` (STREAM, as in age): the index as an
 * 11-byte big-endian counter, then `1` for the final segment and `0` for every other one.
 */
export function segmentNonce(index: number, last: boolean): Uint8Array {
  const nonce = new Uint8Array(STREAM_SIZES.nonce);
  const view = new DataView(nonce.buffer);
  view.setUint32(3, Math.floor(index / 2 ** 32));
  view.setUint32(7, index >>> 0);
  nonce[11] = last ? 1 : 0;
  return nonce;
}

/** Encode a CLE2 header. Validates the category, context and body length. */
export function encodeStreamHeader(
  patient: Uint8Array,
  category: number,
  bodyLength: number,
  context: Uint8Array,
): Uint8Array {
  checkCategory(category);
  checkBodyLength(bodyLength);
  if (context.length > MAX_CONTEXT_BYTES) {
    throw new InvalidArgumentError(`context is ${context.length} bytes, max ${MAX_CONTEXT_BYTES}`);
  }
  const out = new Uint8Array(STREAM_SIZES.headerFixed + context.length);
  const view = new DataView(out.buffer);
  out.set(STREAM_MAGIC, 0);
  out[4] = STREAM_VERSION;
  out[5] = StreamBodyAlgorithm.ChaCha20Poly1305Stream64K;
  out[6] = WrapAlgorithm.X25519HkdfSha256XChaCha20Poly1305;
  out[7] = 0;
  out.set(patient, 8);
  out[28] = category;
  view.setUint32(29, Math.floor(bodyLength / 2 ** 32));
  view.setUint32(33, bodyLength >>> 0);
  view.setUint16(37, context.length);
  out.set(context, STREAM_SIZES.headerFixed);
  return out;
}

/** The prefix: header, reader count and the wrapped keys sorted ascending by reader key. */
export function encodeStreamPrefix(
  headerBytes: Uint8Array,
  entries: readonly WrappedKeyEntry[],
): Uint8Array {
  if (entries.length < 1 || entries.length > MAX_READERS) {
    throw new InvalidArgumentError(
      `an envelope needs 1..${MAX_READERS} readers, got ${entries.length}`,
    );
  }
  const sorted = [...entries].sort((a, b) => compareBytes(a.readerPublicKey, b.readerPublicKey));
  const out = new Uint8Array(headerBytes.length + 2 + sorted.length * STREAM_SIZES.entry);
  out.set(headerBytes, 0);
  writeEntries(out, headerBytes.length, sorted);
  return out;
}

/**
 * How many bytes the prefix starting `bytes` needs in total, or `undefined` when `bytes` is too
 * short to tell yet (needs the header and the reader count).
 */
export function streamPrefixLength(bytes: Uint8Array): number | undefined {
  if (bytes.length < STREAM_SIZES.headerFixed) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const contextLength = view.getUint16(37);
  const countAt = STREAM_SIZES.headerFixed + contextLength;
  if (bytes.length < countAt + 2) return undefined;
  return countAt + 2 + view.getUint16(countAt) * STREAM_SIZES.entry;
}

/**
 * Parse the CLE2 prefix at the start of `bytes` (trailing bytes are ignored: they are the
 * segments). Throws {@link InvalidEnvelopeError} on anything but a canonical prefix.
 */
export function parseStreamPrefix(bytes: Uint8Array): StreamPrefix {
  const fail = (reason: string, offset?: number): never => {
    throw new InvalidEnvelopeError(`invalid CLE2 envelope: ${reason}`, offset);
  };
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const need = (n: number): void => {
    if (bytes.length < n) fail(`truncated prefix (${bytes.length} bytes)`, bytes.length);
  };
  need(STREAM_SIZES.headerFixed);
  if (!isStreamEnvelope(bytes)) fail("bad magic, not a CLE2 envelope", 0);
  const version = bytes[4] as number;
  if (version !== STREAM_VERSION) fail(`unsupported version ${version}`, 4);
  const bodyAlgorithm = bytes[5] as number;
  if (bodyAlgorithm !== StreamBodyAlgorithm.ChaCha20Poly1305Stream64K) {
    fail(`unknown body algorithm ${bodyAlgorithm}`, 5);
  }
  const { wrapAlgorithm, patient, category } = parseCommonFields(bytes, fail);
  const bodyLength = view.getUint32(29) * 2 ** 32 + view.getUint32(33);
  if (bodyLength > MAX_STREAM_BODY_BYTES) fail(`body length ${bodyLength} too large`, 29);
  const contextLength = view.getUint16(37);
  if (contextLength > MAX_CONTEXT_BYTES) fail(`context length ${contextLength} too large`, 37);
  let o = STREAM_SIZES.headerFixed;
  need(o + contextLength + 2);
  const context = bytes.subarray(o, o + contextLength);
  o += contextLength;
  const headerBytes = bytes.subarray(0, o);
  const count = view.getUint16(o);
  if (count < 1 || count > MAX_READERS) fail(`reader count ${count} outside 1..${MAX_READERS}`, o);
  o += 2;
  need(o + count * STREAM_SIZES.entry);
  const entries = readEntries(bytes, o, count, fail);
  o += count * STREAM_SIZES.entry;
  return {
    header: { version, bodyAlgorithm, wrapAlgorithm, patient, category, bodyLength, context },
    headerBytes,
    entries,
    prefix: bytes.subarray(0, o),
  };
}

function checkBodyLength(bodyLength: number): void {
  if (!Number.isSafeInteger(bodyLength) || bodyLength < 0 || bodyLength > MAX_STREAM_BODY_BYTES) {
    throw new InvalidArgumentError(
      `body length must be an integer in 0..2^48, got ${String(bodyLength)}`,
    );
  }
}
