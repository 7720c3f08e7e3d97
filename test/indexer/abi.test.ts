/** The indexer's `as const` ABI is generated from the compiled contract, never edited by hand. */
import { expect } from "chai";
import { readFile } from "node:fs/promises";
import { generatedAbiModule, INDEXER_ABI } from "../../scripts/gen-indexer-abi.js";

describe("indexer: ABI", function () {
  it("indexer/abis/CareLedgerAbi.ts equals the one generated from the artifact (npm run indexer:abi)", async function () {
    expect(await readFile(INDEXER_ABI, "utf8")).to.equal(await generatedAbiModule());
  });
});
