/**
 * Helpers of the SDK client tests (the world they run in is `deployClientsWorld`, sdk-world.ts): a store
 * that counts and can lie, a FHIR lab observation, an "attacker" that unwraps a record's data key by the
 * CLE1 spec (src/crypto/README.md) to play a revoked reader who cached it, and plaintext leak detection.
 */
import { xchacha20poly1305 } from "@noble/ciphers/chacha.js";
import { x25519 } from "@noble/curves/ed25519.js";
import { hkdf } from "@noble/hashes/hkdf.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { concatBytes } from "@noble/hashes/utils.js";
import { contentHash, type ContentHash } from "../../src/crypto/index.js";
import { NotFoundError } from "../../src/errors.js";
import type { BlobStore } from "../../src/store/index.js";

/**
 * A blob store that counts its calls and can misbehave: `tamper` rewrites what `get` returns and
 * `get` does NOT verify (a store that cannot be trusted); `drop` loses a blob.
 */
export class SpyStore implements BlobStore {
  readonly #blobs = new Map<string, Uint8Array>();
  gets = 0;
  puts = 0;
  tamper: ((bytes: Uint8Array) => Uint8Array) | undefined;

  put(bytes: Uint8Array): Promise<ContentHash> {
    this.puts++;
    const hash = contentHash(bytes);
    this.#blobs.set(hash, Uint8Array.from(bytes));
    return Promise.resolve(hash);
  }

  get(hash: string): Promise<Uint8Array> {
    this.gets++;
    // A missing blob rejects (peek throws inside the then), as an async store's get would.
    return Promise.resolve(hash)
      .then((h) => this.peek(h))
      .then((bytes) => (this.tamper === undefined ? bytes : this.tamper(bytes)));
  }

  has(hash: string): Promise<boolean> {
    return Promise.resolve(this.#blobs.has(hash.toLowerCase()));
  }

  /** Copy of the stored bytes (not counted, never tampered). */
  peek(hash: string): Uint8Array {
    const bytes = this.#blobs.get(hash.toLowerCase());
    if (bytes === undefined) throw new NotFoundError("blob", hash.toLowerCase());
    return Uint8Array.from(bytes);
  }

  delete(hash: string): Promise<void> {
    return new Promise((resolve) => {
      this.drop(hash);
      resolve();
    });
  }

  /** Forget a blob. */
  drop(hash: string): void {
    this.#blobs.delete(hash.toLowerCase());
  }

  /** Every stored blob. */
  all(): Uint8Array[] {
    return [...this.#blobs.values()].map((b) => Uint8Array.from(b));
  }
}

/** A small FHIR R4 Observation (serum glucose, LOINC 2345-7) as JSON text. */
export function labObservation(value: number, note = "fasting sample"): string {
  return JSON.stringify({
    resourceType: "Observation",
    status: "final",
    category: [{ coding: [{ code: "laboratory" }] }],
    code: { coding: [{ system: "http://loinc.org", code: "2345-7", display: "Glucose" }] },
    valueQuantity: { value, unit: "mg/dL", system: "http://unitsofmeasure.org", code: "mg/dL" },
    note: [{ text: note }],
  });
}

// ---------------------------------------------------------------------------------------------
// The CLE1 envelope by hand, as a reader who keeps the data key would (see src/crypto/README.md).
// ---------------------------------------------------------------------------------------------

const enc = new TextEncoder();

interface Layout {
  readonly header: Uint8Array;
  readonly headerHash: Uint8Array;
  readonly entries: readonly { reader: Uint8Array; ephemeral: Uint8Array; wrapped: Uint8Array }[];
  readonly bodyNonce: Uint8Array;
  readonly ciphertext: Uint8Array;
}

function layout(envelope: Uint8Array): Layout {
  const view = new DataView(envelope.buffer, envelope.byteOffset, envelope.byteLength);
  const n = view.getUint16(53);
  const header = envelope.subarray(0, 55 + n);
  const k = view.getUint16(55 + n);
  const entries = [];
  let offset = 57 + n;
  for (let i = 0; i < k; i++, offset += 112) {
    entries.push({
      reader: envelope.subarray(offset, offset + 32),
      ephemeral: envelope.subarray(offset + 32, offset + 64),
      wrapped: envelope.subarray(offset + 64, offset + 112),
    });
  }
  const length = view.getUint32(offset);
  return {
    header,
    headerHash: sha256(header),
    entries,
    bodyNonce: envelope.subarray(29, 53),
    ciphertext: envelope.subarray(offset + 4, offset + 4 + length),
  };
}

/** The data key of `envelope`, unwrapped with `privateKey` (what a reader could cache). */
export function unwrapDataKeyByHand(envelope: Uint8Array, privateKey: Uint8Array): Uint8Array {
  const l = layout(envelope);
  const me = x25519.getPublicKey(privateKey);
  const entry = l.entries.find((e) => e.reader.every((b, i) => b === me[i]));
  if (entry === undefined) throw new Error("not a reader");
  const shared = x25519.getSharedSecret(privateKey, entry.ephemeral);
  const info = concatBytes(enc.encode("careledger/cle1/wrap"), entry.ephemeral, entry.reader);
  const okm = hkdf(sha256, shared, l.headerHash, info, 56);
  const aad = concatBytes(l.headerHash, entry.ephemeral, entry.reader);
  return xchacha20poly1305(okm.subarray(0, 32), okm.subarray(32), aad).decrypt(entry.wrapped);
}

/**
 * Decrypt the body of `envelope` with a data key, deriving the body key with the salt of `saltFrom`'s
 * header (default: the envelope's own). Throws when the key does not fit.
 */
export function decryptBodyByHand(
  envelope: Uint8Array,
  dataKey: Uint8Array,
  saltFrom: Uint8Array = envelope,
): Uint8Array {
  const l = layout(envelope);
  const bodyKey = hkdf(
    sha256,
    dataKey,
    layout(saltFrom).headerHash,
    enc.encode("careledger/cle1/body"),
    32,
  );
  return xchacha20poly1305(bodyKey, l.bodyNonce, l.header).decrypt(l.ciphertext);
}

// ---------------------------------------------------------------------------------------------
// Plaintext leak detection
// ---------------------------------------------------------------------------------------------

/** Width of the windows compared: any 8 consecutive plaintext bytes found in chain data is a leak. */
export const LEAK_WINDOW = 8;

/** Every `LEAK_WINDOW`-byte window of each plaintext, as hex. */
export function plaintextWindows(plaintexts: readonly Uint8Array[]): Set<string> {
  const windows = new Set<string>();
  for (const p of plaintexts) {
    for (let i = 0; i + LEAK_WINDOW <= p.length; i++) {
      windows.add(Buffer.from(p.subarray(i, i + LEAK_WINDOW)).toString("hex"));
    }
  }
  return windows;
}

/** The first offset at which `haystack` contains one of `windows`, or -1. */
export function findLeak(haystack: Uint8Array, windows: ReadonlySet<string>): number {
  const hex = Buffer.from(haystack).toString("hex");
  for (let i = 0; i + LEAK_WINDOW <= haystack.length; i++) {
    if (windows.has(hex.slice(2 * i, 2 * (i + LEAK_WINDOW)))) return i;
  }
  return -1;
}
