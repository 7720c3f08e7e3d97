/**
 * Envelope encryption for medical records (format CLE1, see `src/crypto/README.md`).
 *
 * A record body is sealed under a fresh random 256-bit data key with XChaCha20-Poly1305; the data
 * key is wrapped for every reader with X25519 ephemeral-static ECDH + HKDF-SHA-256 +
 * XChaCha20-Poly1305. Everything is bound to the envelope header (patient, category, body nonce,
 * context), and a key commitment (HMAC-SHA-256 under a key derived from the data key) covers the
 * header, every wrapped key and the body tag, so a changed byte anywhere fails to open.
 *
 * Only audited `@noble/*` primitives are used; randomness comes from
 * `globalThis.crypto.getRandomValues`, so this module runs unchanged in Node and in browsers.
 */
import { xchacha20poly1305 } from "@noble/ciphers/chacha.js";
import { equalBytes } from "@noble/ciphers/utils.js";
import { x25519 } from "@noble/curves/ed25519.js";
import { hkdf } from "@noble/hashes/hkdf.js";
import { hmac } from "@noble/hashes/hmac.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { concatBytes, randomBytes } from "@noble/hashes/utils.js";
import { IntegrityError, InvalidArgumentError } from "../errors.js";
import { compareBytes, toBytes, toHex, utf8, wipe, type BytesInput, type Hex } from "./bytes.js";
import {
  checksumAddress,
  encodeHeader,
  layoutEnvelope,
  MAX_BODY_BYTES,
  parseAddress,
  parseEnvelope,
  SIZES,
  type EnvelopeHeaderFields,
  type EnvelopeParts,
  type WrappedKeyEntry,
} from "./envelope-format.js";
import { DuplicateReaderError, NotAReaderError } from "./errors.js";
import { contentHash, normalizeContentHash } from "./hash.js";
import { parsePublicKey, X25519_KEY_BYTES } from "./keys.js";

/** A reader to wrap the data key for: the member's on-chain X25519 `encryptionKey`. */
export interface ReaderInput {
  /** 32-byte X25519 public key, as bytes or bytes32 hex. */
  readonly publicKey: BytesInput;
}

/** What an envelope is bound to (authenticated, not encrypted: keep identifiers out of `context`). */
export interface RecordBinding {
  /** The patient's EVM address (the `patient` of `anchorRecord`). */
  readonly patient: string;
  /** Category index 0..8 (the `category` of `anchorRecord`). */
  readonly category: number;
  /** Optional application bytes bound to the envelope (e.g. a media type), at most 4096 bytes. */
  readonly context?: Uint8Array;
}

/** Input of {@link sealRecord}. */
export interface SealRecordInput {
  /** Plaintext record body (e.g. UTF-8 FHIR JSON). */
  readonly body: Uint8Array;
  /** Readers to wrap the data key for; duplicates are merged. At least one. */
  readonly readers: readonly ReaderInput[];
  /** Associated data: patient and category (and optional context). */
  readonly aad: RecordBinding;
}

/** Public facts about an envelope, readable without any key. */
export interface EnvelopeInfo {
  readonly version: number;
  readonly bodyAlgorithm: number;
  readonly wrapAlgorithm: number;
  /** EIP-55 checksummed patient address. */
  readonly patient: string;
  readonly category: number;
  readonly context: Uint8Array;
  /** X25519 public keys (bytes32 hex) holding a wrapped key, ascending. */
  readonly readers: readonly Hex[];
  /** Plaintext length of the body. */
  readonly bodyLength: number;
}

/** A successfully opened envelope. */
export interface OpenedRecord extends EnvelopeInfo {
  /** The decrypted, authenticated record body. */
  readonly body: Uint8Array;
}

/** Optional checks {@link openEnvelope} makes before returning anything. */
export interface OpenOptions {
  /** The content hash anchored on chain; the envelope's keccak256 must equal it. */
  readonly expectedContentHash?: string;
  /** The record's patient on chain; the header must name the same address. */
  readonly expectedPatient?: string;
  /** The record's category on chain; the header must carry the same index. */
  readonly expectedCategory?: number;
}

/** Options of {@link rotate}. */
export interface RotateOptions {
  /** Replace the bound context (default: keep the old envelope's context). */
  readonly context?: Uint8Array;
}

const INFO_WRAP = utf8("careledger/cle1/wrap");
const INFO_BODY = utf8("careledger/cle1/body");
const INFO_COMMIT = utf8("careledger/cle1/commit");

/**
 * Encrypt `body` for `readers` under a fresh data key and return the envelope bytes.
 * The record id to anchor is `contentHash(envelope)` (also returned by `BlobStore.put`).
 *
 * @throws InvalidArgumentError on a bad patient address, category, context, or reader key
 *   (wrong length, zero, or a low-order X25519 point).
 */
export function sealRecord(input: SealRecordInput): Uint8Array {
  const { body, readers, aad } = input;
  if (!(body instanceof Uint8Array)) throw new InvalidArgumentError("body must be a Uint8Array");
  if (body.length > MAX_BODY_BYTES) throw new InvalidArgumentError("record body too large");
  const readerKeys = uniqueReaderKeys(readers);
  const patient = parseAddress(aad.patient, "patient");
  const context = aad.context === undefined ? new Uint8Array(0) : toBytes(aad.context, "context");
  return sealBody(body, readerKeys, patient, aad.category, context);
}

/**
 * Decrypt an envelope with a reader's X25519 private key. Nothing is returned unless the wrapped
 * key, the key commitment (covering every byte outside the body ciphertext) and the body tag all
 * verify, and the optional expectations hold.
 *
 * @throws NotAReaderError (a WrongKeyError) when the key has no wrapped key in the envelope.
 * @throws IntegrityError (or its subclass InvalidEnvelopeError) when any byte was changed.
 */
export function openEnvelope(
  envelope: Uint8Array,
  readerPrivateKey: BytesInput,
  options: OpenOptions = {},
): OpenedRecord {
  if (options.expectedContentHash !== undefined) {
    const expected = normalizeContentHash(options.expectedContentHash);
    const actual = contentHash(envelope);
    if (actual !== expected) {
      throw new IntegrityError(`envelope hashes to ${actual}, expected ${expected}`);
    }
  }
  const parts = parseEnvelope(envelope);
  checkExpectations(parts.header, options);
  const { dataKey, headerHash } = unlock(parts, readerPrivateKey);
  try {
    return { ...describe(parts), body: decryptBody(parts, dataKey, headerHash) };
  } finally {
    wipe(dataKey);
  }
}

/**
 * Share: wrap the existing data key for one more reader, without re-encrypting the body.
 * `ownerPrivateKey` must belong to a current reader (the patient, typically). The result is a new
 * envelope (different bytes, so a different content hash): anchor it with
 * `amendRecord(oldRecordId, contentHash(newEnvelope))` — see README "Sharing".
 *
 * @throws NotAReaderError when `ownerPrivateKey` is not a reader.
 * @throws DuplicateReaderError when `newReaderPublicKey` already is one.
 * @throws IntegrityError when the envelope does not verify.
 */
export function addReader(
  envelope: Uint8Array,
  ownerPrivateKey: BytesInput,
  newReaderPublicKey: BytesInput,
): Uint8Array {
  const parts = parseEnvelope(envelope);
  const newReader = parsePublicKey(newReaderPublicKey, "new reader public key");
  if (parts.entries.some((e) => equalBytes(e.readerPublicKey, newReader))) {
    throw new DuplicateReaderError(toHex(newReader));
  }
  const { dataKey, headerHash } = unlock(parts, ownerPrivateKey);
  try {
    // Refuse to re-publish a body whose ciphertext does not authenticate.
    wipe(decryptBody(parts, dataKey, headerHash));
    const entries = [...parts.entries, wrapDataKey(dataKey, newReader, headerHash)];
    return assemble(
      parts.headerBytes,
      headerHash,
      dataKey,
      entries,
      parts.ciphertext.length,
      (out) => out.set(parts.ciphertext),
    );
  } finally {
    wipe(dataKey);
  }
}

/**
 * Revocation that means it: decrypt with a current reader's key and re-encrypt the body under a
 * new data key and new nonce for `readers` only (e.g. the patient and the grants still live).
 * Patient and category are kept. Anchor the result with `amendRecord`; a removed reader's cached
 * old data key opens nothing in the new envelope.
 *
 * @throws NotAReaderError when `readerPrivateKey` is not a reader; IntegrityError on tampering.
 */
export function rotate(
  envelope: Uint8Array,
  readerPrivateKey: BytesInput,
  readers: readonly ReaderInput[],
  options: RotateOptions = {},
): Uint8Array {
  const parts = parseEnvelope(envelope);
  const readerKeys = uniqueReaderKeys(readers);
  const context =
    options.context === undefined ? parts.header.context : toBytes(options.context, "context");
  const { dataKey, headerHash } = unlock(parts, readerPrivateKey);
  let body: Uint8Array;
  try {
    body = decryptBody(parts, dataKey, headerHash);
  } finally {
    wipe(dataKey);
  }
  try {
    return sealBody(body, readerKeys, parts.header.patient, parts.header.category, context);
  } finally {
    wipe(body);
  }
}

/**
 * Parse an envelope strictly and report its public facts (patient, category, readers, sizes)
 * without decrypting. Authenticity is only established by {@link openEnvelope} or by the
 * on-chain content hash.
 *
 * @throws InvalidEnvelopeError when the bytes are not a well-formed CLE1 envelope.
 */
export function inspectEnvelope(envelope: Uint8Array): EnvelopeInfo {
  return describe(parseEnvelope(envelope));
}

// ---------------------------------------------------------------------------------------------

function sealBody(
  body: Uint8Array,
  readerKeys: readonly Uint8Array[],
  patient: Uint8Array,
  category: number,
  context: Uint8Array,
): Uint8Array {
  const bodyNonce = randomBytes(SIZES.bodyNonce);
  const headerBytes = encodeHeader(patient, category, bodyNonce, context);
  const headerHash = sha256(headerBytes);
  const dataKey = randomBytes(SIZES.key);
  try {
    const entries = readerKeys.map((r) => wrapDataKey(dataKey, r, headerHash));
    return assemble(headerBytes, headerHash, dataKey, entries, body.length + SIZES.tag, (out) => {
      const bodyKey = deriveKey(dataKey, headerHash, INFO_BODY);
      xchacha20poly1305(bodyKey, bodyNonce, headerBytes).encrypt(body, out);
      wipe(bodyKey);
    });
  } finally {
    wipe(dataKey);
  }
}

/** Sort entries, lay the envelope out, let `writeCiphertext` fill the body, append the commitment. */
function assemble(
  headerBytes: Uint8Array,
  headerHash: Uint8Array,
  dataKey: Uint8Array,
  entries: WrappedKeyEntry[],
  ciphertextLength: number,
  writeCiphertext: (out: Uint8Array) => void,
): Uint8Array {
  entries.sort((a, b) => compareBytes(a.readerPublicKey, b.readerPublicKey));
  const { bytes, ciphertextOffset } = layoutEnvelope(headerBytes, entries, ciphertextLength);
  const ciphertextEnd = ciphertextOffset + ciphertextLength;
  writeCiphertext(bytes.subarray(ciphertextOffset, ciphertextEnd));
  const commitment = computeCommitment(
    dataKey,
    headerHash,
    bytes.subarray(0, ciphertextOffset),
    bytes.subarray(ciphertextEnd - SIZES.tag, ciphertextEnd),
  );
  bytes.set(commitment, ciphertextEnd);
  return bytes;
}

/** Find the caller's wrapped key, unwrap it and verify the key commitment. */
function unlock(
  parts: EnvelopeParts,
  privateKey: BytesInput,
): { dataKey: Uint8Array; headerHash: Uint8Array } {
  const sk = toBytes(privateKey, "X25519 private key", X25519_KEY_BYTES);
  const readerPublicKey = x25519.getPublicKey(sk);
  const entry = parts.entries.find((e) => equalBytes(e.readerPublicKey, readerPublicKey));
  if (entry === undefined) {
    wipe(sk);
    throw new NotAReaderError(toHex(readerPublicKey));
  }
  const headerHash = sha256(parts.headerBytes);
  const dataKey = unwrapDataKey(entry, sk, headerHash);
  wipe(sk);
  const tag = parts.ciphertext.subarray(parts.ciphertext.length - SIZES.tag);
  const expected = computeCommitment(dataKey, headerHash, parts.prefix, tag);
  if (!equalBytes(expected, parts.commitment)) {
    wipe(dataKey);
    throw new IntegrityError("envelope key commitment does not verify: the envelope was modified");
  }
  return { dataKey, headerHash };
}

function decryptBody(
  parts: EnvelopeParts,
  dataKey: Uint8Array,
  headerHash: Uint8Array,
): Uint8Array {
  const bodyKey = deriveKey(dataKey, headerHash, INFO_BODY);
  try {
    return xchacha20poly1305(bodyKey, parts.header.bodyNonce, parts.headerBytes).decrypt(
      parts.ciphertext,
    );
  } catch (cause) {
    throw new IntegrityError("record body does not authenticate: the ciphertext was modified", {
      cause,
    });
  } finally {
    wipe(bodyKey);
  }
}

/**
 * Wrap `dataKey` for one reader (X25519 ephemeral-static ECDH → HKDF-SHA-256 → XChaCha20-Poly1305),
 * bound to `headerHash`. `info` is the KDF label of the envelope format (CLE1 by default).
 */
export function wrapDataKey(
  dataKey: Uint8Array,
  readerPublicKey: Uint8Array,
  headerHash: Uint8Array,
  info: Uint8Array = INFO_WRAP,
): WrappedKeyEntry {
  const ephemeralSecret = x25519.utils.randomSecretKey();
  const ephemeralPublicKey = x25519.getPublicKey(ephemeralSecret);
  let shared: Uint8Array;
  try {
    shared = x25519.getSharedSecret(ephemeralSecret, readerPublicKey);
  } catch (cause) {
    throw new InvalidArgumentError(
      `reader public key ${toHex(readerPublicKey)} is not a usable X25519 key (low-order point)`,
      { cause },
    );
  } finally {
    wipe(ephemeralSecret);
  }
  const { kek, nonce, aad } = wrapParameters(
    shared,
    headerHash,
    ephemeralPublicKey,
    readerPublicKey,
    info,
  );
  const wrappedKey = xchacha20poly1305(kek, nonce, aad).encrypt(dataKey);
  wipe(shared, kek);
  return { readerPublicKey: Uint8Array.from(readerPublicKey), ephemeralPublicKey, wrappedKey };
}

/** Unwrap the data key of `entry` with the reader's private key; {@link IntegrityError} if it fails. */
export function unwrapDataKey(
  entry: WrappedKeyEntry,
  privateKey: Uint8Array,
  headerHash: Uint8Array,
  info: Uint8Array = INFO_WRAP,
): Uint8Array {
  let shared: Uint8Array | undefined;
  let kek: Uint8Array | undefined;
  try {
    shared = x25519.getSharedSecret(privateKey, entry.ephemeralPublicKey);
    const params = wrapParameters(
      shared,
      headerHash,
      entry.ephemeralPublicKey,
      entry.readerPublicKey,
      info,
    );
    kek = params.kek;
    return xchacha20poly1305(params.kek, params.nonce, params.aad).decrypt(entry.wrappedKey);
  } catch (cause) {
    throw new IntegrityError(
      `wrapped key for reader ${toHex(entry.readerPublicKey)} does not authenticate: the envelope was modified`,
      { cause },
    );
  } finally {
    if (shared !== undefined) wipe(shared);
    if (kek !== undefined) wipe(kek);
  }
}

/**
 * KEK and nonce for one wrapped key: HKDF-SHA-256(ikm = X25519 shared secret,
 * salt = SHA-256(header), info = "careledger/cle1/wrap" ‖ ephemeral pk ‖ reader pk) → 56 bytes;
 * the AEAD's associated data repeats the binding: SHA-256(header) ‖ ephemeral pk ‖ reader pk.
 */
function wrapParameters(
  shared: Uint8Array,
  headerHash: Uint8Array,
  ephemeralPublicKey: Uint8Array,
  readerPublicKey: Uint8Array,
  info: Uint8Array,
): { kek: Uint8Array; nonce: Uint8Array; aad: Uint8Array } {
  const okm = hkdf(
    sha256,
    shared,
    headerHash,
    concatBytes(info, ephemeralPublicKey, readerPublicKey),
    56,
  );
  return {
    kek: okm.subarray(0, 32),
    nonce: okm.subarray(32, 56),
    aad: concatBytes(headerHash, ephemeralPublicKey, readerPublicKey),
  };
}

function deriveKey(dataKey: Uint8Array, headerHash: Uint8Array, info: Uint8Array): Uint8Array {
  return hkdf(sha256, dataKey, headerHash, info, 32);
}

/** HMAC-SHA-256 under a data-key-derived key over everything outside the body ciphertext + its tag. */
function computeCommitment(
  dataKey: Uint8Array,
  headerHash: Uint8Array,
  prefix: Uint8Array,
  tag: Uint8Array,
): Uint8Array {
  const key = deriveKey(dataKey, headerHash, INFO_COMMIT);
  const mac = hmac.create(sha256, key).update(prefix).update(tag).digest();
  wipe(key);
  return mac;
}

/** Throw {@link IntegrityError} unless the header's patient and category are the expected ones. */
export function checkExpectations(
  header: { readonly patient: Uint8Array; readonly category: number },
  options: OpenOptions,
): void {
  if (options.expectedPatient !== undefined) {
    const expected = parseAddress(options.expectedPatient, "expected patient");
    if (!equalBytes(expected, header.patient)) {
      throw new IntegrityError(
        `envelope is bound to patient ${checksumAddress(header.patient)}, expected ${checksumAddress(expected)}`,
      );
    }
  }
  if (options.expectedCategory !== undefined && options.expectedCategory !== header.category) {
    throw new IntegrityError(
      `envelope is bound to category ${header.category}, expected ${options.expectedCategory}`,
    );
  }
}

function describe(parts: EnvelopeParts): EnvelopeInfo {
  return describeEnvelope(parts.header, parts.entries, parts.ciphertext.length - SIZES.tag);
}

/** The public facts of an envelope from its decoded header fields and wrapped keys. */
export function describeEnvelope(
  header: Omit<EnvelopeHeaderFields, "bodyNonce">,
  entries: readonly WrappedKeyEntry[],
  bodyLength: number,
): EnvelopeInfo {
  return {
    version: header.version,
    bodyAlgorithm: header.bodyAlgorithm,
    wrapAlgorithm: header.wrapAlgorithm,
    patient: checksumAddress(header.patient),
    category: header.category,
    context: Uint8Array.from(header.context),
    readers: entries.map((e) => toHex(e.readerPublicKey)),
    bodyLength,
  };
}

/** The distinct reader public keys of `readers` (at least one), validated. */
export function uniqueReaderKeys(readers: readonly ReaderInput[]): Uint8Array[] {
  if (!Array.isArray(readers) || readers.length === 0) {
    throw new InvalidArgumentError("at least one reader is required");
  }
  const byHex = new Map<string, Uint8Array>();
  readers.forEach((r: ReaderInput, i) => {
    const pk = parsePublicKey(r.publicKey, `reader ${i} public key`);
    byHex.set(toHex(pk), pk);
  });
  return [...byHex.values()];
}
