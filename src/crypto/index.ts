/**
 * Envelope encryption, member key pairs and key files (see `README.md` in this directory).
 * Everything in `./browser.js`, plus the Node helpers that read and write key files on disk.
 */
export * from "./browser.js";
export {
  loadKeyFile,
  readKeyFile,
  saveKeyFile,
  writeKeyFile,
  type SaveKeyFileOptions,
} from "./keyfile-fs.js";
export {
  contentIdHasherNode,
  nodeStreamSuite,
  openEnvelopeStreamNode,
  openFileSource,
  sealEnvelopeStreamNode,
  verifiedEnvelopeChunksNode,
  type FileSource,
} from "./stream-node.js";
