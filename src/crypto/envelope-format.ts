/**
 * The CLE1 binary envelope format: constants, the strict parser and the header encoder.
 * The byte layout is documented in `src/crypto/README.md`; this file is its executable form.
 * No cryptography happens here (see `envelope.ts`).
 */
import { keccak_256 } from "@noble/hashes/sha3.js";
import { bytesToHex } from "@noble/hashes/utils.js";
import { InvalidArgumentError, InvalidEnvelopeError } from "../errors.js";
import { compareBytes, isAllZero, toBytes } from "./bytes.js";

/** The four magic bytes every envelope starts with: ASCII `CLE1`. */
export const ENVELOPE_MAGIC: Uint8Array = Uint8Array.of(0x43, 0x4c, 0x45, 0x31);
/** Format version written and accepted by this implementation. */
export const ENVELOPE_VERSION = 1;
/** Body AEAD identifiers (header byte 5). */
export const BodyAlgorithm = {
  /** XChaCha20-Poly1305, 24-byte nonce, 16-byte tag; key = HKDF-SHA-256(data key). */
  XChaCha20Poly1305: 1,
} as const;
/** Key-wrapping scheme identifiers (header byte 6). */
export const WrapAlgorithm = {
  /** X25519 ephemeral-static ECDH → HKDF-SHA-256 → XChaCha20-Poly1305 over the 32-byte data key. */
  X25519HkdfSha256XChaCha20Poly1305: 1,
} as const;

/** Number of record categories the chain defines (`contracts/types/Categories.sol`); valid: 0..8. */
export const ENVELOPE_CATEGORY_COUNT = 9;
/** Largest associated `context` the format accepts, in bytes. */
export const MAX_CONTEXT_BYTES = 4096;
/** Most wrapped keys one envelope may carry. */
export const MAX_READERS = 1024;
/** Largest body (plaintext) one envelope may carry: the u32 ciphertext length minus the tag. */
export const MAX_BODY_BYTES = 0xffff_ffff - 16;

/** Sizes of the fixed-width fields. */
export const SIZES = {
  magic: 4,
  patient: 20,
  bodyNonce: 24,
  key: 32,
  wrappedKey: 48,
  tag: 16,
  commitment: 32,
  /** magic + version + bodyAlg + wrapAlg + flags + patient + category + bodyNonce + contextLen */
  headerFixed: 4 + 1 + 1 + 1 + 1 + 20 + 1 + 24 + 2,
  /** reader public key + ephemeral public key + wrapped data key */
  entry: 32 + 32 + 48,
} as const;

/** Decoded header fields (everything authenticated as the body's associated data). */
export interface EnvelopeHeaderFields {
  readonly version: number;
  readonly bodyAlgorithm: number;
  readonly wrapAlgorithm: number;
  /** 20-byte patient address. */
  readonly patient: Uint8Array;
  readonly category: number;
  readonly bodyNonce: Uint8Array;
  readonly context: Uint8Array;
}

/** One wrapped data key (views into the envelope bytes). */
export interface WrappedKeyEntry {
  readonly readerPublicKey: Uint8Array;
  readonly ephemeralPublicKey: Uint8Array;
  readonly wrappedKey: Uint8Array;
}

/** A parsed envelope; every `Uint8Array` is a view into the original bytes. */
export interface EnvelopeParts {
  readonly header: EnvelopeHeaderFields;
  /** The encoded header (associated data of the body AEAD). */
  readonly headerBytes: Uint8Array;
  /** Sorted strictly ascending by reader public key. */
  readonly entries: readonly WrappedKeyEntry[];
  /** Everything before the body ciphertext: header, wrapped keys, ciphertext length. */
  readonly prefix: Uint8Array;
  /** Body ciphertext including its trailing 16-byte tag. */
  readonly ciphertext: Uint8Array;
  /** Trailing 32-byte key commitment. */
  readonly commitment: Uint8Array;
}

/** Encode the header for a new envelope. Validates the patient, category and context. */
export function encodeHeader(
  patient: Uint8Array,
  category: number,
  bodyNonce: Uint8Array,
  context: Uint8Array,
): Uint8Array {
  checkCategory(category);
  if (context.length > MAX_CONTEXT_BYTES) {
    throw new InvalidArgumentError(`context is ${context.length} bytes, max ${MAX_CONTEXT_BYTES}`);
  }
  const out = new Uint8Array(SIZES.headerFixed + context.length);
  const view = new DataView(out.buffer);
  out.set(ENVELOPE_MAGIC, 0);
  out[4] = ENVELOPE_VERSION;
  out[5] = BodyAlgorithm.XChaCha20Poly1305;
  out[6] = WrapAlgorithm.X25519HkdfSha256XChaCha20Poly1305;
  out[7] = 0; // flags, reserved
  out.set(patient, 8);
  out[28] = category;
  out.set(bodyNonce, 29);
  view.setUint16(53, context.length);
  out.set(context, SIZES.headerFixed);
  return out;
}

/**
 * Lay out a complete envelope around `headerBytes` and sorted `entries`, leaving the body
 * ciphertext (`ciphertextLength` bytes) and the commitment for the caller to fill in.
 * Returns the buffer and the offset where the ciphertext goes.
 */
export function layoutEnvelope(
  headerBytes: Uint8Array,
  entries: readonly WrappedKeyEntry[],
  ciphertextLength: number,
): { bytes: Uint8Array; ciphertextOffset: number } {
  if (entries.length < 1 || entries.length > MAX_READERS) {
    throw new InvalidArgumentError(
      `an envelope needs 1..${MAX_READERS} readers, got ${entries.length}`,
    );
  }
  if (ciphertextLength > 0xffff_ffff) throw new InvalidArgumentError("record body too large");
  const ciphertextOffset = headerBytes.length + 2 + entries.length * SIZES.entry + 4;
  const bytes = new Uint8Array(ciphertextOffset + ciphertextLength + SIZES.commitment);
  const view = new DataView(bytes.buffer);
  bytes.set(headerBytes, 0);
  const o = writeEntries(bytes, headerBytes.length, entries);
  view.setUint32(o, ciphertextLength);
  return { bytes, ciphertextOffset };
}

/**
 * Parse `bytes` under the strict CLE1 rules. Throws {@link InvalidEnvelopeError} (an
 * `IntegrityError`) on anything else: wrong magic, version, algorithm or flags; category out of
 * range; zero patient; zero, unsorted or duplicate reader keys; wrong lengths; trailing bytes.
 */
export function parseEnvelope(bytes: Uint8Array): EnvelopeParts {
  if (!(bytes instanceof Uint8Array))
    throw new InvalidArgumentError("envelope must be a Uint8Array");
  const fail = (reason: string, offset?: number): never => {
    throw new InvalidEnvelopeError(`invalid CLE1 envelope: ${reason}`, offset);
  };
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const need = (offset: number, n: number): void => {
    if (bytes.length < offset + n) fail(`truncated (${bytes.length} bytes)`, bytes.length);
  };

  need(0, SIZES.headerFixed);
  for (let i = 0; i < 4; i++)
    if (bytes[i] !== ENVELOPE_MAGIC[i]) fail("bad magic, not a CLE1 envelope", i);
  const version = bytes[4] as number;
  if (version !== ENVELOPE_VERSION) fail(`unsupported version ${version}`, 4);
  const bodyAlgorithm = bytes[5] as number;
  if (bodyAlgorithm !== BodyAlgorithm.XChaCha20Poly1305)
    fail(`unknown body algorithm ${bodyAlgorithm}`, 5);
  const { wrapAlgorithm, patient, category } = parseCommonFields(bytes, fail);
  const bodyNonce = bytes.subarray(29, 53);
  const contextLength = view.getUint16(53);
  if (contextLength > MAX_CONTEXT_BYTES) fail(`context length ${contextLength} too large`, 53);
  let o = SIZES.headerFixed;
  need(o, contextLength + 2);
  const context = bytes.subarray(o, o + contextLength);
  o += contextLength;
  const headerBytes = bytes.subarray(0, o);

  const count = view.getUint16(o);
  if (count < 1 || count > MAX_READERS) fail(`reader count ${count} outside 1..${MAX_READERS}`, o);
  o += 2;
  need(o, count * SIZES.entry + 4);
  const entries = readEntries(bytes, o, count, fail);
  o += count * SIZES.entry;
  const ciphertextLength = view.getUint32(o);
  if (ciphertextLength < SIZES.tag)
    fail(`ciphertext length ${ciphertextLength} shorter than a tag`, o);
  o += 4;
  const expectedTotal = o + ciphertextLength + SIZES.commitment;
  if (bytes.length !== expectedTotal) {
    fail(`length ${bytes.length} does not match the encoded length ${expectedTotal}`, o - 4);
  }
  return {
    header: { version, bodyAlgorithm, wrapAlgorithm, patient, category, bodyNonce, context },
    headerBytes,
    entries,
    prefix: bytes.subarray(0, o),
    ciphertext: bytes.subarray(o, o + ciphertextLength),
    commitment: bytes.subarray(o + ciphertextLength),
  };
}

/**
 * Header bytes 6..28, laid out alike in CLE1 and CLE2: wrap algorithm, reserved flags, patient
 * (non-zero) and category, each checked through `fail`.
 */
export function parseCommonFields(
  bytes: Uint8Array,
  fail: (reason: string, offset?: number) => never,
): { wrapAlgorithm: number; patient: Uint8Array; category: number } {
  const wrapAlgorithm = bytes[6] as number;
  if (wrapAlgorithm !== WrapAlgorithm.X25519HkdfSha256XChaCha20Poly1305) {
    fail(`unknown key-wrap algorithm ${wrapAlgorithm}`, 6);
  }
  if (bytes[7] !== 0) fail(`reserved flags must be 0, got ${bytes[7]}`, 7);
  const patient = bytes.subarray(8, 28);
  if (isAllZero(patient)) fail("patient address is zero", 8);
  const category = bytes[28] as number;
  if (category >= ENVELOPE_CATEGORY_COUNT) fail(`category ${category} out of range`, 28);
  return { wrapAlgorithm, patient, category };
}

/**
 * Write the reader count and `entries` (already sorted) at `offset` of `out`; returns the offset
 * after them.
 */
export function writeEntries(
  out: Uint8Array,
  offset: number,
  entries: readonly WrappedKeyEntry[],
): number {
  new DataView(out.buffer, out.byteOffset, out.byteLength).setUint16(offset, entries.length);
  let o = offset + 2;
  for (const e of entries) {
    out.set(e.readerPublicKey, o);
    out.set(e.ephemeralPublicKey, o + 32);
    out.set(e.wrappedKey, o + 64);
    o += SIZES.entry;
  }
  return o;
}

/**
 * Read `count` wrapped keys at `offset` (the caller checked the length), refusing zero reader
 * keys and keys not in strictly ascending order through `fail`.
 */
export function readEntries(
  bytes: Uint8Array,
  offset: number,
  count: number,
  fail: (reason: string, offset?: number) => never,
): WrappedKeyEntry[] {
  const entries: WrappedKeyEntry[] = [];
  for (let i = 0, o = offset; i < count; i++, o += SIZES.entry) {
    const readerPublicKey = bytes.subarray(o, o + 32);
    if (isAllZero(readerPublicKey)) fail("reader public key is zero", o);
    const previous = entries[i - 1];
    if (previous !== undefined && compareBytes(previous.readerPublicKey, readerPublicKey) >= 0) {
      fail("wrapped keys not in strictly ascending reader order", o);
    }
    entries.push({
      readerPublicKey,
      ephemeralPublicKey: bytes.subarray(o + 32, o + 64),
      wrappedKey: bytes.subarray(o + 64, o + SIZES.entry),
    });
  }
  return entries;
}

/** Throw {@link InvalidArgumentError} unless `category` is a valid category index. */
export function checkCategory(category: number): void {
  if (!Number.isInteger(category) || category < 0 || category >= ENVELOPE_CATEGORY_COUNT) {
    throw new InvalidArgumentError(
      `category must be an integer in 0..${ENVELOPE_CATEGORY_COUNT - 1}, got ${category}`,
    );
  }
}

const ADDRESS_RE = /^0x[0-9a-fA-F]{40}$/;

/**
 * The 20 bytes of an EVM address given as hex. All-lower and all-upper case are accepted as is;
 * mixed case must carry a valid EIP-55 checksum. The zero address is rejected.
 */
export function parseAddress(address: string, what = "address"): Uint8Array {
  if (typeof address !== "string" || !ADDRESS_RE.test(address)) {
    throw new InvalidArgumentError(
      `${what} is not a 0x-prefixed 20-byte hex address: ${String(address)}`,
    );
  }
  const body = address.slice(2);
  const bytes = toBytes(`0x${body}`, what, 20);
  const mixed = body !== body.toLowerCase() && body !== body.toUpperCase();
  if (mixed && checksumAddress(bytes) !== address) {
    throw new InvalidArgumentError(`${what} has an invalid EIP-55 checksum: ${address}`);
  }
  if (isAllZero(bytes)) throw new InvalidArgumentError(`${what} is the zero address`);
  return bytes;
}

/** EIP-55 checksummed form of a 20-byte address (what ethers `getAddress` returns). */
export function checksumAddress(address: Uint8Array): string {
  const lower = bytesToHex(address);
  const hash = bytesToHex(keccak_256(new TextEncoder().encode(lower)));
  let out = "0x";
  for (let i = 0; i < lower.length; i++) {
    const c = lower[i] as string;
    out += parseInt(hash[i] as string, 16) >= 8 ? c.toUpperCase() : c;
  }
  return out;
}
