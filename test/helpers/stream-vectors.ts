/**
 * Shared by the CLE2 tests and `scripts/stream-vectors.ts`: the vector cases and their bodies.
 */
import { SEGMENT_SIZE } from "../../src/crypto/stream-format.js";

/** Body sizes at the segment edges: empty, one byte, one short of a segment, exact, one over, multi. */
export const VECTOR_CASES = [
  { name: "empty", bodyLength: 0 },
  { name: "one-byte", bodyLength: 1 },
  { name: "segment-minus-1", bodyLength: SEGMENT_SIZE - 1 },
  { name: "segment", bodyLength: SEGMENT_SIZE },
  { name: "segment-plus-1", bodyLength: SEGMENT_SIZE + 1 },
  { name: "three-segments", bodyLength: 2 * SEGMENT_SIZE + 4321 },
] as const;

/** A deterministic body of `length` bytes (not all equal, so a moved segment changes bytes). */
export function patternBody(length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = (i * 7 + (i >>> 8) * 13 + (i >>> 16)) & 0xff;
  return out;
}
