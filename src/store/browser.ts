/**
 * Browser-safe part of the blob store module: the interface, verification helpers and the
 * in-memory store. Node code can import `./index.js`, which adds the filesystem store.
 */
export { blobId, verifyBlob, withVerification, type BlobStore } from "./blob-store.js";
export { MemoryBlobStore } from "./memory.js";
export {
  isAnchorJournal,
  paddedSize,
  type AnchorIntent,
  type AnchorJournal,
  type UnanchoredBlob,
} from "./journal.js";
export {
  verifiedBlobChunks,
  type BlobSource,
  type PutStreamOptions,
  type StreamingBlobStore,
} from "./stream.js";
export {
  BLOB_REQUEST_HEADERS,
  BLOB_REQUEST_MAX_SKEW_SECONDS,
  BlobGatewayUnavailableError,
  BlobRequestRefusedError,
  HttpBlobStore,
  blobRequestMessage,
  type BlobRequestFields,
  type BlobRequestMethod,
  type BlobRequestSigner,
  type HttpBlobStoreOptions,
} from "./http.js";
