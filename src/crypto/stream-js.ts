/**
 * The pure-JS {@link StreamCipherSuite} (`@noble/ciphers` ChaCha20-Poly1305, `@noble/hashes`
 * SHA-256): runs in browsers, byte-identical to the OpenSSL suite in `stream-node.ts`.
 */
import { chacha20poly1305 } from "@noble/ciphers/chacha.js";
import { sha256 } from "@noble/hashes/sha2.js";
import type { StreamCipherSuite } from "./stream.js";

/** Pure-JS primitives for streamed envelopes (browser-safe). */
export const jsStreamSuite: StreamCipherSuite = {
  name: "@noble (pure JS)",
  sealSegment: (key, nonce, plaintext) => chacha20poly1305(key, nonce).encrypt(plaintext),
  openSegment(key, nonce, sealed) {
    try {
      return chacha20poly1305(key, nonce).decrypt(sealed);
    } catch {
      return undefined;
    }
  },
  sha256: (data) => sha256(data),
  createSha256() {
    const h = sha256.create();
    return {
      update: (data) => void h.update(data),
      digest: () => h.digest(),
    };
  },
};
