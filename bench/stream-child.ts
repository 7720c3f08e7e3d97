/**
 * One measurement of the streamed (CLE2) off-chain path, run in its own process by
 * `bench/stream.ts` so that its peak resident set (`process.resourceUsage().maxRSS`) belongs to
 * that step alone. Prints one JSON line.
 *
 *   node --import tsx bench/stream-child.ts <seal|open> <bytes> <runs> <storeDir> [keysJson]
 *
 * Each measured run is followed in the same process by the reference (the peak RSS is read after
 * the first run, before any reference): raw OpenSSL ChaCha20-Poly1305 over the body in 1 MiB updates plus SHA-256 of the
 * ciphertext, the machine's speed for the same work with no format and no I/O, measured next to
 * the step so that both see the same load.
 *
 * - `seal`: sealEnvelopeStreamNode piped into FsBlobStore.putStream (temp file, fsync, rename).
 * - `open`: FsBlobStore.openSource + openEnvelopeStreamNode with the expected content id, every
 *   plaintext byte drained.
 */
import { createCipheriv, createHash, randomBytes } from "node:crypto";
import { open, rm } from "node:fs/promises";
import { join } from "node:path";
import { openEnvelopeStreamNode, sealEnvelopeStreamNode } from "../src/crypto/index.js";
import { FsBlobStore } from "../src/store/index.js";

const [mode, bytesArg, runsArg, dir, keysJson] = process.argv.slice(2);
const bytes = Number(bytesArg);
const runs = Number(runsArg);
const CHUNK = 1 << 20;
const pool = new Uint8Array(randomBytes(Math.min(CHUNK, Math.max(bytes, 1))));
const PATIENT = "0x5c0ffee5c0ffee5c0ffee5c0ffee5c0ffee5c0ff";

function* body(): Generator<Uint8Array> {
  for (let o = 0; o < bytes; o += pool.length)
    yield pool.subarray(0, Math.min(pool.length, bytes - o));
}

interface Keys {
  readonly readers: string[];
  readonly privateKey: string;
  readonly ids?: string[];
}
const keys: Keys =
  keysJson === undefined ? { readers: [], privateKey: "" } : (JSON.parse(keysJson) as Keys);
const store = new FsBlobStore(dir ?? ".");

/** Raw OpenSSL ChaCha20-Poly1305 over the body in 1 MiB updates + SHA-256 of the ciphertext. */
function reference(): string {
  const cipher = createCipheriv("chacha20-poly1305", randomBytes(32), randomBytes(12), {
    authTagLength: 16,
  });
  const hash = createHash("sha256");
  for (const chunk of body()) hash.update(cipher.update(chunk));
  hash.update(cipher.final());
  hash.update(cipher.getAuthTag());
  return hash.digest("hex");
}

async function once(i: number): Promise<string> {
  if (mode === "seal") {
    const sealed = sealEnvelopeStreamNode({
      body: body(),
      bodyLength: bytes,
      readers: keys.readers.map((publicKey) => ({ publicKey })),
      aad: { patient: PATIENT, category: 5 },
    });
    return store.putStream(sealed);
  }
  const id = keys.ids?.[i % keys.ids.length] as string;
  const source = await store.openSource(id);
  try {
    const opened = await openEnvelopeStreamNode(source, keys.privateKey, { expectedContentId: id });
    let n = 0;
    for await (const chunk of opened.body) n += chunk.length;
    if (n !== bytes) throw new Error(`opened ${n} bytes, expected ${bytes}`);
    return id;
  } finally {
    await source.close();
  }
}

// Warm-up (JIT, page cache, heap), not measured: the full size for small bodies, 4 MiB for big
// ones (a second 1 GiB run would double the time); the RSS growth is measured from here.
if (bytes < 64 * CHUNK) await once(0);
else await warmUp();
const rssBefore = process.memoryUsage().rss;
const times: number[] = [];
const refTimes: number[] = [];
const ids: string[] = [];
let peakRss = 0;
// Each measured run is followed by the reference in the same process, so that each pair sees the
// same machine load; the peak RSS is read after the first run, before any reference ran.
for (let i = 0; i < runs; i++) {
  const t0 = performance.now();
  ids.push(await once(i));
  times.push(performance.now() - t0);
  if (i === 0) peakRss = process.resourceUsage().maxRSS * 1024;
  const t1 = performance.now();
  reference();
  refTimes.push(performance.now() - t1);
}
// The disk: the same number of bytes written and fsynced, no crypto (what seal+store can reach).
const diskTimes: number[] = [];
if (mode === "seal") {
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await writeAndSync(join(dir ?? ".", `disk-${i}`));
    diskTimes.push(performance.now() - t0);
  }
}
console.log(
  JSON.stringify({ mode, bytes, runs, times, refTimes, diskTimes, ids, rssBefore, peakRss }),
);

async function writeAndSync(path: string): Promise<void> {
  const handle = await open(path, "w");
  try {
    for (const chunk of body()) await handle.write(chunk);
    await handle.sync();
  } finally {
    await handle.close();
    await rm(path, { force: true });
  }
}

async function warmUp(): Promise<void> {
  const small = 4 * CHUNK;
  const sealed = sealEnvelopeStreamNode({
    body: [pool, pool, pool, pool],
    bodyLength: small,
    readers: keys.readers.map((publicKey) => ({ publicKey })),
    aad: { patient: PATIENT, category: 5 },
  });
  const id = await store.putStream(sealed);
  const source = await store.openSource(id);
  try {
    const opened = await openEnvelopeStreamNode(source, keys.privateKey, { expectedContentId: id });
    for await (const chunk of opened.body) void chunk;
  } finally {
    await source.close();
  }
  reference();
}
