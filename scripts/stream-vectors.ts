/**
 * Regenerate the committed envelope test vectors in `test/vectors/` (CLE2 at the segment-size
 * edges, and one CLE1 envelope that must keep opening):
 *
 *   npx tsx scripts/stream-vectors.ts
 *
 * Envelopes hold fresh random keys, so every run writes different (equally valid) bytes; the
 * tests only check that the committed ones open to the described bodies in both suites.
 */
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  collectBytes,
  contentHash,
  generateMemberKeyPair,
  jsStreamSuite,
  sealEnvelopeStream,
  sealRecord,
  toHex,
} from "../src/crypto/index.js";
import { patternBody, VECTOR_CASES } from "../test/helpers/stream-vectors.js";

const dir = fileURLToPath(new URL("../test/vectors/", import.meta.url));
const reader = generateMemberKeyPair();
const patient = "0x5c0FFee5c0FfEE5C0ffEE5c0ffEE5C0FFEe5C0Ff".toLowerCase();
const context = new TextEncoder().encode("application/dicom");
const cases = [];
for (const c of VECTOR_CASES) {
  const body = patternBody(c.bodyLength);
  const sealed = sealEnvelopeStream(
    {
      body: [body],
      bodyLength: body.length,
      readers: [reader],
      aad: { patient, category: 5, context },
    },
    jsStreamSuite,
  );
  const envelope = await collectBytes(sealed);
  const file = `cle2-${c.name}.bin`;
  await writeFile(join(dir, file), envelope);
  cases.push({ name: c.name, file, bodyLength: c.bodyLength, contentId: sealed.contentId });
}
const cle1Body = patternBody(1000);
const cle1 = sealRecord({ body: cle1Body, readers: [reader], aad: { patient, category: 4 } });
await writeFile(join(dir, "cle1-1000.bin"), cle1);
const manifest = {
  description:
    "Envelope test vectors: bodies are patternBody(bodyLength) from test/helpers/stream-vectors.ts",
  readerPrivateKey: toHex(reader.privateKey),
  readerPublicKey: toHex(reader.publicKey),
  patient,
  context: toHex(context),
  cle2: { category: 5, cases },
  cle1: { category: 4, file: "cle1-1000.bin", bodyLength: 1000, contentHash: contentHash(cle1) },
};
await writeFile(join(dir, "vectors.json"), `${JSON.stringify(manifest, null, 2)}\n`);
console.log(`wrote ${cases.length + 1} envelopes to ${dir}`);
