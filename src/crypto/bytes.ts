/**
 * Small byte and hex helpers shared by the crypto and store modules (browser-safe: no Node APIs).
 */
import { bytesToHex, hexToBytes } from "@noble/hashes/utils.js";
import { InvalidArgumentError } from "../errors.js";

/** A `0x`-prefixed hex string. */
export type Hex = `0x${string}`;

/** Bytes given either as raw bytes or as `0x`-prefixed hex (what ethers returns for `bytes32`). */
export type BytesInput = Uint8Array | string;

const HEX_RE = /^0x(?:[0-9a-fA-F]{2})*$/;

/** Lower-case `0x` hex of `bytes`. */
export function toHex(bytes: Uint8Array): Hex {
  return `0x${bytesToHex(bytes)}`;
}

/**
 * Raw bytes of `value` (a copy when it is already bytes), checking the length when `length` is
 * given. Throws {@link InvalidArgumentError} naming `what` on malformed hex or a wrong length.
 */
export function toBytes(value: BytesInput, what: string, length?: number): Uint8Array {
  let out: Uint8Array;
  if (typeof value === "string") {
    if (!HEX_RE.test(value)) throw new InvalidArgumentError(`${what} is not 0x-prefixed hex`);
    out = hexToBytes(value.slice(2));
  } else if (value instanceof Uint8Array) {
    out = Uint8Array.from(value);
  } else {
    throw new InvalidArgumentError(`${what} must be a Uint8Array or 0x hex string`);
  }
  if (length !== undefined && out.length !== length) {
    throw new InvalidArgumentError(`${what} must be ${length} bytes, got ${out.length}`);
  }
  return out;
}

/** UTF-8 bytes of `text`. */
export function utf8(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}

/** `true` when every byte of `bytes` is zero. */
export function isAllZero(bytes: Uint8Array): boolean {
  let acc = 0;
  for (const b of bytes) acc |= b;
  return acc === 0;
}

/** Lexicographic comparison of two byte strings (for canonical ordering; not constant-time). */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const d = (a[i] as number) - (b[i] as number);
    if (d !== 0) return d;
  }
  return a.length - b.length;
}

/** Overwrite `bytes` with zeros (best effort: JS gives no guarantee copies were not made). */
export function wipe(...arrays: Uint8Array[]): void {
  for (const a of arrays) a.fill(0);
}
