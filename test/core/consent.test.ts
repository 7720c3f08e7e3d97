import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";
import { expect } from "chai";
import type { ContractTransactionResponse } from "ethers";
import { ZeroAddress } from "ethers";
import { network } from "hardhat";
import {
  AccessPath,
  Category,
  CategoryMask,
  ONE_DAY,
  Purpose,
  PurposeMask,
  Role,
  maskOf,
  expectOpened,
  inOneBlock,
  pinNextTimestamp,
  revertDataOf,
  type CareLedgerFixture,
  contentHash,
  deployCareLedgerFixture,
  deployConsentedRecordsFixture,
} from "../helpers/index.js";

const connection = await network.create();
const { time } = connection.networkHelpers;
const loadFixture = connection.networkHelpers.loadFixture.bind(connection.networkHelpers);

const LABS_AND_MEDS = maskOf(Category.Labs, Category.Medications);
const TREATMENT_AND_RESEARCH = maskOf(Purpose.Treatment, Purpose.Research);

/** The fixture plus `patient` granting `doctor` labs+medications for treatment+research for 30 days. */
async function grantedFixture(): Promise<
  CareLedgerFixture & { readonly expiresAt: number; readonly grantedAt: number }
> {
  const f = await loadFixture(deployCareLedgerFixture);
  const grantedAt = await pinNextTimestamp(connection);
  const expiresAt = grantedAt + 30 * ONE_DAY;
  await f.ledger
    .connect(f.patient)
    .grantConsent(f.doctor.address, LABS_AND_MEDS, TREATMENT_AND_RESEARCH, expiresAt);
  return { ...f, expiresAt, grantedAt };
}

type Granted = Awaited<ReturnType<typeof grantedFixture>>;

/** The consent changes only an active patient may make (revoke is open to anyone, on their own grants). */
const PATIENT_ONLY: Readonly<
  Record<string, (f: Granted, caller: HardhatEthersSigner) => Promise<ContractTransactionResponse>>
> = {
  grantConsent: (f, caller) =>
    f.ledger.connect(caller).grantConsent(f.nurse.address, 1, 1, f.expiresAt),
  narrowConsent: (f, caller) => f.ledger.connect(caller).narrowConsent(f.doctor.address, 1, 1),
  extendConsent: (f, caller) =>
    f.ledger.connect(caller).extendConsent(f.doctor.address, f.expiresAt + 1),
};

/** The refusals every consent-changing call of a non-patient caller gets. */
function notAPatientCases(f: CareLedgerFixture) {
  return [
    { caller: f.doctor, error: "NotAPatient", args: [f.doctor.address, Role.Doctor] },
    { caller: f.auditor, error: "NotAPatient", args: [f.auditor.address, Role.Auditor] },
    { caller: f.outsider, error: "NotAMember", args: [f.outsider.address] },
    { caller: f.deactivatedDoctor, error: "MemberInactive", args: [f.deactivatedDoctor.address] },
  ] as const;
}

describe("ConsentRegistry", function () {
  describe("grantConsent", function () {
    it("stores the grant and emits ConsentGranted", async function () {
      const { ledger, patient, doctor } = await loadFixture(deployCareLedgerFixture);
      const t = await pinNextTimestamp(connection);
      const expiresAt = t + ONE_DAY;
      await expect(
        ledger
          .connect(patient)
          .grantConsent(doctor.address, LABS_AND_MEDS, PurposeMask.TREATMENT, expiresAt),
      )
        .to.emit(ledger, "ConsentGranted")
        .withArgs(
          patient.address,
          doctor.address,
          patient.address,
          LABS_AND_MEDS,
          PurposeMask.TREATMENT,
          expiresAt,
        );
      expect(await ledger.consentOf(patient.address, doctor.address)).to.deep.equal([
        BigInt(LABS_AND_MEDS),
        BigInt(PurposeMask.TREATMENT),
        BigInt(expiresAt),
        BigInt(t),
        1n, // epoch: one direct change
      ]);
    });

    it("a new grant replaces the previous one entirely (narrower sets, earlier expiry)", async function () {
      const { ledger, patient, doctor, expiresAt } = await grantedFixture();
      const t = await pinNextTimestamp(connection);
      const labs = maskOf(Category.Labs);
      await expect(
        ledger
          .connect(patient)
          .grantConsent(doctor.address, labs, PurposeMask.PAYMENT, expiresAt - 5),
      )
        .to.emit(ledger, "ConsentGranted")
        .withArgs(
          patient.address,
          doctor.address,
          patient.address,
          labs,
          PurposeMask.PAYMENT,
          expiresAt - 5,
        );
      expect(await ledger.consentOf(patient.address, doctor.address)).to.deep.equal([
        BigInt(labs),
        BigInt(PurposeMask.PAYMENT),
        BigInt(expiresAt - 5),
        BigInt(t),
        2n, // epoch: two direct grants
      ]);
    });

    it("accepts an expiry one second after the block time", async function () {
      const { ledger, patient, doctor } = await loadFixture(deployCareLedgerFixture);
      const t = await pinNextTimestamp(connection);
      await expect(ledger.connect(patient).grantConsent(doctor.address, 1, 1, t + 1)).to.emit(
        ledger,
        "ConsentGranted",
      );
    });

    it("reverts with InvalidGrantee for the zero address and for the patient themself", async function () {
      const { ledger, patient } = await loadFixture(deployCareLedgerFixture);
      const expiresAt = (await time.latest()) + ONE_DAY;
      for (const grantee of [ZeroAddress, patient.address]) {
        await expect(ledger.connect(patient).grantConsent(grantee, 1, 1, expiresAt))
          .to.be.revertedWithCustomError(ledger, "InvalidGrantee")
          .withArgs(grantee);
      }
    });

    for (const categories of [0, 0x200, 0x3ff, 0xffff]) {
      it(`reverts with InvalidCategories for categories 0x${categories.toString(16)}`, async function () {
        const { ledger, patient, doctor } = await loadFixture(deployCareLedgerFixture);
        await expect(
          ledger
            .connect(patient)
            .grantConsent(doctor.address, categories, 1, (await time.latest()) + ONE_DAY),
        )
          .to.be.revertedWithCustomError(ledger, "InvalidCategories")
          .withArgs(categories);
      });
    }

    for (const purposes of [0, 0x20, 0xff]) {
      it(`reverts with InvalidPurposes for purposes 0x${purposes.toString(16)}`, async function () {
        const { ledger, patient, doctor } = await loadFixture(deployCareLedgerFixture);
        await expect(
          ledger
            .connect(patient)
            .grantConsent(doctor.address, 1, purposes, (await time.latest()) + ONE_DAY),
        )
          .to.be.revertedWithCustomError(ledger, "InvalidPurposes")
          .withArgs(purposes);
      });
    }

    for (const [label, offset] of [
      ["equal to", 0],
      ["before", -1],
    ] as const) {
      it(`reverts with ExpiryNotInFuture for an expiry ${label} the block time`, async function () {
        const { ledger, patient, doctor } = await loadFixture(deployCareLedgerFixture);
        const t = await pinNextTimestamp(connection);
        await expect(ledger.connect(patient).grantConsent(doctor.address, 1, 1, t + offset))
          .to.be.revertedWithCustomError(ledger, "ExpiryNotInFuture")
          .withArgs(t + offset, t);
      });
    }
  });

  describe("narrowConsent", function () {
    const narrowings = [
      ["categories only", maskOf(Category.Labs), TREATMENT_AND_RESEARCH],
      ["purposes only", LABS_AND_MEDS, PurposeMask.TREATMENT],
      ["both", maskOf(Category.Medications), maskOf(Purpose.Research)],
    ] as const;
    for (const [what, categories, purposes] of narrowings) {
      it(`narrows ${what}, keeps the expiry, and emits ConsentNarrowed`, async function () {
        const { ledger, patient, doctor, expiresAt, grantedAt } = await grantedFixture();
        await expect(ledger.connect(patient).narrowConsent(doctor.address, categories, purposes))
          .to.emit(ledger, "ConsentNarrowed")
          .withArgs(patient.address, doctor.address, patient.address, categories, purposes);
        expect(await ledger.consentOf(patient.address, doctor.address)).to.deep.equal([
          BigInt(categories),
          BigInt(purposes),
          BigInt(expiresAt),
          BigInt(grantedAt),
          2n, // epoch: grant, then the narrowing
        ]);
      });
    }

    it("takes effect at once: a dropped category or purpose is refused", async function () {
      const { ledger, patient, doctor } = await grantedFixture();
      await ledger
        .connect(patient)
        .narrowConsent(doctor.address, maskOf(Category.Labs), PurposeMask.TREATMENT);
      expect(
        await ledger.hasAccess(
          patient.address,
          doctor.address,
          Category.Medications,
          Purpose.Treatment,
        ),
      ).to.equal(false);
      expect(
        await ledger.hasAccess(patient.address, doctor.address, Category.Labs, Purpose.Research),
      ).to.equal(false);
      expect(
        await ledger.hasAccess(patient.address, doctor.address, Category.Labs, Purpose.Treatment),
      ).to.equal(true);
    });

    it("reverts with NoLiveConsent without a grant, and once the grant expired", async function () {
      const { ledger, patient, doctor, nurse, expiresAt } = await grantedFixture();
      await expect(ledger.connect(patient).narrowConsent(nurse.address, 1, 1))
        .to.be.revertedWithCustomError(ledger, "NoLiveConsent")
        .withArgs(patient.address, nurse.address);
      await time.setNextBlockTimestamp(expiresAt);
      await expect(
        ledger
          .connect(patient)
          .narrowConsent(doctor.address, maskOf(Category.Labs), PurposeMask.TREATMENT),
      )
        .to.be.revertedWithCustomError(ledger, "NoLiveConsent")
        .withArgs(patient.address, doctor.address);
    });

    it("reverts with InvalidCategories / InvalidPurposes for empty or undefined sets", async function () {
      const { ledger, patient, doctor } = await grantedFixture();
      await expect(ledger.connect(patient).narrowConsent(doctor.address, 0, 1))
        .to.be.revertedWithCustomError(ledger, "InvalidCategories")
        .withArgs(0);
      await expect(ledger.connect(patient).narrowConsent(doctor.address, 0x400, 1))
        .to.be.revertedWithCustomError(ledger, "InvalidCategories")
        .withArgs(0x400);
      await expect(ledger.connect(patient).narrowConsent(doctor.address, 1, 0))
        .to.be.revertedWithCustomError(ledger, "InvalidPurposes")
        .withArgs(0);
      await expect(ledger.connect(patient).narrowConsent(doctor.address, 1, 0x40))
        .to.be.revertedWithCustomError(ledger, "InvalidPurposes")
        .withArgs(0x40);
    });

    const notNarrowings = [
      ["the same sets", LABS_AND_MEDS, TREATMENT_AND_RESEARCH],
      ["an extra category", LABS_AND_MEDS | maskOf(Category.Billing), PurposeMask.TREATMENT],
      ["an extra purpose", maskOf(Category.Labs), TREATMENT_AND_RESEARCH | PurposeMask.PAYMENT],
      ["a disjoint category", maskOf(Category.Imaging), PurposeMask.TREATMENT],
    ] as const;
    for (const [what, categories, purposes] of notNarrowings) {
      it(`reverts with NotANarrowing for ${what}`, async function () {
        const { ledger, patient, doctor } = await grantedFixture();
        await expect(ledger.connect(patient).narrowConsent(doctor.address, categories, purposes))
          .to.be.revertedWithCustomError(ledger, "NotANarrowing")
          .withArgs(LABS_AND_MEDS, TREATMENT_AND_RESEARCH, categories, purposes);
      });
    }
  });

  describe("extendConsent", function () {
    it("moves the expiry later and emits ConsentExtended", async function () {
      const { ledger, patient, doctor, expiresAt, grantedAt } = await grantedFixture();
      const later = expiresAt + ONE_DAY;
      await expect(ledger.connect(patient).extendConsent(doctor.address, later))
        .to.emit(ledger, "ConsentExtended")
        .withArgs(patient.address, doctor.address, patient.address, later);
      expect(await ledger.consentOf(patient.address, doctor.address)).to.deep.equal([
        BigInt(LABS_AND_MEDS),
        BigInt(TREATMENT_AND_RESEARCH),
        BigInt(later),
        BigInt(grantedAt),
        2n, // epoch: grant, then the extension
      ]);
      await time.increaseTo(expiresAt + 10);
      expect(
        await ledger.hasAccess(patient.address, doctor.address, Category.Labs, Purpose.Treatment),
      ).to.equal(true);
    });

    it("reverts with NoLiveConsent without a grant, and for an expired grant (expired consent is never revived)", async function () {
      const { ledger, patient, doctor, nurse, expiresAt } = await grantedFixture();
      await expect(ledger.connect(patient).extendConsent(nurse.address, expiresAt))
        .to.be.revertedWithCustomError(ledger, "NoLiveConsent")
        .withArgs(patient.address, nurse.address);
      await time.setNextBlockTimestamp(expiresAt);
      await expect(ledger.connect(patient).extendConsent(doctor.address, expiresAt + ONE_DAY))
        .to.be.revertedWithCustomError(ledger, "NoLiveConsent")
        .withArgs(patient.address, doctor.address);
    });

    for (const [what, delta] of [
      ["the same expiry", 0],
      ["an earlier expiry", -60],
    ] as const) {
      it(`reverts with NotAnExtension for ${what}`, async function () {
        const { ledger, patient, doctor, expiresAt } = await grantedFixture();
        await expect(ledger.connect(patient).extendConsent(doctor.address, expiresAt + delta))
          .to.be.revertedWithCustomError(ledger, "NotAnExtension")
          .withArgs(expiresAt, expiresAt + delta);
      });
    }
  });

  describe("only an active patient grants, narrows or extends", function () {
    for (const [fn, change] of Object.entries(PATIENT_ONLY)) {
      it(`${fn} refuses non-patients with the precise reason`, async function () {
        const f = await grantedFixture();
        for (const c of notAPatientCases(f)) {
          await expect(change(f, c.caller))
            .to.be.revertedWithCustomError(f.ledger, c.error)
            .withArgs(...c.args);
        }
      });

      it(`${fn} reverts with MemberInactive for a deactivated patient`, async function () {
        const f = await grantedFixture();
        await f.ledger.connect(f.registrar).setMemberActive(f.patient.address, false);
        await expect(change(f, f.patient))
          .to.be.revertedWithCustomError(f.ledger, "MemberInactive")
          .withArgs(f.patient.address);
      });
    }
  });

  describe("revokeConsent", function () {
    it("deletes the grant and emits ConsentRevoked; access is gone", async function () {
      const { ledger, patient, doctor } = await grantedFixture();
      await expect(ledger.connect(patient).revokeConsent(doctor.address))
        .to.emit(ledger, "ConsentRevoked")
        .withArgs(patient.address, doctor.address, patient.address);
      expect(await ledger.consentOf(patient.address, doctor.address)).to.deep.equal([
        0n,
        0n,
        0n,
        0n,
        2n, // epoch kept past the revocation: older signatures stay void
      ]);
      expect(
        await ledger.hasAccess(patient.address, doctor.address, Category.Labs, Purpose.Treatment),
      ).to.equal(false);
    });

    it("revokes an expired grant too", async function () {
      const { ledger, patient, doctor, expiresAt } = await grantedFixture();
      await time.increaseTo(expiresAt + 1);
      await expect(ledger.connect(patient).revokeConsent(doctor.address))
        .to.emit(ledger, "ConsentRevoked")
        .withArgs(patient.address, doctor.address, patient.address);
    });

    it("a deactivated patient can still revoke", async function () {
      const { ledger, registrar, patient, doctor } = await grantedFixture();
      await ledger.connect(registrar).setMemberActive(patient.address, false);
      await expect(ledger.connect(patient).revokeConsent(doctor.address))
        .to.emit(ledger, "ConsentRevoked")
        .withArgs(patient.address, doctor.address, patient.address);
    });

    it("reverts with ConsentNotFound without a grant and on a second revoke", async function () {
      const { ledger, patient, doctor, nurse } = await grantedFixture();
      await expect(ledger.connect(patient).revokeConsent(nurse.address))
        .to.be.revertedWithCustomError(ledger, "ConsentNotFound")
        .withArgs(patient.address, nurse.address);
      await ledger.connect(patient).revokeConsent(doctor.address);
      await expect(ledger.connect(patient).revokeConsent(doctor.address))
        .to.be.revertedWithCustomError(ledger, "ConsentNotFound")
        .withArgs(patient.address, doctor.address);
    });

    it("a caller can only revoke its own grants: anyone else gets ConsentNotFound for themself", async function () {
      const { ledger, doctor, outsider, otherPatient } = await grantedFixture();
      for (const caller of [doctor, outsider, otherPatient]) {
        await expect(ledger.connect(caller).revokeConsent(doctor.address))
          .to.be.revertedWithCustomError(ledger, "ConsentNotFound")
          .withArgs(caller.address, doctor.address);
      }
    });

    it("a revoked consent never grants access again; only a new grant does", async function () {
      const f = await loadFixture(deployConsentedRecordsFixture);
      const { ledger, patient, doctor } = f;
      const labs = f.records[Category.Labs];
      await ledger.connect(patient).revokeConsent(doctor.address);
      for (const delta of [0, ONE_DAY, 60 * ONE_DAY]) {
        await time.increase(delta + 1);
        await expect(ledger.connect(doctor).openRecord(labs, Purpose.Treatment))
          .to.be.revertedWithCustomError(ledger, "ConsentMissing")
          .withArgs(patient.address, doctor.address);
      }
      await ledger
        .connect(patient)
        .grantConsent(doctor.address, maskOf(Category.Labs), 1, (await time.latest()) + 100);
      expect(await ledger.canOpen(labs, doctor.address, Purpose.Treatment)).to.equal(
        AccessPath.Consent,
      );
    });
  });

  describe("revocation takes effect in the same block", function () {
    it("revoke then open in ONE block: the revoke succeeds, the open fails with ConsentMissing and is not audited", async function () {
      const f = await loadFixture(deployConsentedRecordsFixture);
      const { ledger, patient, doctor } = f;
      const labs = f.records[Category.Labs];
      const headBefore = await ledger.auditHead();
      const [revoke, open] = await inOneBlock(connection, async () => [
        await ledger.connect(patient).revokeConsent(doctor.address, { gasLimit: 200_000 }),
        await ledger.connect(doctor).openRecord(labs, Purpose.Treatment, { gasLimit: 300_000 }),
      ]);
      expect(revoke!.blockNumber).to.equal(open!.blockNumber);
      expect(revoke!.index).to.be.lessThan(open!.index);
      expect(revoke!.status).to.equal(1);
      expect(open!.status).to.equal(0);
      expect(open!.logs).to.have.length(0);
      const reason = ledger.interface.parseError(await revertDataOf(connection, open!.hash));
      expect(reason?.name).to.equal("ConsentMissing");
      expect(reason?.args.toArray()).to.deep.equal([patient.address, doctor.address]);
      expect(await ledger.auditHead()).to.equal(headBefore);
    });

    it("open then revoke in ONE block: the open (ordered first) is allowed and audited", async function () {
      const f = await loadFixture(deployConsentedRecordsFixture);
      const { ledger, patient, doctor } = f;
      const [open, revoke] = await inOneBlock(connection, async () => [
        await ledger
          .connect(doctor)
          .openRecord(f.records[Category.Labs], Purpose.Treatment, { gasLimit: 300_000 }),
        await ledger.connect(patient).revokeConsent(doctor.address, { gasLimit: 200_000 }),
      ]);
      expect(open!.blockNumber).to.equal(revoke!.blockNumber);
      expect([open!.status, revoke!.status]).to.deep.equal([1, 1]);
      expect(
        await ledger.canOpen(f.records[Category.Labs], doctor.address, Purpose.Treatment),
      ).to.equal(AccessPath.None);
    });

    it("the views change in the very block of the revocation", async function () {
      const f = await loadFixture(deployConsentedRecordsFixture);
      const { ledger, patient, doctor } = f;
      const receipt = await (await ledger.connect(patient).revokeConsent(doctor.address)).wait();
      const at = { blockTag: receipt!.blockNumber };
      const before = { blockTag: receipt!.blockNumber - 1 };
      const args = [patient.address, doctor.address, Category.Labs, Purpose.Treatment] as const;
      expect(await ledger.hasAccess(...args, before)).to.equal(true);
      expect(await ledger.hasAccess(...args, at)).to.equal(false);
      expect(await ledger.canWrite(patient.address, doctor.address, Category.Labs, at)).to.equal(
        false,
      );
    });
  });

  describe("expiry is exclusive: at expiresAt access is gone", function () {
    it("one second before expiry the open succeeds; at expiry it reverts with ConsentExpired", async function () {
      const f = await loadFixture(deployConsentedRecordsFixture);
      const { ledger, patient, doctor, consentExpiresAt: end } = f;
      const labs = f.records[Category.Labs];
      const consent = AccessPath.Consent;
      await expectOpened(connection, ledger, doctor, labs, Purpose.Treatment, consent, end - 1);
      expect(
        await ledger.hasAccess(patient.address, doctor.address, Category.Labs, Purpose.Treatment),
      ).to.equal(true);

      await time.setNextBlockTimestamp(end);
      await expect(
        ledger.connect(doctor).openRecord(labs, Purpose.Treatment, { gasLimit: 300_000 }),
      )
        .to.be.revertedWithCustomError(ledger, "ConsentExpired")
        .withArgs(patient.address, doctor.address, end);
      expect(await time.latest()).to.equal(end);
      expect(
        await ledger.hasAccess(patient.address, doctor.address, Category.Labs, Purpose.Treatment),
      ).to.equal(false);
      expect(await ledger.canOpen(labs, doctor.address, Purpose.Treatment)).to.equal(
        AccessPath.None,
      );
      // the stored grant is kept (it can still be revoked), only its liveness ended
      expect((await ledger.consentOf(patient.address, doctor.address)).expiresAt).to.equal(end);
    });

    it("writes follow the same boundary", async function () {
      const f = await loadFixture(deployConsentedRecordsFixture);
      const { ledger, patient, doctor, consentExpiresAt: end } = f;
      await time.setNextBlockTimestamp(end - 1);
      await ledger
        .connect(doctor)
        .anchorRecord(patient.address, Category.Labs, contentHash("expiry/new-lab"));
      expect(await ledger.canWrite(patient.address, doctor.address, Category.Labs)).to.equal(true);
      await time.setNextBlockTimestamp(end);
      await expect(
        ledger
          .connect(doctor)
          .markEnteredInError(f.records[Category.Vitals], { gasLimit: 300_000 }),
      )
        .to.be.revertedWithCustomError(ledger, "ConsentExpired")
        .withArgs(patient.address, doctor.address, end);
      expect(await ledger.canWrite(patient.address, doctor.address, Category.Labs)).to.equal(false);
    });
  });

  describe("consentOf", function () {
    it("is all zero when there is no grant", async function () {
      const { ledger, patient, nurse } = await loadFixture(deployCareLedgerFixture);
      expect(await ledger.consentOf(patient.address, nurse.address)).to.deep.equal([
        0n,
        0n,
        0n,
        0n,
        0n, // epoch
      ]);
    });

    it("grants are per (patient, grantee): another patient's grant is separate", async function () {
      const f = await loadFixture(deployConsentedRecordsFixture);
      expect(
        (await f.ledger.consentOf(f.otherPatient.address, f.nurse.address)).expiresAt,
      ).to.equal(0);
      expect((await f.ledger.consentOf(f.patient.address, f.nurse.address)).categories).to.equal(
        CategoryMask.ALL,
      );
    });
  });
});
