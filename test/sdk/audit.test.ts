import { expect } from "chai";
import { ZeroHash, concat, keccak256 } from "ethers";
import { network } from "hardhat";
import type { AuditEntry, AuditEvent } from "../../src/sdk/audit.js";
import {
  AUDIT_EVENT_FIELDS,
  AUDIT_EVENT_NAMES,
  AuditTrailError,
  auditRow,
  fetchAuditEntries,
  foldAuditEntries,
  verifyAuditTrail,
} from "../../src/sdk/audit.js";
import {
  AccessPath,
  Category,
  Purpose,
  ReviewVerdict,
  categoryMask,
  purposeMask,
} from "../../src/sdk/constants.js";
import { CareLedger__factory } from "../../typechain-types/index.js";
import { type SdkWorld, deploySdkWorld, hashOf } from "../helpers/index.js";
import { recordIdOf } from "../../src/sdk/recordId.js";

const { ethers, networkHelpers } = await network.create();
const careLedgerAbi = CareLedger__factory.createInterface();

interface AuditedWorld extends SdkWorld {
  /** Block of the last audited event. */
  readonly lastBlock: number;
  /** The on-chain global head after the second audited event, and that event's block. */
  readonly midHead: string;
  readonly midBlock: number;
}

/**
 * The SDK world, then audited events on two patients spread over several blocks: doctor opens (consent),
 * the patient opens their own record, the responder breaks the glass and opens (flagged), the auditor
 * reviews, the doctor opens patient 2's record.
 */
async function auditedWorld(
  connection: Parameters<typeof deploySdkWorld>[0],
): Promise<AuditedWorld> {
  const w = await deploySdkWorld(connection);
  const now = await networkHelpers.time.latest();
  const all = categoryMask(Category.Labs, Category.Medications);
  await w.ledger
    .connect(w.patient)
    .grantConsent(w.doctor.address, all, purposeMask(Purpose.Treatment), now + 86_400);
  await w.ledger
    .connect(w.patient2)
    .grantConsent(w.doctor.address, all, purposeMask(Purpose.Treatment), now + 86_400);
  const lab2 = hashOf("lab of patient 2");
  await w.ledger.connect(w.patient2).anchorRecord(w.patient2.address, Category.Labs, lab2);
  const lab2Id = recordIdOf(w.patient2.address, lab2);

  await w.ledger.connect(w.doctor).openRecord(w.lab, Purpose.Treatment);
  await w.ledger.connect(w.patient).openRecord(w.meds, Purpose.Treatment);
  const midBlock = await ethers.provider.getBlockNumber();
  const midHead = await w.ledger.auditHead();
  await networkHelpers.mine(5);
  await w.ledger.connect(w.responder).breakGlass(w.patient.address, hashOf("why"), 600);
  await w.ledger.connect(w.responder).openRecord(w.lab, Purpose.Emergency);
  await w.ledger.connect(w.auditor).reviewBreakGlass(1, ReviewVerdict.Unjustified, hashOf("notes"));
  await w.ledger.connect(w.doctor).openRecord(lab2Id, Purpose.Treatment);
  return { ...w, lastBlock: await ethers.provider.getBlockNumber(), midHead, midBlock };
}

describe("SDK audit: verifyAuditTrail and foldAuditEntries", function () {
  it("recomputes the global and every patient head exactly as the contract folds them", async function () {
    const w = await networkHelpers.loadFixture(auditedWorld);
    const v = await verifyAuditTrail(w.ledger, { fromBlock: w.deploymentBlock });

    expect(v.entries.map((e) => e.action)).to.deep.equal([
      "RecordOpened",
      "RecordOpened",
      "BreakGlassDeclared",
      "RecordOpened",
      "BreakGlassReviewed",
      "RecordOpened",
    ]);
    expect(v.matchesChain).to.equal(true);
    expect(v.globalHead).to.equal(await w.ledger.auditHead());
    expect(v.onChainHead).to.equal(v.globalHead);
    expect(v.mismatchedPatients).to.deep.equal([]);
    expect(Object.keys(v.patientHeads).sort()).to.deep.equal(
      [w.patient.address, w.patient2.address].sort(),
    );
    expect(v.patientHeads[w.patient.address]).to.equal(
      await w.ledger.patientAuditHead(w.patient.address),
    );
    expect(v.patientHeads[w.patient2.address]).to.equal(
      await w.ledger.patientAuditHead(w.patient2.address),
    );
    expect(v.globalHead).to.not.equal(ZeroHash);
  });

  it("decodes each entry's fields and access path", async function () {
    const w = await networkHelpers.loadFixture(auditedWorld);
    const [doctorOpen, ownOpen, declared, emergencyOpen, reviewed] = await fetchAuditEntries(
      w.ledger,
      {
        fromBlock: w.deploymentBlock,
      },
    );
    expect(doctorOpen).to.include({
      action: "RecordOpened",
      accessor: w.doctor.address,
      path: AccessPath.Consent,
    });
    expect(ownOpen).to.include({
      action: "RecordOpened",
      accessor: w.patient.address,
      path: AccessPath.Patient,
    });
    expect(declared).to.include({
      action: "BreakGlassDeclared",
      incidentId: 1n,
      responder: w.responder.address,
    });
    expect(emergencyOpen).to.include({
      recordId: w.lab,
      purpose: Purpose.Emergency,
      path: AccessPath.BreakGlass,
    });
    expect(reviewed).to.include({
      action: "BreakGlassReviewed",
      verdict: ReviewVerdict.Unjustified,
    });
    if (declared?.action !== "BreakGlassDeclared") throw new Error("expected a declaration");
    expect(declared.expiresAt - declared.openedAt).to.equal(600);
  });

  it("the first entry's hash folds from zero into the head the chain had after it", async function () {
    const w = await networkHelpers.loadFixture(auditedWorld);
    const [first] = await fetchAuditEntries(w.ledger, { fromBlock: w.deploymentBlock });
    if (first === undefined) throw new Error("no entries");
    const headAfterFirst = await w.ledger.auditHead({ blockTag: first.blockNumber });
    expect(keccak256(concat([ZeroHash, first.entryHash]))).to.equal(headAfterFirst);
  });

  for (const pageSize of [1, 2, 3, 1000]) {
    it(`pages of ${pageSize} block(s) give the same ordered trail`, async function () {
      const w = await networkHelpers.loadFixture(auditedWorld);
      const reference = await fetchAuditEntries(w.ledger, { fromBlock: w.deploymentBlock });
      const pages: number[] = [];
      const paged = await fetchAuditEntries(w.ledger, {
        fromBlock: w.deploymentBlock,
        pageSize,
        onProgress: (scanned) => pages.push(scanned),
      });
      expect(paged).to.deep.equal(reference);
      expect(pages.length).to.equal(Math.ceil((w.lastBlock - w.deploymentBlock + 1) / pageSize));
      expect(pages.at(-1)).to.equal(w.lastBlock - w.deploymentBlock + 1);
    });
  }

  it("verifies a past state: up to toBlock it matches the head the chain had then", async function () {
    const w = await networkHelpers.loadFixture(auditedWorld);
    const v = await verifyAuditTrail(w.ledger, {
      fromBlock: w.deploymentBlock,
      toBlock: w.midBlock,
    });
    expect(v.entries).to.have.length(2);
    expect(v.onChainHead).to.equal(w.midHead);
    expect(v.matchesChain).to.equal(true);
  });

  it("a scan that starts after the first entries does not match the chain (omitted entries)", async function () {
    const w = await networkHelpers.loadFixture(auditedWorld);
    const v = await verifyAuditTrail(w.ledger, { fromBlock: w.midBlock + 1 });
    expect(v.entries).to.have.length(4);
    expect(v.matchesChain).to.equal(false);
    expect(v.mismatchedPatients).to.deep.equal([w.patient.address]);
  });

  describe("a tampered trail never folds to the on-chain head", function () {
    type Edit = (entries: AuditEntry[]) => AuditEvent[];
    const EDITS: readonly [string, Edit][] = [
      ["the first entry omitted", (e) => e.slice(1)],
      ["the last entry omitted", (e) => e.slice(0, -1)],
      ["a middle entry omitted", (e) => [...e.slice(0, 2), ...e.slice(3)]],
      ["two entries swapped", (e) => [e[1], e[0], ...e.slice(2)] as AuditEvent[]],
      ["an entry duplicated", (e) => [e[0], ...e] as AuditEvent[]],
      [
        "a break-glass open relabelled as a consent open",
        (e) =>
          e.map((x) =>
            x.action === "RecordOpened" && x.path === AccessPath.BreakGlass
              ? { ...x, path: AccessPath.Consent }
              : x,
          ),
      ],
      [
        "the verdict changed",
        (e) =>
          e.map((x) =>
            x.action === "BreakGlassReviewed" ? { ...x, verdict: ReviewVerdict.Justified } : x,
          ),
      ],
      [
        "an accessor replaced",
        (e) =>
          e.map((x, i) =>
            i === 0 && x.action === "RecordOpened" ? { ...x, accessor: x.patient } : x,
          ),
      ],
      [
        "a timestamp moved by one second",
        (e) =>
          e.map((x, i) =>
            i === 0 && x.action === "RecordOpened" ? { ...x, openedAt: x.openedAt + 1 } : x,
          ),
      ],
      [
        "an entry injected",
        (e) => [
          ...e,
          {
            action: "RecordOpened",
            recordId: hashOf("lab"),
            patient: e[0]?.patient ?? "",
            accessor: e[0]?.patient ?? "",
            purpose: Purpose.Treatment,
            path: AccessPath.Patient,
            openedAt: 1,
          },
        ],
      ],
    ];

    for (const [title, edit] of EDITS) {
      it(title, async function () {
        const w = await networkHelpers.loadFixture(auditedWorld);
        const v = await verifyAuditTrail(w.ledger, { fromBlock: w.deploymentBlock });
        expect(foldAuditEntries(v.entries).globalHead, "the untouched trail").to.equal(
          v.onChainHead,
        );
        const tampered = foldAuditEntries(edit([...v.entries]));
        expect(tampered.globalHead).to.not.equal(v.onChainHead);
      });
    }

    it("a stale entryHash field is not trusted: hashes are recomputed from the fields", async function () {
      const w = await networkHelpers.loadFixture(auditedWorld);
      const v = await verifyAuditTrail(w.ledger, { fromBlock: w.deploymentBlock });
      const edited = v.entries.map((x, i) =>
        i === 0 && x.action === "RecordOpened" ? { ...x, purpose: Purpose.Research } : x,
      );
      expect(edited[0]?.entryHash).to.equal(v.entries[0]?.entryHash);
      expect(foldAuditEntries(edited).globalHead).to.not.equal(v.onChainHead);
    });
  });

  it("the hashed field layout of each audited event equals the event's ABI inputs, in order", function () {
    for (const name of AUDIT_EVENT_NAMES) {
      const inputs = (careLedgerAbi.getEvent(name)?.inputs ?? []).map((p) => [p.type, p.name]);
      expect(
        AUDIT_EVENT_FIELDS[name].map(([type, field]) => [type, field]),
        name,
      ).to.deep.equal(inputs);
    }
  });

  it("foldAuditEntries of nothing is the zero head", function () {
    expect(foldAuditEntries([])).to.deep.equal({
      globalHead: ZeroHash,
      patientHeads: {},
      entryHashes: [],
    });
  });

  it("auditRow flags break-glass entries and names accounts through the label function", async function () {
    const w = await networkHelpers.loadFixture(auditedWorld);
    const entries = await fetchAuditEntries(w.ledger, { fromBlock: w.deploymentBlock });
    const names = new Map([
      [w.doctor.address, "doctor"],
      [w.responder.address, "responder"],
    ]);
    const rows = entries.map((e) => auditRow(e, (a) => names.get(a) ?? "?"));
    expect(rows.map((r) => r.flag)).to.deep.equal(["", "", "FLAGGED", "FLAGGED", "", ""]);
    expect(rows[0]).to.include({ action: "RecordOpened", actor: "doctor" });
    expect(rows[3]?.detail).to.include("via break-glass");
    expect(rows[4]?.detail).to.equal("incident #1 unjustified");
  });

  it("rejects a contract without a provider, and a reversed range", async function () {
    const w = await networkHelpers.loadFixture(auditedWorld);
    const detached = w.ledger.connect(null);
    try {
      await verifyAuditTrail(detached);
      expect.fail("should throw");
    } catch (err) {
      expect(err).to.be.instanceOf(AuditTrailError);
    }
    try {
      await fetchAuditEntries(w.ledger, { fromBlock: 10, toBlock: 5 });
      expect.fail("should throw");
    } catch (err) {
      expect(err).to.be.instanceOf(AuditTrailError);
      expect((err as AuditTrailError).message).to.equal("fromBlock 10 is after toBlock 5");
    }
  });
});
