/**
 * The signed-consent demo step: patient 2 grants by signature through the clinic without paying gas, and a
 * guardian appointed by a minor grants on the minor's behalf by signature.
 */
import { expect } from "chai";
import { network } from "hardhat";
import { signedConsentDemoStep } from "../../examples/demo/index.js";
import { type SignedConsentFixture, deploySignedConsentFixture } from "./fixtures.js";

const connection = await network.create();
const { ethers, networkHelpers } = connection;

async function fixture(): Promise<SignedConsentFixture> {
  return deploySignedConsentFixture(connection);
}

describe("Signed consent demo step", function () {
  it("patient 2 pays no gas for a relayed grant; the guardian grants for the minor by signature", async function () {
    const f = await networkHelpers.loadFixture(fixture);
    // A fresh delegate, so the step's own appointment is what authorises the guardian.
    const guardian = f.spare[4];
    if (guardian === undefined) throw new Error("need a spare signer");
    const lines: string[] = [];
    const result = await signedConsentDemoStep(
      f.ledger,
      {
        patient: f.otherPatient,
        relayer: f.relayer,
        doctor: f.doctor.address,
        guardian,
        minor: f.minor,
      },
      { log: (line) => lines.push(line) },
    );

    const { patientGrant, delegation, guardianGrant } = result;
    expect(patientGrant.patientPaidGas).to.equal(false);
    expect(patientGrant.patientBalanceAfter).to.equal(patientGrant.patientBalanceBefore);
    expect(patientGrant.patient).to.equal(f.otherPatient.address);
    expect(patientGrant.signer).to.equal(f.otherPatient.address);
    expect(guardianGrant.patient).to.equal(f.minor.address);
    expect(guardianGrant.signer).to.equal(guardian.address);

    for (const tx of [patientGrant, delegation, guardianGrant]) {
      const receipt = await ethers.provider.getTransactionReceipt(tx.hash);
      expect(receipt?.status).to.equal(1);
      expect(receipt?.gasUsed).to.equal(tx.gasUsed);
    }
    const relayedBy = async (hash: string) => (await ethers.provider.getTransaction(hash))?.from;
    expect(await relayedBy(patientGrant.hash)).to.equal(f.relayer.address);
    expect(await relayedBy(guardianGrant.hash)).to.equal(f.relayer.address);
    expect(await relayedBy(delegation.hash)).to.equal(f.minor.address);

    const patientConsent = await f.ledger.consentOf(f.otherPatient.address, f.doctor.address);
    expect(patientConsent.categories).to.equal(BigInt(patientGrant.categories));
    expect(patientConsent.expiresAt).to.equal(patientGrant.expiresAt);
    const minorConsent = await f.ledger.consentOf(f.minor.address, f.doctor.address);
    expect(minorConsent.categories).to.equal(BigInt(guardianGrant.categories));
    expect(
      (guardianGrant.categories & ~delegation.scope) === 0,
      "within the guardian's scope",
    ).to.equal(true);

    expect(lines.join("\n")).to.match(/the patient paid no gas/);
    expect(lines).to.have.length(4);
  });
});
