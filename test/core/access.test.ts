import { expect } from "chai";
import { network } from "hardhat";
import {
  AccessPath,
  CATEGORY_COUNT,
  Category,
  PURPOSE_COUNT,
  PURPOSES,
  Purpose,
  Role,
  maskOf,
  expectOpened,
  contentHash,
  deployConsentedRecordsFixture,
} from "../helpers/index.js";

const connection = await network.create();
const { time } = connection.networkHelpers;
const loadFixture = connection.networkHelpers.loadFixture.bind(connection.networkHelpers);

const UNKNOWN = contentHash("access/unknown");

describe("AuditedAccess and AccessRules", function () {
  describe("openRecord", function () {
    it("the patient opens their own record: path Patient, RecordOpened emitted", async function () {
      const f = await loadFixture(deployConsentedRecordsFixture);
      const id = f.records[Category.MentalHealth];
      await expectOpened(connection, f.ledger, f.patient, id, Purpose.Research, AccessPath.Patient);
    });

    it("a consented doctor opens a record: path Consent, RecordOpened emitted", async function () {
      const f = await loadFixture(deployConsentedRecordsFixture);
      const id = f.records[Category.Labs];
      await expectOpened(connection, f.ledger, f.doctor, id, Purpose.Treatment, AccessPath.Consent);
    });

    for (const purpose of [PURPOSE_COUNT, 255]) {
      it(`reverts with InvalidPurpose for purpose ${purpose} (checked before the record)`, async function () {
        const f = await loadFixture(deployConsentedRecordsFixture);
        for (const id of [f.records[Category.Labs], UNKNOWN]) {
          await expect(f.ledger.connect(f.patient).openRecord(id, purpose))
            .to.be.revertedWithCustomError(f.ledger, "InvalidPurpose")
            .withArgs(purpose);
        }
      });
    }

    it("reverts with RecordNotFound for an unknown record", async function () {
      const f = await loadFixture(deployConsentedRecordsFixture);
      await expect(f.ledger.connect(f.patient).openRecord(UNKNOWN, Purpose.Treatment))
        .to.be.revertedWithCustomError(f.ledger, "RecordNotFound")
        .withArgs(UNKNOWN);
    });

    it("reverts with NotAMember / MemberInactive for a non-member / deactivated member", async function () {
      const f = await loadFixture(deployConsentedRecordsFixture);
      const id = f.records[Category.Labs];
      await expect(f.ledger.connect(f.outsider).openRecord(id, Purpose.Treatment))
        .to.be.revertedWithCustomError(f.ledger, "NotAMember")
        .withArgs(f.outsider.address);
      await expect(f.ledger.connect(f.deactivatedDoctor).openRecord(id, Purpose.Treatment))
        .to.be.revertedWithCustomError(f.ledger, "MemberInactive")
        .withArgs(f.deactivatedDoctor.address);
    });

    it("reverts with CategoryNotAllowedForRole outside the role's read and break-glass sets", async function () {
      const f = await loadFixture(deployConsentedRecordsFixture);
      await expect(
        f.ledger.connect(f.nurse).openRecord(f.records[Category.ClinicalNotes], Purpose.Treatment),
      )
        .to.be.revertedWithCustomError(f.ledger, "CategoryNotAllowedForRole")
        .withArgs(f.nurse.address, Role.Nurse, Category.ClinicalNotes);
      await expect(
        f.ledger
          .connect(f.auditor)
          .openRecord(f.records[Category.Demographics], Purpose.Operations),
      )
        .to.be.revertedWithCustomError(f.ledger, "CategoryNotAllowedForRole")
        .withArgs(f.auditor.address, Role.Auditor, Category.Demographics);
    });

    it("reverts with ConsentMissing without a grant", async function () {
      const f = await loadFixture(deployConsentedRecordsFixture);
      await f.ledger.connect(f.patient).revokeConsent(f.doctor.address);
      await expect(
        f.ledger.connect(f.doctor).openRecord(f.records[Category.Labs], Purpose.Treatment),
      )
        .to.be.revertedWithCustomError(f.ledger, "ConsentMissing")
        .withArgs(f.patient.address, f.doctor.address);
    });

    it("reverts with ConsentExpired, reported before a missing category", async function () {
      const f = await loadFixture(deployConsentedRecordsFixture);
      await f.ledger
        .connect(f.patient)
        .narrowConsent(f.doctor.address, maskOf(Category.Vitals), 0x1f);
      await time.increaseTo(f.consentExpiresAt);
      await expect(
        f.ledger.connect(f.doctor).openRecord(f.records[Category.Labs], Purpose.Treatment),
      )
        .to.be.revertedWithCustomError(f.ledger, "ConsentExpired")
        .withArgs(f.patient.address, f.doctor.address, f.consentExpiresAt);
    });

    it("reverts with CategoryNotConsented, reported before a missing purpose", async function () {
      const f = await loadFixture(deployConsentedRecordsFixture);
      await f.ledger.connect(f.patient).narrowConsent(f.doctor.address, maskOf(Category.Vitals), 1);
      await expect(
        f.ledger.connect(f.doctor).openRecord(f.records[Category.Labs], Purpose.Research),
      )
        .to.be.revertedWithCustomError(f.ledger, "CategoryNotConsented")
        .withArgs(f.patient.address, f.doctor.address, Category.Labs);
    });

    it("reverts with NoBreakGlassWindow for a responder without a window", async function () {
      const f = await loadFixture(deployConsentedRecordsFixture);
      await expect(
        f.ledger.connect(f.responder).openRecord(f.records[Category.Vitals], Purpose.Emergency),
      )
        .to.be.revertedWithCustomError(f.ledger, "NoBreakGlassWindow")
        .withArgs(f.patient.address, f.responder.address);
    });

    it("opens superseded and entered-in-error versions (kept for audit)", async function () {
      const f = await loadFixture(deployConsentedRecordsFixture);
      const labs = f.records[Category.Labs];
      const vitals = f.records[Category.Vitals];
      await f.ledger.connect(f.patient).amendRecord(labs, contentHash("access/labs-v2"));
      await f.ledger.connect(f.patient).markEnteredInError(vitals);
      for (const id of [labs, vitals]) {
        await expect(f.ledger.connect(f.doctor).openRecord(id, Purpose.Treatment)).to.emit(
          f.ledger,
          "RecordOpened",
        );
      }
    });
  });

  describe("purpose of use decides under consent", function () {
    // The doctor holds labs for {Treatment, Research} only.
    const EXPECTED: Readonly<Record<number, "open" | "PurposeNotConsented">> = {
      [Purpose.Treatment]: "open",
      [Purpose.Payment]: "PurposeNotConsented",
      [Purpose.Operations]: "PurposeNotConsented",
      [Purpose.Research]: "open",
      [Purpose.Emergency]: "PurposeNotConsented",
    };
    for (const purpose of PURPOSES) {
      it(`purpose ${purpose}: ${EXPECTED[purpose]}`, async function () {
        const f = await loadFixture(deployConsentedRecordsFixture);
        await f.ledger
          .connect(f.patient)
          .narrowConsent(
            f.doctor.address,
            maskOf(Category.Labs),
            maskOf(Purpose.Treatment, Purpose.Research),
          );
        const id = f.records[Category.Labs];
        const open = f.ledger.connect(f.doctor).openRecord(id, purpose);
        if (EXPECTED[purpose] === "open") {
          await expect(open).to.emit(f.ledger, "RecordOpened");
          expect(await f.ledger.canOpen(id, f.doctor.address, purpose)).to.equal(
            AccessPath.Consent,
          );
        } else {
          await expect(open)
            .to.be.revertedWithCustomError(f.ledger, "PurposeNotConsented")
            .withArgs(f.patient.address, f.doctor.address, purpose);
          expect(await f.ledger.canOpen(id, f.doctor.address, purpose)).to.equal(AccessPath.None);
        }
        expect(
          await f.ledger.hasAccess(f.patient.address, f.doctor.address, Category.Labs, purpose),
        ).to.equal(EXPECTED[purpose] === "open");
      });
    }
  });

  describe("canOpen", function () {
    it("answers the path openRecord would take without auditing it", async function () {
      const f = await loadFixture(deployConsentedRecordsFixture);
      const id = f.records[Category.Labs];
      const head = await f.ledger.auditHead();
      expect(await f.ledger.canOpen(id, f.patient.address, Purpose.Treatment)).to.equal(
        AccessPath.Patient,
      );
      expect(await f.ledger.canOpen(id, f.doctor.address, Purpose.Treatment)).to.equal(
        AccessPath.Consent,
      );
      expect(await f.ledger.canOpen(id, f.billingClerk.address, Purpose.Payment)).to.equal(
        AccessPath.None,
      );
      expect(await f.ledger.canOpen(id, f.outsider.address, Purpose.Treatment)).to.equal(
        AccessPath.None,
      );
      expect(await f.ledger.auditHead()).to.equal(head);
    });

    it("reverts with InvalidPurpose / RecordNotFound like openRecord", async function () {
      const f = await loadFixture(deployConsentedRecordsFixture);
      await expect(f.ledger.canOpen(f.records[Category.Labs], f.doctor.address, PURPOSE_COUNT))
        .to.be.revertedWithCustomError(f.ledger, "InvalidPurpose")
        .withArgs(PURPOSE_COUNT);
      await expect(f.ledger.canOpen(UNKNOWN, f.doctor.address, Purpose.Treatment))
        .to.be.revertedWithCustomError(f.ledger, "RecordNotFound")
        .withArgs(UNKNOWN);
    });
  });

  describe("hasAccess", function () {
    it("is true for the patient on every category and purpose", async function () {
      const f = await loadFixture(deployConsentedRecordsFixture);
      for (let c = 0; c < CATEGORY_COUNT; c++) {
        for (const p of PURPOSES) {
          expect(await f.ledger.hasAccess(f.patient.address, f.patient.address, c, p)).to.equal(
            true,
          );
        }
      }
    });

    it("is false for a member on someone else's records without consent, even a patient", async function () {
      const f = await loadFixture(deployConsentedRecordsFixture);
      expect(
        await f.ledger.hasAccess(
          f.otherPatient.address,
          f.nurse.address,
          Category.Labs,
          Purpose.Treatment,
        ),
      ).to.equal(false);
      expect(
        await f.ledger.hasAccess(
          f.otherPatient.address,
          f.patient.address,
          Category.Labs,
          Purpose.Treatment,
        ),
      ).to.equal(false);
    });

    it("is false through break-glass (it answers for consent only)", async function () {
      const f = await loadFixture(deployConsentedRecordsFixture);
      await f.ledger.connect(f.responder).breakGlass(f.patient.address, contentHash("why"), 600);
      expect(
        await f.ledger.hasAccess(
          f.patient.address,
          f.responder.address,
          Category.Vitals,
          Purpose.Emergency,
        ),
      ).to.equal(false);
      expect(
        await f.ledger.canOpen(f.records[Category.Vitals], f.responder.address, Purpose.Emergency),
      ).to.equal(AccessPath.BreakGlass);
    });

    it("reverts with InvalidCategory / InvalidPurpose for out-of-range indices", async function () {
      const f = await loadFixture(deployConsentedRecordsFixture);
      await expect(
        f.ledger.hasAccess(f.patient.address, f.doctor.address, CATEGORY_COUNT, Purpose.Treatment),
      )
        .to.be.revertedWithCustomError(f.ledger, "InvalidCategory")
        .withArgs(CATEGORY_COUNT);
      await expect(
        f.ledger.hasAccess(f.patient.address, f.doctor.address, Category.Labs, PURPOSE_COUNT),
      )
        .to.be.revertedWithCustomError(f.ledger, "InvalidPurpose")
        .withArgs(PURPOSE_COUNT);
    });
  });

  describe("canWrite", function () {
    it("is true for the patient and a consented writer, false otherwise", async function () {
      const f = await loadFixture(deployConsentedRecordsFixture);
      const p = f.patient.address;
      expect(await f.ledger.canWrite(p, p, Category.MentalHealth)).to.equal(true);
      expect(await f.ledger.canWrite(p, f.doctor.address, Category.Labs)).to.equal(true);
      expect(await f.ledger.canWrite(p, f.nurse.address, Category.Labs)).to.equal(false);
      expect(await f.ledger.canWrite(p, f.outsider.address, Category.Labs)).to.equal(false);
      expect(
        await f.ledger.canWrite(f.otherPatient.address, f.nurse.address, Category.Vitals),
      ).to.equal(false);
    });

    it("reverts with InvalidCategory for an out-of-range category", async function () {
      const f = await loadFixture(deployConsentedRecordsFixture);
      await expect(f.ledger.canWrite(f.patient.address, f.doctor.address, 255))
        .to.be.revertedWithCustomError(f.ledger, "InvalidCategory")
        .withArgs(255);
    });
  });
});
