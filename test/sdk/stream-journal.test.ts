/**
 * A streamed (CLE2) record whose anchor is not seen takes part in the anchor journal like one written
 * with `createRecord`: it is listed by `listUnanchored`, a retry with the same idempotency key
 * returns the one anchor, and `repairUnanchored` settles it. The anchor is held back by turning
 * automine off on the in-process network, so the send runs into its deadline.
 */
import { expect } from "chai";
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { network } from "hardhat";
import { nodeStreamSuite } from "../../src/crypto/index.js";
import { SEGMENT_SIZE } from "../../src/crypto/stream-format.js";
import { ClinicianClient } from "../../src/sdk/clients/clinician.js";
import { PatientClient } from "../../src/sdk/clients/patient.js";
import { Category, Purpose, recordIdOf } from "../../src/sdk/index.js";
import { TransactionTimeoutError } from "../../src/sdk/errors.js";
import { FsBlobStore } from "../../src/store/index.js";
import { rejection, deployClientsWorld, type ClientsWorld } from "../helpers/index.js";

const connection = await network.create();
const { networkHelpers } = connection;
const DAY = 24 * 60 * 60;
const DEADLINE_MS = 1500;

async function world(): Promise<ClientsWorld> {
  return deployClientsWorld(connection);
}

describe("SDK clients: streamed records and the anchor journal", function () {
  let dir: string;
  let store: FsBlobStore;
  let doctor: ClinicianClient;
  let patientAddress: string;

  // One world for both tests: the SDK's nonce manager outlives a snapshot revert of the chain.
  before(async function () {
    const w = await world();
    dir = await mkdtemp(join(tmpdir(), "careledger-stream-journal-"));
    store = new FsBlobStore(join(dir, "blobs"), { fsync: false });
    const base = {
      ledger: w.ledger,
      fromBlock: w.deploymentBlock,
      store,
      streamSuite: nodeStreamSuite,
    };
    const patient = await PatientClient.connect({
      ...base,
      signer: w.signers.patient,
      keys: w.keys.patient,
    });
    doctor = await ClinicianClient.connect({
      ...base,
      signer: w.signers.doctor,
      keys: w.keys.doctor,
    });
    patientAddress = w.signers.patient.address;
    await patient.grantConsent(w.signers.doctor.address, {
      categories: [Category.Imaging],
      purposes: [Purpose.Treatment],
      expiresAt: (await networkHelpers.time.latest()) + 30 * DAY,
    });
  });
  afterEach(async function () {
    await setAutomine(true);
  });
  after(async function () {
    await rm(dir, { recursive: true, force: true });
  });

  async function setAutomine(on: boolean): Promise<void> {
    await connection.provider.request({ method: "evm_setAutomine", params: [on] });
  }

  /** A streamed write whose anchor transaction is sent but not mined within its deadline. */
  async function interruptedStreamWrite(idempotencyKey?: string): Promise<Uint8Array> {
    const body = new Uint8Array(randomBytes(2 * SEGMENT_SIZE + 17));
    await setAutomine(false);
    const error = await rejection(
      doctor.createRecordStream(
        patientAddress,
        Category.Imaging,
        { chunks: [body], length: body.length },
        { timeoutMs: DEADLINE_MS, ...(idempotencyKey === undefined ? {} : { idempotencyKey }) },
      ),
    );
    expect(error).to.be.instanceOf(TransactionTimeoutError);
    return body;
  }

  async function anchorsOf(recordId: string): Promise<number> {
    return (await doctor.ledger.queryFilter(doctor.ledger.filters.RecordAnchored(recordId))).length;
  }

  it("an interrupted streamed write is listed unanchored; the retry with its key returns the one anchor", async function () {
    const body = await interruptedStreamWrite("study-42");
    const [entry, ...more] = await store.listUnanchored();
    expect(more).to.deep.equal([]);
    expect(entry!.intent.author).to.equal(doctor.address);
    const hash = entry!.contentHash;
    const recordId = recordIdOf(patientAddress, hash);
    expect(await store.has(hash)).to.equal(true);
    await setAutomine(true);
    await networkHelpers.mine();
    // the body stream is not read again: the stored envelope's landed anchor is returned
    const retried = await doctor.createRecordStream(
      patientAddress,
      Category.Imaging,
      { chunks: [], length: body.length },
      { idempotencyKey: "study-42" },
    );
    expect(retried.recordId).to.equal(recordId);
    expect(retried.contentHash).to.equal(hash);
    const source = await store.openSource(hash);
    expect(retried.envelopeSize).to.equal(source.size);
    await source.close();
    expect(retried.readers.map((r) => r.role)).to.have.members(["patient", "author"]);
    expect(await anchorsOf(recordId)).to.equal(1);
    expect(await store.listUnanchored()).to.deep.equal([]);
  });

  it("repairUnanchored confirms an interrupted streamed write whose anchor landed later", async function () {
    await interruptedStreamWrite();
    const [entry] = await store.listUnanchored();
    const recordId = recordIdOf(patientAddress, entry!.contentHash);
    await setAutomine(true);
    await networkHelpers.mine();

    const report = await doctor.repairUnanchored({ graceMs: 0 });
    expect(report.outcomes.map((o) => [o.recordId, o.contentHash, o.action])).to.deep.equal([
      [recordId, entry!.contentHash, "confirmed"],
    ]);
    expect(await store.listUnanchored()).to.deep.equal([]);
    expect(await anchorsOf(recordId)).to.equal(1);
    const opened = await doctor.openRecordStream(recordId, Purpose.Treatment);
    let length = 0;
    for await (const chunk of opened.body) length += chunk.length;
    expect(length).to.equal(2 * SEGMENT_SIZE + 17);
  });
});
