/**
 * CLE2 streamed envelopes: the pure-JS and OpenSSL suites seal and open each other's envelopes at
 * the segment-size edges, the committed vectors (CLE2 and CLE1) open, and every stream attack
 * (truncation, dropped, duplicated, reordered, foreign or modified segment, extension) is refused
 * with a typed error naming the segment, before any byte of that segment is released.
 */
import { expect } from "chai";
import { readFile } from "node:fs/promises";
import {
  addReaderStream,
  bytesSource,
  collectBytes,
  contentIdOf,
  generateMemberKeyPair,
  jsStreamSuite,
  nodeStreamSuite,
  openEnvelope,
  openEnvelopeStream,
  sealEnvelopeStream,
  SegmentDroppedError,
  SegmentDuplicatedError,
  SegmentError,
  SegmentIntegrityError,
  SegmentReorderedError,
  TruncatedEnvelopeError,
  verifiedEnvelopeChunks,
  type MemberKeyPair,
  type StreamCipherSuite,
} from "../../src/crypto/index.js";
import {
  parseStreamPrefix,
  SEGMENT_SIZE,
  segmentNonce,
  STREAM_SIZES,
} from "../../src/crypto/stream-format.js";
import { IntegrityError, InvalidArgumentError, InvalidEnvelopeError } from "../../src/errors.js";
import { patternBody, VECTOR_CASES, rejection } from "../helpers/index.js";

const PATIENT = "0x5c0ffee5c0ffee5c0ffee5c0ffee5c0ffee5c0ff";
const IMAGING = 5;
const S = SEGMENT_SIZE;
const SEALED = S + STREAM_SIZES.tag;
const SUITES: Record<string, StreamCipherSuite> = { js: jsStreamSuite, node: nodeStreamSuite };
const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

const reader = generateMemberKeyPair();
const other = generateMemberKeyPair();

async function seal(
  body: Uint8Array,
  suite: StreamCipherSuite,
  chunkSize = 10_000,
  readers: readonly MemberKeyPair[] = [reader],
): Promise<{ envelope: Uint8Array; id: string }> {
  const chunks = function* () {
    for (let o = 0; o < body.length; o += chunkSize) yield body.subarray(o, o + chunkSize);
  };
  const sealed = sealEnvelopeStream(
    {
      body: chunks(),
      bodyLength: body.length,
      readers,
      aad: { patient: PATIENT, category: IMAGING },
    },
    suite,
  );
  const envelope = await collectBytes(sealed);
  expect(envelope.length).to.equal(sealed.envelopeLength);
  return { envelope, id: sealed.contentId };
}

async function openAll(
  envelope: Uint8Array,
  suite: StreamCipherSuite,
  expectedContentId?: string,
): Promise<Uint8Array> {
  const opened = await openEnvelopeStream(
    bytesSource(envelope),
    reader.privateKey,
    expectedContentId === undefined ? {} : { expectedContentId },
    suite,
  );
  return collectBytes(opened.body);
}

describe("CLE2 streamed envelopes", function () {
  describe("cross-check: sealed in one suite, opened in the other", function () {
    const sizes = [0, 1, S - 1, S, S + 1, 3 * S + 17, 1 + Math.floor(Math.random() * 4 * S)];
    for (const [from, to] of [
      ["js", "node"],
      ["node", "js"],
    ] as const) {
      for (const size of sizes) {
        it(`${size} bytes: ${from} → ${to}, same content id in both`, async function () {
          const body = patternBody(size);
          const { envelope, id } = await seal(body, SUITES[from]!, 7919);
          expect(contentIdOf(envelope, SUITES[to]!)).to.equal(id);
          expect(contentIdOf(envelope, SUITES[from]!)).to.equal(id);
          expect(hex(await openAll(envelope, SUITES[to]!, id))).to.equal(hex(body));
        });
      }
    }

    it("both suites seal a segment to the same bytes (RFC 8439 §2.8.2 vector)", function () {
      const key = Buffer.from(
        "808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f",
        "hex",
      );
      const nonce = Buffer.from("070000004041424344454647", "hex");
      const text =
        "Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it.";
      const aadFree = new TextEncoder().encode(text);
      const js = jsStreamSuite.sealSegment(key, nonce, aadFree);
      const node = nodeStreamSuite.sealSegment(key, nonce, aadFree);
      expect(hex(node)).to.equal(hex(js));
      // The RFC's ciphertext (its tag differs: the RFC vector has associated data, CLE2 has none).
      expect(hex(js).slice(0, 32)).to.equal("d31a8d34648e60db7b86afbc53ef7ec2");
      expect(hex(nodeStreamSuite.openSegment(key, nonce, js)!)).to.equal(hex(aadFree));
    });
  });

  describe("committed vectors", function () {
    const dir = new URL("../vectors/", import.meta.url);
    const load = async () =>
      JSON.parse(await readFile(new URL("vectors.json", dir), "utf8")) as {
        readerPrivateKey: string;
        cle2: { cases: { name: string; file: string; bodyLength: number; contentId: string }[] };
        cle1: { file: string; bodyLength: number; contentHash: string };
      };

    for (const c of VECTOR_CASES) {
      for (const suiteName of Object.keys(SUITES)) {
        it(`CLE2 ${c.name} (${c.bodyLength} bytes) opens with ${suiteName}`, async function () {
          const v = await load();
          const meta = v.cle2.cases.find((x) => x.name === c.name)!;
          const envelope = new Uint8Array(await readFile(new URL(meta.file, dir)));
          const suite = SUITES[suiteName]!;
          expect(contentIdOf(envelope, suite)).to.equal(meta.contentId);
          const opened = await openEnvelopeStream(
            bytesSource(envelope),
            v.readerPrivateKey,
            { expectedContentId: meta.contentId, expectedCategory: IMAGING },
            suite,
          );
          expect(opened.bodyLength).to.equal(c.bodyLength);
          expect(hex(await collectBytes(opened.body))).to.equal(hex(patternBody(c.bodyLength)));
        });
      }
    }

    it("CLE1 still opens (committed CLE1 envelope, keccak256 record id)", async function () {
      const v = await load();
      const envelope = new Uint8Array(await readFile(new URL(v.cle1.file, dir)));
      expect(contentIdOf(envelope, nodeStreamSuite)).to.equal(v.cle1.contentHash);
      const opened = openEnvelope(envelope, v.readerPrivateKey, {
        expectedContentHash: v.cle1.contentHash,
      });
      expect(hex(opened.body)).to.equal(hex(patternBody(v.cle1.bodyLength)));
    });
  });

  describe("STREAM nonces", function () {
    it("a segment opens only at its own index and with its own last flag", function () {
      const key = new Uint8Array(32).fill(9);
      const sealed = nodeStreamSuite.sealSegment(key, segmentNonce(2, false), patternBody(100));
      for (const suite of Object.values(SUITES)) {
        expect(suite.openSegment(key, segmentNonce(2, false), sealed)).to.not.equal(undefined);
        expect(suite.openSegment(key, segmentNonce(1, false), sealed)).to.equal(undefined);
        expect(suite.openSegment(key, segmentNonce(3, false), sealed)).to.equal(undefined);
        expect(suite.openSegment(key, segmentNonce(2, true), sealed)).to.equal(undefined);
      }
    });

    it("counter bytes are big-endian past 2^32 and the flag is the last byte", function () {
      expect(hex(segmentNonce(2 ** 32 + 5, true))).to.equal("000000000000010000000501");
      expect(hex(segmentNonce(1, false))).to.equal("000000000000000000000100");
      expect(hex(segmentNonce(0, true))).to.equal("000000000000000000000001");
      expect(hex(segmentNonce(2 ** 32 + 5, false))).to.equal("000000000000010000000500");
    });
  });

  describe("attacks on the segments (4½ segments, trailer kept)", function () {
    const body = patternBody(4 * S + S / 2); // segments 0..4, the last one half full
    let envelope: Uint8Array;
    let id: string;
    let foreign: Uint8Array;
    let p: number;
    const seg = (env: Uint8Array, i: number, prefix = p) =>
      env.subarray(
        prefix + i * SEALED,
        prefix + Math.min((i + 1) * SEALED, 4 * SEALED + S / 2 + 16),
      );
    const trailer = () => envelope.subarray(envelope.length - (5 * 32 + 32));
    const join = (...parts: Uint8Array[]) => Buffer.concat(parts);

    before(async function () {
      ({ envelope, id } = await seal(body, nodeStreamSuite, S));
      p = parseStreamPrefix(envelope).prefix.length;
      const other = await seal(body, nodeStreamSuite, S);
      foreign = Uint8Array.from(
        seg(other.envelope, 2, parseStreamPrefix(other.envelope).prefix.length),
      );
    });

    const ATTACKS: {
      name: string;
      build: () => Uint8Array;
      error: abstract new (...args: never[]) => SegmentError;
      segment: number;
    }[] = [
      {
        name: "truncation inside the last segment (trailer lost)",
        build: () => envelope.subarray(0, envelope.length - 1000),
        error: TruncatedEnvelopeError,
        segment: 4,
      },
      {
        name: "truncation after segment 1, trailer re-appended",
        build: () => join(envelope.subarray(0, p + 2 * SEALED), trailer()),
        error: TruncatedEnvelopeError,
        segment: 2,
      },
      {
        name: "final segment dropped, trailer kept",
        build: () => join(envelope.subarray(0, p + 4 * SEALED), trailer()),
        error: TruncatedEnvelopeError,
        segment: 4,
      },
      {
        name: "segment 1 dropped",
        build: () => join(envelope.subarray(0, p + SEALED), envelope.subarray(p + 2 * SEALED)),
        error: SegmentDroppedError,
        segment: 1,
      },
      {
        name: "segments 1 and 2 swapped",
        build: () =>
          join(
            envelope.subarray(0, p + SEALED),
            seg(envelope, 2),
            seg(envelope, 1),
            envelope.subarray(p + 3 * SEALED),
          ),
        error: SegmentReorderedError,
        segment: 1,
      },
      {
        name: "segment 1 duplicated",
        build: () =>
          join(
            envelope.subarray(0, p + 2 * SEALED),
            seg(envelope, 1),
            envelope.subarray(p + 2 * SEALED),
          ),
        error: SegmentDuplicatedError,
        segment: 2,
      },
      {
        name: "segment 2 swapped for segment 2 of another record",
        build: () =>
          join(envelope.subarray(0, p + 2 * SEALED), foreign, envelope.subarray(p + 3 * SEALED)),
        error: SegmentIntegrityError,
        segment: 2,
      },
      {
        name: "one bit flipped in segment 3",
        build: () => {
          const out = Uint8Array.from(envelope);
          out[p + 3 * SEALED + 1234]! ^= 1;
          return out;
        },
        error: SegmentIntegrityError,
        segment: 3,
      },
      {
        name: "bytes appended after the final segment",
        build: () =>
          join(
            envelope.subarray(0, envelope.length - trailer().length),
            new Uint8Array(16),
            trailer(),
          ),
        error: SegmentIntegrityError,
        segment: 5,
      },
    ];

    for (const attack of ATTACKS) {
      for (const mode of [
        "keyed, with the content id",
        "keyed, without the id",
        "keyless store read",
      ] as const) {
        it(`${attack.name}: ${attack.error.name} at segment ${attack.segment} (${mode})`, async function () {
          const bad = attack.build();
          const released: Uint8Array[] = [];
          const error = await rejection(
            (async () => {
              if (mode === "keyless store read") {
                for await (const c of verifiedEnvelopeChunks(bytesSource(bad), id, nodeStreamSuite))
                  released.push(c);
                return;
              }
              const opened = await openEnvelopeStream(
                bytesSource(bad),
                reader.privateKey,
                mode === "keyed, with the content id" ? { expectedContentId: id } : {},
                nodeStreamSuite,
              );
              for await (const c of opened.body) released.push(c);
            })(),
          );
          expect(error, String(error)).to.be.instanceOf(attack.error);
          expect(error).to.be.instanceOf(IntegrityError);
          expect((error as SegmentError).segment).to.equal(attack.segment);
          expect(error.name).to.equal(attack.error.name);
          // Nothing from the failing segment on was released.
          const out = Buffer.concat(released);
          if (mode === "keyless store read") {
            expect(out.length).to.be.at.most(p + Math.min(attack.segment, 5) * SEALED);
            expect(hex(out)).to.equal(hex(envelope.subarray(0, out.length)));
          } else {
            expect(out.length).to.be.at.most(Math.min(attack.segment, 5) * S);
            expect(hex(out)).to.equal(hex(body.subarray(0, out.length)));
          }
        });
      }
    }

    it("a changed segment-table entry fails the content id and the key commitment", async function () {
      const bad = Uint8Array.from(envelope);
      bad[envelope.length - 40]! ^= 1;
      const withId = await rejection(openAll(bad, nodeStreamSuite, id));
      expect(withId).to.be.instanceOf(IntegrityError);
      expect(withId.message).to.match(/content id/);
      const withoutId = await rejection(openAll(bad, nodeStreamSuite));
      expect(withoutId.message).to.match(/key commitment/);
    });

    it("a changed prefix byte (category) is refused before any key is used", async function () {
      const bad = Uint8Array.from(envelope);
      bad[28] = 4;
      expect(await rejection(openAll(bad, nodeStreamSuite, id))).to.be.instanceOf(IntegrityError);
      expect(await rejection(openAll(bad, nodeStreamSuite))).to.be.instanceOf(IntegrityError);
    });

    it("the store-side id hasher refuses a segment that does not match the table", function () {
      const bad = Uint8Array.from(envelope);
      bad[p + 5]! ^= 1;
      expect(() => contentIdOf(bad, nodeStreamSuite)).to.throw(SegmentIntegrityError);
      expect(() =>
        contentIdOf(envelope.subarray(0, envelope.length - 1), nodeStreamSuite),
      ).to.throw(TruncatedEnvelopeError);
    });
  });

  describe("sharing without re-encryption (addReaderStream)", function () {
    it("the new reader opens the copy; segments and table are unchanged; the id is new", async function () {
      const body = patternBody(2 * S + 3);
      const { envelope, id } = await seal(body, nodeStreamSuite);
      const shared = await addReaderStream(
        bytesSource(envelope),
        reader.privateKey,
        other.publicKey,
        { expectedContentId: id },
        nodeStreamSuite,
      );
      const copy = await collectBytes(shared);
      expect(shared.contentId).to.not.equal(id);
      expect(contentIdOf(copy, jsStreamSuite)).to.equal(shared.contentId);
      const p0 = parseStreamPrefix(envelope).prefix.length;
      const p1 = parseStreamPrefix(copy).prefix.length;
      expect(p1 - p0).to.equal(STREAM_SIZES.entry);
      expect(hex(copy.subarray(p1, copy.length - 32))).to.equal(
        hex(envelope.subarray(p0, envelope.length - 32)),
      );
      for (const k of [reader, other]) {
        const opened = await openEnvelopeStream(
          bytesSource(copy),
          k.privateKey,
          { expectedContentId: shared.contentId },
          jsStreamSuite,
        );
        expect(hex(await collectBytes(opened.body))).to.equal(hex(body));
      }
    });

    it("refuses a non-reader owner, an existing reader, and a damaged segment while copying", async function () {
      const { envelope, id } = await seal(patternBody(2 * S), nodeStreamSuite);
      const share = (bytes: Uint8Array, owner: MemberKeyPair, to: MemberKeyPair) =>
        addReaderStream(
          bytesSource(bytes),
          owner.privateKey,
          to.publicKey,
          { expectedContentId: id },
          nodeStreamSuite,
        );
      expect((await rejection(share(envelope, other, other))).name).to.equal("NotAReaderError");
      expect((await rejection(share(envelope, reader, reader))).name).to.equal(
        "DuplicateReaderError",
      );
      const bad = Uint8Array.from(envelope);
      bad[parseStreamPrefix(envelope).prefix.length + SEALED + 9]! ^= 1;
      const error = await rejection(collectBytes(await share(bad, reader, other)));
      expect(error).to.be.instanceOf(SegmentIntegrityError);
      expect((error as SegmentIntegrityError).segment).to.equal(1);
    });
  });

  describe("bad input", function () {
    const cases: { name: string; body: Uint8Array[]; bodyLength: number }[] = [
      { name: "stream longer than bodyLength", body: [new Uint8Array(10)], bodyLength: 9 },
      { name: "stream shorter than bodyLength", body: [new Uint8Array(10)], bodyLength: 11 },
      { name: "negative bodyLength", body: [], bodyLength: -1 },
      { name: "fractional bodyLength", body: [], bodyLength: 1.5 },
    ];
    for (const c of cases) {
      it(`${c.name}: InvalidArgumentError`, async function () {
        const error = await rejection(
          (async () =>
            collectBytes(
              sealEnvelopeStream(
                {
                  body: c.body,
                  bodyLength: c.bodyLength,
                  readers: [reader],
                  aad: { patient: PATIENT, category: 5 },
                },
                nodeStreamSuite,
              ),
            ))(),
        );
        expect(error).to.be.instanceOf(InvalidArgumentError);
      });
    }

    it("a non-reader gets NotAReaderError; a CLE1 envelope is not a CLE2 one", async function () {
      const { envelope } = await seal(patternBody(10), nodeStreamSuite);
      const error = await rejection(
        openEnvelopeStream(bytesSource(envelope), other.privateKey, {}, nodeStreamSuite),
      );
      expect(error.name).to.equal("NotAReaderError");
      const v1 = new Uint8Array(
        await readFile(new URL("../vectors/cle1-1000.bin", import.meta.url)),
      );
      expect(await rejection(openAll(v1, nodeStreamSuite))).to.be.instanceOf(InvalidEnvelopeError);
    });
  });
});
