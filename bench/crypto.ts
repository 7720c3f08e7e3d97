/**
 * Off-chain throughput: envelope encryption + filesystem blob store.
 *
 *   npx tsx bench/crypto.ts            # Node 22; about 20-40 s on a 2-core machine
 *
 * For each record size it seals a random body for 3 readers (patient, author, one grantee) and
 * stores it (`encrypt+store` = sealRecord + FsBlobStore.put, fsync on), then reads it back as a
 * reader would (`decrypt+verify` = FsBlobStore.get, which re-hashes the blob against its content
 * hash, + openEnvelope). It prints MB/s over the plaintext size and the per-step mean in ms.
 * Then the streamed (CLE2) section of `bench/stream.ts`: reference, seal+store and open+verify
 * at 1 KB, 1 MB, 100 MB (and 1 GiB with `BENCH_GIB=1` / `npm run bench -- --gib`), ratios to the
 * reference and peak RSS. Timings are informative only: no test asserts them.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generateMemberKeyPair, openEnvelope, sealRecord } from "../src/crypto/index.js";
import { FsBlobStore } from "../src/store/index.js";
import {
  GIB_CASE,
  renderStreamTable,
  runStreamBench,
  STREAM_CASES,
  streamTargetLines,
} from "./stream.js";

interface Case {
  readonly label: string;
  readonly bytes: number;
  readonly iterations: number;
}

const CASES: readonly Case[] = [
  { label: "1 KB", bytes: 1024, iterations: 200 },
  { label: "100 KB", bytes: 100 * 1024, iterations: 40 },
  { label: "10 MB", bytes: 10 * 1024 * 1024, iterations: 3 },
];

const PATIENT = "0x5c0ffee5c0ffee5c0ffee5c0ffee5c0ffee5c0ff";
const LABS = 4;

interface Row {
  readonly size: string;
  readonly n: number;
  readonly encryptStoreMBs: number;
  readonly decryptVerifyMBs: number;
  readonly sealMs: number;
  readonly putMs: number;
  readonly getMs: number;
  readonly openMs: number;
}

function randomBody(bytes: number): Uint8Array {
  const out = new Uint8Array(bytes);
  for (let o = 0; o < bytes; o += 65536)
    crypto.getRandomValues(out.subarray(o, Math.min(bytes, o + 65536)));
  return out;
}

async function runCase(store: FsBlobStore, c: Case): Promise<Row> {
  const patient = generateMemberKeyPair();
  const readers = [patient, generateMemberKeyPair(), generateMemberKeyPair()].map((k) => ({
    publicKey: k.publicKey,
  }));
  const bodies = Array.from({ length: c.iterations }, () => randomBody(c.bytes));
  const hashes: string[] = [];
  let seal = 0;
  let put = 0;
  let get = 0;
  let open = 0;

  // Warm-up (JIT) on a throwaway body, not measured.
  const warm = sealRecord({
    body: randomBody(c.bytes),
    readers,
    aad: { patient: PATIENT, category: LABS },
  });
  openEnvelope(await store.get(await store.put(warm)), patient.privateKey);

  for (const body of bodies) {
    const t0 = performance.now();
    const envelope = sealRecord({ body, readers, aad: { patient: PATIENT, category: LABS } });
    const t1 = performance.now();
    hashes.push(await store.put(envelope));
    const t2 = performance.now();
    seal += t1 - t0;
    put += t2 - t1;
  }
  for (const [i, hash] of hashes.entries()) {
    const t0 = performance.now();
    const envelope = await store.get(hash);
    const t1 = performance.now();
    const { body } = openEnvelope(envelope, patient.privateKey);
    const t2 = performance.now();
    get += t1 - t0;
    open += t2 - t1;
    if (
      body.length !== bodies[i]!.length ||
      body[body.length - 1] !== bodies[i]![body.length - 1]
    ) {
      throw new Error("round trip mismatch");
    }
  }
  const mb = (c.bytes * c.iterations) / 1e6;
  const n = c.iterations;
  return {
    size: c.label,
    n,
    encryptStoreMBs: mb / ((seal + put) / 1000),
    decryptVerifyMBs: mb / ((get + open) / 1000),
    sealMs: seal / n,
    putMs: put / n,
    getMs: get / n,
    openMs: open / n,
  };
}

function printTable(rows: readonly Row[]): void {
  const header = [
    "record",
    "n",
    "encrypt+store MB/s",
    "decrypt+verify MB/s",
    "seal ms",
    "put ms",
    "get ms",
    "open ms",
  ];
  const fmt = (x: number) => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2));
  const lines = rows.map((r) => [
    r.size,
    String(r.n),
    fmt(r.encryptStoreMBs),
    fmt(r.decryptVerifyMBs),
    fmt(r.sealMs),
    fmt(r.putMs),
    fmt(r.getMs),
    fmt(r.openMs),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => (l[i] ?? "").length)));
  const row = (cells: readonly string[]) =>
    `| ${cells.map((cell, i) => (i < 2 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join(" | ")} |`;
  console.log(row(header));
  console.log(
    `|${widths.map((w, i) => (i < 2 ? `:${"-".repeat(w + 1)}` : `${"-".repeat(w + 1)}:`)).join("|")}|`,
  );
  for (const l of lines) console.log(row(l));
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), "careledger-bench-"));
  try {
    const store = new FsBlobStore(dir);
    const rows: Row[] = [];
    for (const c of CASES) rows.push(await runCase(store, c));
    console.log(
      `CLE1 envelopes (XChaCha20-Poly1305, 3 X25519 readers) + FsBlobStore (fsync), Node ${process.version}\n`,
    );
    printTable(rows);
    console.log(
      "\nMB/s over plaintext bytes. put and get each hash the whole envelope with keccak256 (pure JS)," +
        "\nwhich dominates for large records; seal/open cost is X25519 for small ones.",
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  const cases = process.env.BENCH_GIB === "1" ? [...STREAM_CASES, GIB_CASE] : STREAM_CASES;
  const rows = await runStreamBench(cases, (line) => console.error(line));
  console.log(
    "\nCLE2 streamed envelopes (ChaCha20-Poly1305 STREAM, 64 KiB segments, SHA-256 segment table;" +
      ` OpenSSL) + FsBlobStore.putStream / openSource (fsync), 3 readers${process.env.BENCH_GIB === "1" ? "" : "; 1 GiB with --gib"}\n`,
  );
  console.log(renderStreamTable(rows));
  console.log(
    "\nreference = raw OpenSSL ChaCha20-Poly1305 + SHA-256 over the same bytes, no I/O, same run;" +
      "\nratio = MB/s over the reference; RSS +MiB = peak resident set growth of the step's own process.",
  );
  for (const line of streamTargetLines(rows)) console.log(line);
}

await main();
