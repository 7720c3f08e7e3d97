/**
 * Streamed (CLE2) records through the SDK clients on the in-process network: a file is sealed and
 * streamed into the filesystem store and anchored; the patient and an audited grantee read it back
 * as verified streams; a tampered segment stops the stream before its bytes; a refused write leaves
 * nothing in the store; CLE1 records still open through the streaming call; the pure-JS and
 * OpenSSL suites read each other's records.
 */
import { expect } from "chai";
import { randomBytes } from "node:crypto";
import { chmod, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { network } from "hardhat";
import {
  collectBytes,
  jsStreamSuite,
  nodeStreamSuite,
  SegmentIntegrityError,
  toHex,
  type StreamCipherSuite,
} from "../../src/crypto/index.js";
import { SEGMENT_SIZE, parseStreamPrefix } from "../../src/crypto/stream-format.js";
import { ClinicianClient } from "../../src/sdk/clients/clinician.js";
import { PatientClient } from "../../src/sdk/clients/patient.js";
import { bodyFromFile, bodyToFile } from "../../src/sdk/clients/stream-files.js";
import { AccessPath, Category, Purpose } from "../../src/sdk/index.js";
import { AccessDeniedError } from "../../src/sdk/errors.js";
import { FsBlobStore, paddedSize } from "../../src/store/index.js";
import { rejection, deployClientsWorld, type ClientsWorld } from "../helpers/index.js";

const connection = await network.create();
const { networkHelpers } = connection;
const DAY = 24 * 60 * 60;
/** Header of the frame around a streamed blob file (`src/store/disk.ts`). */
const STREAM_FRAME = 13;

async function world(): Promise<ClientsWorld> {
  return deployClientsWorld(connection);
}

async function setUp(suite: StreamCipherSuite = nodeStreamSuite) {
  const w = await networkHelpers.loadFixture(world);
  const dir = await mkdtemp(join(tmpdir(), "careledger-stream-sdk-"));
  const store = new FsBlobStore(join(dir, "blobs"), { fsync: false });
  const base = { ledger: w.ledger, fromBlock: w.deploymentBlock, store, streamSuite: suite };
  const clinician = (name: "doctor" | "nurse") =>
    ClinicianClient.connect({ ...base, signer: w.signers[name], keys: w.keys[name] });
  const patient = await PatientClient.connect({
    ...base,
    signer: w.signers.patient,
    keys: w.keys.patient,
  });
  const doctor = await clinician("doctor");
  const nurse = await clinician("nurse");
  const expiresAt = (await networkHelpers.time.latest()) + 30 * DAY;
  for (const grantee of [w.signers.doctor.address, w.signers.nurse.address]) {
    await patient.grantConsent(grantee, {
      categories: [Category.Imaging, Category.Medications],
      purposes: [Purpose.Treatment],
      expiresAt,
    });
  }
  return { w, dir, store, patient, doctor, nurse, base };
}

describe("SDK clients: streamed records (CLE2)", function () {
  let dir: string | undefined;
  afterEach(async function () {
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
    dir = undefined;
  });

  it("a file is sealed, stored and anchored; the patient and the audited author stream it back", async function () {
    const s = await setUp();
    dir = s.dir;
    const study = new Uint8Array(randomBytes(3 * SEGMENT_SIZE + 999));
    const input = join(s.dir, "study.dcm");
    await writeFile(input, study);
    const created = await s.doctor.createRecordStream(
      s.w.signers.patient.address,
      Category.Imaging,
      await bodyFromFile(input),
    );
    expect(created.transaction.functionName).to.equal("anchorRecord");
    // On disk: the envelope in a version 2 frame ("CLBP", 0x02, uint64 length), padded (Padmé).
    const file = new Uint8Array(await readFile(s.store.pathFor(created.contentHash)));
    expect(file.length).to.equal(paddedSize(STREAM_FRAME + created.envelopeSize));
    const stored = file.subarray(STREAM_FRAME, STREAM_FRAME + created.envelopeSize);
    // Readers: the patient and the author; the nurse's role may not read imaging.
    expect(parseStreamPrefix(stored).entries).to.have.length(2);

    const own = await s.patient.openRecordStream(created.recordId);
    expect(own.bodyLength).to.equal(study.length);
    const output = join(s.dir, "study.out");
    await bodyToFile(own.body, output);
    expect(Buffer.compare(await readFile(output), study)).to.equal(0);

    const audited = await s.doctor.openRecordStream(created.recordId, Purpose.Treatment);
    expect(audited.access.path).to.equal(AccessPath.Consent);
    expect(Buffer.compare(Buffer.from(await collectBytes(audited.body)), study)).to.equal(0);

    // The whole-body calls read a CLE2 record too.
    const whole = await s.patient.openRecord(created.recordId);
    expect(Buffer.compare(Buffer.from(whole.body), study)).to.equal(0);
    expect(whole.envelopeSize).to.equal(created.envelopeSize);

    // The store's verifying stream gives back the stored envelope byte for byte.
    const fetched = await collectBytes(s.store.getStream(created.contentHash));
    expect(Buffer.compare(Buffer.from(fetched), Buffer.from(stored))).to.equal(0);
  });

  it("a flipped byte in segment 2 of the stored file stops the stream before segment 2", async function () {
    const s = await setUp();
    dir = s.dir;
    const body = new Uint8Array(randomBytes(4 * SEGMENT_SIZE));
    const created = await s.doctor.createRecordStream(
      s.w.signers.patient.address,
      Category.Imaging,
      {
        chunks: [body],
        length: body.length,
      },
    );
    const path = s.store.pathFor(created.contentHash);
    const bytes = new Uint8Array(await readFile(path));
    const p = STREAM_FRAME + parseStreamPrefix(bytes.subarray(STREAM_FRAME)).prefix.length;
    bytes[p + 2 * (SEGMENT_SIZE + 16) + 7]! ^= 1;
    await chmod(path, 0o644);
    await writeFile(path, bytes);

    const opened = await s.patient.openRecordStream(created.recordId);
    const released: Uint8Array[] = [];
    const error = await rejection(
      (async () => {
        for await (const chunk of opened.body) released.push(chunk);
      })(),
    );
    expect(error).to.be.instanceOf(SegmentIntegrityError);
    expect((error as SegmentIntegrityError).segment).to.equal(2);
    const out = Buffer.concat(released);
    expect(out.length).to.equal(2 * SEGMENT_SIZE);
    expect(Buffer.compare(out, Buffer.from(body.subarray(0, out.length)))).to.equal(0);
    const keyless = await rejection(collectBytes(s.store.getStream(created.contentHash)));
    expect(keyless).to.be.instanceOf(SegmentIntegrityError);
  });

  it("a refused streamed write is simulated before the blob is visible and stores nothing", async function () {
    const s = await setUp();
    dir = s.dir;
    const err = await rejection(
      s.nurse.createRecordStream(s.w.signers.patient.address, Category.Labs, {
        chunks: [new Uint8Array(1000)],
        length: 1000,
      }),
    );
    expect(err).to.be.instanceOf(AccessDeniedError);
    const left = await readdir(s.store.root, { recursive: true }).catch(() => []);
    expect(left).to.deep.equal([]);
  });

  it("revokeAndRotate re-keys a streamed record; sharing adds a key without re-encrypting", async function () {
    const s = await setUp();
    dir = s.dir;
    const body = new Uint8Array(randomBytes(2 * SEGMENT_SIZE + 10));
    const created = await s.doctor.createRecordStream(
      s.w.signers.patient.address,
      Category.Medications,
      { chunks: [body], length: body.length },
    );
    const nurseKey = toHex(s.w.keys.nurse.publicKey);
    expect(created.readers.map((r) => r.publicKey)).to.include(nurseKey);

    const result = await s.patient.revokeAndRotate(s.w.signers.nurse.address);
    expect(result.failed).to.deep.equal([]);
    expect(result.rotated).to.have.length(1);
    const rotated = result.rotated[0]!;
    expect(rotated.removedReaderKeys).to.deep.equal([nurseKey]);
    expect(rotated.supersedes).to.equal(created.recordId);
    const rotatedBytes = await s.store.get(rotated.contentHash);
    expect(
      parseStreamPrefix(rotatedBytes).entries.map((e) => toHex(e.readerPublicKey)),
    ).to.not.include(nurseKey);
    const own = await s.patient.openRecordStream(rotated.recordId);
    expect(Buffer.compare(Buffer.from(await collectBytes(own.body)), body)).to.equal(0);

    // The patient grants the nurse again and shares the current version: same segments, one more key.
    await s.patient.grantConsent(s.w.signers.nurse.address, {
      categories: [Category.Medications],
      purposes: [Purpose.Treatment],
      expiresAt: (await networkHelpers.time.latest()) + DAY,
    });
    const shared = await s.patient.shareRecord(rotated.recordId, s.w.signers.nurse.address);
    const sharedBytes = await s.store.get(shared.contentHash);
    const p0 = parseStreamPrefix(rotatedBytes).prefix.length;
    const p1 = parseStreamPrefix(sharedBytes).prefix.length;
    expect(
      Buffer.compare(
        Buffer.from(sharedBytes.subarray(p1, sharedBytes.length - 32)),
        Buffer.from(rotatedBytes.subarray(p0, rotatedBytes.length - 32)),
      ),
    ).to.equal(0);
    const asNurse = await s.nurse.openRecordStream(shared.recordId, Purpose.Treatment);
    expect(Buffer.compare(Buffer.from(await collectBytes(asNurse.body)), body)).to.equal(0);
  });

  it("CLE1 records still open through openRecordStream", async function () {
    const s = await setUp();
    dir = s.dir;
    const created = await s.doctor.createRecord(
      s.w.signers.patient.address,
      Category.Medications,
      "aspirin 100 mg",
    );
    const opened = await s.patient.openRecordStream(created.recordId);
    expect(new TextDecoder().decode(await collectBytes(opened.body))).to.equal("aspirin 100 mg");
  });

  it("a record sealed with the pure-JS suite opens with the OpenSSL suite", async function () {
    const s = await setUp(jsStreamSuite);
    dir = s.dir;
    const body = new Uint8Array(randomBytes(SEGMENT_SIZE + 1));
    const created = await s.doctor.createRecordStream(
      s.w.signers.patient.address,
      Category.Imaging,
      {
        chunks: [body],
        length: body.length,
      },
    );
    const nodePatient = await PatientClient.connect({
      ...s.base,
      streamSuite: nodeStreamSuite,
      signer: s.w.signers.patient,
      keys: s.w.keys.patient,
    });
    const opened = await nodePatient.openRecordStream(created.recordId);
    expect(Buffer.compare(Buffer.from(await collectBytes(opened.body)), body)).to.equal(0);
  });
});
