/**
 * `eraseRecord` on chain: the status, the audited `RecordErased` event, the role-policy refusal, and every later
 * open, change or erasure refused. Who may erase which category is tabled in test/core/accessMatrix.ts.
 */
import { expect } from "chai";
import { ZeroHash } from "ethers";
import { network } from "hardhat";
import { pinNextTimestamp } from "../helpers/chain.js";
import { fetchAuditEntries, foldAuditEntries, recordErasedEntry } from "../helpers/audit.js";
import {
  Category,
  CategoryMask,
  Purpose,
  RecordStatus,
  Role,
  STAFF_ROLES,
} from "../helpers/constants.js";
import {
  contentHash,
  deployCareLedgerFixture,
  deployConsentedRecordsFixture,
  recordIdOf,
} from "../helpers/fixtures.js";

const connection = await network.create();
const helpers = connection.networkHelpers;

describe("eraseRecord", function () {
  it("the patient erases a record: status Erased, RecordErased emitted and folded into both audit heads", async function () {
    const f = await helpers.loadFixture(deployConsentedRecordsFixture);
    const labs = f.records[Category.Labs];
    await f.ledger.connect(f.doctor).openRecord(labs, Purpose.Treatment);
    const t = await pinNextTimestamp(connection);
    await expect(f.ledger.connect(f.patient).eraseRecord(labs))
      .to.emit(f.ledger, "RecordErased")
      .withArgs(labs, f.patient.address, f.patient.address, t);

    const [record] = await f.ledger.recordOf(labs);
    expect(record.status).to.equal(BigInt(RecordStatus.Erased));
    expect(record.patient).to.equal(f.patient.address);

    const entries = await fetchAuditEntries(f.ledger);
    expect(entries.at(-1)?.entry).to.equal(
      recordErasedEntry({
        recordId: labs,
        patient: f.patient.address,
        erasedBy: f.patient.address,
        erasedAt: t,
      }),
    );
    const heads = foldAuditEntries(entries);
    expect(await f.ledger.auditHead()).to.equal(heads.global);
    expect(await f.ledger.patientAuditHead(f.patient.address)).to.equal(
      heads.perPatient.get(f.patient.address),
    );
  });

  it("any status but None and Erased can be erased: superseded and entered-in-error versions too", async function () {
    const f = await helpers.loadFixture(deployConsentedRecordsFixture);
    const v1 = f.records[Category.Vitals];
    await f.ledger.connect(f.patient).amendRecord(v1, contentHash("erase/v2"));
    const v2 = recordIdOf(f.patient.address, contentHash("erase/v2"));
    await f.ledger.connect(f.patient).markEnteredInError(v2);
    for (const id of [v1, v2]) {
      await expect(f.ledger.connect(f.patient).eraseRecord(id)).to.emit(f.ledger, "RecordErased");
      expect((await f.ledger.recordOf(id))[0].status).to.equal(BigInt(RecordStatus.Erased));
    }
  });

  describe("after erasure", function () {
    const refusals = [
      {
        what: "openRecord by the patient",
        call: (f: Fixture) => f.ledger.connect(f.patient).openRecord(f.erased, Purpose.Treatment),
        error: "RecordIsErased",
      },
      {
        what: "openRecord by a consented doctor",
        call: (f: Fixture) => f.ledger.connect(f.doctor).openRecord(f.erased, Purpose.Treatment),
        error: "RecordIsErased",
      },
      {
        what: "canOpen",
        call: (f: Fixture) => f.ledger.canOpen(f.erased, f.doctor.address, Purpose.Treatment),
        error: "RecordIsErased",
      },
      {
        what: "a second eraseRecord",
        call: (f: Fixture) => f.ledger.connect(f.patient).eraseRecord(f.erased),
        error: "RecordIsErased",
      },
    ] as const;
    for (const { what, call, error } of refusals) {
      it(`${what} reverts with ${error}`, async function () {
        const f = await helpers.loadFixture(erasedFixture);
        await expect(call(f)).to.be.revertedWithCustomError(f.ledger, error).withArgs(f.erased);
      });
    }

    for (const what of ["amendRecord", "markEnteredInError"] as const) {
      it(`${what} reverts with RecordNotCurrent(id, Erased)`, async function () {
        const f = await helpers.loadFixture(erasedFixture);
        const send =
          what === "amendRecord"
            ? f.ledger.connect(f.patient).amendRecord(f.erased, contentHash("erase/after"))
            : f.ledger.connect(f.patient).markEnteredInError(f.erased);
        await expect(send)
          .to.be.revertedWithCustomError(f.ledger, "RecordNotCurrent")
          .withArgs(f.erased, RecordStatus.Erased);
      });
    }

    it("the other records of the patient still open", async function () {
      const f = await helpers.loadFixture(erasedFixture);
      await expect(
        f.ledger.connect(f.doctor).openRecord(f.records[Category.Allergies], Purpose.Treatment),
      ).to.emit(f.ledger, "RecordOpened");
    });
  });

  describe("role-policy refusal (retention)", function () {
    it("governance takes a category out of the patient's erase policy: ErasureNotPermitted, nothing changes", async function () {
      const f = await helpers.loadFixture(deployConsentedRecordsFixture);
      await f.ledger
        .connect(f.admin)
        .setErasePolicy(Role.Patient, CategoryMask.ALL & ~CategoryMask.BILLING_WRITE);
      const billing = f.records[Category.Billing];
      const head = await f.ledger.auditHead();
      await expect(f.ledger.connect(f.patient).eraseRecord(billing))
        .to.be.revertedWithCustomError(f.ledger, "ErasureNotPermitted")
        .withArgs(f.patient.address, Role.Patient, Category.Billing);
      expect((await f.ledger.recordOf(billing))[0].status).to.equal(BigInt(RecordStatus.Current));
      expect(await f.ledger.auditHead()).to.equal(head);
      await expect(f.ledger.connect(f.patient).eraseRecord(f.records[Category.Labs])).to.emit(
        f.ledger,
        "RecordErased",
      );
    });

    for (const role of STAFF_ROLES) {
      it(`staff role ${role} erases nothing by default`, async function () {
        const f = await helpers.loadFixture(deployCareLedgerFixture);
        expect((await f.ledger.rolePolicy(role)).erase).to.equal(0n);
      });
    }

    it("an erase permission without the write rule erases nothing: the nurse may not write labs", async function () {
      const f = await helpers.loadFixture(deployConsentedRecordsFixture);
      await f.ledger.connect(f.admin).setErasePolicy(Role.Nurse, CategoryMask.ALL);
      await expect(f.ledger.connect(f.nurse).eraseRecord(f.records[Category.Labs]))
        .to.be.revertedWithCustomError(f.ledger, "CategoryNotAllowedForRole")
        .withArgs(f.nurse.address, Role.Nurse, Category.Labs);
    });
  });

  it("reverts with RecordNotFound for an unknown record", async function () {
    const f = await helpers.loadFixture(deployConsentedRecordsFixture);
    await expect(f.ledger.connect(f.patient).eraseRecord(ZeroHash))
      .to.be.revertedWithCustomError(f.ledger, "RecordNotFound")
      .withArgs(ZeroHash);
  });

  it("reverts with EnforcedPause while paused: an incident switch stops irreversible destruction", async function () {
    const f = await helpers.loadFixture(deployConsentedRecordsFixture);
    await f.ledger.connect(f.admin).pause();
    await expect(
      f.ledger.connect(f.patient).eraseRecord(f.records[Category.Labs]),
    ).to.be.revertedWithCustomError(f.ledger, "EnforcedPause");
  });
});

type Fixture = Awaited<ReturnType<typeof erasedFixture>>;

/** Everyone consented (`deployConsentedRecordsFixture`); the patient erased their labs record. */
async function erasedFixture(c: Parameters<typeof deployConsentedRecordsFixture>[0]) {
  const f = await deployConsentedRecordsFixture(c);
  const erased = f.records[Category.Labs];
  await f.ledger.connect(f.patient).eraseRecord(erased);
  return { ...f, erased };
}
