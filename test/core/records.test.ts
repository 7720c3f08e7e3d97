import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";
import { expect } from "chai";
import type { ContractTransactionResponse } from "ethers";
import { ZeroAddress, ZeroHash } from "ethers";
import { network } from "hardhat";
import type { CareLedger } from "../../typechain-types/index.js";
import {
  CATEGORY_COUNT,
  Category,
  Purpose,
  RecordStatus,
  Role,
  maskOf,
  pinNextTimestamp,
  MEMBER_NAMES,
  type ConsentedRecordsFixture,
  contentHash,
  perCategoryHash,
  recordIdOf,
  deployCareLedgerFixture,
  deployConsentedRecordsFixture,
} from "../helpers/index.js";

const connection = await network.create();
const { time } = connection.networkHelpers;
const loadFixture = connection.networkHelpers.loadFixture.bind(connection.networkHelpers);

interface ExpectedRecord {
  readonly patient: string;
  readonly author: HardhatEthersSigner;
  readonly category: number;
  readonly status: number;
  readonly createdAt: number;
  readonly previous: string;
}

/** `recordOf(id)` and `previousVersionOf(id)` hold exactly `e` (authorship packed as the author's member id). */
async function expectRecord(ledger: CareLedger, id: string, e: ExpectedRecord): Promise<void> {
  const [record, author] = await ledger.recordOf(id);
  const [authorMember] = await ledger.memberOf(e.author.address);
  expect(record).to.deep.equal([
    e.patient,
    authorMember.id,
    BigInt(e.category),
    BigInt(e.status),
    BigInt(e.createdAt),
  ]);
  expect(author).to.equal(e.author.address);
  expect(await ledger.previousVersionOf(id)).to.equal(e.previous);
}

const NEW = contentHash("records/new");
const V2 = contentHash("records/v2");
const V3 = contentHash("records/v3");

/** Write refusals shared by anchor, amend and mark-in-error, on a labs record of `patient`. */
function writeRefusals(f: ConsentedRecordsFixture) {
  return [
    { who: "outsider", caller: f.outsider, error: "NotAMember", args: [f.outsider.address] },
    {
      who: "deactivated doctor",
      caller: f.deactivatedDoctor,
      error: "MemberInactive",
      args: [f.deactivatedDoctor.address],
    },
    {
      who: "nurse (labs not in write policy)",
      caller: f.nurse,
      error: "CategoryNotAllowedForRole",
      args: [f.nurse.address, Role.Nurse, Category.Labs],
    },
    {
      who: "other patient",
      caller: f.otherPatient,
      error: "CategoryNotAllowedForRole",
      args: [f.otherPatient.address, Role.Patient, Category.Labs],
    },
  ] as const;
}

/** Consent refusals for the doctor writing labs of `patient`, each set up by `prepare`. */
const CONSENT_REFUSALS = [
  {
    what: "no consent",
    prepare: async (f: ConsentedRecordsFixture) => {
      await f.ledger.connect(f.patient).revokeConsent(f.doctor.address);
    },
    error: "ConsentMissing",
    args: (f: ConsentedRecordsFixture) => [f.patient.address, f.doctor.address],
  },
  {
    what: "an expired consent",
    prepare: async (f: ConsentedRecordsFixture) => {
      await time.increaseTo(f.consentExpiresAt);
    },
    error: "ConsentExpired",
    args: (f: ConsentedRecordsFixture) => [f.patient.address, f.doctor.address, f.consentExpiresAt],
  },
  {
    what: "a consent without the category",
    prepare: async (f: ConsentedRecordsFixture) => {
      await f.ledger
        .connect(f.patient)
        .narrowConsent(f.doctor.address, maskOf(Category.Vitals), 0x1f);
    },
    error: "CategoryNotConsented",
    args: (f: ConsentedRecordsFixture) => [f.patient.address, f.doctor.address, Category.Labs],
  },
] as const;

/** The three writes, each on `patient`'s labs (a new labs record for anchoring). */
const WRITES: Readonly<
  Record<
    string,
    (
      f: ConsentedRecordsFixture,
      caller: HardhatEthersSigner,
    ) => Promise<ContractTransactionResponse>
  >
> = {
  anchorRecord: (f, caller) =>
    f.ledger.connect(caller).anchorRecord(f.patient.address, Category.Labs, NEW),
  amendRecord: (f, caller) => f.ledger.connect(caller).amendRecord(f.records[Category.Labs], V2),
  markEnteredInError: (f, caller) =>
    f.ledger.connect(caller).markEnteredInError(f.records[Category.Labs]),
};

describe("RecordRegistry", function () {
  describe("anchorRecord", function () {
    it("the patient anchors a record: stored, and RecordAnchored emitted with no predecessor", async function () {
      const { ledger, patient } = await loadFixture(deployCareLedgerFixture);
      const t = await pinNextTimestamp(connection);
      const id = recordIdOf(patient.address, NEW);
      await expect(ledger.connect(patient).anchorRecord(patient.address, Category.Allergies, NEW))
        .to.emit(ledger, "RecordAnchored")
        .withArgs(id, patient.address, patient.address, NEW, Category.Allergies, ZeroHash);
      await expectRecord(ledger, id, {
        patient: patient.address,
        author: patient,
        category: Category.Allergies,
        status: RecordStatus.Current,
        createdAt: t,
        previous: ZeroHash,
      });
    });

    it("a consented doctor anchors a record and is recorded as its author", async function () {
      const { ledger, patient, doctor } = await loadFixture(deployConsentedRecordsFixture);
      const id = recordIdOf(patient.address, NEW);
      await expect(ledger.connect(doctor).anchorRecord(patient.address, Category.Labs, NEW))
        .to.emit(ledger, "RecordAnchored")
        .withArgs(id, patient.address, doctor.address, NEW, Category.Labs, ZeroHash);
      const [record, author] = await ledger.recordOf(id);
      expect(record.authorId).to.equal(MEMBER_NAMES.indexOf("doctor") + 1);
      expect(author).to.equal(doctor.address);
    });

    for (const [name, purpose, allowed] of [
      ["treatment", Purpose.Treatment, true],
      ["payment", Purpose.Payment, true],
      ["operations", Purpose.Operations, true],
      ["research", Purpose.Research, false],
      ["emergency", Purpose.Emergency, false],
    ] as const) {
      it(`a consent for ${name} only ${allowed ? "lets" : "does not let"} its grantee write`, async function () {
        const { ledger, patient, doctor } = await loadFixture(deployConsentedRecordsFixture);
        await ledger
          .connect(patient)
          .narrowConsent(doctor.address, maskOf(Category.Labs), maskOf(purpose));
        const anchor = ledger.connect(doctor).anchorRecord(patient.address, Category.Labs, NEW);
        if (allowed) {
          await expect(anchor).to.emit(ledger, "RecordAnchored");
        } else {
          await expect(anchor)
            .to.be.revertedWithCustomError(ledger, "WritePurposeNotConsented")
            .withArgs(patient.address, doctor.address, maskOf(purpose));
        }
        expect(await ledger.canWrite(patient.address, doctor.address, Category.Labs)).to.equal(
          allowed,
        );
      });
    }

    it("reverts with ZeroAddress for the zero patient", async function () {
      const { ledger, patient } = await loadFixture(deployCareLedgerFixture);
      await expect(
        ledger.connect(patient).anchorRecord(ZeroAddress, Category.Labs, NEW),
      ).to.be.revertedWithCustomError(ledger, "ZeroAddress");
    });

    for (const category of [CATEGORY_COUNT, 255]) {
      it(`reverts with InvalidCategory for category ${category}`, async function () {
        const { ledger, patient } = await loadFixture(deployCareLedgerFixture);
        await expect(ledger.connect(patient).anchorRecord(patient.address, category, NEW))
          .to.be.revertedWithCustomError(ledger, "InvalidCategory")
          .withArgs(category);
      });
    }

    it("reverts with ZeroContentHash for a zero hash", async function () {
      const { ledger, patient } = await loadFixture(deployCareLedgerFixture);
      await expect(
        ledger.connect(patient).anchorRecord(patient.address, Category.Labs, ZeroHash),
      ).to.be.revertedWithCustomError(ledger, "ZeroContentHash");
    });

    it("reverts with RecordAlreadyAnchored for a hash anchored before for the same patient, by anyone", async function () {
      const f = await loadFixture(deployConsentedRecordsFixture);
      const labs = f.records[Category.Labs];
      const hash = perCategoryHash("patient", Category.Labs);
      const attempts = [
        () => f.ledger.connect(f.patient).anchorRecord(f.patient.address, Category.Labs, hash),
        () => f.ledger.connect(f.patient).anchorRecord(f.patient.address, Category.Vitals, hash),
        () => f.ledger.connect(f.doctor).anchorRecord(f.patient.address, Category.Labs, hash),
      ];
      for (const attempt of attempts) {
        await expect(attempt())
          .to.be.revertedWithCustomError(f.ledger, "RecordAlreadyAnchored")
          .withArgs(labs);
      }
      // a superseded version's hash stays taken
      await f.ledger.connect(f.patient).amendRecord(labs, V2);
      await expect(f.ledger.connect(f.patient).anchorRecord(f.patient.address, Category.Labs, hash))
        .to.be.revertedWithCustomError(f.ledger, "RecordAlreadyAnchored")
        .withArgs(labs);
      // the same bytes under another patient are another record (ids belong to the patient)
      await expect(
        f.ledger.connect(f.otherPatient).anchorRecord(f.otherPatient.address, Category.Labs, hash),
      ).to.emit(f.ledger, "RecordAnchored");
    });

    it("a doctor cannot anchor for an account that is not a patient (no one can consent for it)", async function () {
      const { ledger, doctor, nurse, outsider } = await loadFixture(deployConsentedRecordsFixture);
      for (const notAPatient of [nurse, outsider]) {
        await expect(ledger.connect(doctor).anchorRecord(notAPatient.address, Category.Labs, NEW))
          .to.be.revertedWithCustomError(ledger, "ConsentMissing")
          .withArgs(notAPatient.address, doctor.address);
      }
    });
  });

  describe("amendRecord", function () {
    it("adds a version superseding the previous one; nothing is overwritten", async function () {
      const f = await loadFixture(deployConsentedRecordsFixture);
      const { ledger, patient, doctor } = f;
      const v1 = f.records[Category.Labs];
      const [v1Before] = await ledger.recordOf(v1);
      const t = await pinNextTimestamp(connection);
      const v2 = recordIdOf(patient.address, V2);
      await expect(ledger.connect(doctor).amendRecord(v1, V2))
        .to.emit(ledger, "RecordAnchored")
        .withArgs(v2, patient.address, doctor.address, V2, Category.Labs, v1);
      const [v1After, v1Author] = await ledger.recordOf(v1);
      expect(v1After).to.deep.equal([
        v1Before.patient,
        v1Before.authorId,
        v1Before.category,
        BigInt(RecordStatus.Superseded),
        v1Before.createdAt,
      ]);
      expect(v1Author).to.equal(patient.address);
      await expectRecord(ledger, v2, {
        patient: patient.address,
        author: doctor,
        category: Category.Labs,
        status: RecordStatus.Current,
        createdAt: t,
        previous: v1,
      });
    });

    it("builds a version chain v1 <- v2 <- v3", async function () {
      const f = await loadFixture(deployConsentedRecordsFixture);
      const v1 = f.records[Category.Medications];
      const v2 = recordIdOf(f.patient.address, V2);
      const v3 = recordIdOf(f.patient.address, V3);
      await f.ledger.connect(f.doctor).amendRecord(v1, V2);
      await expect(f.ledger.connect(f.nurse).amendRecord(v2, V3))
        .to.emit(f.ledger, "RecordAnchored")
        .withArgs(v3, f.patient.address, f.nurse.address, V3, Category.Medications, v2);
      expect(await f.ledger.previousVersionOf(v3)).to.equal(v2);
      expect(await f.ledger.previousVersionOf(v2)).to.equal(v1);
      expect(await f.ledger.previousVersionOf(v1)).to.equal(ZeroHash);
      const statuses = await Promise.all(
        [v1, v2, v3].map(async (id) => (await f.ledger.recordOf(id))[0].status),
      );
      expect(statuses).to.deep.equal([
        BigInt(RecordStatus.Superseded),
        BigInt(RecordStatus.Superseded),
        BigInt(RecordStatus.Current),
      ]);
    });

    it("reverts with RecordNotFound for an unknown record", async function () {
      const { ledger, patient } = await loadFixture(deployConsentedRecordsFixture);
      await expect(ledger.connect(patient).amendRecord(NEW, V2))
        .to.be.revertedWithCustomError(ledger, "RecordNotFound")
        .withArgs(NEW);
    });

    it("reverts with RecordNotCurrent for a superseded or entered-in-error version", async function () {
      const f = await loadFixture(deployConsentedRecordsFixture);
      const labs = f.records[Category.Labs];
      const vitals = f.records[Category.Vitals];
      await f.ledger.connect(f.patient).amendRecord(labs, V2);
      await f.ledger.connect(f.patient).markEnteredInError(vitals);
      await expect(f.ledger.connect(f.patient).amendRecord(labs, V3))
        .to.be.revertedWithCustomError(f.ledger, "RecordNotCurrent")
        .withArgs(labs, RecordStatus.Superseded);
      await expect(f.ledger.connect(f.patient).amendRecord(vitals, V3))
        .to.be.revertedWithCustomError(f.ledger, "RecordNotCurrent")
        .withArgs(vitals, RecordStatus.EnteredInError);
    });

    it("reverts with ZeroContentHash / RecordAlreadyAnchored for a zero or taken new hash", async function () {
      const f = await loadFixture(deployConsentedRecordsFixture);
      const labs = f.records[Category.Labs];
      await expect(
        f.ledger.connect(f.patient).amendRecord(labs, ZeroHash),
      ).to.be.revertedWithCustomError(f.ledger, "ZeroContentHash");
      for (const category of [Category.Labs, Category.Vitals]) {
        const taken = perCategoryHash("patient", category);
        await expect(f.ledger.connect(f.patient).amendRecord(labs, taken))
          .to.be.revertedWithCustomError(f.ledger, "RecordAlreadyAnchored")
          .withArgs(f.records[category]);
      }
    });
  });

  describe("markEnteredInError", function () {
    it("flags the version, emits RecordEnteredInError, and the record stays readable", async function () {
      const f = await loadFixture(deployConsentedRecordsFixture);
      const labs = f.records[Category.Labs];
      const [before] = await f.ledger.recordOf(labs);
      await expect(f.ledger.connect(f.doctor).markEnteredInError(labs))
        .to.emit(f.ledger, "RecordEnteredInError")
        .withArgs(labs, f.patient.address, f.doctor.address);
      const [after] = await f.ledger.recordOf(labs);
      expect(after).to.deep.equal([
        before.patient,
        before.authorId,
        before.category,
        BigInt(RecordStatus.EnteredInError),
        before.createdAt,
      ]);
      await expect(f.ledger.connect(f.doctor).openRecord(labs, Purpose.Treatment)).to.emit(
        f.ledger,
        "RecordOpened",
      );
    });

    it("reverts with RecordNotFound for an unknown record", async function () {
      const { ledger, patient } = await loadFixture(deployConsentedRecordsFixture);
      await expect(ledger.connect(patient).markEnteredInError(NEW))
        .to.be.revertedWithCustomError(ledger, "RecordNotFound")
        .withArgs(NEW);
    });

    it("reverts with RecordNotCurrent for a superseded or already entered-in-error version", async function () {
      const f = await loadFixture(deployConsentedRecordsFixture);
      const labs = f.records[Category.Labs];
      const vitals = f.records[Category.Vitals];
      await f.ledger.connect(f.patient).amendRecord(labs, V2);
      await f.ledger.connect(f.patient).markEnteredInError(vitals);
      await expect(f.ledger.connect(f.patient).markEnteredInError(labs))
        .to.be.revertedWithCustomError(f.ledger, "RecordNotCurrent")
        .withArgs(labs, RecordStatus.Superseded);
      await expect(f.ledger.connect(f.patient).markEnteredInError(vitals))
        .to.be.revertedWithCustomError(f.ledger, "RecordNotCurrent")
        .withArgs(vitals, RecordStatus.EnteredInError);
    });
  });

  describe("write refusals, shared by anchorRecord, amendRecord and markEnteredInError", function () {
    for (const [fn, write] of Object.entries(WRITES)) {
      it(`${fn} refuses non-writers with the precise reason`, async function () {
        const f = await loadFixture(deployConsentedRecordsFixture);
        for (const c of writeRefusals(f)) {
          await expect(write(f, c.caller))
            .to.be.revertedWithCustomError(f.ledger, c.error)
            .withArgs(...c.args);
        }
      });

      for (const c of CONSENT_REFUSALS) {
        it(`${fn} reverts with ${c.error} for a doctor with ${c.what}`, async function () {
          const f = await loadFixture(deployConsentedRecordsFixture);
          await c.prepare(f);
          await expect(write(f, f.doctor))
            .to.be.revertedWithCustomError(f.ledger, c.error)
            .withArgs(...c.args(f));
        });
      }
    }
  });

  describe("views", function () {
    it("recordOf an unknown id is all zero with no author", async function () {
      const { ledger } = await loadFixture(deployCareLedgerFixture);
      const [record, author] = await ledger.recordOf(NEW);
      expect(record).to.deep.equal([ZeroAddress, 0n, 0n, 0n, 0n]);
      expect(author).to.equal(ZeroAddress);
      expect(await ledger.previousVersionOf(NEW)).to.equal(ZeroHash);
    });

    it("the author's address survives a later deactivation of the author", async function () {
      const f = await loadFixture(deployConsentedRecordsFixture);
      await f.ledger.connect(f.doctor).anchorRecord(f.patient.address, Category.Labs, NEW);
      await f.ledger.connect(f.registrar).setMemberActive(f.doctor.address, false);
      expect((await f.ledger.recordOf(recordIdOf(f.patient.address, NEW)))[1]).to.equal(
        f.doctor.address,
      );
    });
  });
});
