import { expect } from "chai";
import type { ContractTransactionResponse } from "ethers";
import { network } from "hardhat";
import {
  AccessPath,
  Category,
  CategoryMask,
  HOSPITAL_ORG_ID,
  Purpose,
  PurposeMask,
  ReviewVerdict,
  Role,
  expectOpened,
  pinNextTimestamp,
  type ConsentedRecordsFixture,
  contentHash,
  deployConsentedRecordsFixture,
  documentHash,
  encryptionKeyFor,
  recordIdOf,
} from "../helpers/index.js";

const connection = await network.create();
const loadFixture = connection.networkHelpers.loadFixture.bind(connection.networkHelpers);

/** The consented fixture, `patient` having appointed `spare[0]` as delegate, then paused. */
async function pausedFixture(): Promise<ConsentedRecordsFixture> {
  const f = await loadFixture(deployConsentedRecordsFixture);
  await f.ledger
    .connect(f.patient)
    .appointDelegate(f.spare[0]!.address, CategoryMask.ALL, f.consentExpiresAt);
  await f.ledger.connect(f.admin).pause();
  return f;
}

interface PauseCase {
  readonly name: string;
  readonly send: (f: ConsentedRecordsFixture) => Promise<ContractTransactionResponse>;
  readonly event: string;
  /** The exact event arguments, given the block time `t` of the transaction. */
  readonly args: (f: ConsentedRecordsFixture, t: number) => readonly unknown[];
}

const NEW_LAB = contentHash("paused/new-lab");
const AMENDED_LAB = contentHash("paused/amended-lab");

/** Anchoring and widening consent: refused with EnforcedPause while paused, allowed again after unpause. */
const BLOCKED: readonly PauseCase[] = [
  {
    name: "anchorRecord by the patient",
    send: (f) =>
      f.ledger.connect(f.patient).anchorRecord(f.patient.address, Category.Labs, NEW_LAB),
    event: "RecordAnchored",
    args: (f) => [
      recordIdOf(f.patient.address, NEW_LAB),
      f.patient.address,
      f.patient.address,
      NEW_LAB,
      Category.Labs,
      connection.ethers.ZeroHash,
    ],
  },
  {
    name: "anchorRecord by a consented doctor",
    send: (f) => f.ledger.connect(f.doctor).anchorRecord(f.patient.address, Category.Labs, NEW_LAB),
    event: "RecordAnchored",
    args: (f) => [
      recordIdOf(f.patient.address, NEW_LAB),
      f.patient.address,
      f.doctor.address,
      NEW_LAB,
      Category.Labs,
      connection.ethers.ZeroHash,
    ],
  },
  {
    name: "amendRecord",
    send: (f) => f.ledger.connect(f.doctor).amendRecord(f.records[Category.Labs], AMENDED_LAB),
    event: "RecordAnchored",
    args: (f) => [
      recordIdOf(f.patient.address, AMENDED_LAB),
      f.patient.address,
      f.doctor.address,
      AMENDED_LAB,
      Category.Labs,
      f.records[Category.Labs],
    ],
  },
  {
    name: "markEnteredInError",
    send: (f) => f.ledger.connect(f.doctor).markEnteredInError(f.records[Category.Labs]),
    event: "RecordEnteredInError",
    args: (f) => [f.records[Category.Labs], f.patient.address, f.doctor.address],
  },
  {
    name: "grantConsent",
    send: (f) =>
      f.ledger
        .connect(f.otherPatient)
        .grantConsent(
          f.nurse.address,
          CategoryMask.NURSE_READ,
          PurposeMask.TREATMENT,
          f.consentExpiresAt,
        ),
    event: "ConsentGranted",
    args: (f) => [
      f.otherPatient.address,
      f.nurse.address,
      f.otherPatient.address,
      CategoryMask.NURSE_READ,
      PurposeMask.TREATMENT,
      f.consentExpiresAt,
    ],
  },
  {
    name: "extendConsent",
    send: (f) =>
      f.ledger.connect(f.patient).extendConsent(f.doctor.address, f.consentExpiresAt + 1),
    event: "ConsentExtended",
    args: (f) => [f.patient.address, f.doctor.address, f.patient.address, f.consentExpiresAt + 1],
  },
  {
    name: "appointDelegate",
    send: (f) =>
      f.ledger
        .connect(f.patient)
        .appointDelegate(f.spare[1]!.address, CategoryMask.CLINICAL, f.consentExpiresAt),
    event: "DelegateAppointed",
    args: (f) => [
      f.patient.address,
      f.spare[1]!.address,
      CategoryMask.CLINICAL,
      f.consentExpiresAt,
    ],
  },
  {
    name: "grantConsentFor (by the delegate)",
    send: (f) =>
      f.ledger
        .connect(f.spare[0])
        .grantConsentFor(f.patient.address, f.nurse.address, 1, 1, f.consentExpiresAt),
    event: "ConsentGranted",
    args: (f) => [
      f.patient.address,
      f.nurse.address,
      f.spare[0]!.address,
      1,
      1,
      f.consentExpiresAt,
    ],
  },
  {
    name: "onboardMember",
    send: (f) =>
      f.ledger
        .connect(f.registrar)
        .onboardMember(f.spare[0]!.address, Role.Nurse, HOSPITAL_ORG_ID, encryptionKeyFor("new")),
    event: "MemberOnboarded",
    args: (f) => [
      f.spare[0]!.address,
      Role.Nurse,
      HOSPITAL_ORG_ID,
      9,
      encryptionKeyFor("new"),
      f.registrar.address,
    ],
  },
];

/** Care, withdrawal of consent and administration: available while paused. */
const ALLOWED: readonly PauseCase[] = [
  {
    name: "openRecord under consent",
    send: (f) => f.ledger.connect(f.doctor).openRecord(f.records[Category.Labs], Purpose.Treatment),
    event: "RecordOpened",
    args: (f, t) => [
      f.records[Category.Labs],
      f.patient.address,
      f.doctor.address,
      Purpose.Treatment,
      AccessPath.Consent,
      t,
    ],
  },
  {
    name: "openRecord by the patient",
    send: (f) =>
      f.ledger.connect(f.patient).openRecord(f.records[Category.Labs], Purpose.Treatment),
    event: "RecordOpened",
    args: (f, t) => [
      f.records[Category.Labs],
      f.patient.address,
      f.patient.address,
      Purpose.Treatment,
      AccessPath.Patient,
      t,
    ],
  },
  {
    name: "breakGlass",
    send: (f) =>
      f.ledger.connect(f.responder).breakGlass(f.patient.address, documentHash("paused/bg"), 600),
    event: "BreakGlassDeclared",
    args: (f, t) => [
      1n,
      f.patient.address,
      f.responder.address,
      documentHash("paused/bg"),
      t,
      t + 600,
    ],
  },
  {
    name: "narrowConsent",
    send: (f) =>
      f.ledger
        .connect(f.patient)
        .narrowConsent(f.doctor.address, CategoryMask.CLINICAL, PurposeMask.ALL),
    event: "ConsentNarrowed",
    args: (f) => [
      f.patient.address,
      f.doctor.address,
      f.patient.address,
      CategoryMask.CLINICAL,
      PurposeMask.ALL,
    ],
  },
  {
    name: "revokeConsent",
    send: (f) => f.ledger.connect(f.patient).revokeConsent(f.doctor.address),
    event: "ConsentRevoked",
    args: (f) => [f.patient.address, f.doctor.address, f.patient.address],
  },
  {
    name: "revokeConsentFor (by the delegate)",
    send: (f) => f.ledger.connect(f.spare[0]).revokeConsentFor(f.patient.address, f.doctor.address),
    event: "ConsentRevoked",
    args: (f) => [f.patient.address, f.doctor.address, f.spare[0]!.address],
  },
  {
    name: "removeDelegate",
    send: (f) => f.ledger.connect(f.patient).removeDelegate(f.spare[0]!.address),
    event: "DelegateRemoved",
    args: (f) => [f.patient.address, f.spare[0]!.address],
  },
  {
    name: "rotateEncryptionKey",
    send: (f) => f.ledger.connect(f.nurse).rotateEncryptionKey(encryptionKeyFor("nurse/2")),
    event: "EncryptionKeyRotated",
    args: (f) => [f.nurse.address, encryptionKeyFor("nurse/2")],
  },
  {
    name: "setMemberActive (deactivating: cuts a key off)",
    send: (f) => f.ledger.connect(f.registrar).setMemberActive(f.nurse.address, false),
    event: "MemberStatusChanged",
    args: (f) => [f.nurse.address, false, f.registrar.address],
  },
  {
    name: "setRolePolicy",
    send: (f) => f.ledger.connect(f.admin).setRolePolicy(Role.Auditor, 0, 0, 0),
    event: "RolePolicySet",
    args: (f) => [Role.Auditor, 0, 0, 0, f.admin.address],
  },
  {
    name: "setBreakGlassMaxDuration",
    send: (f) => f.ledger.connect(f.admin).setBreakGlassMaxDuration(60),
    event: "BreakGlassMaxDurationSet",
    args: (f) => [60, f.admin.address],
  },
];

describe("Incident pause", function () {
  describe("blocks anchoring, amending, marking in error, granting, extending and onboarding", function () {
    for (const c of BLOCKED) {
      it(`${c.name} reverts with EnforcedPause while paused and works after unpause`, async function () {
        const f = await pausedFixture();
        await expect(c.send(f)).to.be.revertedWithCustomError(f.ledger, "EnforcedPause");
        await f.ledger.connect(f.admin).unpause();
        const t = await pinNextTimestamp(connection);
        await expect(c.send(f))
          .to.emit(f.ledger, c.event)
          .withArgs(...c.args(f, t));
      });
    }

    it("the pause is checked before membership: a non-member anchoring gets EnforcedPause", async function () {
      const f = await pausedFixture();
      await expect(
        f.ledger.connect(f.outsider).anchorRecord(f.patient.address, Category.Labs, NEW_LAB),
      ).to.be.revertedWithCustomError(f.ledger, "EnforcedPause");
    });
  });

  describe("views agree with the paused writes", function () {
    it("canWrite is false while paused (the write would revert) and true again after unpause", async function () {
      const f = await pausedFixture();
      const write = () => f.ledger.canWrite(f.patient.address, f.doctor.address, Category.Labs);
      const own = () => f.ledger.canWrite(f.patient.address, f.patient.address, Category.Labs);
      expect([await write(), await own()]).to.deep.equal([false, false]);
      await f.ledger.connect(f.admin).unpause();
      expect([await write(), await own()]).to.deep.equal([true, true]);
    });
  });

  describe("does not block care, withdrawal of consent or administration", function () {
    for (const c of ALLOWED) {
      it(`${c.name} works while paused`, async function () {
        const f = await pausedFixture();
        const t = await pinNextTimestamp(connection);
        await expect(c.send(f))
          .to.emit(f.ledger, c.event)
          .withArgs(...c.args(f, t));
        expect(await f.ledger.paused()).to.equal(true);
      });
    }

    it("a window opened while paused lets the responder open a record (flagged), and the auditor review it", async function () {
      const f = await pausedFixture();
      await f.ledger
        .connect(f.responder)
        .breakGlass(f.patient.address, documentHash("paused/bg"), 600);
      const vitals = f.records[Category.Vitals];
      const bg = AccessPath.BreakGlass;
      await expectOpened(connection, f.ledger, f.responder, vitals, Purpose.Emergency, bg);
      const r = await pinNextTimestamp(connection);
      await expect(
        f.ledger
          .connect(f.auditor)
          .reviewBreakGlass(1, ReviewVerdict.Justified, documentHash("notes")),
      )
        .to.emit(f.ledger, "BreakGlassReviewed")
        .withArgs(
          1,
          f.patient.address,
          f.auditor.address,
          ReviewVerdict.Justified,
          documentHash("notes"),
          r,
        );
    });
  });
});
