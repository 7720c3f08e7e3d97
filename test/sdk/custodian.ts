/**
 * Break-glass key release through the emergency key custodian, on the in-process network with real
 * envelopes and keys: a responder who broke the glass and opened a record on chain gets its key and
 * reads the exact body; every open that is not the responder's own successful break-glass open of that
 * record on the configured CareLedger, in a window still open, is refused with a reason; a released
 * copy that is not the anchored envelope plus the responder's key is rejected by the responder; every
 * release is logged once and matches its audited open; rotation keeps the custodian as a reader.
 */
import { expect } from "chai";
import { id, keccak256, randomBytes } from "ethers";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { network } from "hardhat";
import {
  addReader,
  generateMemberKeyPair,
  inspectEnvelope,
  NotAReaderError,
  openEnvelope,
  toHex,
  type MemberKeyPair,
} from "../../src/crypto/index.js";
import { IntegrityError } from "../../src/errors.js";
import { AdminClient } from "../../src/sdk/clients/admin.js";
import { AuditorClient } from "../../src/sdk/clients/auditor.js";
import { ClinicianClient } from "../../src/sdk/clients/clinician.js";
import {
  EmergencyKeyCustodian,
  MemoryReleaseLog,
  reconcileReleases,
  verifyReleasedCopy,
  type KeyReleaseRequest,
  type KeyReleaseService,
  type ReleaseLog,
  type ReleaseLogEntry,
} from "../../src/sdk/clients/custodian.js";
import { anchoredContentHash } from "../../src/sdk/recordId.js";
import { JsonLinesReleaseLog } from "../../src/sdk/clients/custodian-fs.js";
import {
  KEY_RELEASE_REFUSALS,
  KeyReleaseRefusedError,
  ReleasedCopyMismatchError,
  type KeyReleaseRefusalReason,
} from "../../src/sdk/clients/errors.js";
import { PatientClient } from "../../src/sdk/clients/patient.js";
import type { AnchoredRecord } from "../../src/sdk/clients/records.js";
import {
  AccessDeniedError,
  AccessPath,
  Category,
  Purpose,
  ReviewVerdict,
  Role,
} from "../../src/sdk/index.js";
import { deployCareLedgerWithSigner } from "../../src/sdk/deploy.js";
import { rejection } from "../offchain/helpers.js";
import {
  deployClientsWorld,
  HOSPITAL,
  labObservation,
  SpyStore,
  type ClientsWorld,
} from "./clients-fixture.js";

const connection = await network.create();
const { ethers, networkHelpers } = connection;
const DAY = 24 * 60 * 60;
const HOUR = 60 * 60;

interface CustodianWorld {
  readonly w: ClientsWorld;
  readonly custodianKeys: MemberKeyPair;
}

async function custodianWorld(): Promise<CustodianWorld> {
  return { w: await deployClientsWorld(connection), custodianKeys: generateMemberKeyPair() };
}

interface Setup {
  readonly w: ClientsWorld;
  readonly store: SpyStore;
  readonly custodian: EmergencyKeyCustodian;
  /** The custodian's key pair (its service's key file). */
  readonly custodianKeys: MemberKeyPair;
  readonly patient: PatientClient;
  readonly patient2: PatientClient;
  readonly doctor: ClinicianClient;
  readonly doctor2: ClinicianClient;
  readonly responder: ClinicianClient;
  readonly auditor: AuditorClient;
  readonly registrar: AdminClient;
}

/** The world, a custodian on the network's provider, and writers that wrap for the custodian. */
async function setUp(log: ReleaseLog = new MemoryReleaseLog()): Promise<Setup> {
  const { w, custodianKeys } = await networkHelpers.loadFixture(custodianWorld);
  const store = new SpyStore();
  const custodian = new EmergencyKeyCustodian({
    ledgerAddress: await w.ledger.getAddress(),
    provider: ethers.provider,
    store,
    keys: custodianKeys,
    log,
  });
  const base = {
    ledger: w.ledger,
    fromBlock: w.deploymentBlock,
    store,
    emergencyCustodian: { publicKey: custodian.publicKey },
  };
  const clinician = (name: "doctor" | "doctor2" | "responder") =>
    ClinicianClient.connect({ ...base, signer: w.signers[name], keys: w.keys[name] });
  const patient = (name: "patient" | "patient2") =>
    PatientClient.connect({ ...base, signer: w.signers[name], keys: w.keys[name] });
  return {
    w,
    store,
    custodian,
    custodianKeys,
    patient: await patient("patient"),
    patient2: await patient("patient2"),
    doctor: await clinician("doctor"),
    doctor2: await clinician("doctor2"),
    responder: await clinician("responder"),
    auditor: await AuditorClient.connect({ ...base, signer: w.signers.auditor }),
    registrar: await AdminClient.connect({ ...base, signer: w.signers.registrar }),
  };
}

/** The patient grants the doctor labs for treatment; the doctor writes a lab result. */
async function labRecord(s: Setup, value = 95): Promise<AnchoredRecord> {
  const expiresAt = (await networkHelpers.time.latest()) + 30 * DAY;
  await s.patient.grantConsent(s.w.signers.doctor.address, {
    categories: [Category.Labs],
    purposes: [Purpose.Treatment],
    expiresAt,
  });
  return s.doctor.createRecord(s.w.signers.patient.address, Category.Labs, labObservation(value));
}

/** The responder breaks the glass on the patient for an hour. */
async function breakGlass(s: Setup, patient = s.w.signers.patient.address) {
  return s.responder.breakGlass(patient, id("unconscious patient in the ED"), HOUR);
}

/**
 * The responder breaks the glass and opens `recordId` (the one thing that releases a key); the request
 * citing that open.
 */
async function ownOpen(s: Setup, recordId: string): Promise<KeyReleaseRequest> {
  await breakGlass(s);
  const access = await s.responder.auditOpen(recordId, Purpose.Emergency);
  return {
    recordId,
    responder: s.w.signers.responder.address,
    openTxHash: access.transaction.hash,
  };
}

async function refusal(
  promise: Promise<unknown>,
  reason: KeyReleaseRefusalReason,
): Promise<KeyReleaseRefusedError> {
  const err = await rejection(promise);
  expect(err, String(err)).to.be.instanceOf(KeyReleaseRefusedError);
  expect((err as KeyReleaseRefusedError).reason, err.message).to.equal(reason);
  return err as KeyReleaseRefusedError;
}

describe("SDK: break-glass key release (emergency key custodian)", function () {
  it("a responder breaks the glass, opens, gets the key released and reads the exact body", async function () {
    const s = await setUp();
    const { signers, keys } = s.w;
    const lab = await labRecord(s);
    expect(lab.readers.map((r) => [r.role, r.account])).to.have.deep.members([
      ["patient", signers.patient.address],
      ["author", signers.doctor.address],
      ["custodian", undefined],
    ]);
    const anchored = s.store.peek(lab.contentHash);
    expect(inspectEnvelope(anchored).readers).to.include(s.custodian.publicKey);
    // Without the custodian the responder holds no key: the audited open alone decrypts nothing.
    const window = await breakGlass(s);
    expect(
      await rejection(s.responder.openRecord(lab.recordId, Purpose.Emergency)),
    ).to.be.instanceOf(NotAReaderError);

    const puts = s.store.puts;
    const opened = await s.responder.openRecordInEmergency(lab.recordId, s.custodian);
    expect(opened.text()).to.equal(labObservation(95));
    expect(opened.access.path).to.equal(AccessPath.BreakGlass);
    expect(opened.access.purpose).to.equal(Purpose.Emergency);
    expect(opened.openedWith).to.equal(toHex(keys.responder.publicKey));
    expect(opened.readerKeys).to.deep.equal(inspectEnvelope(anchored).readers);
    expect(opened.envelopeSize).to.equal(anchored.length);
    const release = opened.release;
    if (release === undefined) throw new Error("the key should have been released");
    expect(release).to.deep.include({
      recordId: lab.recordId,
      patient: signers.patient.address,
      category: Category.Labs,
      responder: signers.responder.address,
      responderPublicKey: toHex(keys.responder.publicKey),
      incidentId: window.incidentId,
      openTxHash: opened.access.transaction.hash.toLowerCase(),
      openBlockNumber: opened.access.transaction.blockNumber,
      openedAt: opened.access.openedAt,
      windowExpiresAt: window.expiresAt,
      repeat: false,
    });
    // The released copy is the anchored envelope plus one key: not anchored, kept by the custodian.
    expect(inspectEnvelope(release.envelope).readers).to.have.members([
      ...inspectEnvelope(anchored).readers,
      toHex(keys.responder.publicKey),
    ]);
    expect(keccak256(release.envelope)).to.not.equal(lab.recordId);
    expect(s.store.puts).to.equal(puts + 1);
    expect(s.store.peek(keccak256(release.envelope))).to.deep.equal(release.envelope);
    const [notAnchored] = await s.w.ledger.recordOf(keccak256(release.envelope));
    expect(notAnchored.status).to.equal(0n);

    // One log entry, which an auditor matches with the flagged open on chain.
    const entries = await s.custodian.releases();
    expect(entries).to.deep.equal([release.logEntry]);
    expect(entries[0]).to.deep.include({
      recordId: lab.recordId,
      responder: signers.responder.address,
      incidentId: window.incidentId.toString(),
      openTxHash: release.openTxHash,
      releasedEnvelopeHash: keccak256(release.envelope),
    });
    const trail = await s.auditor.verifyTrail();
    const reconciled = reconcileReleases(entries, trail.entries);
    expect(reconciled.unmatched).to.deep.equal([]);
    expect(reconciled.duplicates).to.deep.equal([]);
    expect(reconciled.matched.map((m) => [m.open.transactionHash, m.open.path])).to.deep.equal([
      [opened.access.transaction.hash, AccessPath.BreakGlass],
    ]);
    // The auditor sees both flagged opens of the incident: the plain one and the one that released.
    const [incident] = await s.auditor.pendingIncidents();
    expect(incident?.opens).to.have.length(2);
    expect(incident?.opens.map((o) => o.transactionHash)).to.include(
      opened.access.transaction.hash,
    );
  });

  describe("refusals: nothing is released or logged", function () {
    type Case = readonly [
      what: string,
      reason: KeyReleaseRefusalReason,
      request: (s: Setup, lab: AnchoredRecord) => Promise<KeyReleaseRequest>,
    ];
    const cases: readonly Case[] = [
      [
        "no open transaction (an unknown hash)",
        "transaction-not-found",
        async (s, lab) => {
          await breakGlass(s);
          return {
            recordId: lab.recordId,
            responder: s.w.signers.responder.address,
            openTxHash: keccak256(randomBytes(32)),
          };
        },
      ],
      [
        "a transaction that is not an open (the break-glass itself)",
        "record-not-opened",
        async (s, lab) => {
          const window = await breakGlass(s);
          return {
            recordId: lab.recordId,
            responder: s.w.signers.responder.address,
            openTxHash: window.transaction.hash,
          };
        },
      ],
      [
        "an open on the consent path (the doctor's)",
        "not-break-glass",
        async (s, lab) => {
          await s.doctor.breakGlass(s.w.signers.patient.address, id("doctor"), HOUR);
          const access = await s.doctor.auditOpen(lab.recordId, Purpose.Treatment);
          expect(access.path).to.equal(AccessPath.Consent);
          return {
            recordId: lab.recordId,
            responder: s.w.signers.doctor.address,
            openTxHash: access.transaction.hash,
          };
        },
      ],
      [
        "another record's open",
        "record-not-opened",
        async (s, lab) => {
          const other = await s.doctor.createRecord(
            s.w.signers.patient.address,
            Category.Labs,
            labObservation(140),
          );
          const request = await ownOpen(s, other.recordId);
          return { ...request, recordId: lab.recordId };
        },
      ],
      [
        "another responder's transaction",
        "wrong-accessor",
        async (s, lab) => {
          await s.doctor2.breakGlass(s.w.signers.patient.address, id("doctor 2"), HOUR);
          const request = await ownOpen(s, lab.recordId);
          return { ...request, responder: s.w.signers.doctor2.address };
        },
      ],
      [
        "a failed transaction (the open ran out of gas)",
        "transaction-failed",
        async (s, lab) => {
          await breakGlass(s);
          const ledger = s.w.ledger.connect(s.w.signers.responder);
          await rejection(
            ledger
              .openRecord(lab.recordId, Purpose.Emergency, { gasLimit: 30_000 })
              .then((t) => t.wait()),
          );
          const block = await ethers.provider.getBlock("latest");
          const hash = block?.transactions[0] ?? "";
          expect((await ethers.provider.getTransactionReceipt(hash))?.status).to.equal(0);
          return {
            recordId: lab.recordId,
            responder: s.w.signers.responder.address,
            openTxHash: hash,
          };
        },
      ],
      [
        "a transaction to another contract (a rogue CareLedger with the same record id)",
        "wrong-contract",
        async (s, lab) => {
          await breakGlass(s);
          const { signers, keys } = s.w;
          const rogue = (
            await deployCareLedgerWithSigner(signers.outsider, {
              registrar: signers.outsider.address,
            })
          ).contract;
          await rogue.registerOrganization(HOSPITAL);
          // No break-glass warm-up on the rogue deployment: the responder breaks the glass at once.
          await rogue.setLimits(7 * 24 * HOUR, 366 * 24 * HOUR, 0);
          await rogue.onboardMember(
            signers.responder.address,
            Role.EmergencyResponder,
            HOSPITAL,
            toHex(keys.responder.publicKey),
          );
          await rogue.onboardMember(
            signers.patient.address,
            Role.Patient,
            0,
            toHex(keys.patient.publicKey),
          );
          await rogue
            .connect(signers.patient)
            .anchorRecord(signers.patient.address, Category.Labs, lab.contentHash);
          await rogue
            .connect(signers.responder)
            .breakGlass(signers.patient.address, id("rogue"), HOUR);
          const tx = await rogue
            .connect(signers.responder)
            .openRecord(lab.recordId, Purpose.Emergency);
          const receipt = await tx.wait();
          // A perfect break-glass RecordOpened of exactly this record by this responder, elsewhere.
          const [log] = (await rogue.queryFilter(rogue.filters.RecordOpened(lab.recordId))).filter(
            (l) => l.transactionHash === receipt?.hash,
          );
          expect(Number(log?.args.path)).to.equal(AccessPath.BreakGlass);
          return {
            recordId: lab.recordId,
            responder: signers.responder.address,
            openTxHash: tx.hash,
          };
        },
      ],
      [
        "an open under a window on another patient, for this patient's record",
        "record-not-opened",
        async (s, lab) => {
          await s.patient2.grantConsent(s.w.signers.doctor.address, {
            categories: [Category.Labs],
            purposes: [Purpose.Treatment],
            expiresAt: (await networkHelpers.time.latest()) + DAY,
          });
          const other = await s.doctor.createRecord(
            s.w.signers.patient2.address,
            Category.Labs,
            labObservation(80),
          );
          await breakGlass(s, s.w.signers.patient2.address);
          const access = await s.responder.auditOpen(other.recordId, Purpose.Emergency);
          return {
            recordId: lab.recordId,
            responder: s.w.signers.responder.address,
            openTxHash: access.transaction.hash,
          };
        },
      ],
      [
        "an open whose window has expired",
        "window-closed",
        async (s, lab) => {
          const request = await ownOpen(s, lab.recordId);
          await networkHelpers.time.increase(HOUR);
          return request;
        },
      ],
      [
        "an open whose incident an auditor found unjustified (window closed early)",
        "window-closed",
        async (s, lab) => {
          const request = await ownOpen(s, lab.recordId);
          await s.auditor.review(1n, ReviewVerdict.Unjustified, id("not an emergency"));
          return request;
        },
      ],
      [
        "an open under a window since replaced by a new incident",
        "no-covering-window",
        async (s, lab) => {
          const request = await ownOpen(s, lab.recordId);
          await breakGlass(s);
          return request;
        },
      ],
      [
        "a responder deactivated after the open",
        "responder-inactive",
        async (s, lab) => {
          const request = await ownOpen(s, lab.recordId);
          await s.registrar.deactivateMember(s.w.signers.responder.address);
          return request;
        },
      ],
      [
        "a record sealed without the custodian's key",
        "custodian-not-a-reader",
        async (s) => {
          const plain = await ClinicianClient.connect({
            ledger: s.w.ledger,
            signer: s.w.signers.doctor,
            store: s.store,
            keys: s.w.keys.doctor,
          });
          const old = await plain.createRecord(
            s.w.signers.patient.address,
            Category.Labs,
            labObservation(70),
          );
          return ownOpen(s, old.recordId);
        },
      ],
      [
        "an envelope missing from the custodian's store",
        "envelope-unavailable",
        async (s, lab) => {
          const request = await ownOpen(s, lab.recordId);
          s.store.drop(lab.contentHash);
          return request;
        },
      ],
      [
        "a store that returns altered bytes",
        "envelope-integrity",
        async (s, lab) => {
          const request = await ownOpen(s, lab.recordId);
          s.store.tamper = (bytes) => {
            bytes[bytes.length - 40] = (bytes[bytes.length - 40] ?? 0) ^ 1;
            return bytes;
          };
          return request;
        },
      ],
      [
        "a malformed request",
        "invalid-request",
        async (s, lab) => ({
          recordId: lab.recordId,
          responder: s.w.signers.responder.address,
          openTxHash: "0x1234",
        }),
      ],
    ];

    for (const [what, reason, makeRequest] of cases) {
      it(`${what}: ${reason}`, async function () {
        const s = await setUp();
        const lab = await labRecord(s);
        const request = await makeRequest(s, lab);
        const err = await refusal(s.custodian.release(request), reason);
        expect(err.recordId).to.equal(request.recordId);
        expect(await s.custodian.releases()).to.deep.equal([]);
      });
    }

    it("every reason code is exercised here, except the defensive ones", function () {
      // Unreachable with this contract, which never removes a member or a record: an audited open
      // proves both existed. The custodian checks them anyway (a future contract may differ).
      const defensive = ["responder-not-a-member", "record-not-anchored"];
      const covered = new Set<string>([
        ...cases.map(([, reason]) => reason),
        "responder-already-a-reader",
        "not-confirmed",
        ...defensive,
      ]);
      expect([...KEY_RELEASE_REFUSALS].filter((r) => !covered.has(r))).to.deep.equal([]);
    });

    it("one log entry per audited open: repeated (even concurrent) requests get the same copy", async function () {
      const s = await setUp();
      const lab = await labRecord(s);
      const request = await ownOpen(s, lab.recordId);
      const [first, second] = await Promise.all([
        s.custodian.release(request),
        s.custodian.release(request),
      ]);
      expect([first.repeat, second.repeat]).to.deep.equal([false, true]);
      expect(second.envelope).to.deep.equal(first.envelope);
      expect(second.logEntry).to.deep.equal(first.logEntry);
      expect(await s.custodian.releases()).to.deep.equal([first.logEntry]);
      // Whoever asks gets a copy only the responder's key opens (the outsider's does not).
      expect(() => openEnvelope(second.envelope, s.w.keys.outsider.privateKey)).to.throw(
        NotAReaderError,
      );
      // A retry after the window closed still gets the copy released within it; nothing new.
      await networkHelpers.time.increase(HOUR);
      const retry = await s.custodian.release(request);
      expect([retry.repeat, keccak256(retry.envelope)]).to.deep.equal([
        true,
        first.logEntry.releasedEnvelopeHash,
      ]);
      await refusal(
        s.custodian.release({ ...request, responder: s.w.signers.doctor.address }),
        "wrong-accessor",
      );
      expect(await s.custodian.releases()).to.have.length(1);
      // Without the stored copy a repeat is refused: open again.
      s.store.drop(first.logEntry.releasedEnvelopeHash);
      await refusal(s.custodian.release(request), "envelope-unavailable");
      // A new audited open in a new window releases again (and is logged again).
      await breakGlass(s);
      const again = await s.responder.openRecordInEmergency(lab.recordId, s.custodian);
      expect(again.text()).to.equal(labObservation(95));
      expect((await s.custodian.releases()).map((e) => e.openTxHash)).to.deep.equal([
        request.openTxHash.toLowerCase(),
        again.access.transaction.hash.toLowerCase(),
      ]);
    });

    it("a responder who already holds a key decrypts without asking the custodian", async function () {
      const s = await setUp();
      const lab = await labRecord(s);
      const shared = await s.patient.shareRecord(lab.recordId, s.w.signers.responder.address);
      await breakGlass(s);
      const asked: KeyReleaseRequest[] = [];
      const spy: KeyReleaseService = {
        release: (request) => {
          asked.push(request);
          return s.custodian.release(request);
        },
      };
      const opened = await s.responder.openRecordInEmergency(shared.recordId, spy);
      expect(opened.text()).to.equal(labObservation(95));
      expect(opened.release).to.equal(undefined);
      expect(asked).to.deep.equal([]);
      await refusal(
        s.custodian.release({
          recordId: shared.recordId,
          responder: s.w.signers.responder.address,
          openTxHash: opened.access.transaction.hash,
        }),
        "responder-already-a-reader",
      );
    });

    it("a chain refusal of the open asks the custodian nothing and fetches nothing", async function () {
      const s = await setUp();
      const lab = await labRecord(s);
      // A window on patient 2 only: the open of patient 1's record reverts on chain.
      await breakGlass(s, s.w.signers.patient2.address);
      const gets = s.store.gets;
      const err = await rejection(s.responder.openRecordInEmergency(lab.recordId, s.custodian));
      expect(err).to.be.instanceOf(AccessDeniedError);
      expect((err as AccessDeniedError).errorName).to.equal("NoBreakGlassWindow");
      expect(s.store.gets).to.equal(gets);
      expect(await s.custodian.releases()).to.deep.equal([]);
    });

    it("a member without a break-glass open gets NotAReaderError, not a release", async function () {
      const s = await setUp();
      const lab = await labRecord(s);
      const expiresAt = (await networkHelpers.time.latest()) + DAY;
      await s.patient.grantConsent(s.w.signers.doctor2.address, {
        categories: [Category.Labs],
        purposes: [Purpose.Treatment],
        expiresAt,
      });
      // Doctor 2's consent came after the version was sealed: consent path, no key, no release.
      const err = await rejection(
        s.doctor2.openRecordInEmergency(lab.recordId, s.custodian, { purpose: Purpose.Treatment }),
      );
      expect(err).to.be.instanceOf(NotAReaderError);
      expect(await s.custodian.releases()).to.deep.equal([]);
    });

    it("an open with fewer confirmations than required waits for them; an outsider's name is refused", async function () {
      const s = await setUp();
      const lab = await labRecord(s);
      const request = await ownOpen(s, lab.recordId);
      const strict = new EmergencyKeyCustodian({
        ledgerAddress: await s.w.ledger.getAddress(),
        provider: ethers.provider,
        store: s.store,
        keys: s.custodianKeys,
        log: new MemoryReleaseLog(),
        minConfirmations: 3,
      });
      await refusal(strict.release(request), "not-confirmed");
      await networkHelpers.mine(2);
      expect((await strict.release(request)).recordId).to.equal(lab.recordId);

      // An outsider (no member) cannot even open; a request in its name cites someone else's open.
      await refusal(
        s.custodian.release({ ...request, responder: s.w.signers.outsider.address }),
        "wrong-accessor",
      );
    });
  });

  describe("the responder verifies the released copy against the anchored envelope", function () {
    /** A custodian that alters what it releases. */
    const lying = (
      s: Setup,
      alter: (released: Uint8Array, anchored: Uint8Array) => Promise<Uint8Array> | Uint8Array,
    ): KeyReleaseService => ({
      async release(request) {
        const real = await s.custodian.release(request);
        return {
          ...real,
          envelope: await alter(
            real.envelope,
            s.store.peek(
              (await anchoredContentHash(s.w.ledger, normalize(request.recordId))) ?? "",
            ),
          ),
        };
      },
    });
    const normalize = (h: string) => h.toLowerCase();

    interface Ctx {
      readonly s: Setup;
      readonly other: AnchoredRecord;
      readonly custodianKey: Uint8Array;
    }
    const tamperings: readonly [
      what: string,
      alter: (ctx: Ctx) => Parameters<typeof lying>[1],
      message: RegExp,
    ][] = [
      [
        "body ciphertext swapped for another record's (same length)",
        ({ s, other }) =>
          (released) => {
            const theirs = s.store.peek(other.contentHash);
            // Both bodies have the same length: the ciphertext sits just before the 32-byte commitment.
            const n = inspectEnvelope(released).bodyLength + 16;
            const out = Uint8Array.from(released);
            out.set(
              theirs.subarray(theirs.length - 32 - n, theirs.length - 32),
              out.length - 32 - n,
            );
            return out;
          },
        /body ciphertext differs/,
      ],
      [
        "a genuine release of another record (valid, opens with the responder's key)",
        ({ s, other, custodianKey }) =>
          () =>
            addReader(s.store.peek(other.contentHash), custodianKey, s.w.keys.responder.publicKey),
        /header differs/,
      ],
      [
        "the key wrapped for someone else",
        ({ s, custodianKey }) =>
          (_released, anchored) =>
            addReader(anchored, custodianKey, s.w.keys.outsider.publicKey),
        /expected one new wrapped key/,
      ],
      [
        "the anchored envelope as is (no key added)",
        () => (_r, anchored) => anchored,
        /expected one new wrapped key/,
      ],
      [
        "a flipped byte in the patient's wrapped key",
        ({ s }) =>
          (released) => {
            const out = Uint8Array.from(released);
            const n = new DataView(out.buffer).getUint16(53);
            const i = inspectEnvelope(out).readers.indexOf(toHex(s.w.keys.patient.publicKey));
            const at = 57 + n + i * 112 + 64; // entry i: reader key, ephemeral key, wrapped key
            out[at] = (out[at] ?? 0) ^ 1;
            return out;
          },
        /the wrapped key of reader 0x[0-9a-f]{64} differs/,
      ],
      ["not an envelope", () => () => randomBytes(200), /not a well-formed envelope/],
    ];
    for (const [what, alter, message] of tamperings) {
      it(`rejects ${what}`, async function () {
        const s = await setUp();
        const custodianKey = s.custodianKeys.privateKey;
        const lab = await labRecord(s, 95);
        const other = await s.doctor.createRecord(
          s.w.signers.patient.address,
          Category.Labs,
          labObservation(96),
        );
        expect(inspectEnvelope(s.store.peek(other.contentHash)).bodyLength).to.equal(
          inspectEnvelope(s.store.peek(lab.contentHash)).bodyLength,
        );
        await breakGlass(s);
        const err = await rejection(
          s.responder.openRecordInEmergency(
            lab.recordId,
            lying(s, alter({ s, other, custodianKey })),
          ),
        );
        expect(err, String(err)).to.be.instanceOf(ReleasedCopyMismatchError);
        expect(err).to.be.instanceOf(IntegrityError);
        expect(err.message).to.match(message);
      });
    }

    it("verifyReleasedCopy accepts exactly the custodian's copy", async function () {
      const s = await setUp();
      const lab = await labRecord(s);
      const release = await s.custodian.release(await ownOpen(s, lab.recordId));
      const responderKey = toHex(s.w.keys.responder.publicKey);
      const anchored = s.store.peek(lab.contentHash);
      expect(verifyReleasedCopy(lab.recordId, anchored, release.envelope, [responderKey])).to.equal(
        responderKey,
      );
      expect(() =>
        verifyReleasedCopy(lab.recordId, anchored, release.envelope, [
          toHex(s.w.keys.doctor2.publicKey),
        ]),
      ).to.throw(ReleasedCopyMismatchError);
      expect(
        new TextDecoder().decode(
          openEnvelope(release.envelope, s.w.keys.responder.privateKey).body,
        ),
      ).to.equal(labObservation(95));
    });
  });

  describe("the release log", function () {
    it("JSON lines on disk: one entry per release, kept across restarts, matched with the opens", async function () {
      const dir = await mkdtemp(join(tmpdir(), "careledger-custodian-"));
      try {
        const path = join(dir, "releases.jsonl");
        const s = await setUp(new JsonLinesReleaseLog(path));
        const lab = await labRecord(s);
        await breakGlass(s);
        const first = await s.responder.openRecordInEmergency(lab.recordId, s.custodian);
        const second = await s.responder.openRecordInEmergency(lab.recordId, s.custodian);
        const lines = (await readFile(path, "utf8")).trimEnd().split("\n");
        expect(lines).to.have.length(2);
        const parsed = lines.map((l) => JSON.parse(l) as ReleaseLogEntry);
        expect(parsed).to.deep.equal([first.release?.logEntry, second.release?.logEntry]);

        // A custodian restarted on the same file knows the opens it already honoured.
        const restarted = new EmergencyKeyCustodian({
          ledgerAddress: await s.w.ledger.getAddress(),
          provider: ethers.provider,
          store: s.store,
          keys: s.custodianKeys,
          log: new JsonLinesReleaseLog(path),
        });
        const repeated = await restarted.release({
          recordId: lab.recordId,
          responder: s.w.signers.responder.address,
          openTxHash: first.access.transaction.hash,
        });
        expect(repeated.repeat).to.equal(true);
        expect(repeated.envelope).to.deep.equal(first.release?.envelope);
        expect((await readFile(path, "utf8")).trimEnd().split("\n")).to.have.length(2);

        const trail = await s.auditor.verifyTrail();
        const reconciled = reconcileReleases(await restarted.releases(), trail.entries);
        expect(reconciled.matched).to.have.length(2);
        expect([reconciled.unmatched, reconciled.duplicates]).to.deep.equal([[], []]);

        // An edited file fails closed.
        await writeFile(path, `${lines[0]}\n{"recordId":"0x00"}\n`);
        const err = await rejection(new JsonLinesReleaseLog(path).entries());
        expect(err).to.be.instanceOf(IntegrityError);
        expect(err.message).to.match(/line 2 is not a release entry/);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });

    it("reconcileReleases flags a release without an open and a second release of one open", async function () {
      const s = await setUp();
      const lab = await labRecord(s);
      await breakGlass(s);
      const opened = await s.responder.openRecordInEmergency(lab.recordId, s.custodian);
      const entry = opened.release?.logEntry as ReleaseLogEntry;
      const doctorOpen = await s.doctor.auditOpen(lab.recordId, Purpose.Treatment);
      const forged: ReleaseLogEntry = {
        ...entry,
        responder: s.w.signers.doctor.address,
        openTxHash: doctorOpen.transaction.hash.toLowerCase() as ReleaseLogEntry["openTxHash"],
      };
      const trail = await s.auditor.verifyTrail();
      const result = reconcileReleases([entry, forged, entry], trail.entries);
      expect(result.matched.map((m) => m.release)).to.deep.equal([entry]);
      // The doctor's open is on the consent path: no release may cite it.
      expect(result.unmatched).to.deep.equal([forged]);
      expect(result.duplicates).to.deep.equal([entry]);
    });
  });

  describe("rotation keeps the custodian; revocation still means it", function () {
    it("revokeAndRotate and rotateRecord wrap for the custodian; the responder reads the new version", async function () {
      const s = await setUp();
      const { signers, keys } = s.w;
      const lab = await labRecord(s);
      const result = await s.patient.revokeAndRotate(signers.doctor.address);
      const [rotated] = result.rotated;
      if (rotated === undefined) throw new Error("the lab should have been rotated");
      expect(rotated.removedReaderKeys).to.deep.equal([toHex(keys.doctor.publicKey)]);
      expect(rotated.readers.map((r) => r.role)).to.have.members(["patient", "custodian"]);
      const envelope = s.store.peek(rotated.contentHash);
      expect(inspectEnvelope(envelope).readers).to.include(s.custodian.publicKey);

      // The revoked doctor: refused on chain, no key in the new envelope, and its consent-path open
      // of the old version releases nothing.
      const err = await rejection(s.doctor.openRecord(rotated.recordId, Purpose.Treatment));
      expect((err as AccessDeniedError).errorName).to.equal("ConsentMissing");
      expect(() => openEnvelope(envelope, keys.doctor.privateKey)).to.throw(NotAReaderError);

      // The responder gets the rotated version's key through the custodian.
      await breakGlass(s);
      const latest = await s.responder.latestVersionOf(lab.recordId);
      expect(latest).to.equal(rotated.recordId);
      const opened = await s.responder.openRecordInEmergency(latest, s.custodian);
      expect(opened.text()).to.equal(labObservation(95));

      // A clinician's rotation keeps it too.
      const expiresAt = (await networkHelpers.time.latest()) + DAY;
      await s.patient.grantConsent(signers.doctor2.address, {
        categories: [Category.Labs],
        purposes: [Purpose.Treatment],
        expiresAt,
      });
      const shared = await s.patient.shareRecord(rotated.recordId, signers.doctor2.address);
      expect(shared.readers.find((r) => r.publicKey === s.custodian.publicKey)?.role).to.equal(
        "custodian",
      );
      const again = await s.doctor2.rotateRecord(shared.recordId);
      expect(inspectEnvelope(s.store.peek(again.contentHash)).readers).to.include(
        s.custodian.publicKey,
      );
    });

    it("a revoked grantee cannot have a key released by citing an open it made with consent", async function () {
      const s = await setUp();
      const lab = await labRecord(s);
      const doctorOpen = await s.doctor.auditOpen(lab.recordId, Purpose.Treatment);
      const { rotated } = await s.patient.revokeAndRotate(s.w.signers.doctor.address);
      const newId = rotated[0]?.recordId ?? "";
      for (const recordId of [lab.recordId, newId]) {
        await refusal(
          s.custodian.release({
            recordId,
            responder: s.w.signers.doctor.address,
            openTxHash: doctorOpen.transaction.hash,
          }),
          recordId === lab.recordId ? "not-break-glass" : "record-not-opened",
        );
      }
    });
  });
});
