/**
 * SDK clients end to end on the in-process network, with real envelope encryption and real member
 * keys: round trips for every reader kind, verified reads (tampering, missing blobs, wrong keys,
 * refusals before any fetch), revocation with rotation, the auditor and admin clients, and no
 * plaintext in any calldata, log or written storage slot of a whole flow.
 */
import { expect } from "chai";
import { id } from "ethers";
import { chmod, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { network } from "hardhat";
import {
  generateMemberKeyPair,
  inspectEnvelope,
  NotAReaderError,
  openEnvelope,
  toHex,
} from "../../src/crypto/index.js";
import { IntegrityError, NotFoundError, WrongKeyError } from "../../src/errors.js";
import { ClinicianClient } from "../../src/sdk/clients/clinician.js";
import { AuditorClient } from "../../src/sdk/clients/auditor.js";
import { RecordNotAnchoredError } from "../../src/sdk/clients/errors.js";
import type { AnchoredRecord, DecryptedRecord } from "../../src/sdk/clients/records.js";
import {
  AccessPath,
  Category,
  Purpose,
  RecordStatus,
  ReviewVerdict,
  Role,
  type ContractErrorName,
} from "../../src/sdk/index.js";
import {
  AccessDeniedError,
  ContractRevertError,
  NotAuthorizedError,
  NotFoundOnChainError,
  StateConflictError,
} from "../../src/sdk/errors.js";
import type { BlobStore } from "../../src/store/index.js";
import { FsBlobStore } from "../../src/store/index.js";
import {
  rejection,
  connectClients,
  decryptBodyByHand,
  deployClientsWorld,
  findLeak,
  labObservation,
  plaintextWindows,
  SpyStore,
  unwrapDataKeyByHand,
  type Clients,
  type ClientsWorld,
} from "../helpers/index.js";

const connection = await network.create();
const { ethers, networkHelpers } = connection;
const DAY = 24 * 60 * 60;

async function clientsWorld(): Promise<ClientsWorld> {
  return deployClientsWorld(connection);
}

async function setUp<S extends BlobStore>(
  store: S,
): Promise<{ w: ClientsWorld; c: Clients; store: S }> {
  const w = await networkHelpers.loadFixture(clientsWorld);
  return { w, c: await connectClients(w, store), store };
}

/** `patient` grants `grantee` the categories for treatment for 30 days. */
async function grant(
  c: Clients,
  grantee: string,
  categories: readonly Category[],
  purposes: readonly Purpose[] = [Purpose.Treatment],
  lifetime = 30 * DAY,
): Promise<void> {
  const expiresAt = (await networkHelpers.time.latest()) + lifetime;
  await c.patient.grantConsent(grantee, { categories, purposes, expiresAt });
}

function accounts(record: AnchoredRecord): string[] {
  return record.readers.map((r) => r.account ?? "?").sort();
}

async function expectRevert(
  promise: Promise<unknown>,
  errorName: ContractErrorName,
): Promise<ContractRevertError> {
  const err = await rejection(promise);
  expect(err, String(err)).to.be.instanceOf(ContractRevertError);
  expect((err as ContractRevertError).errorName).to.equal(errorName);
  return err as ContractRevertError;
}

describe("SDK clients: encrypted records end to end", function () {
  describe("round trip", function () {
    it("the patient, the author and a grantee each open the same body", async function () {
      const { w, c, store } = await setUp(new SpyStore());
      await grant(c, w.signers.doctor.address, [Category.Labs, Category.Medications]);
      await grant(c, w.signers.nurse.address, [Category.Labs]);
      const body = labObservation(95);

      const created = await c.doctor.createRecord(w.signers.patient.address, Category.Labs, body);
      expect(created.readers.map((r) => [r.role, r.account])).to.have.deep.members([
        ["patient", w.signers.patient.address],
        ["author", w.signers.doctor.address],
        ["grantee", w.signers.nurse.address],
      ]);
      const envelope = store.peek(created.contentHash);
      expect(envelope.length).to.equal(created.envelopeSize);
      expect(inspectEnvelope(envelope).readers).to.have.members(
        ["patient", "doctor", "nurse"].map((n) => toHex(w.keys[n as "patient"].publicKey)),
      );
      expect(created.transaction.functionName).to.equal("anchorRecord");

      const asClinician = async (client: ClinicianClient) => {
        const opened = await client.openRecord(created.recordId, Purpose.Treatment);
        return { opened, path: opened.access.path };
      };
      const readers: readonly [
        string,
        () => Promise<{ opened: DecryptedRecord; path: AccessPath | undefined }>,
      ][] = [
        [
          "patient",
          async () => ({ opened: await c.patient.openRecord(created.recordId), path: undefined }),
        ],
        ["author (doctor)", () => asClinician(c.doctor)],
        ["grantee (nurse)", () => asClinician(c.nurse)],
      ];
      for (const [who, open] of readers) {
        const { opened, path } = await open();
        expect(opened.text(), who).to.equal(body);
        expect(opened, who).to.deep.include({
          recordId: created.recordId,
          patient: w.signers.patient.address,
          category: Category.Labs,
          author: w.signers.doctor.address,
          status: RecordStatus.Current,
          envelopeSize: envelope.length,
        });
        expect(path, who).to.equal(who === "patient" ? undefined : AccessPath.Consent);
      }
      // The two clinician opens are audited; the patient's own read sends no transaction.
      const trail = await c.auditor.verifyTrail();
      expect(trail.matchesChain).to.equal(true);
      expect(
        trail.entries.map((e) => (e.action === "RecordOpened" ? e.accessor : "")),
      ).to.deep.equal([w.signers.doctor.address, w.signers.nurse.address]);
    });

    it("readers are the patient, the author and the grantees allowed the category now", async function () {
      const { w, c } = await setUp(new SpyStore());
      const s = w.signers;
      const cases: readonly [string, string, readonly Category[], boolean][] = [
        // [who, grantee, categories granted, becomes a reader of a labs record]
        ["a doctor with labs consent", s.doctor2.address, [Category.Labs], true],
        ["a nurse with medications only", s.nurse.address, [Category.Medications], false],
        ["a billing clerk with labs consent (role)", s.billing.address, [Category.Labs], false],
        ["a responder with labs consent (role)", s.responder.address, [Category.Labs], false],
        ["another patient with labs consent (role)", s.patient2.address, [Category.Labs], false],
      ];
      await grant(c, s.doctor.address, [Category.Labs]);
      for (const [, grantee, categories] of cases) await grant(c, grantee, categories);
      const expiring = w.spare[0];
      if (expiring === undefined) throw new Error("need a spare signer");
      await c.registrar.onboardMember({
        account: expiring.address,
        role: Role.Doctor,
        orgId: 1,
        publicKey: generateMemberKeyPair().publicKey,
      });
      await grant(c, expiring.address, [Category.Labs], [Purpose.Treatment], 60);
      const revoked = w.spare[1];
      if (revoked === undefined) throw new Error("need a spare signer");
      await c.registrar.onboardMember({
        account: revoked.address,
        role: Role.Doctor,
        orgId: 1,
        publicKey: generateMemberKeyPair().publicKey,
      });
      await grant(c, revoked.address, [Category.Labs]);
      await c.patient.revokeConsent(revoked.address);
      await networkHelpers.time.increase(120);

      const readers = await c.doctor.readersFor(s.patient.address, Category.Labs);
      const byAccount = new Map(readers.map((r) => [r.account, r.role]));
      expect(byAccount.get(s.patient.address)).to.equal("patient");
      expect(byAccount.get(s.doctor.address)).to.equal("author");
      for (const [who, grantee, , reader] of cases)
        expect(byAccount.has(grantee), who).to.equal(reader);
      expect(byAccount.has(expiring.address), "an expired grant").to.equal(false);
      expect(byAccount.has(revoked.address), "a revoked grant").to.equal(false);
      expect(readers).to.have.length(3);

      const created = await c.doctor.createRecord(s.patient.address, Category.Labs, "{}");
      expect(accounts(created)).to.deep.equal(
        [s.patient.address, s.doctor.address, s.doctor2.address].sort(),
      );
    });

    it("amend: a new version for the readers of now; the old one is superseded", async function () {
      const { w, c } = await setUp(new SpyStore());
      const patient = w.signers.patient.address;
      await grant(c, w.signers.doctor.address, [Category.Labs]);
      const v1 = await c.doctor.createRecord(patient, Category.Labs, labObservation(95));
      await grant(c, w.signers.doctor2.address, [Category.Labs]);
      const v2 = await c.doctor.amendRecord(v1.recordId, labObservation(97, "corrected"));

      expect(v2.supersedes).to.equal(v1.recordId);
      expect(accounts(v2)).to.include(w.signers.doctor2.address);
      expect((await c.doctor.record(v1.recordId)).status).to.equal(RecordStatus.Superseded);
      expect((await c.doctor2.openRecord(v2.recordId, Purpose.Treatment)).text()).to.equal(
        labObservation(97, "corrected"),
      );
      expect(await c.doctor2.latestVersionOf(v1.recordId)).to.equal(v2.recordId);

      const all = await c.patient.listRecords();
      expect(all.map((r) => [r.recordId, r.status])).to.deep.equal([
        [v1.recordId, RecordStatus.Superseded],
        [v2.recordId, RecordStatus.Current],
      ]);
      const current = await c.patient.listRecords({ currentOnly: true });
      expect(current.map((r) => r.recordId)).to.deep.equal([v2.recordId]);
      expect(await c.patient.listRecords({ category: Category.Medications })).to.deep.equal([]);
    });
  });

  describe("verified reads", function () {
    const FLIPS: readonly [string, (length: number) => number][] = [
      ["magic", () => 0],
      ["patient address", () => 10],
      ["body nonce", () => 40],
      ["a wrapped key entry", () => 57 + 112 + 80],
      ["body ciphertext", (n) => n - 60],
      ["key commitment (last byte)", (n) => n - 1],
    ];

    it("a flipped byte anywhere in the stored file is an IntegrityError, never data", async function () {
      const dir = await mkdtemp(join(tmpdir(), "careledger-clients-"));
      try {
        const store = new FsBlobStore(dir, { fsync: false });
        const { w, c } = await setUp(store);
        await grant(c, w.signers.doctor.address, [Category.Labs]);
        const created = await c.doctor.createRecord(
          w.signers.patient.address,
          Category.Labs,
          labObservation(95),
        );
        const path = store.pathFor(created.contentHash);
        const original = await readFile(path);
        await chmod(path, 0o644);
        for (const [where, offset] of FLIPS) {
          const damaged = Uint8Array.from(original);
          const at = offset(damaged.length);
          damaged[at] = (damaged[at] as number) ^ 0x01;
          await writeFile(path, damaged);
          const err = await rejection(c.doctor.openRecord(created.recordId, Purpose.Treatment));
          expect(err, `${where}: ${String(err)}`).to.be.instanceOf(IntegrityError);
          const patientErr = await rejection(c.patient.openRecord(created.recordId));
          expect(patientErr, where).to.be.instanceOf(IntegrityError);
        }
        await writeFile(path, original);
        expect((await c.patient.openRecord(created.recordId)).text()).to.equal(labObservation(95));
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });

    it("a store that returns altered bytes, or another record's envelope, is caught by the client", async function () {
      const { w, c, store } = await setUp(new SpyStore());
      await grant(c, w.signers.doctor.address, [Category.Labs]);
      const a = await c.doctor.createRecord(
        w.signers.patient.address,
        Category.Labs,
        labObservation(95),
      );
      const b = await c.doctor.createRecord(
        w.signers.patient.address,
        Category.Labs,
        labObservation(180),
      );
      for (const [where, offset] of FLIPS) {
        store.tamper = (bytes) => {
          const at = offset(bytes.length);
          bytes[at] = (bytes[at] as number) ^ 0x80;
          return bytes;
        };
        const err = await rejection(c.doctor.openRecord(a.recordId, Purpose.Treatment));
        expect(err, where).to.be.instanceOf(IntegrityError);
      }
      // A well-formed envelope the doctor can open, but not the one anchored under this id.
      store.tamper = () => store.peek(b.contentHash);
      const swapped = await rejection(c.doctor.openRecord(a.recordId, Purpose.Treatment));
      expect(swapped).to.be.instanceOf(IntegrityError);
      expect(swapped.message).to.include(b.contentHash);
    });

    it("a blob missing from the store is NotFoundError (after the audited open)", async function () {
      const { w, c } = await setUp(new SpyStore());
      await grant(c, w.signers.doctor.address, [Category.Labs]);
      const created = await c.doctor.createRecord(w.signers.patient.address, Category.Labs, "{}");
      const empty = await connectClients(w, new SpyStore());
      const err = await rejection(empty.doctor.openRecord(created.recordId, Purpose.Treatment));
      expect(err).to.be.instanceOf(NotFoundError);
      expect(err).to.include({ kind: "blob", id: created.contentHash });
      const trail = await c.auditor.verifyTrail();
      expect(trail.entries).to.have.length(1);
    });

    it("a reader without a wrapped key gets NotAReaderError; sharing adds one as a new version", async function () {
      const { w, c } = await setUp(new SpyStore());
      const body = labObservation(101);
      await grant(c, w.signers.doctor.address, [Category.Labs]);
      const v1 = await c.doctor.createRecord(w.signers.patient.address, Category.Labs, body);
      await grant(c, w.signers.doctor2.address, [Category.Labs]);

      const err = await rejection(c.doctor2.openRecord(v1.recordId, Purpose.Treatment));
      expect(err).to.be.instanceOf(NotAReaderError).and.to.be.instanceOf(WrongKeyError);
      expect(err.message).to.include(toHex(w.keys.doctor2.publicKey));

      const shared = await c.patient.shareRecord(v1.recordId, w.signers.doctor2.address);
      expect(shared.supersedes).to.equal(v1.recordId);
      expect(shared.transaction.functionName).to.equal("amendRecord");
      expect(accounts(shared)).to.deep.equal(
        [w.signers.patient.address, w.signers.doctor.address, w.signers.doctor2.address].sort(),
      );
      expect(await c.doctor2.latestVersionOf(v1.recordId)).to.equal(shared.recordId);
      expect((await c.doctor2.openRecord(shared.recordId, Purpose.Treatment)).text()).to.equal(
        body,
      );
      // The earlier version still opens for its readers.
      expect((await c.doctor.openRecord(v1.recordId, Purpose.Treatment)).text()).to.equal(body);

      // A member whose local key is not the one sealed for (e.g. a lost key file) is told so too.
      const stranger = await ClinicianClient.connect({
        ledger: w.ledger,
        signer: w.signers.doctor2,
        store: c.doctor.store,
        keys: generateMemberKeyPair(),
      });
      expect(
        await rejection(stranger.openRecord(shared.recordId, Purpose.Treatment)),
      ).to.be.instanceOf(NotAReaderError);
      // Sharing someone else's record, or with a non-member, is refused before anything is sent.
      expect(
        await rejection(c.patient2.shareRecord(shared.recordId, w.signers.doctor2.address)),
      ).to.have.property("code", "NOT_YOUR_RECORD");
      expect(await rejection(c.patient.shareRecord(shared.recordId, w.signers.outsider.address)))
        .to.be.instanceOf(NotFoundError)
        .and.to.have.property("kind", "encryption key");
    });

    it("refused opens throw the decoded reason and fetch nothing", async function () {
      const { w, c, store } = await setUp(new SpyStore());
      const s = w.signers;
      await grant(c, s.doctor.address, [Category.Labs]);
      await grant(c, s.billing.address, [Category.Labs, Category.Billing], [Purpose.Payment]);
      await grant(c, s.nurse.address, [Category.Labs], [Purpose.Treatment]);
      const lab = await c.doctor.createRecord(s.patient.address, Category.Labs, labObservation(95));
      const outsider = await ClinicianClient.connect({
        ledger: w.ledger,
        signer: s.outsider,
        store,
        keys: w.keys.outsider,
      });
      store.gets = 0;
      const cases: readonly [string, ClinicianClient, Purpose, ContractErrorName][] = [
        ["billing clerk, labs", c.billing, Purpose.Payment, "CategoryNotAllowedForRole"],
        ["doctor 2, no consent", c.doctor2, Purpose.Treatment, "ConsentMissing"],
        ["nurse, treatment only", c.nurse, Purpose.Research, "PurposeNotConsented"],
        ["responder, no window", c.responder, Purpose.Emergency, "NoBreakGlassWindow"],
        ["outsider", outsider, Purpose.Treatment, "NotAMember"],
      ];
      for (const [who, client, purpose, reason] of cases) {
        const err = await expectRevert(client.openRecord(lab.recordId, purpose), reason);
        expect(err, who).to.be.instanceOf(AccessDeniedError);
      }
      const clerk = await expectRevert(
        c.billing.openRecord(lab.recordId, Purpose.Payment),
        "CategoryNotAllowedForRole",
      );
      expect(clerk.args).to.deep.equal({
        account: s.billing.address,
        role: Role.BillingClerk,
        category: Category.Labs,
      });
      expect(clerk.message).to.match(
        /^billing clerk 0x[0-9a-fA-F]{4}…[0-9a-fA-F]{4} may not read labs \(role policy\)$/,
      );
      expect(store.gets, "no blob fetched for a refused open").to.equal(0);
      expect((await c.auditor.verifyTrail()).entries, "nothing audited").to.have.length(0);

      const unknown = id("no such record");
      const notFound = await expectRevert(
        c.doctor.openRecord(unknown, Purpose.Treatment),
        "RecordNotFound",
      );
      expect(notFound).to.be.instanceOf(NotFoundOnChainError);
      expect(await rejection(c.patient.openRecord(unknown))).to.be.instanceOf(
        RecordNotAnchoredError,
      );
      expect(store.gets).to.equal(0);
    });

    it("a refused write is simulated first and stores nothing", async function () {
      const { w, c, store } = await setUp(new SpyStore());
      await grant(c, w.signers.nurse.address, [Category.Labs, Category.Medications]);
      const err = await expectRevert(
        c.nurse.createRecord(w.signers.patient.address, Category.Labs, labObservation(95)),
        "CategoryNotAllowedForRole",
      );
      expect(err).to.be.instanceOf(AccessDeniedError);
      expect(err.message).to.include("may not write labs");
      await expectRevert(
        c.doctor.createRecord(w.signers.patient.address, Category.Labs, "{}"),
        "ConsentMissing",
      );
      expect(store.puts).to.equal(0);
      const meds = await c.nurse.createRecord(
        w.signers.patient.address,
        Category.Medications,
        "{}",
      );
      expect(store.puts).to.equal(1);
      expect(await store.has(meds.contentHash)).to.equal(true);
    });
  });

  describe("sharing with a new grantee", function () {
    it("shareAllowedRecords wraps keys for what the grant covers, and nothing else", async function () {
      const { w, c, store } = await setUp(new SpyStore());
      const s = w.signers;
      await grant(c, s.doctor.address, [Category.Labs, Category.ClinicalNotes]);
      const lab = await c.doctor.createRecord(s.patient.address, Category.Labs, labObservation(95));
      const notes = await c.doctor.createRecord(s.patient.address, Category.ClinicalNotes, "note");
      await grant(c, s.doctor2.address, [Category.Labs]);
      expect((await c.patient.grants()).map((g) => [g.grantee, g.categories])).to.deep.equal([
        [s.doctor.address, (1 << Category.Labs) | (1 << Category.ClinicalNotes)],
        [s.doctor2.address, 1 << Category.Labs],
      ]);

      const progress: number[] = [];
      const result = await c.patient.shareAllowedRecords(s.doctor2.address, {
        onProgress: (done) => progress.push(done),
      });
      expect(result.shared.map((r) => r.supersedes)).to.deep.equal([lab.recordId]);
      expect(result.skipped).to.deep.equal([notes.recordId]);
      expect(result.failed).to.deep.equal([]);
      expect(progress).to.deep.equal([1, 2]);
      const [shared] = result.shared;
      expect(shared?.readers.map((r) => [r.role, r.account])).to.have.deep.members([
        ["patient", s.patient.address],
        ["author", s.doctor.address],
        ["grantee", s.doctor2.address],
      ]);
      const opened = await c.doctor2.openRecord(shared?.recordId ?? "", Purpose.Treatment);
      expect(opened.text()).to.equal(labObservation(95));
      // Sharing adds a key to the same ciphertext: the body bytes are unchanged.
      const before = inspectEnvelope(store.peek(lab.contentHash));
      const after = inspectEnvelope(store.peek(shared?.contentHash ?? ""));
      expect(after.readers).to.have.length(before.readers.length + 1);
      expect(after.bodyLength).to.equal(before.bodyLength);
      // Nothing left to share the second time.
      const again = await c.patient.shareAllowedRecords(s.doctor2.address);
      expect(again.shared).to.deep.equal([]);
    });
  });

  describe("revocation that means it", function () {
    it("revokeAndRotate: the revoked grantee opens nothing new, on chain or with its cached key", async function () {
      const { w, c, store } = await setUp(new SpyStore());
      const s = w.signers;
      await grant(c, s.doctor.address, [
        Category.Labs,
        Category.Medications,
        Category.ClinicalNotes,
      ]);
      await grant(c, s.nurse.address, [Category.Labs, Category.Medications]);
      const labBody = labObservation(95);
      const lab = await c.doctor.createRecord(s.patient.address, Category.Labs, labBody);
      const meds = await c.nurse.createRecord(
        s.patient.address,
        Category.Medications,
        '{"dose":"500 mg"}',
      );
      const notes = await c.doctor.createRecord(s.patient.address, Category.ClinicalNotes, "note");

      // The nurse reads the lab and keeps its data key (what a malicious client could do).
      expect((await c.nurse.openRecord(lab.recordId, Purpose.Treatment)).text()).to.equal(labBody);
      const oldEnvelope = store.peek(lab.contentHash);
      const cachedKey = unwrapDataKeyByHand(oldEnvelope, w.keys.nurse.privateKey);
      expect(new TextDecoder().decode(decryptBodyByHand(oldEnvelope, cachedKey))).to.equal(labBody);

      const progress: [number, number][] = [];
      const result = await c.patient.revokeAndRotate(s.nurse.address, {
        onProgress: (done, total) => progress.push([done, total]),
      });
      expect(result.revocation?.functionName).to.equal("revokeConsent");
      expect(result.failed).to.deep.equal([]);
      expect(result.rotated.map((r) => r.supersedes)).to.deep.equal([lab.recordId, meds.recordId]);
      expect(result.unaffected).to.deep.equal([notes.recordId]);
      expect(progress).to.deep.equal([
        [1, 3],
        [2, 3],
        [3, 3],
      ]);
      const nurseKey = toHex(w.keys.nurse.publicKey);
      for (const rotated of result.rotated) {
        expect(rotated.removedReaderKeys).to.deep.equal([nurseKey]);
        expect(accounts(rotated)).to.deep.equal([s.patient.address, s.doctor.address].sort());
        expect(inspectEnvelope(store.peek(rotated.contentHash)).readers).to.not.include(nurseKey);
      }
      const newLab = result.rotated[0]?.recordId ?? "";

      // On chain: refused, old and new version alike.
      for (const version of [lab.recordId, newLab]) {
        await expectRevert(c.nurse.openRecord(version, Purpose.Treatment), "ConsentMissing");
      }
      // Off chain: the nurse's private key has no wrapped key in the new envelope …
      const newEnvelope = store.peek(result.rotated[0]?.contentHash ?? "");
      expect(() => openEnvelope(newEnvelope, w.keys.nurse.privateKey)).to.throw(NotAReaderError);
      // … and the data key it cached opens nothing, whichever header it is bound to.
      expect(() => decryptBodyByHand(newEnvelope, cachedKey)).to.throw();
      expect(() => decryptBodyByHand(newEnvelope, cachedKey, oldEnvelope)).to.throw();
      // The remaining readers still read it.
      expect((await c.doctor.openRecord(newLab, Purpose.Treatment)).text()).to.equal(labBody);
      expect((await c.patient.openRecord(newLab)).text()).to.equal(labBody);

      // Nothing left to do the second time.
      const again = await c.patient.revokeAndRotate(s.nurse.address);
      expect(again.revocation).to.equal(undefined);
      expect(again.rotated).to.deep.equal([]);
    });

    it("a revoked author loses its key too", async function () {
      const { w, c, store } = await setUp(new SpyStore());
      const s = w.signers;
      await grant(c, s.doctor.address, [Category.Labs]);
      await grant(c, s.doctor2.address, [Category.Labs]);
      const lab = await c.doctor.createRecord(s.patient.address, Category.Labs, labObservation(95));
      const { rotated } = await c.patient.revokeAndRotate(s.doctor.address);
      const [next] = rotated;
      if (next === undefined) throw new Error("the lab should have been rotated");
      expect(next.supersedes).to.equal(lab.recordId);
      expect(accounts(next)).to.deep.equal([s.patient.address, s.doctor2.address].sort());
      expect(() => openEnvelope(store.peek(next.contentHash), w.keys.doctor.privateKey)).to.throw(
        NotAReaderError,
      );
      await expectRevert(c.doctor.openRecord(next.recordId, Purpose.Treatment), "ConsentMissing");
      expect((await c.doctor2.openRecord(next.recordId, Purpose.Treatment)).text()).to.equal(
        labObservation(95),
      );
    });

    it("an author with write rights rotates after a plain revocation (audited)", async function () {
      const { w, c, store } = await setUp(new SpyStore());
      const s = w.signers;
      await grant(c, s.doctor.address, [Category.Labs]);
      await grant(c, s.doctor2.address, [Category.Labs]);
      const lab = await c.doctor.createRecord(s.patient.address, Category.Labs, labObservation(95));
      await c.patient.revokeConsent(s.doctor2.address);
      // A plain revocation stops opens on chain, but the envelope still holds doctor 2's key.
      expect(inspectEnvelope(store.peek(lab.contentHash)).readers).to.include(
        toHex(w.keys.doctor2.publicKey),
      );

      const rotated = await c.doctor.rotateRecord(lab.recordId);
      expect(rotated.removedReaderKeys).to.deep.equal([toHex(w.keys.doctor2.publicKey)]);
      expect((await c.patient.openRecord(rotated.recordId)).text()).to.equal(labObservation(95));
      const trail = await c.auditor.verifyTrail();
      expect(trail.entries.map((e) => e.action === "RecordOpened" && e.recordId)).to.deep.equal([
        lab.recordId,
      ]);
      // Without write rights there is no rotation.
      await expectRevert(c.doctor2.rotateRecord(rotated.recordId), "ConsentMissing");
    });

    it("revokeAndRotate reports a record it cannot rotate and rotates the others", async function () {
      const { w, c, store } = await setUp(new SpyStore());
      const s = w.signers;
      await grant(c, s.doctor.address, [Category.Labs, Category.Vitals]);
      const lost = await c.doctor.createRecord(s.patient.address, Category.Labs, "{}");
      const kept = await c.doctor.createRecord(s.patient.address, Category.Vitals, "{}");
      store.drop(lost.contentHash);
      const result = await c.patient.revokeAndRotate(s.doctor.address);
      expect(result.failed.map((f) => f.recordId)).to.deep.equal([lost.recordId]);
      expect(result.failed[0]?.error).to.be.instanceOf(NotFoundError);
      expect(result.rotated.map((r) => r.supersedes)).to.deep.equal([kept.recordId]);
    });
  });

  describe("auditor and admin clients", function () {
    it("the auditor verifies the trail and reviews a break-glass incident with its flagged opens", async function () {
      const { w, c } = await setUp(new SpyStore());
      const s = w.signers;
      await grant(c, s.doctor.address, [Category.Labs]);
      const lab = await c.doctor.createRecord(s.patient.address, Category.Labs, labObservation(95));
      const window = await c.responder.breakGlass(
        s.patient.address,
        id("unconscious, salted:4f1c"),
        3600,
      );
      expect(window.incidentId).to.equal(1n);
      const access = await c.responder.auditOpen(lab.recordId, Purpose.Emergency);
      expect(access.path).to.equal(AccessPath.BreakGlass);
      // The envelope holds no key for a responder: break-glass is audited access, not decryption.
      expect(
        await rejection(c.responder.openRecord(lab.recordId, Purpose.Emergency)),
      ).to.be.instanceOf(NotAReaderError);

      const [pending, ...more] = await c.auditor.pendingIncidents();
      expect(more).to.deep.equal([]);
      expect(pending).to.deep.include({
        incidentId: 1n,
        patient: s.patient.address,
        responder: s.responder.address,
        verdict: ReviewVerdict.Pending,
        windowOpen: true,
      });
      expect(pending?.opens.map((e) => e.transactionHash)).to.have.length(2);

      const asDoctor = await AuditorClient.connect({
        ledger: w.ledger,
        signer: s.doctor,
        fromBlock: w.deploymentBlock,
      });
      const notAuditor = await expectRevert(
        asDoctor.review(1n, ReviewVerdict.Justified, id("notes")),
        "NotAnAuditor",
      );
      expect(notAuditor).to.be.instanceOf(NotAuthorizedError);
      await c.auditor.review(1n, ReviewVerdict.Unjustified, id("notes"));
      expect(await c.auditor.pendingIncidents()).to.deep.equal([]);
      const [reviewed] = await c.auditor.incidents();
      expect(reviewed).to.deep.include({ verdict: ReviewVerdict.Unjustified, windowOpen: false });
      expect(reviewed?.closesAt, "closed early by the verdict").to.be.lessThan(window.expiresAt);
      expect(reviewed?.expiresAt).to.equal(window.expiresAt);
      const twice = await expectRevert(
        c.auditor.review(1n, ReviewVerdict.Justified, id("x")),
        "IncidentAlreadyReviewed",
      );
      expect(twice).to.be.instanceOf(StateConflictError);

      const trail = await c.auditor.verifyTrail();
      expect(trail.matchesChain).to.equal(true);
      expect(trail.entries.map((e) => e.action)).to.deep.equal([
        "BreakGlassDeclared",
        "RecordOpened",
        "RecordOpened",
        "BreakGlassReviewed",
      ]);
    });

    it("the admin onboards with a public key, deactivates, sets policy; governance errors are decoded", async function () {
      const { w, c } = await setUp(new SpyStore());
      const newcomer = w.spare[2];
      if (newcomer === undefined) throw new Error("need a spare signer");
      const keys = generateMemberKeyPair();
      await c.registrar.onboardMember({
        account: newcomer.address,
        role: Role.Doctor,
        orgId: 1,
        publicKey: keys.publicKey,
      });
      expect((await c.registrar.member(newcomer.address)).encryptionKey).to.equal(
        toHex(keys.publicKey),
      );
      await grant(c, newcomer.address, [Category.Labs]);
      await grant(c, w.signers.doctor.address, [Category.Labs]);
      const lab = await c.doctor.createRecord(
        w.signers.patient.address,
        Category.Labs,
        labObservation(95),
      );
      const client = await ClinicianClient.connect({
        ledger: w.ledger,
        signer: newcomer,
        store: c.doctor.store,
        keys,
      });
      expect((await client.openRecord(lab.recordId, Purpose.Treatment)).text()).to.equal(
        labObservation(95),
      );

      await c.registrar.deactivateMember(newcomer.address);
      await expectRevert(client.openRecord(lab.recordId, Purpose.Treatment), "MemberInactive");
      await expectRevert(
        c.registrar.onboardMember({
          account: newcomer.address,
          role: Role.Doctor,
          orgId: 1,
          publicKey: keys.publicKey,
        }),
        "MemberAlreadyRegistered",
      );
      expect(await c.registrar.isRegistrar()).to.equal(true);
      expect(await c.registrar.isGovernanceAdmin()).to.equal(false);
      const policy = { read: 1 << Category.Labs, write: 0, emergencyRead: 0 };
      const denied = await expectRevert(
        c.registrar.setRolePolicy(Role.Nurse, policy),
        "AccessControlUnauthorizedAccount",
      );
      expect(denied).to.be.instanceOf(NotAuthorizedError);
      await c.admin.setRolePolicy(Role.Nurse, policy);
      const stored = await w.ledger.rolePolicy(Role.Nurse);
      expect([Number(stored.read), Number(stored.write)]).to.deep.equal([policy.read, 0]);
    });
  });

  describe("no plaintext on chain", function () {
    it("no calldata, log or written storage of a whole flow holds 8 bytes of any plaintext", async function () {
      const { w, c, store } = await setUp(new SpyStore());
      const s = w.signers;
      const bodies = [
        labObservation(95, "patient reports dizziness since Tuesday"),
        labObservation(97, "repeat sample, corrected"),
        JSON.stringify({
          resourceType: "MedicationStatement",
          medication: "metformin 500 mg twice daily",
        }),
        "Clinical note: Jane Example, born 1980-04-02, MRN 00424242, anxious about results.",
      ];
      await grant(c, s.doctor.address, [
        Category.Labs,
        Category.Medications,
        Category.ClinicalNotes,
      ]);
      await grant(c, s.nurse.address, [Category.Labs, Category.Medications]);
      const lab = await c.doctor.createRecord(s.patient.address, Category.Labs, bodies[0] ?? "");
      await c.nurse.openRecord(lab.recordId, Purpose.Treatment);
      const amended = await c.doctor.amendRecord(lab.recordId, bodies[1] ?? "");
      await c.nurse.createRecord(s.patient.address, Category.Medications, bodies[2] ?? "");
      await c.doctor.createRecord(s.patient.address, Category.ClinicalNotes, bodies[3] ?? "");
      await grant(c, s.doctor2.address, [Category.Labs]);
      const shared = await c.patient.shareRecord(amended.recordId, s.doctor2.address);
      await c.doctor2.openRecord(shared.recordId, Purpose.Treatment);
      await c.patient.revokeAndRotate(s.nurse.address);
      await c.responder.breakGlass(s.patient.address, id("justification"), 600);
      await c.responder.auditOpen(shared.recordId, Purpose.Emergency);
      await c.auditor.review(1n, ReviewVerdict.Justified, id("notes"));

      const encoder = new TextEncoder();
      const windows = plaintextWindows(bodies.map((b) => encoder.encode(b)));
      // The detector finds a window when there is one (so a pass means something).
      const probe = Uint8Array.from([
        1,
        2,
        3,
        ...encoder.encode(bodies[3] ?? "").subarray(20, 28),
        4,
      ]);
      expect(findLeak(probe, windows)).to.equal(3);

      const latest = await ethers.provider.getBlockNumber();
      let transactions = 0;
      let slots = 0;
      for (let n = 0; n <= latest; n++) {
        const block = await ethers.provider.getBlock(n, true);
        for (const tx of block?.prefetchedTransactions ?? []) {
          transactions++;
          expect(findLeak(ethers.getBytes(tx.data), windows), `calldata of ${tx.hash}`).to.equal(
            -1,
          );
          const trace = (await ethers.provider.send("debug_traceTransaction", [
            tx.hash,
            { tracer: "prestateTracer", tracerConfig: { diffMode: true } },
          ])) as { post: Record<string, { storage?: Record<string, string> }> };
          for (const account of Object.values(trace.post)) {
            for (const [slot, value] of Object.entries(account.storage ?? {})) {
              slots++;
              const written = ethers.getBytes(ethers.concat([slot, value]));
              expect(findLeak(written, windows), `storage written by ${tx.hash}`).to.equal(-1);
            }
          }
        }
      }
      const logs = await ethers.provider.getLogs({ fromBlock: 0, toBlock: latest });
      for (const log of logs) {
        const bytes = ethers.getBytes(ethers.concat([...log.topics, log.data]));
        expect(findLeak(bytes, windows), `log ${log.transactionHash}#${log.index}`).to.equal(-1);
      }
      expect(transactions).to.be.greaterThan(25);
      expect(slots).to.be.greaterThan(40);
      expect(logs.length).to.be.greaterThan(25);
      // The envelopes in the store hold none of it either: only ciphertext.
      for (const blob of store.all()) expect(findLeak(blob, windows)).to.equal(-1);
      expect(store.all().length).to.be.greaterThanOrEqual(6);
    });
  });
});
