/**
 * Break-glass key release for streamed (CLE2) records: the custodian releases only a key (`CLR2`,
 * a few hundred bytes, whatever the body size) after the responder's audited break-glass open; the
 * responder reads the anchored body as a verified stream; a release that is not the anchored
 * envelope plus the responder's key is rejected; a repeated request gets the same release.
 */
import { expect } from "chai";
import { id, randomBytes } from "ethers";
import { network } from "hardhat";
import {
  collectBytes,
  nodeStreamSuite,
  SEGMENT_SIZE,
  STREAM_RELEASE_MAGIC,
  toHex,
} from "../../src/crypto/index.js";
import { parseStreamPrefix } from "../../src/crypto/stream-format.js";
import { MemoryReleaseLog, type KeyReleaseService } from "../../src/sdk/clients/custodian.js";
import { ReleasedCopyMismatchError } from "../../src/sdk/clients/errors.js";
import { AccessPath, Category, Purpose } from "../../src/sdk/index.js";
import { MemoryBlobStore } from "../../src/store/index.js";
import {
  rejection,
  deployCustodianWorld,
  withCustodian,
  type CustodianWorld,
} from "../helpers/index.js";

const connection = await network.create();
const { networkHelpers } = connection;
const DAY = 24 * 60 * 60;

async function world(): Promise<CustodianWorld> {
  return deployCustodianWorld(connection);
}

async function setUp() {
  const fixture = await networkHelpers.loadFixture(world);
  const { w } = fixture;
  const store = new MemoryBlobStore(nodeStreamSuite);
  const log = new MemoryReleaseLog();
  const { custodian, connect } = await withCustodian(connection, fixture, store, {
    log,
    streamSuite: nodeStreamSuite,
  });
  const patient = await connect.patient("patient");
  const doctor = await connect.clinician("doctor");
  const responder = await connect.clinician("responder");
  await patient.grantConsent(w.signers.doctor.address, {
    categories: [Category.Imaging],
    purposes: [Purpose.Treatment],
    expiresAt: (await networkHelpers.time.latest()) + 30 * DAY,
  });
  const study = randomBytes(2 * SEGMENT_SIZE + 77);
  const record = await doctor.createRecordStream(w.signers.patient.address, Category.Imaging, {
    chunks: [study],
    length: study.length,
  });
  await responder.breakGlass(w.signers.patient.address, id("unconscious, CT needed"), 60 * 60);
  return { w, store, log, custodian, responder, record, study };
}

describe("SDK: break-glass key release of streamed records", function () {
  it("the custodian releases a key only; the responder streams the anchored body", async function () {
    const s = await setUp();
    expect(s.record.readers.map((r) => r.role)).to.include("custodian");
    const opened = await s.responder.openRecordStreamInEmergency(s.record.recordId, s.custodian);
    expect(opened.access.path).to.equal(AccessPath.BreakGlass);
    expect(Buffer.compare(Buffer.from(await collectBytes(opened.body)), s.study)).to.equal(0);
    expect(opened.openedWith).to.equal(toHex(s.w.keys.responder.publicKey));
    const release = opened.release;
    if (release === undefined) throw new Error("a key should have been released");
    expect([...release.envelope.subarray(0, 4)]).to.deep.equal([...STREAM_RELEASE_MAGIC]);
    expect(release.envelope.length).to.be.below(1000); // a key, not a copy of the study
    expect(release.responderPublicKey).to.equal(toHex(s.w.keys.responder.publicKey));
    expect(await s.log.entries()).to.have.length(1);

    // The same open asked again: the same release, logged once.
    const again = await s.custodian.release({
      recordId: s.record.recordId,
      responder: s.w.signers.responder.address,
      openTxHash: opened.access.transaction.hash,
    });
    expect(again.repeat).to.equal(true);
    expect(toHex(again.envelope)).to.equal(toHex(release.envelope));
    expect(await s.log.entries()).to.have.length(1);

    // The whole-body call reads a CLE2 record too (a second break-glass open, same release path).
    const whole = await s.responder.openRecordInEmergency(s.record.recordId, s.custodian);
    expect(Buffer.compare(Buffer.from(whole.body), s.study)).to.equal(0);
    expect(whole.envelopeSize).to.equal(s.record.envelopeSize);
  });

  it("a release that changes another reader's wrapped key or the header is rejected", async function () {
    const s = await setUp();
    const responderKey = toHex(s.w.keys.responder.publicKey);
    const tamper = (at: (release: Uint8Array) => number): KeyReleaseService => ({
      release: async (request) => {
        const real = await s.custodian.release(request);
        const envelope = Uint8Array.from(real.envelope);
        envelope[at(envelope)]! ^= 1;
        return { ...real, envelope };
      },
    });
    /** Offset in the release of a byte of the wrapped key of a reader that is not the responder. */
    const otherReadersKey = (release: Uint8Array): number => {
      const entries = parseStreamPrefix(release.subarray(4)).entries;
      const i = entries.findIndex((e) => toHex(e.readerPublicKey) !== responderKey);
      return 4 + 39 + 2 + i * 112 + 100;
    };
    for (const [what, at] of [
      ["the category in the header", () => 4 + 28],
      ["another reader's wrapped key", otherReadersKey],
    ] as const) {
      const error = await rejection(
        s.responder.openRecordStreamInEmergency(s.record.recordId, tamper(at)),
      );
      expect(error, what).to.be.instanceOf(ReleasedCopyMismatchError);
    }
  });
});
