/**
 * Erasure by crypto-shredding, end to end through the SDK on the in-process network with real envelopes,
 * keys and filesystem stores: the writer's store, a replica and the emergency key custodian's store (which
 * also holds a copy it released to a responder). After the patient erases the record, no byte left in any
 * store directory decrypts it with any key the system ever held; the audit trail still folds to the chain's
 * heads; opens are refused on chain and in the SDK; a role-policy refusal destroys nothing.
 */
import { expect } from "chai";
import { id } from "ethers";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { network } from "hardhat";
import {
  generateMemberKeyPair,
  inspectEnvelope,
  openEnvelope,
  type MemberKeyPair,
} from "../../src/crypto/index.js";
import {
  AuditorClient,
  Category,
  ClinicianClient,
  EmergencyKeyCustodian,
  NotAuthorizedError,
  PatientClient,
  Purpose,
  RecordErasedError,
  RecordNotErasedError,
  RecordStatus,
  Role,
} from "../../src/sdk/index.js";
import { JsonLinesReleaseLog } from "../../src/sdk/clients/custodian-fs.js";
import { FsBlobStore } from "../../src/store/index.js";
import { rejection } from "../helpers/index.js";
import { deployClientsWorld, labObservation, type ClientsWorld } from "../helpers/index.js";

const connection = await network.create();
const { ethers, networkHelpers } = connection;
const DAY = 24 * 60 * 60;

/** The body of the record that is erased: a marker no other record contains. */
const ERASED_BODY = labObservation(131, "erase me: crypto-shredding marker");
const KEPT_BODY = labObservation(88, "kept");

interface Shredding {
  readonly w: ClientsWorld;
  readonly dirs: readonly string[];
  readonly writerStore: FsBlobStore;
  readonly replica: FsBlobStore;
  readonly custodianStore: FsBlobStore;
  readonly custodian: EmergencyKeyCustodian;
  readonly custodianKeys: MemberKeyPair;
  readonly patient: PatientClient;
  readonly doctor: ClinicianClient;
  readonly responder: ClinicianClient;
  readonly auditor: AuditorClient;
  readonly erased: { readonly recordId: string; readonly contentHash: string };
  readonly kept: { readonly recordId: string; readonly contentHash: string };
  /** The envelope of the erased record and the copy the custodian released of it. */
  readonly erasedEnvelopes: readonly Uint8Array[];
}

async function world(): Promise<ClientsWorld> {
  return deployClientsWorld(connection);
}

/**
 * The doctor writes two lab results for the patient (each sealed for the patient, the doctor and the
 * custodian) into its store; a replica and the custodian keep copies; the responder breaks the glass and
 * the custodian releases the first record's key to it (a second copy of that envelope, in its store).
 */
async function setUp(): Promise<Shredding> {
  const w = await networkHelpers.loadFixture(world);
  const dirs = await Promise.all(
    ["writer", "replica", "custodian"].map((n) =>
      mkdtemp(join(tmpdir(), `careledger-shred-${n}-`)),
    ),
  );
  const [writerDir, replicaDir, custodianDir] = dirs as [string, string, string];
  const writerStore = new FsBlobStore(writerDir, { fsync: false });
  const replica = new FsBlobStore(replicaDir, { fsync: false });
  const custodianStore = new FsBlobStore(custodianDir, { fsync: false });
  const custodianKeys = generateMemberKeyPair();
  const custodian = new EmergencyKeyCustodian({
    ledgerAddress: await w.ledger.getAddress(),
    provider: ethers.provider,
    store: custodianStore,
    keys: custodianKeys,
    log: new JsonLinesReleaseLog(join(custodianDir, "releases.jsonl")),
  });
  const base = {
    ledger: w.ledger,
    fromBlock: w.deploymentBlock,
    store: writerStore,
    emergencyCustodian: { publicKey: custodian.publicKey },
  };
  const patient = await PatientClient.connect({
    ...base,
    signer: w.signers.patient,
    keys: w.keys.patient,
  });
  const doctor = await ClinicianClient.connect({
    ...base,
    signer: w.signers.doctor,
    keys: w.keys.doctor,
  });
  const responder = await ClinicianClient.connect({
    ...base,
    signer: w.signers.responder,
    keys: w.keys.responder,
  });
  const auditor = await AuditorClient.connect({ ...base, signer: w.signers.auditor });

  await patient.grantConsent(w.signers.doctor.address, {
    categories: [Category.Labs],
    purposes: [Purpose.Treatment],
    expiresAt: (await networkHelpers.time.latest()) + 30 * DAY,
  });
  const erased = await doctor.createRecord(w.signers.patient.address, Category.Labs, ERASED_BODY);
  const kept = await doctor.createRecord(w.signers.patient.address, Category.Labs, KEPT_BODY);
  for (const r of [erased, kept]) {
    const envelope = await writerStore.get(r.contentHash);
    await replica.put(envelope);
    await custodianStore.put(envelope);
  }
  await responder.breakGlass(w.signers.patient.address, id("unconscious in the ED"), 3600);
  const opened = await responder.openRecordInEmergency(erased.recordId, custodian);
  expect(opened.text()).to.equal(ERASED_BODY);
  const released = opened.release?.envelope;
  if (released === undefined) throw new Error("the custodian should have released the key");
  return {
    w,
    dirs,
    writerStore,
    replica,
    custodianStore,
    custodian,
    custodianKeys,
    patient,
    doctor,
    responder,
    auditor,
    erased,
    kept,
    erasedEnvelopes: [await writerStore.get(erased.contentHash), released],
  };
}

/** Every regular file under `dir`, with its bytes. */
async function filesUnder(dir: string): Promise<{ path: string; bytes: Uint8Array }[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return Promise.all(
    entries
      .filter((e) => e.isFile())
      .map(async (e) => {
        const path = join(e.parentPath, e.name);
        return { path, bytes: new Uint8Array(await readFile(path)) };
      }),
  );
}

function contains(haystack: Uint8Array, needle: Uint8Array): boolean {
  outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return true;
  }
  return false;
}

/** Every body any of `keys` decrypts from any envelope stored under `dirs` (blob files are named by hash). */
async function decryptEverything(
  s: Shredding,
  keys: readonly Uint8Array[],
): Promise<{ bodies: string[]; files: number }> {
  const bodies: string[] = [];
  let files = 0;
  for (const [dir, store] of [
    [s.dirs[0], s.writerStore],
    [s.dirs[1], s.replica],
    [s.dirs[2], s.custodianStore],
  ] as const) {
    for (const { path } of await filesUnder(dir as string)) {
      files++;
      const name = path.slice(path.lastIndexOf("/") + 1);
      if (!/^[0-9a-f]{64}$/.test(name)) continue;
      const envelope = await store.get(`0x${name}`);
      for (const key of keys) {
        try {
          bodies.push(new TextDecoder().decode(openEnvelope(envelope, key).body));
        } catch {
          // not a reader with this key
        }
      }
    }
  }
  return { bodies, files };
}

describe("erasure by crypto-shredding (SDK, stores, custodian)", function () {
  let s: Shredding;

  beforeEach(async function () {
    s = await setUp();
  });

  afterEach(async function () {
    await Promise.all(s.dirs.map((d) => rm(d, { recursive: true, force: true })));
  });

  it("after the patient erases a record, no stored byte decrypts it with any key the system ever held", async function () {
    const everyKey = [
      ...Object.values(s.w.keys).map((k) => k.privateKey),
      s.custodianKeys.privateKey,
    ];
    // Before: the erased record decrypts from all three stores (writer, replica, custodian + released copy).
    const before = await decryptEverything(s, everyKey);
    expect(before.bodies.filter((b) => b === ERASED_BODY).length).to.be.at.least(4);
    expect(inspectEnvelope(s.erasedEnvelopes[1]!).readers.length).to.equal(4);

    // The custodian drops nothing before the chain records the erasure.
    expect(await rejection(s.custodian.erase(s.erased.recordId))).to.be.instanceOf(
      RecordNotErasedError,
    );

    const result = await s.patient.eraseRecord(s.erased.recordId, {
      stores: [s.replica],
      followers: [s.custodian],
    });
    expect(result.transaction).to.not.equal(undefined);
    const [onChain] = await s.w.ledger.recordOf(s.erased.recordId);
    expect(onChain.status).to.equal(BigInt(RecordStatus.Erased));

    const after = await decryptEverything(s, everyKey);
    expect(after.bodies).to.not.include(ERASED_BODY);
    // The kept record still decrypts (the check does find what is there) from all three stores.
    expect(after.bodies.filter((b) => b === KEPT_BODY).length).to.be.at.least(3);
    // No file anywhere holds any ciphertext of the erased envelopes or the marker in clear.
    const marker = new TextEncoder().encode("erase me");
    for (const dir of s.dirs) {
      for (const { path, bytes } of await filesUnder(dir)) {
        for (const envelope of s.erasedEnvelopes) {
          expect(contains(bytes, envelope.subarray(envelope.length - 48)), path).to.equal(false);
        }
        expect(contains(bytes, marker), path).to.equal(false);
      }
    }
    for (const store of [s.writerStore, s.replica, s.custodianStore]) {
      expect(await store.has(s.erased.contentHash)).to.equal(false);
    }
    expect(await s.writerStore.listUnanchored()).to.deep.equal([]);

    // The audit trail stays whole: the refold of every audited event equals the chain's heads.
    const trail = await s.auditor.verifyTrail();
    expect(trail.matchesChain).to.equal(true);
    expect(trail.entries.at(-1)).to.deep.include({
      action: "RecordErased",
      recordId: s.erased.recordId,
      erasedBy: s.w.signers.patient.address,
    });
  });

  it("later opens are refused with RecordErasedError, on chain (the clinician) and in the SDK (the patient)", async function () {
    await s.patient.eraseRecord(s.erased.recordId, { followers: [s.custodian] });
    for (const open of [
      () => s.patient.openRecord(s.erased.recordId),
      () => s.doctor.openRecord(s.erased.recordId, Purpose.Treatment),
    ]) {
      const err = await rejection(open());
      expect(err, String(err)).to.be.instanceOf(RecordErasedError);
      expect((err as RecordErasedError).args.recordId).to.equal(s.erased.recordId);
      expect((err as RecordErasedError).code).to.equal("RECORD_ERASED");
    }
    expect((await s.patient.openRecord(s.kept.recordId)).text()).to.equal(KEPT_BODY);
  });

  it("a retry after a crash between the deletes and the transaction completes; a second call changes nothing", async function () {
    // The crash: the copies are gone, the chain was never told.
    await s.writerStore.delete(s.erased.contentHash);
    const [before] = await s.w.ledger.recordOf(s.erased.recordId);
    expect(before.status).to.equal(BigInt(RecordStatus.Current));
    const first = await s.patient.eraseRecord(s.erased.recordId, { followers: [s.custodian] });
    expect(first.transaction).to.not.equal(undefined);
    const head = await s.w.ledger.auditHead();
    const again = await s.patient.eraseRecord(s.erased.recordId, { followers: [s.custodian] });
    expect(again.transaction).to.equal(undefined);
    expect(await s.w.ledger.auditHead()).to.equal(head);
  });

  it("a role-policy refusal (retention keeps labs) destroys nothing and records nothing", async function () {
    await s.w.ledger
      .connect(s.w.signers.admin)
      .setErasePolicy(Role.Patient, 0x1ff & ~(1 << Category.Labs));
    const head = await s.w.ledger.auditHead();
    const err = await rejection(s.patient.eraseRecord(s.erased.recordId, { stores: [s.replica] }));
    expect(err, String(err)).to.be.instanceOf(NotAuthorizedError);
    expect((err as NotAuthorizedError).errorName).to.equal("ErasureNotPermitted");
    for (const store of [s.writerStore, s.replica, s.custodianStore]) {
      expect(await store.has(s.erased.contentHash)).to.equal(true);
    }
    expect(await s.w.ledger.auditHead()).to.equal(head);
    expect((await s.patient.openRecord(s.erased.recordId)).text()).to.equal(ERASED_BODY);
  });
});
