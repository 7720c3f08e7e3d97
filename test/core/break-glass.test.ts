import { expect } from "chai";
import { ZeroAddress, ZeroHash } from "ethers";
import { network } from "hardhat";
import {
  AccessPath,
  BREAK_GLASS_MAX_DURATION,
  Category,
  DEFAULT_ADMIN_ROLE,
  MAX_BREAK_GLASS_DURATION,
  Purpose,
  ReviewVerdict,
  Role,
  expectOpened,
  pinNextTimestamp,
  type ConsentedRecordsFixture,
  deployConsentedRecordsFixture,
  documentHash,
  recordIdOf,
} from "../helpers/index.js";

const connection = await network.create();
const { time } = connection.networkHelpers;
const loadFixture = connection.networkHelpers.loadFixture.bind(connection.networkHelpers);

const WHY = documentHash("break-glass/justification");
const NOTES = documentHash("break-glass/review-notes");
const WINDOW = 3600;

/** The consented fixture plus a responder window on `patient`: incident 1, opened at `openedAt`. */
async function brokenGlassFixture(): Promise<
  ConsentedRecordsFixture & { readonly openedAt: number }
> {
  const f = await loadFixture(deployConsentedRecordsFixture);
  const openedAt = await pinNextTimestamp(connection);
  await f.ledger.connect(f.responder).breakGlass(f.patient.address, WHY, WINDOW);
  return { ...f, openedAt };
}

describe("BreakGlass", function () {
  describe("breakGlass", function () {
    for (const who of ["responder", "doctor"] as const) {
      it(`the ${who} opens a window: incident stored, window set, BreakGlassDeclared emitted`, async function () {
        const f = await loadFixture(deployConsentedRecordsFixture);
        const caller = f[who];
        expect(
          await f.ledger.connect(caller).breakGlass.staticCall(f.patient.address, WHY, WINDOW),
        ).to.equal(1n);
        const t = await pinNextTimestamp(connection);
        await expect(f.ledger.connect(caller).breakGlass(f.patient.address, WHY, WINDOW))
          .to.emit(f.ledger, "BreakGlassDeclared")
          .withArgs(1, f.patient.address, caller.address, WHY, t, t + WINDOW);
        expect(await f.ledger.incidentCount()).to.equal(1);
        expect(await f.ledger.incidentOf(1)).to.deep.equal([
          f.patient.address,
          BigInt(t),
          BigInt(t + WINDOW),
          BigInt(ReviewVerdict.Pending),
          caller.address,
        ]);
        expect(await f.ledger.breakGlassWindowOf(f.patient.address, caller.address)).to.deep.equal([
          1n,
          BigInt(t + WINDOW),
          BigInt(t),
        ]);
      });
    }

    it("accepts exactly the max duration; a new break-glass in an open window continues it, capped from its start", async function () {
      const { ledger, responder, patient, openedAt } = await brokenGlassFixture();
      const t = await pinNextTimestamp(connection);
      const cap = openedAt + BREAK_GLASS_MAX_DURATION;
      await expect(
        ledger.connect(responder).breakGlass(patient.address, WHY, BREAK_GLASS_MAX_DURATION),
      )
        .to.emit(ledger, "BreakGlassDeclared")
        .withArgs(2, patient.address, responder.address, WHY, t, cap);
      expect(await ledger.breakGlassWindowOf(patient.address, responder.address)).to.deep.equal([
        2n,
        BigInt(cap),
        BigInt(openedAt),
      ]);
      expect((await ledger.incidentOf(1)).expiresAt).to.equal(openedAt + WINDOW);
    });

    for (const duration of [0, BREAK_GLASS_MAX_DURATION + 1]) {
      it(`reverts with InvalidBreakGlassDuration for ${duration} s`, async function () {
        const f = await loadFixture(deployConsentedRecordsFixture);
        await expect(f.ledger.connect(f.responder).breakGlass(f.patient.address, WHY, duration))
          .to.be.revertedWithCustomError(f.ledger, "InvalidBreakGlassDuration")
          .withArgs(duration, BREAK_GLASS_MAX_DURATION);
      });
    }

    it("reverts with ZeroJustification for a zero justification hash", async function () {
      const f = await loadFixture(deployConsentedRecordsFixture);
      await expect(
        f.ledger.connect(f.responder).breakGlass(f.patient.address, ZeroHash, WINDOW),
      ).to.be.revertedWithCustomError(f.ledger, "ZeroJustification");
    });

    it("refuses callers that may not break the glass with the precise reason", async function () {
      const f = await loadFixture(deployConsentedRecordsFixture);
      const refusals = [
        [f.outsider, "NotAMember", [f.outsider.address]],
        [f.deactivatedDoctor, "MemberInactive", [f.deactivatedDoctor.address]],
        [f.nurse, "BreakGlassNotPermitted", [f.nurse.address, Role.Nurse]],
        [f.billingClerk, "BreakGlassNotPermitted", [f.billingClerk.address, Role.BillingClerk]],
        [f.auditor, "BreakGlassNotPermitted", [f.auditor.address, Role.Auditor]],
        [f.otherPatient, "BreakGlassNotPermitted", [f.otherPatient.address, Role.Patient]],
      ] as const;
      for (const [caller, error, args] of refusals) {
        await expect(f.ledger.connect(caller).breakGlass(f.patient.address, WHY, WINDOW))
          .to.be.revertedWithCustomError(f.ledger, error)
          .withArgs(...args);
      }
    });

    it("refuses a target that is not an active patient", async function () {
      const f = await loadFixture(deployConsentedRecordsFixture);
      await f.ledger.connect(f.registrar).setMemberActive(f.otherPatient.address, false);
      const refusals = [
        [ZeroAddress, "NotAMember", [ZeroAddress]],
        [f.outsider.address, "NotAMember", [f.outsider.address]],
        [f.otherPatient.address, "MemberInactive", [f.otherPatient.address]],
        [f.nurse.address, "NotAPatient", [f.nurse.address, Role.Nurse]],
      ] as const;
      for (const [target, error, args] of refusals) {
        await expect(f.ledger.connect(f.responder).breakGlass(target, WHY, WINDOW))
          .to.be.revertedWithCustomError(f.ledger, error)
          .withArgs(...args);
      }
    });

    it("a role whose emergencyRead policy is cleared can no longer break the glass", async function () {
      const f = await loadFixture(deployConsentedRecordsFixture);
      await f.ledger.connect(f.admin).setRolePolicy(Role.EmergencyResponder, 0, 0, 0);
      await expect(f.ledger.connect(f.responder).breakGlass(f.patient.address, WHY, WINDOW))
        .to.be.revertedWithCustomError(f.ledger, "BreakGlassNotPermitted")
        .withArgs(f.responder.address, Role.EmergencyResponder);
    });
  });

  describe("the window", function () {
    it("lets the responder open clinical records, flagged with path BreakGlass", async function () {
      const f = await brokenGlassFixture();
      const id = f.records[Category.Vitals];
      const bg = AccessPath.BreakGlass;
      await expectOpened(connection, f.ledger, f.responder, id, Purpose.Emergency, bg);
    });

    it("is for the emergency purpose only: any other purpose is refused through the window", async function () {
      const f = await brokenGlassFixture();
      expect(
        await f.ledger.canOpen(f.records[Category.Labs], f.responder.address, Purpose.Research),
      ).to.equal(AccessPath.None);
      expect(
        await f.ledger.canOpen(f.records[Category.Labs], f.responder.address, Purpose.Emergency),
      ).to.equal(AccessPath.BreakGlass);
    });

    it("never covers categories outside the role's emergencyRead set", async function () {
      const f = await brokenGlassFixture();
      for (const category of [Category.Billing, Category.MentalHealth]) {
        await expect(
          f.ledger.connect(f.responder).openRecord(f.records[category], Purpose.Emergency),
        )
          .to.be.revertedWithCustomError(f.ledger, "CategoryNotAllowedForRole")
          .withArgs(f.responder.address, Role.EmergencyResponder, category);
      }
    });

    it("covers only its patient", async function () {
      const f = await brokenGlassFixture();
      const other = documentHash("break-glass/other-patient-record");
      await f.ledger
        .connect(f.otherPatient)
        .anchorRecord(f.otherPatient.address, Category.Vitals, other);
      await expect(
        f.ledger
          .connect(f.responder)
          .openRecord(recordIdOf(f.otherPatient.address, other), Purpose.Emergency),
      )
        .to.be.revertedWithCustomError(f.ledger, "NoBreakGlassWindow")
        .withArgs(f.otherPatient.address, f.responder.address);
    });

    it("expiry is exclusive: open at expiresAt - 1, refused with NoBreakGlassWindow at expiresAt", async function () {
      const f = await brokenGlassFixture();
      const id = f.records[Category.Vitals];
      const end = f.openedAt + WINDOW;
      const bg = AccessPath.BreakGlass;
      await expectOpened(connection, f.ledger, f.responder, id, Purpose.Emergency, bg, end - 1);
      await time.setNextBlockTimestamp(end);
      await expect(
        f.ledger.connect(f.responder).openRecord(id, Purpose.Emergency, { gasLimit: 300_000 }),
      )
        .to.be.revertedWithCustomError(f.ledger, "NoBreakGlassWindow")
        .withArgs(f.patient.address, f.responder.address);
      expect(await f.ledger.canOpen(id, f.responder.address, Purpose.Emergency)).to.equal(
        AccessPath.None,
      );
    });

    it("a doctor holding consent opens through consent; without consent, through the window", async function () {
      const f = await loadFixture(deployConsentedRecordsFixture);
      const id = f.records[Category.Labs];
      await f.ledger.connect(f.doctor).breakGlass(f.patient.address, WHY, WINDOW);
      expect(await f.ledger.canOpen(id, f.doctor.address, Purpose.Treatment)).to.equal(
        AccessPath.Consent,
      );
      await f.ledger.connect(f.patient).revokeConsent(f.doctor.address);
      const bg = AccessPath.BreakGlass;
      await expectOpened(connection, f.ledger, f.doctor, id, Purpose.Emergency, bg);
    });

    it("a doctor whose window closed and who holds no consent gets the consent reason (ConsentMissing)", async function () {
      const f = await loadFixture(deployConsentedRecordsFixture);
      await f.ledger.connect(f.patient).revokeConsent(f.doctor.address);
      await f.ledger.connect(f.doctor).breakGlass(f.patient.address, WHY, 60);
      await time.increase(61);
      await expect(
        f.ledger.connect(f.doctor).openRecord(f.records[Category.Labs], Purpose.Treatment),
      )
        .to.be.revertedWithCustomError(f.ledger, "ConsentMissing")
        .withArgs(f.patient.address, f.doctor.address);
    });

    it("a window does not let the responder write", async function () {
      const f = await brokenGlassFixture();
      await expect(
        f.ledger
          .connect(f.responder)
          .anchorRecord(f.patient.address, Category.Vitals, documentHash("bg/write")),
      )
        .to.be.revertedWithCustomError(f.ledger, "CategoryNotAllowedForRole")
        .withArgs(f.responder.address, Role.EmergencyResponder, Category.Vitals);
    });
  });

  describe("reviewBreakGlass", function () {
    for (const verdict of [ReviewVerdict.Justified, ReviewVerdict.Unjustified]) {
      it(`the auditor records verdict ${verdict} and BreakGlassReviewed is emitted`, async function () {
        const f = await brokenGlassFixture();
        const t = await pinNextTimestamp(connection);
        await expect(f.ledger.connect(f.auditor).reviewBreakGlass(1, verdict, NOTES))
          .to.emit(f.ledger, "BreakGlassReviewed")
          .withArgs(1, f.patient.address, f.auditor.address, verdict, NOTES, t);
        expect(await f.ledger.incidentOf(1)).to.deep.equal([
          f.patient.address,
          BigInt(f.openedAt),
          BigInt(f.openedAt + WINDOW),
          BigInt(verdict),
          f.responder.address,
        ]);
      });
    }

    it("may review after the window closed", async function () {
      const f = await brokenGlassFixture();
      await time.increase(WINDOW * 2);
      await expect(
        f.ledger.connect(f.auditor).reviewBreakGlass(1, ReviewVerdict.Justified, NOTES),
      ).to.emit(f.ledger, "BreakGlassReviewed");
    });

    it("refuses callers that are not active auditors with the precise reason", async function () {
      const f = await brokenGlassFixture();
      await f.ledger.connect(f.registrar).setMemberActive(f.auditor.address, false);
      const refusals = [
        [f.outsider, "NotAMember", [f.outsider.address]],
        [f.auditor, "MemberInactive", [f.auditor.address]],
        [f.doctor, "NotAnAuditor", [f.doctor.address, Role.Doctor]],
        [f.responder, "NotAnAuditor", [f.responder.address, Role.EmergencyResponder]],
        [f.patient, "NotAnAuditor", [f.patient.address, Role.Patient]],
      ] as const;
      for (const [caller, error, args] of refusals) {
        await expect(f.ledger.connect(caller).reviewBreakGlass(1, ReviewVerdict.Justified, NOTES))
          .to.be.revertedWithCustomError(f.ledger, error)
          .withArgs(...args);
      }
    });

    for (const verdict of [ReviewVerdict.Pending, 3, 255]) {
      it(`reverts with InvalidVerdict for verdict ${verdict}`, async function () {
        const f = await brokenGlassFixture();
        await expect(f.ledger.connect(f.auditor).reviewBreakGlass(1, verdict, NOTES))
          .to.be.revertedWithCustomError(f.ledger, "InvalidVerdict")
          .withArgs(verdict);
      });
    }

    for (const incidentId of [0, 2, 2n ** 64n - 1n]) {
      it(`reverts with IncidentNotFound for incident ${incidentId}`, async function () {
        const f = await brokenGlassFixture();
        await expect(
          f.ledger.connect(f.auditor).reviewBreakGlass(incidentId, ReviewVerdict.Justified, NOTES),
        )
          .to.be.revertedWithCustomError(f.ledger, "IncidentNotFound")
          .withArgs(incidentId);
      });
    }

    it("an Unjustified verdict closes the rest of the window at once; the responder is refused from then on", async function () {
      const f = await brokenGlassFixture();
      const labs = f.records[Category.Labs];
      const t = await pinNextTimestamp(connection);
      await expect(
        f.ledger.connect(f.auditor).reviewBreakGlass(1, ReviewVerdict.Unjustified, NOTES),
      )
        .to.emit(f.ledger, "BreakGlassWindowClosed")
        .withArgs(1, f.patient.address, f.responder.address, t);
      expect(
        await f.ledger.breakGlassWindowOf(f.patient.address, f.responder.address),
      ).to.deep.equal([1n, BigInt(t), BigInt(f.openedAt)]);
      await expect(f.ledger.connect(f.responder).openRecord(labs, Purpose.Emergency))
        .to.be.revertedWithCustomError(f.ledger, "NoBreakGlassWindow")
        .withArgs(f.patient.address, f.responder.address);
    });

    it("a Justified verdict leaves the window open until it expires", async function () {
      const f = await brokenGlassFixture();
      await expect(
        f.ledger.connect(f.auditor).reviewBreakGlass(1, ReviewVerdict.Justified, NOTES),
      ).not.to.emit(f.ledger, "BreakGlassWindowClosed");
      expect(
        await f.ledger.breakGlassWindowOf(f.patient.address, f.responder.address),
      ).to.deep.equal([1n, BigInt(f.openedAt + WINDOW), BigInt(f.openedAt)]);
      expect(
        await f.ledger.canOpen(f.records[Category.Labs], f.responder.address, Purpose.Emergency),
      ).to.equal(AccessPath.BreakGlass);
    });

    it("an Unjustified verdict on an expired or replaced window closes nothing else", async function () {
      const f = await brokenGlassFixture();
      await time.increase(WINDOW * 2);
      await f.ledger.connect(f.responder).breakGlass(f.patient.address, WHY, WINDOW);
      const before = await f.ledger.breakGlassWindowOf(f.patient.address, f.responder.address);
      expect(before[0]).to.equal(2n);
      await expect(
        f.ledger.connect(f.auditor).reviewBreakGlass(1, ReviewVerdict.Unjustified, NOTES),
      ).not.to.emit(f.ledger, "BreakGlassWindowClosed");
      expect(
        await f.ledger.breakGlassWindowOf(f.patient.address, f.responder.address),
      ).to.deep.equal(before);
    });

    it("reverts with SelfReview when the auditor opened the incident (a responder moved to auditor)", async function () {
      const f = await brokenGlassFixture();
      await f.ledger.connect(f.registrar).changeMemberRole(f.responder.address, Role.Auditor);
      await expect(
        f.ledger.connect(f.responder).reviewBreakGlass(1, ReviewVerdict.Justified, NOTES),
      )
        .to.be.revertedWithCustomError(f.ledger, "SelfReview")
        .withArgs(1, f.responder.address);
    });

    it("reverts with IncidentAlreadyReviewed on a second review", async function () {
      const f = await brokenGlassFixture();
      await f.ledger.connect(f.auditor).reviewBreakGlass(1, ReviewVerdict.Unjustified, NOTES);
      await expect(f.ledger.connect(f.auditor).reviewBreakGlass(1, ReviewVerdict.Justified, NOTES))
        .to.be.revertedWithCustomError(f.ledger, "IncidentAlreadyReviewed")
        .withArgs(1, ReviewVerdict.Unjustified);
    });
  });

  describe("setBreakGlassMaxDuration", function () {
    for (const maxDuration of [1, 600, MAX_BREAK_GLASS_DURATION]) {
      it(`the admin sets ${maxDuration} s and BreakGlassMaxDurationSet is emitted; the new cap applies`, async function () {
        const f = await loadFixture(deployConsentedRecordsFixture);
        await expect(f.ledger.connect(f.admin).setBreakGlassMaxDuration(maxDuration))
          .to.emit(f.ledger, "BreakGlassMaxDurationSet")
          .withArgs(maxDuration, f.admin.address);
        expect(await f.ledger.breakGlassMaxDuration()).to.equal(maxDuration);
        await expect(
          f.ledger.connect(f.responder).breakGlass(f.patient.address, WHY, maxDuration),
        ).to.emit(f.ledger, "BreakGlassDeclared");
        await expect(
          f.ledger.connect(f.responder).breakGlass(f.patient.address, WHY, maxDuration + 1),
        )
          .to.be.revertedWithCustomError(f.ledger, "InvalidBreakGlassDuration")
          .withArgs(maxDuration + 1, maxDuration);
      });
    }

    for (const maxDuration of [0, MAX_BREAK_GLASS_DURATION + 1, 2 ** 32 - 1]) {
      it(`reverts with BreakGlassCapExceeded for ${maxDuration} s`, async function () {
        const f = await loadFixture(deployConsentedRecordsFixture);
        await expect(f.ledger.connect(f.admin).setBreakGlassMaxDuration(maxDuration))
          .to.be.revertedWithCustomError(f.ledger, "BreakGlassCapExceeded")
          .withArgs(maxDuration, MAX_BREAK_GLASS_DURATION);
      });
    }

    for (const who of ["registrar", "auditor", "responder"] as const) {
      it(`reverts with AccessControlUnauthorizedAccount for the ${who}`, async function () {
        const f = await loadFixture(deployConsentedRecordsFixture);
        await expect(f.ledger.connect(f[who]).setBreakGlassMaxDuration(600))
          .to.be.revertedWithCustomError(f.ledger, "AccessControlUnauthorizedAccount")
          .withArgs(f[who].address, DEFAULT_ADMIN_ROLE);
      });
    }
  });

  describe("views", function () {
    it("breakGlassWindowOf and incidentOf are zero when nothing was declared", async function () {
      const f = await loadFixture(deployConsentedRecordsFixture);
      expect(
        await f.ledger.breakGlassWindowOf(f.patient.address, f.responder.address),
      ).to.deep.equal([0n, 0n, 0n]);
      expect(await f.ledger.incidentOf(1)).to.deep.equal([ZeroAddress, 0n, 0n, 0n, ZeroAddress]);
      expect(await f.ledger.incidentCount()).to.equal(0);
    });
  });
});
