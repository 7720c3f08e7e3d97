/**
 * `careledger/node`: everything in `careledger/browser`, plus what needs a file system: the
 * content-addressed file store (with streamed puts and reads), key files on disk, OpenSSL streamed
 * envelopes, files as streamed record bodies and the emergency key custodian's log file.
 */
export * from "./browser.js";
export * from "./crypto/index.js";
export * from "./store/index.js";
export * from "./sdk/clients/custodian-fs.js";
export { bodyFromFile, bodyToFile } from "./sdk/clients/stream-files.js";
