/**
 * `npm run demo` with real encryption: every record is a CLE1 envelope in the blob store, every read
 * decrypts to the body sealed, refusals fetch nothing, revocation rotates, the break-glass responder
 * reads through the emergency key custodian, the signed-consent step costs the patient no gas, and
 * nothing of the bodies reaches the chain.
 */
import { expect } from "chai";
import { existsSync } from "node:fs";
import { network } from "hardhat";
import { inspectEnvelope } from "../../src/crypto/index.js";
import {
  LAB_RESULT_BODY,
  MEDICATION_UPDATE_BODY,
  runDemo,
  standInSeal,
} from "../../examples/demo/index.js";
import { AccessPath, Category, RecordStatus } from "../../src/sdk/constants.js";
import { CareLedger__factory } from "../../typechain-types/index.js";
import { findLeak, plaintextWindows, SpyStore } from "./clients-fixture.js";

const { ethers } = await network.create();
const signers = await ethers.getSigners();
const silent = (): void => {};

describe("demo scenario with encrypted records (npm run demo)", function () {
  it("stores real envelopes, decrypts what was sealed, rotates on revocation", async function () {
    const store = new SpyStore();
    const lines: string[] = [];
    const result = await runDemo({ signers, store, log: (line) => lines.push(line) });

    expect(result.encrypted).to.equal(true);
    expect(result.records.map((r) => [r.label, r.decryptedMatches])).to.deep.equal([
      ["lab result", true],
      ["medication update", true],
      ["lab result (rotated)", true],
      ["medication update (rotated)", true],
    ]);
    const [lab, med, rotatedLab, rotatedMed] = result.records;
    expect(lab?.recordId).to.equal(result.labRecordId);
    expect(med?.recordId).to.equal(result.medicationRecordId);
    expect([rotatedLab?.supersedes, rotatedMed?.supersedes]).to.deep.equal([
      result.labRecordId,
      result.medicationRecordId,
    ]);
    const [doctor, nurse, patient1] = [signers[2], signers[3], signers[7]].map((s) => s?.address);
    expect(lab?.readers).to.have.members([patient1, doctor]);
    expect(med?.readers).to.have.members([patient1, nurse, doctor]);
    expect(rotatedLab?.readers).to.deep.equal([patient1]);
    expect(rotatedMed?.readers).to.have.members([patient1, nurse]);
    // The emergency key custodian holds a key of every version, rotations included.
    expect(result.records.map((r) => r.custodian)).to.deep.equal([true, true, true, true]);

    // The store holds each version's envelope, exactly the size reported, bound to patient 1.
    for (const record of result.records) {
      const envelope = store.peek(record.contentHash);
      expect(envelope.length, record.label).to.equal(record.envelopeSize);
      expect(inspectEnvelope(envelope).patient).to.equal(patient1);
      expect(inspectEnvelope(envelope).readers).to.have.length(record.readers.length + 1);
    }
    const ledger = CareLedger__factory.connect(result.address, ethers.provider);
    // The doctor's lab stays current: the patient's rotation is the patient's own version, linked to it
    // (a patient never supersedes a clinician's record).
    const [first] = await ledger.recordOf(result.labRecordId);
    expect(Number(first.status)).to.equal(RecordStatus.Current);
    expect(await ledger.previousVersionOf(rotatedLab?.recordId ?? "")).to.equal(result.labRecordId);
    const [current] = await ledger.recordOf(rotatedLab?.recordId ?? "");
    expect([Number(current.status), Number(current.category)]).to.deep.equal([
      RecordStatus.Current,
      Category.Labs,
    ]);

    // Break-glass: one key released, because of the responder's flagged open of the current lab version.
    const flagged = result.audit.entries.filter(
      (e) => e.action === "RecordOpened" && e.path === AccessPath.BreakGlass,
    );
    expect(flagged).to.have.length(1);
    expect(result.keyReleases).to.have.length(1);
    expect(result.keyReleases[0]).to.deep.include({
      recordId: rotatedLab?.recordId,
      responder: signers[6]?.address,
      incidentId: result.incidentId.toString(),
      openTxHash: flagged[0]?.transactionHash.toLowerCase(),
    });

    expect(result.fetchesByRefusedOpens).to.equal(0);
    expect(result.refusals.map((r) => r.errorName)).to.deep.equal([
      "CategoryNotAllowedForRole",
      "ConsentMissing",
    ]);
    expect(result.signedConsent.patientGrant.patientPaidGas).to.equal(false);
    expect(result.steps.map((s) => s.functionName)).to.include.members([
      "amendRecord",
      "grantWithSig",
      "appointDelegate",
    ]);

    const output = lines.join("\n");
    expect(output).to.include(
      "decrypted: Glucose [Mass/volume] in Serum (LOINC 2345-7) = 95 mg/dL",
    );
    expect(output).to.include("blob store reads for the refused open: 0");
    expect(output).to.include(
      `key released because of tx ${result.keyReleases[0]?.openTxHash} (break-glass RecordOpened`,
    );
    expect(output).to.include(
      "decrypted: Glucose [Mass/volume] in Serum (LOINC 2345-7) = 95 mg/dL; the body matches",
    );
    expect(output).to.include(
      "every key the custodian released matches a flagged open in the trail",
    );
    expect(output).to.include("== 10. Consent without gas");
    expect(output).to.include("patient 2 paid no gas");

    // Neither body is in any envelope (only ciphertext) or in any log of the demo's contract.
    const windows = plaintextWindows(
      [LAB_RESULT_BODY, MEDICATION_UPDATE_BODY].map((b) => new TextEncoder().encode(b)),
    );
    for (const blob of store.all()) expect(findLeak(blob, windows)).to.equal(-1);
    const logs = await ethers.provider.getLogs({ address: result.address, fromBlock: 0 });
    for (const log of logs) {
      expect(findLeak(ethers.getBytes(ethers.concat([...log.topics, log.data])), windows)).to.equal(
        -1,
      );
    }
  });

  it("keeps the default filesystem store in a temporary directory and removes it", async function () {
    const lines: string[] = [];
    await runDemo({ signers, log: (line) => lines.push(line) });
    const where = lines.map((l) => /filesystem at (\S+)/.exec(l)?.[1]).find((p) => p !== undefined);
    expect(where, "the demo names its store").to.be.a("string");
    expect(existsSync(where ?? "/"), "removed at the end").to.equal(false);
  });

  it("runs the same story without encryption when given a stand-in seal", async function () {
    const result = await runDemo({ signers, log: silent, seal: standInSeal });
    expect(result.encrypted).to.equal(false);
    expect(result.records).to.deep.equal([]);
    expect(result.keyReleases).to.deep.equal([]);
    expect(result.steps.map((s) => s.functionName)).to.not.include("amendRecord");
    expect(result.steps).to.have.length(22);
    expect(result.audit.matchesChain).to.equal(true);
    expect(result.fetchesByRefusedOpens).to.equal(0);
  });
});
