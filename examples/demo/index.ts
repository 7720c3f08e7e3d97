/**
 * The CareLedger demo (`npm run demo`): the scenario, its acts and the signed-consent step. An example
 * of the SDK end to end, not part of the package.
 */
export { runDemo } from "./scenario.js";
export * from "./types.js";
export { expectAccessDenied } from "./run.js";
export * from "./signed-consent.js";
