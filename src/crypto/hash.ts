/**
 * Content hashes: keccak256 of the exact bytes, as the chain computes and stores them
 * (`anchorRecord(patient, category, contentHash)`; record id = content hash).
 */
import { keccak_256 } from "@noble/hashes/sha3.js";
import { InvalidArgumentError } from "../errors.js";
import { toHex, type Hex } from "./bytes.js";

/** A content hash: `0x` + 64 lower-case hex digits of keccak256 over the content bytes. */
export type ContentHash = Hex;

const CONTENT_HASH_RE = /^0x[0-9a-fA-F]{64}$/;

/** keccak256 of `bytes` as a lower-case `0x` hex string (equal to ethers `keccak256(bytes)`). */
export function contentHash(bytes: Uint8Array): ContentHash {
  return toHex(keccak_256(bytes));
}

/**
 * Validate and normalise a content hash given by a caller (any hex case) to lower case.
 * Throws {@link InvalidArgumentError} unless it is `0x` followed by exactly 64 hex digits.
 */
export function normalizeContentHash(hash: string): ContentHash {
  if (typeof hash !== "string" || !CONTENT_HASH_RE.test(hash)) {
    throw new InvalidArgumentError(`not a content hash (0x + 64 hex digits): ${String(hash)}`);
  }
  return hash.toLowerCase() as ContentHash;
}
