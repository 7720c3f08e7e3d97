/**
 * The per-EVM build's `mcopy` rewrite copies memory exactly as `mcopy` does: the same contract is
 * compiled for cancun with `mcopy` and for paris with the rewrite, and both must give the bytes of
 * a reference memmove for every overlap (forward, backward, none), offset and tail length.
 */
import { expect } from "chai";
import { createRequire } from "node:module";
import { ContractFactory, getBytes, hexlify, type Contract } from "ethers";
import { network } from "hardhat";
import { rewriteMcopy } from "../../src/deploy/evm-build.js";
import { opcodesOf } from "../../src/deploy/preflight.js";
import { skipUnderCoverage } from "../helpers/index.js";

const require = createRequire(import.meta.url);

const SOURCE = `// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;
contract Copy {
    function copy(bytes memory buf, uint256 d, uint256 s, uint256 l) external pure returns (bytes memory) {
        assembly ("memory-safe") {
            mcopy(add(add(buf, 0x20), d), add(add(buf, 0x20), s), l)
        }
        return buf;
    }
}
`;

function compile(source: string, evmVersion: string): { abi: unknown[]; bytecode: string } {
  const solc = (require("solc/wrapper.js") as (s: unknown) => { compile(i: string): string })(
    require("solc/soljson.js"),
  );
  const output = JSON.parse(
    solc.compile(
      JSON.stringify({
        language: "Solidity",
        sources: { "Copy.sol": { content: source } },
        settings: {
          evmVersion,
          optimizer: { enabled: true, runs: 200 },
          outputSelection: { "*": { Copy: ["abi", "evm.bytecode.object"] } },
        },
      }),
    ),
  ) as {
    errors?: { severity: string; formattedMessage: string }[];
    contracts: Record<
      string,
      Record<string, { abi: unknown[]; evm: { bytecode: { object: string } } }>
    >;
  };
  const errors = (output.errors ?? []).filter((e) => e.severity === "error");
  if (errors.length > 0) throw new Error(errors.map((e) => e.formattedMessage).join("\n"));
  const contract = output.contracts["Copy.sol"]!["Copy"]!;
  return { abi: contract.abi, bytecode: `0x${contract.evm.bytecode.object}` };
}

/** memmove on a copy of `buf`. */
function reference(buf: Uint8Array, d: number, s: number, l: number): string {
  const out = Uint8Array.from(buf);
  out.set(buf.slice(s, s + l), d);
  return hexlify(out);
}

describe("deploy: per-EVM build, the mcopy rewrite", function () {
  skipUnderCoverage();
  let cancun: Contract;
  let paris: Contract;
  let parisBytecode: string;

  before(async function () {
    const { ethers } = await network.create();
    const [signer] = await ethers.getSigners();
    const original = compile(SOURCE, "cancun");
    const rewritten = compile(rewriteMcopy(SOURCE), "paris");
    parisBytecode = rewritten.bytecode;
    cancun = (await (
      await new ContractFactory(original.abi as never[], original.bytecode, signer).deploy()
    ).waitForDeployment()) as unknown as Contract;
    paris = (await (
      await new ContractFactory(rewritten.abi as never[], rewritten.bytecode, signer).deploy()
    ).waitForDeployment()) as unknown as Contract;
  });

  it("leaves no MCOPY in the paris bytecode, and rewrites only mcopy calls", function () {
    expect(opcodesOf(parisBytecode).has(0x5e)).to.equal(false);
    expect(rewriteMcopy("let x := mload(0)")).to.equal("let x := mload(0)");
    expect(rewriteMcopy(SOURCE)).to.not.match(/\bmcopy\s*\(/);
  });

  const buf = Uint8Array.from({ length: 100 }, (_, i) => (i * 37 + 11) % 256);
  const cases: readonly [string, number, number, number][] = [
    ["nothing", 10, 20, 0],
    ["one byte", 3, 70, 1],
    ["a tail of 31 bytes", 0, 40, 31],
    ["exactly one word", 5, 50, 32],
    ["a word and a tail", 60, 1, 33],
    ["disjoint, several words", 0, 36, 64],
    ["overlapping, destination before source", 2, 9, 80],
    ["overlapping, destination after source (backward)", 9, 2, 80],
    ["overlapping by one byte, backward", 1, 0, 99],
    ["onto itself", 7, 7, 50],
  ];
  for (const [what, d, s, l] of cases) {
    it(`copies ${what} (dst ${d}, src ${s}, ${l} bytes) as mcopy does`, async function () {
      const expected = reference(buf, d, s, l);
      const [withMcopy, rewritten] = await Promise.all([
        cancun.getFunction("copy").staticCall(buf, d, s, l) as Promise<string>,
        paris.getFunction("copy").staticCall(buf, d, s, l) as Promise<string>,
      ]);
      expect(withMcopy).to.equal(expected);
      expect(rewritten).to.equal(expected);
      expect(getBytes(rewritten)).to.have.length(buf.length);
    });
  }
});
