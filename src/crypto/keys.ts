/**
 * Member encryption key pairs (X25519). The public half is what a member registers on chain
 * (`onboardMember(account, role, orgId, encryptionKey)` / `rotateEncryptionKey(encryptionKey)`,
 * a `bytes32`); envelopes wrap record keys to it.
 */
import { x25519 } from "@noble/curves/ed25519.js";
import { InvalidArgumentError } from "../errors.js";
import { isAllZero, toBytes, toHex, type BytesInput, type Hex } from "./bytes.js";

/** Length of an X25519 private or public key. */
export const X25519_KEY_BYTES = 32;

/** A member's X25519 key pair. Keep `privateKey` in a key file (see `encryptKeyFile`). */
export interface MemberKeyPair {
  /** 32-byte X25519 secret scalar. */
  readonly privateKey: Uint8Array;
  /** 32-byte X25519 public key (u-coordinate), the on-chain `encryptionKey`. */
  readonly publicKey: Uint8Array;
}

/** A fresh random key pair (randomness from `globalThis.crypto.getRandomValues`). */
export function generateMemberKeyPair(): MemberKeyPair {
  const { secretKey, publicKey } = x25519.keygen();
  return { privateKey: secretKey, publicKey };
}

/** The key pair of an existing private key (32 bytes or bytes32 hex). */
export function memberKeyPairFromPrivateKey(privateKey: BytesInput): MemberKeyPair {
  const sk = toBytes(privateKey, "X25519 private key", X25519_KEY_BYTES);
  return { privateKey: sk, publicKey: x25519.getPublicKey(sk) };
}

/**
 * Validate an X25519 public key (32 bytes, not all zero) given as bytes or bytes32 hex and return
 * its bytes. Low-order points are rejected later, when a key is wrapped to them.
 */
export function parsePublicKey(publicKey: BytesInput, what = "X25519 public key"): Uint8Array {
  const pk = toBytes(publicKey, what, X25519_KEY_BYTES);
  if (isAllZero(pk)) throw new InvalidArgumentError(`${what} is all zero`);
  return pk;
}

/**
 * A public key as the `0x`-prefixed bytes32 hex the contract takes for `encryptionKey`
 * (and returns from `memberOf`).
 */
export function encryptionKeyHex(publicKey: BytesInput): Hex {
  return toHex(parsePublicKey(publicKey));
}
