/**
 * End-to-end record timings through the SDK clients on Hardhat's in-process network:
 *
 *   npx hardhat run bench/e2e.ts
 *
 * - `createRecord`: find the readers on chain (patient, author, grantee), seal the body in a CLE1
 *   envelope, simulate the anchor, store the envelope (filesystem store, fsync on), send `anchorRecord`
 *   and wait for the receipt.
 * - `openRecord`: the audited `openRecord` transaction and its receipt, `recordOf`, fetch the envelope,
 *   check its hash against the record id, unwrap the key and decrypt.
 *
 * - `createRecordStream` / `openRecordStream`: the same through the streamed (CLE2) calls, OpenSSL
 *   suite, the body drained (the store share of a streamed open is opening its file).
 *
 * For 1 KB, 100 KB and 10 MB bodies; p50 / p95 (nearest rank) over the runs, plus the blob store's
 * share (put or get, including the store's own hash check). Blocks are mined at once (automine), so the
 * times are the client's work plus the in-process node, not a network's block time. Informative only:
 * no test asserts them.
 *
 * `bench/index.ts` (npm run bench) can call {@link runE2eBench} and print {@link renderE2eTable}.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { network } from "hardhat";
import type { NetworkConnection } from "hardhat/types/network";
import { generateMemberKeyPair, nodeStreamSuite } from "../src/crypto/index.js";
import { AdminClient } from "../src/sdk/clients/admin.js";
import { ClinicianClient } from "../src/sdk/clients/clinician.js";
import { PatientClient } from "../src/sdk/clients/patient.js";
import { Category, Purpose, Role } from "../src/sdk/constants.js";
import { deployCareLedgerWithSigner } from "../src/sdk/deploy.js";
import { textTable } from "../src/sdk/format.js";
import {
  FsBlobStore,
  type BlobSource,
  type PutStreamOptions,
  type StreamingBlobStore,
} from "../src/store/index.js";

/** One record size to measure. */
export interface E2eBenchCase {
  readonly label: string;
  readonly bytes: number;
  /** Measured runs of each operation (one extra, unmeasured, warms up). */
  readonly runs: number;
}

/** One row of the result: an operation at one size. */
export interface E2eBenchRow {
  readonly operation: "createRecord" | "openRecord" | "createRecordStream" | "openRecordStream";
  readonly size: string;
  readonly bodyBytes: number;
  readonly envelopeBytes: number;
  readonly runs: number;
  readonly p50Ms: number;
  readonly p95Ms: number;
  readonly meanMs: number;
  /** Median time inside the blob store (`put` for create, `get` for open). */
  readonly storeP50Ms: number;
  /** Body bytes per second at the median, in MB/s (1 MB = 2^20 bytes). */
  readonly p50MBps: number;
}

/** Options of {@link runE2eBench}. */
export interface E2eBenchOptions {
  /** Sizes and runs. Default {@link DEFAULT_E2E_CASES}. */
  readonly cases?: readonly E2eBenchCase[];
  /** A network connection to use. Default: a fresh in-process one (`network.create()`). */
  readonly connection?: NetworkConnection;
  /** Progress lines (e.g. `console.error`). Default: none. */
  readonly progress?: (line: string) => void;
}

export const DEFAULT_E2E_CASES: readonly E2eBenchCase[] = [
  { label: "1 KB", bytes: 1024, runs: 30 },
  { label: "100 KB", bytes: 100 * 1024, runs: 15 },
  { label: "10 MB", bytes: 10 * 1024 * 1024, runs: 5 },
];

/** A blob store that times its calls (a streamed get is timed until its source is open). */
class TimedStore implements StreamingBlobStore {
  readonly putMs: number[] = [];
  readonly getMs: number[] = [];
  constructor(private readonly inner: StreamingBlobStore) {}

  async putStream(
    chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
    options?: PutStreamOptions,
  ): Promise<`0x${string}`> {
    const t0 = performance.now();
    try {
      return await this.inner.putStream(chunks, options);
    } finally {
      this.putMs.push(performance.now() - t0);
    }
  }

  getStream(hash: string): AsyncIterable<Uint8Array> {
    return this.inner.getStream(hash);
  }

  async openSource(hash: string): Promise<BlobSource> {
    const t0 = performance.now();
    try {
      return await this.inner.openSource(hash);
    } finally {
      this.getMs.push(performance.now() - t0);
    }
  }

  async put(bytes: Uint8Array): Promise<`0x${string}`> {
    const t0 = performance.now();
    try {
      return await this.inner.put(bytes);
    } finally {
      this.putMs.push(performance.now() - t0);
    }
  }

  async get(hash: string): Promise<Uint8Array> {
    const t0 = performance.now();
    try {
      return await this.inner.get(hash);
    } finally {
      this.getMs.push(performance.now() - t0);
    }
  }

  has(hash: string): Promise<boolean> {
    return this.inner.has(hash);
  }
}

/**
 * Time `createRecord` and `openRecord` end to end for each size; returns one row per operation and
 * size. Deploys a fresh CareLedger with a doctor (author and opener), a nurse (grantee) and a patient.
 */
export async function runE2eBench(options: E2eBenchOptions = {}): Promise<E2eBenchRow[]> {
  const cases = options.cases ?? DEFAULT_E2E_CASES;
  const progress = options.progress ?? ((): void => {});
  const connection = options.connection ?? (await network.create());
  const [admin, doctorSigner, nurseSigner, patientSigner] = await connection.ethers.getSigners();
  if (
    admin === undefined ||
    doctorSigner === undefined ||
    nurseSigner === undefined ||
    patientSigner === undefined
  ) {
    throw new Error("the end-to-end bench needs 4 signers");
  }
  const dir = await mkdtemp(join(tmpdir(), "careledger-bench-e2e-"));
  try {
    const store = new TimedStore(new FsBlobStore(dir));
    const { contract: ledger, deploymentBlock } = await deployCareLedgerWithSigner(admin, {
      registrar: admin.address,
    });
    const keys = {
      doctor: generateMemberKeyPair(),
      nurse: generateMemberKeyPair(),
      patient: generateMemberKeyPair(),
    };
    const registrar = await AdminClient.connect({ ledger, signer: admin });
    await registrar.registerOrganization(1);
    const members = [
      [doctorSigner.address, Role.Doctor, 1, keys.doctor.publicKey],
      [nurseSigner.address, Role.Nurse, 1, keys.nurse.publicKey],
      [patientSigner.address, Role.Patient, 0, keys.patient.publicKey],
    ] as const;
    for (const [account, role, orgId, publicKey] of members) {
      await registrar.onboardMember({ account, role, orgId, publicKey });
    }
    const base = { ledger, store, fromBlock: deploymentBlock, streamSuite: nodeStreamSuite };
    const patient = await PatientClient.connect({
      ...base,
      signer: patientSigner,
      keys: keys.patient,
    });
    const doctor = await ClinicianClient.connect({
      ...base,
      signer: doctorSigner,
      keys: keys.doctor,
    });
    const block = await connection.ethers.provider.getBlock("latest");
    const expiresAt = (block?.timestamp ?? 0) + 365 * 24 * 60 * 60;
    const terms = { categories: [Category.Labs], purposes: [Purpose.Treatment], expiresAt };
    await patient.grantConsent(doctorSigner.address, terms);
    await patient.grantConsent(nurseSigner.address, terms);

    const rows: E2eBenchRow[] = [];
    for (const c of cases) {
      progress(`end to end, ${c.label}: ${c.runs} creates and opens…`);
      const createMs: number[] = [];
      const openMs: number[] = [];
      const ids: string[] = [];
      let envelopeBytes = 0;
      for (let i = 0; i <= c.runs; i++) {
        const body = randomBody(c.bytes);
        const t0 = performance.now();
        const created = await doctor.createRecord(patientSigner.address, Category.Labs, body);
        const elapsed = performance.now() - t0;
        envelopeBytes = created.envelopeSize;
        if (i > 0) createMs.push(elapsed); // run 0 warms up
        ids.push(created.recordId);
      }
      const putMs = store.putMs.splice(0).slice(1);
      store.getMs.splice(0);
      for (const [i, recordId] of ids.entries()) {
        const t0 = performance.now();
        const opened = await doctor.openRecord(recordId, Purpose.Treatment);
        const elapsed = performance.now() - t0;
        if (opened.body.length !== c.bytes) throw new Error("decrypted body has the wrong size");
        if (i > 0) openMs.push(elapsed);
      }
      const getMs = store.getMs.splice(0).slice(1);
      rows.push(row("createRecord", c, envelopeBytes, createMs, putMs));
      rows.push(row("openRecord", c, envelopeBytes, openMs, getMs));
      rows.push(...(await streamedRows(c, doctor, patientSigner.address, store)));
    }
    return rows;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The same for the streamed (CLE2) calls: `createRecordStream` and a drained `openRecordStream`. */
async function streamedRows(
  c: E2eBenchCase,
  doctor: ClinicianClient,
  patient: string,
  store: TimedStore,
): Promise<E2eBenchRow[]> {
  const createMs: number[] = [];
  const openMs: number[] = [];
  const ids: string[] = [];
  let envelopeBytes = 0;
  for (let i = 0; i <= c.runs; i++) {
    const body = randomBody(c.bytes);
    const t0 = performance.now();
    const created = await doctor.createRecordStream(patient, Category.Labs, {
      chunks: [body],
      length: body.length,
    });
    const elapsed = performance.now() - t0;
    envelopeBytes = created.envelopeSize;
    if (i > 0) createMs.push(elapsed);
    ids.push(created.recordId);
  }
  const putMs = store.putMs.splice(0).slice(1);
  store.getMs.splice(0);
  for (const [i, recordId] of ids.entries()) {
    const t0 = performance.now();
    const opened = await doctor.openRecordStream(recordId, Purpose.Treatment);
    let n = 0;
    for await (const chunk of opened.body) n += chunk.length;
    const elapsed = performance.now() - t0;
    if (n !== c.bytes) throw new Error("decrypted body has the wrong size");
    if (i > 0) openMs.push(elapsed);
  }
  const getMs = store.getMs.splice(0).slice(1);
  return [
    row("createRecordStream", c, envelopeBytes, createMs, putMs),
    row("openRecordStream", c, envelopeBytes, openMs, getMs),
  ];
}

/** The rows as a text table. */
export function renderE2eTable(rows: readonly E2eBenchRow[]): string {
  const ms = (v: number): string => (v < 10 ? v.toFixed(2) : v < 100 ? v.toFixed(1) : v.toFixed(0));
  return textTable(
    [
      "operation (end to end)",
      "size",
      "envelope",
      "runs",
      "p50 ms",
      "p95 ms",
      "mean ms",
      "store p50 ms",
      "MB/s at p50",
    ],
    rows.map((r) => [
      r.operation,
      r.size,
      bytesLabel(r.envelopeBytes),
      String(r.runs),
      ms(r.p50Ms),
      ms(r.p95Ms),
      ms(r.meanMs),
      ms(r.storeP50Ms),
      r.p50MBps.toFixed(r.p50MBps < 10 ? 2 : 1),
    ]),
  );
}

function row(
  operation: E2eBenchRow["operation"],
  c: E2eBenchCase,
  envelopeBytes: number,
  samples: readonly number[],
  storeSamples: readonly number[],
): E2eBenchRow {
  const p50Ms = percentile(samples, 0.5);
  return {
    operation,
    size: c.label,
    bodyBytes: c.bytes,
    envelopeBytes,
    runs: samples.length,
    p50Ms,
    p95Ms: percentile(samples, 0.95),
    meanMs: samples.reduce((a, b) => a + b, 0) / samples.length,
    storeP50Ms: percentile(storeSamples, 0.5),
    p50MBps: c.bytes / 2 ** 20 / (p50Ms / 1000),
  };
}

/** Nearest-rank percentile. */
function percentile(samples: readonly number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)] ?? Number.NaN;
}

function bytesLabel(n: number): string {
  if (n < 10 * 1024) return `${n} B`;
  if (n < 10 * 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 2 ** 20).toFixed(2)} MiB`;
}

function randomBody(bytes: number): Uint8Array {
  const out = new Uint8Array(bytes);
  for (let o = 0; o < bytes; o += 65536) {
    crypto.getRandomValues(out.subarray(o, Math.min(bytes, o + 65536)));
  }
  return out;
}

// `npx hardhat run bench/e2e.ts` runs it; importing the module (bench/index.ts) does not.
const thisFile = fileURLToPath(import.meta.url);
if (process.argv.slice(2).some((arg) => resolve(arg) === thisFile)) {
  const rows = await runE2eBench({ progress: (line) => console.error(line) });
  console.log("");
  console.log(
    "Encrypted records end to end (in-process network, filesystem blob store with fsync)",
  );
  console.log(renderE2eTable(rows));
}
