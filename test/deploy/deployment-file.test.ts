/**
 * `deployments/<chainId>.json` as a front end reads it (`src/deploy/deployment.ts`, no Node import):
 * the `./abi` reference or an embedded ABI, and the typed error naming both hashes when the ABI this
 * code would use is not the deployed one. Also checks that `src/abi/careLedger.ts` is current.
 */
import { expect } from "chai";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { CARE_LEDGER_ABI_HASH, careLedgerAbi } from "../../src/abi/careLedger.js";
import {
  AbiMismatchError,
  CARE_LEDGER_ABI_REF,
  MANIFEST_FORMAT,
  ManifestError,
  abiHash,
  connectCareLedger,
  parseManifest,
} from "../../src/deploy/deployment.js";
import { renderAbiModule } from "../../scripts/abi-module.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const ADDRESS = "0x5FbDB2315678afecb367f032d93F642f64180aa3";
const HASH = `0x${"11".repeat(32)}`;
const OTHER_HASH = `0x${"22".repeat(32)}`;

function manifest(contract: Record<string, unknown> = {}) {
  return {
    format: MANIFEST_FORMAT,
    chainId: 1337,
    network: "localnode",
    deploymentId: "chain-1337",
    deployer: ADDRESS,
    deployedAt: "2026-12-04T00:00:00.000Z",
    contracts: {
      CareLedger: {
        address: ADDRESS,
        deploymentBlock: 1,
        deploymentTxHash: HASH,
        artifact: "contracts/CareLedger.sol:CareLedger",
        abiPath: "artifacts/contracts/CareLedger.sol/CareLedger.json",
        typechainFactory: "CareLedger__factory",
        abiHash: CARE_LEDGER_ABI_HASH,
        abiRef: CARE_LEDGER_ABI_REF,
        ...contract,
      },
    },
    parameters: {},
    transactions: [],
  };
}

describe("deployment file (browser-safe)", function () {
  it("src/abi/careLedger.ts is generated from the current artifact (else: npm run build:abi)", async function () {
    const file = path.join(root, "src/abi/careLedger.ts");
    const artifact = JSON.parse(
      await readFile(path.join(root, "artifacts/contracts/CareLedger.sol/CareLedger.json"), "utf8"),
    ) as { abi: unknown[] };
    expect(await readFile(file, "utf8")).to.equal(await renderAbiModule(artifact.abi, file));
    expect(abiHash(artifact.abi)).to.equal(CARE_LEDGER_ABI_HASH);
  });

  it("connects through the ./abi reference, typed, with the shipped ABI", async function () {
    const m = parseManifest(manifest());
    expect(m.contracts.CareLedger.abiRef).to.equal("careledger/abi#careLedgerAbi");
    const ledger = connectCareLedger(m, null);
    expect(await ledger.getAddress()).to.equal(ADDRESS);
    expect(ledger.interface.getFunction("consentOf")?.name).to.equal("consentOf");
  });

  it("connects with an embedded ABI when the manifest carries one", function () {
    const m = parseManifest(manifest({ abi: careLedgerAbi, abiRef: undefined }));
    expect(connectCareLedger(m, null).interface.fragments).to.have.length(careLedgerAbi.length);
  });

  const mismatches: {
    name: string;
    contract: Record<string, unknown>;
    abi?: readonly unknown[];
    local: string;
  }[] = [
    {
      name: "the deployed ABI hash differs from the shipped ABI",
      contract: { abiHash: OTHER_HASH },
      local: CARE_LEDGER_ABI_HASH,
    },
    {
      name: "a pinned ABI differs from the deployed one",
      contract: {},
      abi: careLedgerAbi.slice(1),
      local: abiHash(careLedgerAbi.slice(1)),
    },
  ];
  for (const c of mismatches) {
    it(`AbiMismatchError names both hashes when ${c.name}`, function () {
      const m = parseManifest(manifest(c.contract));
      const deployed = m.contracts.CareLedger.abiHash;
      let caught: unknown;
      try {
        connectCareLedger(m, null, c.abi === undefined ? {} : { abi: c.abi });
      } catch (err) {
        caught = err;
      }
      expect(caught).to.be.instanceOf(AbiMismatchError).and.instanceOf(ManifestError);
      const err = caught as AbiMismatchError;
      expect(err.name).to.equal("AbiMismatchError");
      expect(err.code).to.equal("ABI_MISMATCH");
      expect([err.deployedAbiHash, err.localAbiHash, err.chainId]).to.deep.equal([
        deployed,
        c.local,
        1337,
      ]);
      expect(err.message).to.include(deployed).and.include(c.local);
    });
  }

  const bad: { name: string; contract: Record<string, unknown>; message: RegExp }[] = [
    {
      name: "an embedded ABI that does not hash to abiHash",
      contract: { abi: careLedgerAbi.slice(2) },
      message: /abi does not hash to/,
    },
    {
      name: "an abiRef without #export",
      contract: { abiRef: "careledger/abi" },
      message: /abiRef must be module#export/,
    },
  ];
  for (const b of bad) {
    it(`refuses ${b.name}`, function () {
      expect(() => parseManifest(manifest(b.contract))).to.throw(ManifestError, b.message);
    });
  }
});
