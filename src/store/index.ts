/**
 * Content-addressed blob stores: the {@link BlobStore} interface, the default filesystem store and
 * an in-memory store. Browser code imports `./browser.js` (no Node built-ins) instead.
 */
export * from "./browser.js";
export { FsBlobStore, storageErrorFrom, type FsBlobStoreOptions } from "./fs.js";
export {
  TEMP_PREFIX,
  ensureDirectory,
  fsyncDirectory,
  isTempFileName,
  writeFileAtomic,
  type AtomicWriteOptions,
} from "./atomic-fs.js";
export { getStreamFs, openSourceFs, putStreamFs, type FsStoreLayout } from "./fs-stream.js";
