import { expect } from "chai";
import { ZeroHash } from "ethers";
import { network } from "hardhat";
import {
  AccessPath,
  AuditAction,
  Category,
  Purpose,
  ReviewVerdict,
  auditEntriesOf,
  breakGlassDeclaredEntry,
  breakGlassReviewedEntry,
  fetchAuditEntries,
  foldAudit,
  foldAuditEntries,
  recordOpenedEntry,
  pinNextTimestamp,
  type ConsentedRecordsFixture,
  deployConsentedRecordsFixture,
  documentHash,
  recordIdOf,
} from "../helpers/index.js";

const connection = await network.create();
const loadFixture = connection.networkHelpers.loadFixture.bind(connection.networkHelpers);

const WHY = documentHash("audit/justification");
const NOTES = documentHash("audit/notes");

/** A mixed history over both patients: consent opens, patient opens, a break-glass, its opens and its review. */
async function auditedHistoryFixture(): Promise<ConsentedRecordsFixture> {
  const f = await loadFixture(deployConsentedRecordsFixture);
  const other = documentHash("audit/other-patient-labs");
  await f.ledger.connect(f.otherPatient).anchorRecord(f.otherPatient.address, Category.Labs, other);
  const otherId = recordIdOf(f.otherPatient.address, other);
  await f.ledger.connect(f.doctor).openRecord(f.records[Category.Labs], Purpose.Treatment);
  await f.ledger.connect(f.patient).openRecord(f.records[Category.MentalHealth], Purpose.Research);
  await f.ledger.connect(f.doctor).openRecord(otherId, Purpose.Treatment);
  await f.ledger.connect(f.responder).breakGlass(f.patient.address, WHY, 600);
  await f.ledger.connect(f.responder).openRecord(f.records[Category.Vitals], Purpose.Emergency);
  await f.ledger.connect(f.nurse).openRecord(f.records[Category.Medications], Purpose.Treatment);
  await f.ledger.connect(f.auditor).reviewBreakGlass(1, ReviewVerdict.Justified, NOTES);
  await f.ledger.connect(f.otherPatient).openRecord(otherId, Purpose.Operations);
  return f;
}

describe("AuditTrail", function () {
  it("heads start at zero", async function () {
    const f = await loadFixture(deployConsentedRecordsFixture);
    expect(await f.ledger.auditHead()).to.equal(ZeroHash);
    expect(await f.ledger.patientAuditHead(f.patient.address)).to.equal(ZeroHash);
  });

  it("anchoring and consent changes are not audit entries (heads stay zero)", async function () {
    const f = await loadFixture(deployConsentedRecordsFixture);
    expect(await fetchAuditEntries(f.ledger)).to.deep.equal([]);
    expect(await f.ledger.auditHead()).to.equal(ZeroHash);
  });

  it("the global and per-patient heads equal the fold of the emitted entries", async function () {
    const f = await auditedHistoryFixture();
    const entries = await fetchAuditEntries(f.ledger);
    expect(entries.map((e) => e.action)).to.deep.equal([
      AuditAction.RecordOpened,
      AuditAction.RecordOpened,
      AuditAction.RecordOpened,
      AuditAction.BreakGlassDeclared,
      AuditAction.RecordOpened,
      AuditAction.RecordOpened,
      AuditAction.BreakGlassReviewed,
      AuditAction.RecordOpened,
    ]);
    const heads = foldAuditEntries(entries);
    expect(await f.ledger.auditHead()).to.equal(heads.global);
    for (const p of [f.patient, f.otherPatient]) {
      expect(await f.ledger.patientAuditHead(p.address)).to.equal(heads.perPatient.get(p.address));
    }
    expect(await f.ledger.patientAuditHead(f.doctor.address)).to.equal(ZeroHash);
    expect(heads.perPatient.get(f.patient.address)).not.to.equal(
      heads.perPatient.get(f.otherPatient.address),
    );
  });

  it("a trail with an entry removed, reordered or edited no longer matches the head", async function () {
    const f = await auditedHistoryFixture();
    const entries = await fetchAuditEntries(f.ledger);
    const head = await f.ledger.auditHead();
    const removed = entries.filter((_, i) => i !== 2);
    const reordered = [entries[1]!, entries[0]!, ...entries.slice(2)];
    const edited = entries.map((e, i) =>
      i === 4 ? { ...e, entry: foldAudit(e.entry, ZeroHash) } : e,
    );
    for (const tampered of [removed, reordered, edited]) {
      expect(foldAuditEntries(tampered).global).not.to.equal(head);
    }
  });

  it("each audited transaction folds exactly its own entry onto the previous heads", async function () {
    const f = await loadFixture(deployConsentedRecordsFixture);
    const steps = [
      () => f.ledger.connect(f.doctor).openRecord(f.records[Category.Labs], Purpose.Treatment),
      () => f.ledger.connect(f.responder).breakGlass(f.patient.address, WHY, 600),
      () =>
        f.ledger.connect(f.responder).openRecord(f.records[Category.Imaging], Purpose.Emergency),
      () => f.ledger.connect(f.auditor).reviewBreakGlass(1, ReviewVerdict.Unjustified, NOTES),
    ];
    for (const step of steps) {
      const global = await f.ledger.auditHead();
      const mine = await f.ledger.patientAuditHead(f.patient.address);
      const receipt = await (await step()).wait();
      const [entry, ...rest] = auditEntriesOf(f.ledger, receipt!.logs);
      expect(rest).to.have.length(0);
      expect(await f.ledger.auditHead()).to.equal(foldAudit(global, entry!.entry));
      expect(await f.ledger.patientAuditHead(f.patient.address)).to.equal(
        foldAudit(mine, entry!.entry),
      );
    }
  });

  it("entries are keccak256(abi.encode(action, fields…)) of the known values, independent of the logs", async function () {
    const f = await loadFixture(deployConsentedRecordsFixture);
    const p = f.patient.address;
    const labs = f.records[Category.Labs];
    const vitals = f.records[Category.Vitals];

    const t1 = await pinNextTimestamp(connection);
    await f.ledger.connect(f.doctor).openRecord(labs, Purpose.Payment);
    let head = foldAudit(
      ZeroHash,
      recordOpenedEntry({
        recordId: labs,
        patient: p,
        accessor: f.doctor.address,
        purpose: Purpose.Payment,
        path: AccessPath.Consent,
        openedAt: t1,
      }),
    );
    expect(await f.ledger.auditHead()).to.equal(head);

    const t2 = await pinNextTimestamp(connection);
    await f.ledger.connect(f.responder).breakGlass(p, WHY, 900);
    head = foldAudit(
      head,
      breakGlassDeclaredEntry({
        incidentId: 1,
        patient: p,
        responder: f.responder.address,
        justificationHash: WHY,
        openedAt: t2,
        expiresAt: t2 + 900,
      }),
    );
    expect(await f.ledger.auditHead()).to.equal(head);

    const t3 = await pinNextTimestamp(connection);
    await f.ledger.connect(f.responder).openRecord(vitals, Purpose.Emergency);
    head = foldAudit(
      head,
      recordOpenedEntry({
        recordId: vitals,
        patient: p,
        accessor: f.responder.address,
        purpose: Purpose.Emergency,
        path: AccessPath.BreakGlass,
        openedAt: t3,
      }),
    );
    expect(await f.ledger.auditHead()).to.equal(head);

    const t4 = await pinNextTimestamp(connection);
    await f.ledger.connect(f.auditor).reviewBreakGlass(1, ReviewVerdict.Justified, NOTES);
    head = foldAudit(
      head,
      breakGlassReviewedEntry({
        incidentId: 1,
        patient: p,
        auditor: f.auditor.address,
        verdict: ReviewVerdict.Justified,
        notesHash: NOTES,
        reviewedAt: t4,
      }),
    );
    expect(await f.ledger.auditHead()).to.equal(head);
    // a single patient so far: their head is the global head
    expect(await f.ledger.patientAuditHead(p)).to.equal(head);
  });

  it("a refused open leaves both heads unchanged", async function () {
    const f = await auditedHistoryFixture();
    const global = await f.ledger.auditHead();
    const mine = await f.ledger.patientAuditHead(f.patient.address);
    await expect(
      f.ledger.connect(f.billingClerk).openRecord(f.records[Category.Labs], Purpose.Payment),
    ).to.be.revertedWithCustomError(f.ledger, "CategoryNotAllowedForRole");
    expect(await f.ledger.auditHead()).to.equal(global);
    expect(await f.ledger.patientAuditHead(f.patient.address)).to.equal(mine);
  });
});
