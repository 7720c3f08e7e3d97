/**
 * `hardhat test --coverage` runs every spec with instrumented contracts. Specs that deploy to a node out of
 * process (anvil, the packaged tarball, an indexer) cannot use that bytecode: it is past the 24 KB size limit a
 * real node enforces, and a node's execution is not measured anyway. They run, uninstrumented, in `npm test`.
 */
export const underCoverage = process.env.HARDHAT_COVERAGE === "true";

/** In a `describe`: skip the whole suite when it runs under `hardhat test --coverage`. */
export function skipUnderCoverage(): void {
  before(function () {
    if (underCoverage) this.skip();
  });
}
