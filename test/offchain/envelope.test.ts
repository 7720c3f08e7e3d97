/**
 * CLE1 envelope encryption: round trips, tamper detection at every byte, reader errors, sharing
 * without re-encryption, rotation that locks out removed readers, strict parsing.
 */
import { expect } from "chai";
import { getAddress, keccak256 } from "ethers";
import {
  addReader,
  contentHash,
  DuplicateReaderError,
  encryptionKeyHex,
  generateMemberKeyPair,
  inspectEnvelope,
  NotAReaderError,
  openEnvelope,
  rotate,
  sealRecord,
  toHex,
  type MemberKeyPair,
  type ReaderInput,
} from "../../src/crypto/index.js";
import { layoutEnvelope, parseEnvelope, SIZES } from "../../src/crypto/envelope-format.js";
import {
  CareLedgerError,
  IntegrityError,
  InvalidArgumentError,
  InvalidEnvelopeError,
  WrongKeyError,
} from "../../src/errors.js";
import { expectThrows } from "../helpers/index.js";

const PATIENT = getAddress("0x5c0ffee5c0ffee5c0ffee5c0ffee5c0ffee5c0ff");
const LABS = 4;
const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);

/** A small FHIR-like lab result: the kind of body the SDK seals. */
const LAB_RESULT = enc(
  JSON.stringify({
    resourceType: "Observation",
    status: "final",
    code: { coding: [{ system: "http://loinc.org", code: "2345-7", display: "Glucose" }] },
    subject: { display: "Jane Q. Patient, MRN 00417-22" },
    valueQuantity: { value: 5.4, unit: "mmol/L" },
  }),
);

/** Readers as the SDK would pick them: the patient, the author, grantees allowed the category. */
const READER_ROLES = [
  "patient",
  "author (doctor)",
  "grantee nurse",
  "grantee lab",
  "guardian",
] as const;
const readers: Record<(typeof READER_ROLES)[number], MemberKeyPair> = Object.fromEntries(
  READER_ROLES.map((r) => [r, generateMemberKeyPair()]),
) as Record<(typeof READER_ROLES)[number], MemberKeyPair>;
const outsider = generateMemberKeyPair();
const allReaders = () => READER_ROLES.map((r) => ({ publicKey: readers[r].publicKey }));

function seal(
  body: Uint8Array = LAB_RESULT,
  keys: readonly ReaderInput[] = allReaders(),
  context?: Uint8Array,
): Uint8Array {
  return sealRecord({ body, readers: keys, aad: { patient: PATIENT, category: LABS, context } });
}

/** Byte range of `publicKey`'s reader-key field within `envelope`. */
function readerKeyRange(envelope: Uint8Array, publicKey: Uint8Array): [number, number] {
  const parts = parseEnvelope(envelope);
  const i = parts.entries.findIndex((e) => toHex(e.readerPublicKey) === toHex(publicKey));
  const start = parts.headerBytes.length + 2 + i * SIZES.entry;
  return [start, start + 32];
}

/** Rebuild an envelope from `parts` with a different entry list, keeping header, body and commitment. */
function respliceEntries(
  envelope: Uint8Array,
  entries: ReturnType<typeof parseEnvelope>["entries"],
): Uint8Array {
  const parts = parseEnvelope(envelope);
  const sorted = [...entries].sort((a, b) =>
    toHex(a.readerPublicKey) < toHex(b.readerPublicKey) ? -1 : 1,
  );
  const { bytes, ciphertextOffset } = layoutEnvelope(
    parts.headerBytes,
    sorted,
    parts.ciphertext.length,
  );
  bytes.set(parts.ciphertext, ciphertextOffset);
  bytes.set(parts.commitment, ciphertextOffset + parts.ciphertext.length);
  return bytes;
}

describe("offchain / envelope encryption (CLE1)", function () {
  describe("round trip", function () {
    const envelope = seal();

    for (const role of READER_ROLES) {
      it(`opens for the ${role} and returns the exact body and binding`, function () {
        const opened = openEnvelope(envelope, readers[role].privateKey);
        expect(dec(opened.body)).to.equal(dec(LAB_RESULT));
        expect(opened.patient).to.equal(PATIENT);
        expect(opened.category).to.equal(LABS);
        expect(opened.readers).to.have.length(READER_ROLES.length);
        expect(opened.readers).to.include(encryptionKeyHex(readers[role].publicKey));
      });
    }

    for (const size of [0, 1, 1000, 64 * 1024 + 3, 1024 * 1024]) {
      it(`round-trips a ${size}-byte body (hex private key input too)`, function () {
        const body = new Uint8Array(size).map((_, i) => (i * 31 + 7) & 0xff);
        const env = seal(body, [{ publicKey: toHex(readers.patient.publicKey) }]);
        expect(inspectEnvelope(env).bodyLength).to.equal(size);
        const opened = openEnvelope(env, toHex(readers.patient.privateKey));
        expect(opened.body).to.deep.equal(body);
      });
    }

    it("content hash is keccak256 of the whole envelope, equal to ethers' (what the chain anchors)", function () {
      expect(contentHash(envelope)).to.equal(keccak256(envelope));
      expect(
        openEnvelope(envelope, readers.patient.privateKey, {
          expectedContentHash: keccak256(envelope),
        }).body,
      ).to.deep.equal(LAB_RESULT);
    });

    it("two seals of the same body differ (fresh data key and nonce each time)", function () {
      const a = parseEnvelope(seal());
      const b = parseEnvelope(seal());
      expect(toHex(a.header.bodyNonce)).to.not.equal(toHex(b.header.bodyNonce));
      expect(toHex(a.ciphertext)).to.not.equal(toHex(b.ciphertext));
    });

    it("binds and returns the optional context; readers listed ascending; duplicates merged", function () {
      const ctx = enc("application/fhir+json");
      const env = seal(
        LAB_RESULT,
        [...allReaders(), { publicKey: toHex(readers.patient.publicKey) }],
        ctx,
      );
      const info = inspectEnvelope(env);
      expect(dec(info.context)).to.equal("application/fhir+json");
      expect(info.readers).to.have.length(READER_ROLES.length);
      expect([...info.readers]).to.deep.equal([...info.readers].sort());
      expect(dec(openEnvelope(env, readers["grantee lab"].privateKey).context)).to.equal(
        "application/fhir+json",
      );
    });
  });

  describe("confidentiality", function () {
    it("no plaintext window of the body (8+ bytes) appears anywhere in the envelope", function () {
      const envelope = seal();
      const hex = toHex(envelope);
      for (let i = 0; i + 8 <= LAB_RESULT.length; i++) {
        const window = toHex(LAB_RESULT.subarray(i, i + 8)).slice(2);
        // hex positions must be byte aligned to count as a match
        for (let at = hex.indexOf(window); at !== -1; at = hex.indexOf(window, at + 1)) {
          expect(at % 2, `plaintext bytes ${i}..${i + 8} found in the envelope`).to.equal(1);
        }
      }
      expect(Buffer.from(envelope).includes(Buffer.from("Jane Q. Patient"))).to.equal(false);
      expect(Buffer.from(envelope).includes(Buffer.from("Glucose"))).to.equal(false);
    });

    it("no reader's private key appears in the envelope", function () {
      const hex = toHex(seal());
      for (const role of READER_ROLES)
        expect(hex).to.not.include(toHex(readers[role].privateKey).slice(2));
    });
  });

  describe("wrong readers", function () {
    const envelope = seal();

    it("a member without a wrapped key gets NotAReaderError (a WrongKeyError, not an IntegrityError)", function () {
      const err = expectThrows(() => openEnvelope(envelope, outsider.privateKey), NotAReaderError);
      expect(err).to.be.instanceOf(WrongKeyError).and.instanceOf(CareLedgerError);
      expect(err).to.not.be.instanceOf(IntegrityError);
      expect(err.readerPublicKey).to.equal(encryptionKeyHex(outsider.publicKey));
      expect(err.code).to.equal("NOT_A_READER");
    });

    it("a reader's public key used as a private key is not a reader either", function () {
      expectThrows(() => openEnvelope(envelope, readers.patient.publicKey), NotAReaderError);
    });

    it("a malformed private key is an InvalidArgumentError", function () {
      expectThrows(() => openEnvelope(envelope, new Uint8Array(31)), InvalidArgumentError);
      expectThrows(() => openEnvelope(envelope, "0x1234"), InvalidArgumentError);
    });
  });

  describe("tamper detection", function () {
    // Small envelope: two readers, short body, a context, so every region is exercised.
    const a = generateMemberKeyPair();
    const b = generateMemberKeyPair();
    const envelope = seal(
      enc("K+ 4.1 mmol/L"),
      [{ publicKey: a.publicKey }, { publicKey: b.publicKey }],
      enc("ctx"),
    );
    const hash = contentHash(envelope);

    for (const [name, opener] of [
      ["reader A", a],
      ["reader B", b],
    ] as const) {
      it(`a flipped bit or byte at every one of the ${envelope.length} positions never opens for ${name}`, function () {
        const [ownStart, ownEnd] = readerKeyRange(envelope, opener.publicKey);
        let integrity = 0;
        for (let i = 0; i < envelope.length; i++) {
          for (const mask of [0x01, 0xff]) {
            const bad = Uint8Array.from(envelope);
            bad[i] = (bad[i] as number) ^ mask;
            let error: unknown;
            try {
              openEnvelope(bad, opener.privateKey);
            } catch (e) {
              error = e;
            }
            expect(error, `byte ${i} ^ ${mask} opened`).to.be.instanceOf(CareLedgerError);
            if (i >= ownStart && i < ownEnd) {
              // The opener's own public key no longer matches: indistinguishable from "not a reader",
              // unless the change broke the canonical ordering first.
              expect(
                error instanceof NotAReaderError || error instanceof InvalidEnvelopeError,
                `byte ${i}`,
              ).to.be.true;
            } else {
              expect(error, `byte ${i} ^ ${mask}`).to.be.instanceOf(IntegrityError);
              integrity++;
            }
            // Checked against the anchored hash first, every change is an integrity failure.
            expect(() =>
              openEnvelope(bad, opener.privateKey, { expectedContentHash: hash }),
            ).to.throw(IntegrityError);
          }
        }
        expect(integrity).to.equal(2 * (envelope.length - 32));
      });
    }

    it("truncation to any length and a trailing byte are rejected as InvalidEnvelopeError", function () {
      for (let n = 0; n < envelope.length; n++) {
        expectThrows(
          () => openEnvelope(envelope.subarray(0, n), a.privateKey),
          InvalidEnvelopeError,
        );
      }
      const longer = new Uint8Array(envelope.length + 1);
      longer.set(envelope);
      const err = expectThrows(() => openEnvelope(longer, a.privateKey), InvalidEnvelopeError);
      expect(err).to.be.instanceOf(IntegrityError);
    });

    const headerCases: ReadonlyArray<[string, number, number, RegExp]> = [
      ["magic", 0, 0x58, /bad magic/],
      ["version", 4, 2, /unsupported version 2/],
      ["body algorithm", 5, 9, /unknown body algorithm 9/],
      ["wrap algorithm", 6, 0, /unknown key-wrap algorithm 0/],
      ["flags", 7, 1, /reserved flags/],
      ["category", 28, 9, /category 9 out of range/],
    ];
    for (const [field, offset, value, message] of headerCases) {
      it(`a bad ${field} byte is rejected with a precise message`, function () {
        const bad = Uint8Array.from(envelope);
        bad[offset] = value;
        const err = expectThrows(() => inspectEnvelope(bad), InvalidEnvelopeError);
        expect(err.message).to.match(message);
        expect(err.offset).to.equal(offset);
      });
    }

    it("wrapped keys out of canonical order are rejected", function () {
      const parts = parseEnvelope(envelope);
      const { bytes, ciphertextOffset } = layoutEnvelope(
        parts.headerBytes,
        [...parts.entries].reverse(),
        parts.ciphertext.length,
      );
      bytes.set(parts.ciphertext, ciphertextOffset);
      bytes.set(parts.commitment, ciphertextOffset + parts.ciphertext.length);
      expect(() => inspectEnvelope(bytes)).to.throw(InvalidEnvelopeError, /ascending reader order/);
    });

    it("a wrapped key moved into another envelope does not open it (header binding)", function () {
      // `rotate` gives a new header; transplant the removed reader's old entry into it.
      const rotated = rotate(envelope, a.privateKey, [{ publicKey: a.publicKey }]);
      const bEntry = parseEnvelope(envelope).entries.find(
        (e) => toHex(e.readerPublicKey) === toHex(b.publicKey),
      );
      const forged = respliceEntries(rotated, [...parseEnvelope(rotated).entries, bEntry!]);
      const err = expectThrows(() => openEnvelope(forged, b.privateKey), IntegrityError);
      expect(err.message).to.match(/wrapped key .* does not authenticate/);
      // ...and the legitimate reader sees the splice through the key commitment.
      expectThrows(() => openEnvelope(forged, a.privateKey), IntegrityError);
    });

    it("a wrapped key added without the data key holder fails the key commitment", function () {
      // Same header (addReader keeps it), so the wrap itself is valid: only the commitment catches it.
      const c = generateMemberKeyPair();
      const shared = addReader(envelope, a.privateKey, c.publicKey);
      const cEntry = parseEnvelope(shared).entries.find(
        (e) => toHex(e.readerPublicKey) === toHex(c.publicKey),
      );
      const forged = respliceEntries(envelope, [...parseEnvelope(envelope).entries, cEntry!]);
      const err = expectThrows(() => openEnvelope(forged, c.privateKey), IntegrityError);
      expect(err.message).to.match(/key commitment/);
    });

    it("a header or category that disagrees with the chain's record is an IntegrityError", function () {
      expectThrows(
        () =>
          openEnvelope(envelope, a.privateKey, {
            expectedPatient: getAddress("0x" + "ab".repeat(20)),
          }),
        IntegrityError,
      );
      expectThrows(
        () => openEnvelope(envelope, a.privateKey, { expectedCategory: 2 }),
        IntegrityError,
      );
      expectThrows(
        () => openEnvelope(envelope, a.privateKey, { expectedContentHash: keccak256("0x00") }),
        IntegrityError,
      );
      const ok = openEnvelope(envelope, a.privateKey, {
        expectedPatient: PATIENT.toLowerCase(),
        expectedCategory: LABS,
        expectedContentHash: hash.toUpperCase().replace("0X", "0x"),
      });
      expect(dec(ok.body)).to.equal("K+ 4.1 mmol/L");
    });
  });

  describe("sharing (addReader)", function () {
    const original = seal(LAB_RESULT, [
      { publicKey: readers.patient.publicKey },
      { publicKey: readers["author (doctor)"].publicKey },
    ]);
    const grantee = generateMemberKeyPair();
    const shared = addReader(original, readers.patient.privateKey, grantee.publicKey);

    it("the new reader opens the shared copy; every earlier reader still does", function () {
      expect(openEnvelope(shared, grantee.privateKey).body).to.deep.equal(LAB_RESULT);
      expect(openEnvelope(shared, readers.patient.privateKey).body).to.deep.equal(LAB_RESULT);
      expect(openEnvelope(shared, readers["author (doctor)"].privateKey).body).to.deep.equal(
        LAB_RESULT,
      );
      expectThrows(() => openEnvelope(original, grantee.privateKey), NotAReaderError);
    });

    it("does not re-encrypt: same header and body ciphertext, new bytes and content hash (an amendment)", function () {
      const before = parseEnvelope(original);
      const after = parseEnvelope(shared);
      expect(after.headerBytes).to.deep.equal(before.headerBytes);
      expect(after.ciphertext).to.deep.equal(before.ciphertext);
      expect(after.entries).to.have.length(3);
      expect(contentHash(shared)).to.not.equal(contentHash(original));
    });

    it("only a current reader can share, and not twice with the same key", function () {
      expectThrows(
        () => addReader(original, outsider.privateKey, grantee.publicKey),
        NotAReaderError,
      );
      const dup = expectThrows(
        () => addReader(shared, readers.patient.privateKey, grantee.publicKey),
        DuplicateReaderError,
      );
      expect(dup).to.be.instanceOf(InvalidArgumentError);
      expect(dup.readerPublicKey).to.equal(encryptionKeyHex(grantee.publicKey));
    });

    it("refuses to share a tampered envelope", function () {
      const bad = Uint8Array.from(original);
      bad[bad.length - 40] = (bad[bad.length - 40] as number) ^ 1; // inside the body ciphertext
      expectThrows(
        () => addReader(bad, readers.patient.privateKey, grantee.publicKey),
        IntegrityError,
      );
    });
  });

  describe("rotation (revocation that means it)", function () {
    const revoked = generateMemberKeyPair();
    const before = seal(LAB_RESULT, [...allReaders(), { publicKey: revoked.publicKey }], enc("v1"));
    const remaining = allReaders();
    const after = rotate(before, readers.patient.privateKey, remaining);

    it("remaining readers open the rotated record; the revoked reader is not a reader", function () {
      for (const role of READER_ROLES) {
        expect(openEnvelope(after, readers[role].privateKey).body).to.deep.equal(LAB_RESULT);
      }
      expectThrows(() => openEnvelope(after, revoked.privateKey), NotAReaderError);
      expect(openEnvelope(before, revoked.privateKey).body).to.deep.equal(LAB_RESULT); // old copy: already seen
    });

    it("uses a new nonce and data key, keeps patient, category and context", function () {
      const p0 = parseEnvelope(before);
      const p1 = parseEnvelope(after);
      expect(toHex(p1.header.bodyNonce)).to.not.equal(toHex(p0.header.bodyNonce));
      expect(toHex(p1.ciphertext)).to.not.equal(toHex(p0.ciphertext));
      const info = inspectEnvelope(after);
      expect([info.patient, info.category, dec(info.context)]).to.deep.equal([PATIENT, LABS, "v1"]);
      expect(
        dec(
          inspectEnvelope(rotate(before, revoked.privateKey, remaining, { context: enc("v2") }))
            .context,
        ),
      ).to.equal("v2");
    });

    it("only a reader can rotate", function () {
      expectThrows(() => rotate(before, outsider.privateKey, remaining), NotAReaderError);
    });
  });

  describe("input validation", function () {
    const one = [{ publicKey: readers.patient.publicKey }];
    const cases: ReadonlyArray<[string, () => unknown, RegExp]> = [
      [
        "no readers",
        () => sealRecord({ body: LAB_RESULT, readers: [], aad: { patient: PATIENT, category: 1 } }),
        /at least one reader/,
      ],
      [
        "a 31-byte reader key",
        () => seal(LAB_RESULT, [{ publicKey: new Uint8Array(31) }]),
        /32 bytes/,
      ],
      [
        "an all-zero reader key",
        () => seal(LAB_RESULT, [{ publicKey: new Uint8Array(32) }]),
        /all zero/,
      ],
      // u = 1 is a point of order 4 on Curve25519: the shared secret would be zero.
      [
        "a low-order reader key",
        () => seal(LAB_RESULT, [{ publicKey: Uint8Array.of(1, ...new Uint8Array(31)) }]),
        /low-order/,
      ],
      ["a malformed hex reader key", () => seal(LAB_RESULT, [{ publicKey: "0xzz" }]), /hex/],
      [
        "category 9",
        () =>
          sealRecord({ body: LAB_RESULT, readers: one, aad: { patient: PATIENT, category: 9 } }),
        /category/,
      ],
      [
        "category 1.5",
        () =>
          sealRecord({ body: LAB_RESULT, readers: one, aad: { patient: PATIENT, category: 1.5 } }),
        /category/,
      ],
      [
        "the zero patient",
        () =>
          sealRecord({
            body: LAB_RESULT,
            readers: one,
            aad: { patient: "0x" + "00".repeat(20), category: 1 },
          }),
        /zero address/,
      ],
      [
        "a bad checksum",
        () =>
          sealRecord({
            body: LAB_RESULT,
            readers: one,
            aad: { patient: PATIENT.replace(/[a-f]/, (c) => c.toUpperCase()), category: 1 },
          }),
        /checksum/,
      ],
      [
        "a short patient",
        () =>
          sealRecord({ body: LAB_RESULT, readers: one, aad: { patient: "0x1234", category: 1 } }),
        /20-byte/,
      ],
      ["a 4097-byte context", () => seal(LAB_RESULT, one, new Uint8Array(4097)), /context/],
    ];
    for (const [name, call, message] of cases) {
      it(`rejects ${name} with InvalidArgumentError`, function () {
        const err = expectThrows(call, InvalidArgumentError);
        expect(err.message).to.match(message);
      });
    }
  });
});
