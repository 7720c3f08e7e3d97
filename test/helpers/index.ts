/**
 * The front door of the test helpers. The world builder (`buildWorld`, world.ts) and its presets, the
 * shared constants, assertions and audit folding. Helpers that start processes or load large optional
 * dependencies are imported from their own files: deploy/ (CLI and RPC stand-ins), faulty-node.ts,
 * fhir-validator.ts, indexer.ts, postgres.ts; and so are the shared behaviours (`*.behavior.ts`), which
 * the one spec that pairs with each imports.
 */
export * from "./assertions.js";
export * from "./audit.js";
export * from "./chain.js";
export * from "./clients.js";
export * from "./constants.js";
export * from "./coverage.js";
export * from "./fixtures.js";
export * from "./rejection.js";
export * from "./sdk-world.js";
export * from "./signed-consent.js";
export * from "./storage-layout.js";
export * from "./stream-vectors.js";
export * from "./tmpfs.js";
export * from "./world.js";
