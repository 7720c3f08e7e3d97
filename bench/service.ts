/**
 * The service section of `npm run bench` (a sub-step, run with tsx): on anvil with the real service on
 * loopback,
 *   - N concurrent relays (N patients' signed grants, default 200) through `POST /consents`, against the
 *     reference of N raw `grantWithSig` sends from the same relayer account through the SDK's sender
 *     (no HTTP, no verification), measured in the same run;
 *   - M blob reads (default 500, 16 in flight, 50 blobs of 16 KiB) through `HttpBlobStore` (HTTP and
 *     verification on both ends), against raw reads of the same files from disk;
 *   - the chain's events counted afterwards: one `ConsentGranted` per relayed patient, none lost or doubled.
 *
 *   BENCH_SERVICE_RELAYS=200 BENCH_SERVICE_READS=500 npx hardhat run … | npx tsx bench/service.ts [--json out.json]
 */
import { randomBytes } from "node:crypto";
import { readFile, writeFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import {
  Deadline,
  FsBlobStore,
  HttpBlobStore,
  accountSender,
  grantWithSigArgs,
  serializeSignedConsent,
  type ContentHash,
} from "../src/node.js";
import { startServiceWorld } from "../test/helpers/service.js";
import { renderTable } from "./lib/table.js";

const { values } = parseArgs({ options: { json: { type: "string" } } });
const intEnv = (name: string, fallback: number, max: number): number => {
  const raw = process.env[name];
  const value = raw === undefined || raw === "" ? fallback : Number(raw);
  if (!Number.isSafeInteger(value) || value < 1 || value > max) {
    console.error(`${name}=${raw}: expected an integer in [1, ${String(max)}]`);
    process.exit(2);
  }
  return value;
};
const RELAYS = intEnv("BENCH_SERVICE_RELAYS", 200, 1_000);
const READS = intEnv("BENCH_SERVICE_READS", 500, 100_000);
const BLOBS = 50;
const BLOB_BYTES = 16 * 1024;
const READ_CONCURRENCY = 16;
const say = (message: string) => process.stderr.write(`  [service bench] ${message}\n`);

/** Latency distribution and throughput of `count` operations. */
export interface Run {
  readonly count: number;
  readonly p50Ms: number;
  readonly p95Ms: number;
  readonly perSecond: number;
}

function summarise(latencies: number[], wallMs: number): Run {
  latencies.sort((a, b) => a - b);
  const at = (q: number) =>
    latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? NaN;
  return {
    count: latencies.length,
    p50Ms: at(0.5),
    p95Ms: at(0.95),
    perSecond: (latencies.length * 1000) / wallMs,
  };
}

/** Run `body(i)` for i < count, at most `concurrency` at a time; each call's latency and the wall time. */
async function measure(
  count: number,
  concurrency: number,
  body: (i: number) => Promise<unknown>,
): Promise<Run> {
  const latencies: number[] = [];
  let next = 0;
  const start = performance.now();
  const worker = async (): Promise<void> => {
    while (next < count) {
      const i = next++;
      const t = performance.now();
      await body(i);
      latencies.push(performance.now() - t);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  return summarise(latencies, performance.now() - start);
}

interface RelayAnswer {
  status: string;
  txHash: string | null;
  statusUrl: string;
}

const world = await startServiceWorld({
  patients: RELAYS,
  service: { responseWaitMs: 120_000, rateLimit: { perPatientPerMinute: 10 } },
});
try {
  const { ledger, relayer, doctor, colleague, patients, service } = world;
  const base = service.url;
  say(`${String(RELAYS)} patients onboarded; signing`);
  const forColleague = await Promise.all(
    patients.map((p) => world.signGrant(p, colleague.address)),
  );
  const forDoctor = await Promise.all(patients.map((p) => world.signGrant(p, doctor.address)));

  // Reference: the same relayer account sends grantWithSig directly through the SDK's sender.
  const sender = accountSender(relayer, relayer.address);
  const to = await ledger.getAddress();
  const direct = await measure(RELAYS, RELAYS, async (i) => {
    const data = ledger.interface.encodeFunctionData("grantWithSig", [
      ...grantWithSigArgs(forColleague[i]!),
    ]);
    await sender.send(
      { to, data },
      { functionName: "grantWithSig", deadline: new Deadline(120_000), iface: ledger.interface },
    );
  });
  say(`direct sends: p50 ${direct.p50Ms.toFixed(0)} ms`);

  const fromBlock = (await world.provider.getBlockNumber()) + 1;
  const txHashes: string[] = [];
  const relayed = await measure(RELAYS, RELAYS, async (i) => {
    const response = await fetch(`${base}/consents`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: serializeSignedConsent(forDoctor[i]!),
    });
    let answer = (await response.json()) as RelayAnswer;
    if (response.status !== 202) throw new Error(`relay ${String(i)}: ${JSON.stringify(answer)}`);
    while (answer.status === "pending") {
      await new Promise((resolve) => setTimeout(resolve, 50));
      answer = (await (await fetch(`${base}${answer.statusUrl}`)).json()) as RelayAnswer;
    }
    if (answer.status !== "mined" || answer.txHash === null) {
      throw new Error(`relay ${String(i)} ${answer.status}`);
    }
    txHashes.push(answer.txHash);
  });
  say(`relays: p50 ${relayed.p50Ms.toFixed(0)} ms`);
  const granted = await ledger.queryFilter(
    ledger.filters.ConsentGranted(undefined, doctor.address),
    fromBlock,
  );
  const grantedPatients = new Set(granted.map((e) => e.args.patient));
  const relayedEvents = await ledger.queryFilter(
    ledger.filters.ConsentRelayed(undefined, undefined, relayer.address),
    fromBlock,
  );
  const chain = {
    relays: RELAYS,
    consentGranted: granted.length,
    distinctPatients: grantedPatients.size,
    consentRelayed: relayedEvents.length,
    distinctTransactions: new Set(txHashes).size,
    lostOrDuplicated:
      granted.length !== RELAYS ||
      grantedPatients.size !== RELAYS ||
      relayedEvents.length !== RELAYS ||
      new Set(txHashes).size !== RELAYS,
  };

  // Blobs: upload through the gateway, then read them back through HttpBlobStore, and raw from disk.
  const uploader = new HttpBlobStore({ baseUrl: base, signer: doctor });
  const hashes: ContentHash[] = [];
  for (let i = 0; i < BLOBS; i++)
    hashes.push(await uploader.put(new Uint8Array(randomBytes(BLOB_BYTES))));
  const reader = new HttpBlobStore({ baseUrl: base });
  const files = new FsBlobStore(world.blobDir);
  const rawReads = await measure(READS, READ_CONCURRENCY, (i) =>
    readFile(files.pathFor(hashes[i % BLOBS]!)),
  );
  const storeReads = await measure(READS, READ_CONCURRENCY, (i) => files.get(hashes[i % BLOBS]!));
  const gatewayReads = await measure(READS, READ_CONCURRENCY, (i) =>
    reader.get(hashes[i % BLOBS]!),
  );
  say(`blob reads: p50 ${gatewayReads.p50Ms.toFixed(2)} ms`);

  const result = {
    relays: { service: relayed, reference: direct },
    blobReads: {
      service: gatewayReads,
      reference: rawReads,
      blobBytes: BLOB_BYTES,
      concurrency: READ_CONCURRENCY,
    },
    chain,
  };
  const ms = (v: number) => v.toFixed(v < 10 ? 2 : 0);
  const row = (what: string, run: Run, ref: Run, refName: string) => [
    what,
    String(run.count),
    ms(run.p50Ms),
    ms(run.p95Ms),
    run.perSecond.toFixed(0),
    refName,
    `${(run.p50Ms / ref.p50Ms).toFixed(2)}×`,
    `${(run.p95Ms / ref.p95Ms).toFixed(2)}×`,
    `${(run.perSecond / ref.perSecond).toFixed(2)}×`,
  ];
  console.log(
    renderTable(
      `service on loopback (anvil automine; ${String(RELAYS)} relays all at once, ${String(READS)} blob reads ${String(READ_CONCURRENCY)} in flight)`,
      [
        { header: "operation" },
        { header: "n" },
        { header: "p50 ms" },
        { header: "p95 ms" },
        { header: "per s" },
        { header: "reference (same run)", align: "left" },
        { header: "p50 ratio" },
        { header: "p95 ratio" },
        { header: "rate ratio" },
      ],
      [
        row("POST /consents until mined", relayed, direct, "direct grantWithSig sends"),
        row("GET /blobs/<hash> (HttpBlobStore)", gatewayReads, rawReads, "raw file reads"),
        row("FsBlobStore.get in process", storeReads, rawReads, "raw file reads"),
      ],
    ),
  );
  console.log(
    `chain: ${String(chain.consentGranted)} ConsentGranted for ${String(chain.distinctPatients)} distinct patients, ${String(chain.consentRelayed)} ConsentRelayed, ${String(chain.distinctTransactions)} distinct transactions for ${String(RELAYS)} relays: ${chain.lostOrDuplicated ? "LOST OR DUPLICATED" : "none lost, none duplicated"}`,
  );
  if (values.json !== undefined)
    await writeFile(values.json, `${JSON.stringify(result, null, 2)}\n`);
  if (chain.lostOrDuplicated) process.exitCode = 1;
} finally {
  await world.close();
}
