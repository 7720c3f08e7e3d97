/**
 * Browser-safe part of the crypto module (no Node built-ins): envelopes, key pairs, key files as
 * JSON, content hashes. Node code can import `./index.js`, which adds the key file disk helpers.
 */
export { toHex, type BytesInput, type Hex } from "./bytes.js";
export {
  addReader,
  inspectEnvelope,
  openEnvelope,
  rotate,
  sealRecord,
  type EnvelopeInfo,
  type OpenedRecord,
  type OpenOptions,
  type ReaderInput,
  type RecordBinding,
  type RotateOptions,
  type SealRecordInput,
} from "./envelope.js";
export {
  BodyAlgorithm,
  ENVELOPE_CATEGORY_COUNT,
  ENVELOPE_MAGIC,
  ENVELOPE_VERSION,
  MAX_BODY_BYTES,
  MAX_CONTEXT_BYTES,
  MAX_READERS,
  WrapAlgorithm,
} from "./envelope-format.js";
export {
  DuplicateReaderError,
  InvalidKeyFileError,
  NotAReaderError,
  WrongPassphraseError,
} from "./errors.js";
export { contentHash, normalizeContentHash, type ContentHash } from "./hash.js";
export {
  DEFAULT_SCRYPT_PARAMS,
  KEY_FILE_TYPE,
  KEY_FILE_VERSION,
  SCRYPT_LIMITS,
  decryptKeyFile,
  encryptKeyFile,
  parseKeyFile,
  serializeKeyFile,
  type EncryptKeyFileOptions,
  type KeyFile,
  type ScryptParams,
} from "./keyfile.js";
export {
  X25519_KEY_BYTES,
  encryptionKeyHex,
  generateMemberKeyPair,
  memberKeyPairFromPrivateKey,
  parsePublicKey,
  type MemberKeyPair,
} from "./keys.js";
export {
  MisplacedSegmentError,
  SegmentDroppedError,
  SegmentDuplicatedError,
  SegmentError,
  SegmentIntegrityError,
  SegmentReorderedError,
  TruncatedEnvelopeError,
} from "./errors.js";
export {
  addReaderStream,
  bytesSource,
  collectBytes,
  ContentIdHasher,
  contentIdOf,
  inspectEnvelopeStream,
  openEnvelopeStream,
  releasedStreamSource,
  releaseStreamKey,
  STREAM_RELEASE_MAGIC,
  SealedEnvelopeStream,
  sealEnvelopeStream,
  verifiedEnvelopeChunks,
  type OpenedEnvelopeStream,
  type RandomAccessSource,
  type SealStreamInput,
  type Sha256Hasher,
  type StreamCipherSuite,
  type StreamOpenOptions,
} from "./stream.js";
export {
  isStreamEnvelope,
  MAX_STREAM_BODY_BYTES,
  SEGMENT_SIZE,
  STREAM_MAGIC,
  STREAM_VERSION,
  StreamBodyAlgorithm,
} from "./stream-format.js";
export { jsStreamSuite } from "./stream-js.js";
