import { expect } from "chai";
import { keccak256, randomBytes } from "ethers";
import { network } from "hardhat";
import type { DemoRecord, SealRecord } from "../../examples/demo/index.js";
import { DemoExpectationError, expectAccessDenied, runDemo } from "../../examples/demo/index.js";
import { deployCareLedgerWithSigner } from "../../src/sdk/deploy.js";
import { AccessDeniedError } from "../../src/sdk/errors.js";
import { CareLedger__factory } from "../../typechain-types/index.js";
import { AccessPath, Category, Purpose, Role } from "../../src/sdk/constants.js";
import { recordIdOf } from "../../src/sdk/recordId.js";

const { ethers } = await network.create();
const signers = await ethers.getSigners();
const silent = (): void => {};

describe("demo scenario (npm run demo)", function () {
  it("runs the whole story on a fresh network and every expectation holds", async function () {
    const lines: string[] = [];
    const result = await runDemo({ signers, log: (line) => lines.push(line) });

    expect(result.refusals.map((r) => [r.who, r.errorName])).to.deep.equal([
      ["billing clerk", "CategoryNotAllowedForRole"],
      ["doctor", "ConsentMissing"],
    ]);
    expect(result.refusals[0]?.message).to.match(
      /^billing clerk 0x[0-9a-fA-F]{4}…[0-9a-fA-F]{4} may not read labs \(role policy\)$/,
    );
    expect(result.incidentId).to.equal(1n);
    expect(result.audit.matchesChain).to.equal(true);
    expect(result.audit.entries.map((e) => e.action)).to.deep.equal([
      "RecordOpened",
      "BreakGlassDeclared",
      "RecordOpened",
      "BreakGlassReviewed",
    ]);
    const opens = result.audit.entries.filter((e) => e.action === "RecordOpened");
    expect(opens.map((e) => e.path)).to.deep.equal([AccessPath.Consent, AccessPath.BreakGlass]);

    // The chain agrees with what the demo reports, read independently of the SDK.
    const ledger = CareLedger__factory.connect(result.address, ethers.provider);
    expect(await ledger.auditHead()).to.equal(result.audit.globalHead);
    const [lab] = await ledger.recordOf(result.labRecordId);
    expect(Number(lab.category)).to.equal(Category.Labs);
    const [med, author] = await ledger.recordOf(result.medicationRecordId);
    expect(Number(med.category)).to.equal(Category.Medications);
    expect(author).to.equal(signers[3]?.address);

    // One gas figure per transaction, all positive; readable output with the decoded refusals.
    expect(result.steps).to.have.length(24);
    expect(result.steps.every((s) => s.gasUsed > 0n)).to.equal(true);
    const output = lines.join("\n");
    expect(output).to.include("== 9. The auditor checks the trail ==");
    expect(output).to.include("may not read labs (role policy)");
    expect(output).to.include("recomputed heads equal the heads on chain");
    // The responder read the lab result: its key was released because of the flagged open.
    expect(result.keyReleases.map((r) => r.incidentId)).to.deep.equal(["1"]);
    expect(output).to.include(`key released because of tx ${result.keyReleases[0]?.openTxHash}`);
  });

  it("anchors whatever the sealing step produces (where envelope encryption plugs in)", async function () {
    const sealed: DemoRecord[] = [];
    const hashes: string[] = [];
    const seal: SealRecord = async (record) => {
      sealed.push(record);
      const envelope = randomBytes(64);
      hashes.push(keccak256(envelope));
      return { envelope, contentHash: keccak256(envelope) };
    };
    const result = await runDemo({ signers, log: silent, seal });
    expect(sealed.map((r) => r.category)).to.deep.equal([Category.Labs, Category.Medications]);
    expect(JSON.parse(sealed[0]?.body ?? "{}")).to.include({ resourceType: "Observation" });
    // Both records are patient 1's (the eighth signer): the ids are bound to the patient.
    const patient1 = signers[7]?.address ?? "";
    expect([result.labRecordId, result.medicationRecordId]).to.deep.equal(
      hashes.map((h) => recordIdOf(patient1, h)),
    );
  });

  it("fails loudly when a step that must succeed reverts", async function () {
    const same = keccak256(randomBytes(32));
    const seal: SealRecord = async () => ({ envelope: new Uint8Array(1), contentHash: same });
    try {
      await runDemo({ signers, log: silent, seal });
      expect.fail("the demo should fail");
    } catch (err) {
      expect(err).to.be.instanceOf(DemoExpectationError);
      expect((err as Error).message).to.match(
        /nurse anchors medication update .* should succeed but failed: record .* is anchored already/,
      );
    }
  });

  it("fails loudly on a bad content hash and on too few signers", async function () {
    const zero: SealRecord = async () => ({
      envelope: new Uint8Array(1),
      contentHash: `0x${"00".repeat(32)}`,
    });
    for (const options of [
      { signers, log: silent, seal: zero },
      { signers: signers.slice(0, 8), log: silent },
    ]) {
      try {
        await runDemo(options);
        expect.fail("the demo should fail");
      } catch (err) {
        expect(err).to.be.instanceOf(DemoExpectationError);
      }
    }
  });

  describe("expectAccessDenied (the demo's refusal check)", function () {
    async function ledgerWithClerk() {
      const [admin, clerk, patient] = signers;
      if (admin === undefined || clerk === undefined || patient === undefined)
        throw new Error("signers");
      const { contract } = await deployCareLedgerWithSigner(admin, { registrar: admin.address });
      await contract.registerOrganization(1);
      await contract.onboardMember(clerk.address, Role.BillingClerk, 1, keccak256("0x01"));
      await contract.onboardMember(patient.address, Role.Patient, 0, keccak256("0x02"));
      const hash = keccak256("0x03");
      await contract.connect(patient).anchorRecord(patient.address, Category.Labs, hash);
      const record = recordIdOf(patient.address, hash);
      return { contract, clerk, patient, record };
    }

    it("returns the decoded refusal when the expected one happens", async function () {
      const { contract, clerk, record } = await ledgerWithClerk();
      const err = await expectAccessDenied(
        "clerk opens",
        "CategoryNotAllowedForRole",
        "openRecord",
        () => contract.connect(clerk).openRecord(record, Purpose.Payment),
      );
      expect(err).to.be.instanceOf(AccessDeniedError);
      expect(err.args).to.deep.include({ account: clerk.address, category: Category.Labs });
    });

    it("throws when the refusal does not happen", async function () {
      const { contract, patient, record } = await ledgerWithClerk();
      try {
        await expectAccessDenied("patient opens", "ConsentMissing", "openRecord", () =>
          contract.connect(patient).openRecord(record, Purpose.Treatment),
        );
        expect.fail("should throw");
      } catch (err) {
        expect(err).to.be.instanceOf(DemoExpectationError);
        expect((err as Error).message).to.equal(
          '"patient opens" should be refused, but it succeeded',
        );
      }
    });

    it("throws when the refusal has another reason", async function () {
      const { contract, clerk, record } = await ledgerWithClerk();
      try {
        await expectAccessDenied("clerk opens", "ConsentMissing", "openRecord", () =>
          contract.connect(clerk).openRecord(record, Purpose.Payment),
        );
        expect.fail("should throw");
      } catch (err) {
        expect(err).to.be.instanceOf(DemoExpectationError);
        expect((err as Error).message).to.include(
          "should be refused with ConsentMissing, got AccessDeniedError",
        );
      }
    });
  });
});
