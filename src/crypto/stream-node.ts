/**
 * The Node {@link StreamCipherSuite}: ChaCha20-Poly1305 and SHA-256 from OpenSSL through
 * `node:crypto` (byte-identical to the pure-JS suite), and Node adapters for streamed envelopes:
 * a file as a {@link RandomAccessSource}, and seal/open bound to this suite. Node only.
 */
import { createCipheriv, createDecipheriv, createHash, hash } from "node:crypto";
import * as fsp from "node:fs/promises";
import type { BytesInput } from "./bytes.js";
import {
  ContentIdHasher,
  openEnvelopeStream,
  sealEnvelopeStream,
  verifiedEnvelopeChunks,
  type OpenedEnvelopeStream,
  type RandomAccessSource,
  type SealedEnvelopeStream,
  type SealStreamInput,
  type StreamCipherSuite,
  type StreamOpenOptions,
} from "./stream.js";

const TAG = 16;
const view = (b: Buffer): Uint8Array => new Uint8Array(b.buffer, b.byteOffset, b.byteLength);

/** OpenSSL primitives for streamed envelopes. */
export const nodeStreamSuite: StreamCipherSuite = {
  name: "node:crypto (OpenSSL)",
  sealSegment(key, nonce, plaintext) {
    const cipher = createCipheriv("chacha20-poly1305", key, nonce, { authTagLength: TAG });
    const out = Buffer.allocUnsafe(plaintext.length + TAG);
    let o = cipher.update(plaintext).copy(out, 0);
    o += cipher.final().copy(out, o);
    cipher.getAuthTag().copy(out, o);
    return view(out);
  },
  openSegment(key, nonce, sealed) {
    if (sealed.length < TAG) return undefined;
    const decipher = createDecipheriv("chacha20-poly1305", key, nonce, { authTagLength: TAG });
    decipher.setAuthTag(sealed.subarray(sealed.length - TAG));
    const plaintext = decipher.update(sealed.subarray(0, sealed.length - TAG));
    try {
      decipher.final();
    } catch {
      plaintext.fill(0);
      return undefined;
    }
    return view(plaintext);
  },
  sha256: (data) => view(hash("sha256", data, "buffer")),
  createSha256() {
    const h = createHash("sha256");
    return {
      update: (data) => void h.update(data),
      digest: () => view(h.digest()),
    };
  },
};

/** {@link sealEnvelopeStream} with the OpenSSL suite. */
export function sealEnvelopeStreamNode(input: SealStreamInput): SealedEnvelopeStream {
  return sealEnvelopeStream(input, nodeStreamSuite);
}

/** {@link openEnvelopeStream} with the OpenSSL suite. */
export function openEnvelopeStreamNode(
  source: RandomAccessSource,
  readerPrivateKey: BytesInput,
  options: StreamOpenOptions = {},
): Promise<OpenedEnvelopeStream> {
  return openEnvelopeStream(source, readerPrivateKey, options, nodeStreamSuite);
}

/** {@link verifiedEnvelopeChunks} with the OpenSSL suite. */
export function verifiedEnvelopeChunksNode(
  source: RandomAccessSource,
  expectedContentId: string,
): AsyncGenerator<Uint8Array> {
  return verifiedEnvelopeChunks(source, expectedContentId, nodeStreamSuite);
}

/** A {@link ContentIdHasher} with the OpenSSL suite. */
export function contentIdHasherNode(): ContentIdHasher {
  return new ContentIdHasher(nodeStreamSuite);
}

/** A file opened for random-access reads; `close()` it when done. */
export interface FileSource extends RandomAccessSource {
  close(): Promise<void>;
}

/** Open `path` as a {@link FileSource} (its size is taken when opened). */
export async function openFileSource(path: string): Promise<FileSource> {
  const handle = await fsp.open(path, "r");
  try {
    const { size } = await handle.stat();
    return {
      size,
      async read(offset, length) {
        const out = Buffer.allocUnsafe(length);
        let done = 0;
        while (done < length) {
          const { bytesRead } = await handle.read(out, done, length - done, offset + done);
          if (bytesRead === 0) break;
          done += bytesRead;
        }
        return view(out).subarray(0, done);
      },
      close: () => handle.close(),
    };
  } catch (error) {
    await handle.close();
    throw error;
  }
}
