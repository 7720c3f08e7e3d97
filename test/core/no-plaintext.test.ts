import { expect } from "chai";
import { type ParamType, hexlify, keccak256, toUtf8Bytes } from "ethers";
import { network } from "hardhat";
import {
  Category,
  Purpose,
  ReviewVerdict,
  deployConsentedRecordsFixture,
  recordIdOf,
} from "../helpers/index.js";

const connection = await network.create();
const { ethers } = connection;
const loadFixture = connection.networkHelpers.loadFixture.bind(connection.networkHelpers);

// What must never reach the chain: a FHIR-like record body, a justification and review notes, in clear.
const RECORD_JSON = JSON.stringify({
  resourceType: "Observation",
  subject: { display: "Jane Quinn Doe", identifier: "MRN-00421337", birthDate: "1984-07-12" },
  code: "HbA1c",
  valueQuantity: { value: 9.1, unit: "%" },
  note: "suspected type 2 diabetes, refer to endocrinology",
});
const JUSTIFICATION =
  "Unconscious patient Jane Quinn Doe brought in by ambulance, allergies unknown";
const REVIEW_NOTES = "Reviewed by privacy office: emergency access justified for Jane Quinn Doe";
const SECRETS = [RECORD_JSON, JUSTIFICATION, REVIEW_NOTES];
/** Any 8 consecutive bytes of a secret found on chain counts as a leak. */
const WINDOW = 8;

/** Hex (no 0x, lower case) of every WINDOW-byte slice of every secret. */
function leakProbes(): string[] {
  const probes = new Set<string>();
  for (const secret of SECRETS) {
    const hex = hexlify(toUtf8Bytes(secret)).slice(2);
    for (let i = 0; i + WINDOW * 2 <= hex.length; i += 2) probes.add(hex.slice(i, i + WINDOW * 2));
  }
  return [...probes];
}

interface StructLog {
  readonly storage?: Readonly<Record<string, string>>;
}

/** Every storage word a transaction touched (from a full trace), as lower-case hex without 0x. */
async function storageWordsOf(txHash: string): Promise<string[]> {
  const trace = (await ethers.provider.send("debug_traceTransaction", [
    txHash,
    { disableStorage: false, disableMemory: true, disableStack: true },
  ])) as { readonly structLogs: readonly StructLog[] };
  const words: string[] = [];
  for (const log of trace.structLogs) {
    for (const value of Object.values(log.storage ?? {}))
      words.push(value.replace(/^0x/, "").toLowerCase());
  }
  return words;
}

function isFixedSize(param: ParamType): boolean {
  if (param.type === "string" || param.type === "bytes" || param.isArray()) return false;
  if (param.isTuple()) return param.components.every(isFixedSize);
  return true;
}

describe("Invariant: no plaintext health data on chain", function () {
  it("a full record life cycle leaves no plaintext in calldata, logs or storage", async function () {
    const f = await loadFixture(deployConsentedRecordsFixture);
    const recordId = keccak256(toUtf8Bytes(RECORD_JSON));
    const justificationHash = keccak256(toUtf8Bytes(JUSTIFICATION));
    const notesHash = keccak256(toUtf8Bytes(REVIEW_NOTES));
    const amendedId = keccak256(toUtf8Bytes(`${RECORD_JSON} amended`));

    const anchoredId = recordIdOf(f.patient.address, recordId);
    const sent = [
      await f.ledger.connect(f.doctor).anchorRecord(f.patient.address, Category.Labs, recordId),
      await f.ledger.connect(f.doctor).openRecord(anchoredId, Purpose.Treatment),
      await f.ledger.connect(f.responder).breakGlass(f.patient.address, justificationHash, 600),
      await f.ledger.connect(f.responder).openRecord(anchoredId, Purpose.Emergency),
      await f.ledger.connect(f.auditor).reviewBreakGlass(1, ReviewVerdict.Justified, notesHash),
      await f.ledger.connect(f.doctor).amendRecord(anchoredId, amendedId),
      await f.ledger.connect(f.doctor).markEnteredInError(recordIdOf(f.patient.address, amendedId)),
    ];

    const probes = leakProbes();
    const seen: string[] = [];
    let logCount = 0;
    let storageWordCount = 0;
    for (const tx of sent) {
      const receipt = await tx.wait();
      const blobs = [tx.data.slice(2).toLowerCase()];
      for (const log of receipt!.logs) {
        blobs.push(
          ...log.topics.map((t) => t.slice(2).toLowerCase()),
          log.data.slice(2).toLowerCase(),
        );
        logCount++;
      }
      const words = await storageWordsOf(tx.hash);
      storageWordCount += words.length;
      blobs.push(...words);
      const all = blobs.join("|");
      expect(
        probes.filter((p) => all.includes(p)),
        `plaintext found in ${tx.hash}`,
      ).to.deep.equal([]);
      seen.push(all);
    }
    // The search did look at the right data: every commitment is there, as a hash.
    const everything = seen.join("|");
    for (const commitment of [recordId, amendedId, justificationHash, notesHash]) {
      expect(everything).to.include(commitment.slice(2));
    }
    expect(logCount).to.be.greaterThanOrEqual(sent.length);
    expect(storageWordCount).to.be.greaterThan(0);
  });

  it("the probe does detect a leak: plaintext sent as calldata is found", async function () {
    const f = await loadFixture(deployConsentedRecordsFixture);
    const tx = await f.patient.sendTransaction({
      to: f.outsider.address,
      data: hexlify(toUtf8Bytes(JUSTIFICATION)),
    });
    const hex = tx.data.slice(2).toLowerCase();
    expect(leakProbes().some((p) => hex.includes(p))).to.equal(true);
  });

  it("no event or custom error can carry free text: every field is fixed-size (hash, address, index, time)", async function () {
    const f = await loadFixture(deployConsentedRecordsFixture);
    const offending: string[] = [];
    f.ledger.interface.forEachEvent((e) => {
      for (const p of e.inputs)
        if (!isFixedSize(p)) offending.push(`event ${e.name}.${p.name}: ${p.type}`);
    });
    f.ledger.interface.forEachError((e) => {
      // OpenZeppelin ShortStrings: only for the constant EIP-712 domain name, at construction.
      if (e.name === "StringTooLong") return;
      for (const p of e.inputs)
        if (!isFixedSize(p)) offending.push(`error ${e.name}.${p.name}: ${p.type}`);
    });
    expect(offending).to.deep.equal([]);
  });

  it("no function takes or returns a string; dynamic bytes only for batching and signatures", async function () {
    const f = await loadFixture(deployConsentedRecordsFixture);
    const ALLOWED_DYNAMIC = new Set([
      // OpenZeppelin Multicall: a batch of this contract's own calls.
      "multicall.data",
      "multicall.results",
      // EIP-712 signed consent: a signature, not data.
      "grantWithSig.signature",
      "revokeWithSig.signature",
      // ERC-5267: the constant EIP-712 domain ("CareLedger", "1").
      "eip712Domain.name",
      "eip712Domain.version",
      "eip712Domain.extensions",
    ]);
    const offending: string[] = [];
    f.ledger.interface.forEachFunction((fn) => {
      for (const p of [...fn.inputs, ...fn.outputs]) {
        if (!isFixedSize(p) && !ALLOWED_DYNAMIC.has(`${fn.name}.${p.name}`))
          offending.push(`${fn.name}.${p.name}: ${p.type}`);
      }
    });
    expect(offending).to.deep.equal([]);
  });
});
