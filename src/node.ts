/**
 * `careledger/node`: everything in `careledger/browser`, plus what needs a file system: the
 * content-addressed file store, key files on disk and the emergency key custodian's log file.
 */
export * from "./browser.js";
export * from "./crypto/index.js";
export * from "./store/index.js";
export * from "./sdk/clients/custodian-fs.js";
