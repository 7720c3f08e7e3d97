/**
 * Out-of-process indexer harness: seed a CareLedger on a real node (anvil) with members, grants, records,
 * audited opens (in multicall batches) and break-glass incidents, and run the Ponder indexer in `indexer/`
 * as a child process (`ponder start`) against it, on PGlite in a temp directory or on a PostgreSQL URL.
 * Used by test/indexer/*.test.ts and the indexer section of `npm run bench`.
 */
import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { expect } from "chai";
import {
  JsonRpcProvider,
  keccak256,
  toUtf8Bytes,
  type Signer,
  type TransactionReceipt,
} from "ethers";
import { freePort } from "../../scripts/lib/node.js";
import { jsonRpcRequest } from "../../src/deploy/jsonrpc.js";
import { Category, categoryMask, Purpose, purposeMask, Role } from "../../src/sdk/constants.js";
import type { AuditEntryView } from "../../src/sdk/queries.js";
import { recordIdOf } from "../../src/sdk/recordId.js";
import { CareLedger__factory, type CareLedger } from "../../typechain-types/index.js";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const PONDER_BIN = path.join(ROOT, "node_modules/ponder/dist/esm/bin/ponder.js");

export const HOSPITAL = 1;
export const CLINIC = 2;
/** Opens per `multicall` transaction (about 50k gas each, well under a 30M block). */
export const OPEN_BATCH = 400;

/** A seeded ledger: the contract, its staff and patients. */
export interface SeededLedger {
  readonly provider: JsonRpcProvider;
  readonly ledger: CareLedger;
  readonly address: string;
  readonly deploymentBlock: number;
  readonly admin: Signer;
  readonly doctors: readonly Signer[];
  readonly doctorAddresses: readonly string[];
  readonly responder: Signer;
  readonly auditor: Signer;
  readonly patients: readonly string[];
  /** One record per patient (labs), anchored by the first doctor. */
  readonly records: readonly string[];
}

/** Options of {@link seedLedger}. */
export interface SeedOptions {
  readonly patients: number;
  /** Called with the transactions sent so far (bench progress). */
  readonly onProgress?: (message: string) => void;
}

/**
 * Wait for a sent transaction by polling its receipt (every 20 ms, at most 60 s), and fail on a revert.
 * Used instead of ethers' `wait()`, which was seen to hang on a loaded machine.
 */
export async function mined(
  sent: Promise<{
    hash: string;
    provider: { getTransactionReceipt(hash: string): Promise<TransactionReceipt | null> };
  }>,
): Promise<TransactionReceipt> {
  const tx = await sent;
  const started = Date.now();
  for (;;) {
    const receipt = await tx.provider.getTransactionReceipt(tx.hash);
    if (receipt !== null) {
      if (receipt.status !== 1) throw new Error(`transaction ${tx.hash} reverted`);
      return receipt;
    }
    if (Date.now() - started > 60_000)
      throw new Error(`transaction ${tx.hash} not mined within 60 s`);
    await sleep(20);
  }
}

const key = (label: string) => keccak256(toUtf8Bytes(label));

/** A deterministic patient address (impersonated on anvil to grant consent). */
export function patientAddress(i: number): string {
  return `0x${(0xca000000 + i).toString(16).padStart(40, "0")}`;
}

async function signerOf(provider: JsonRpcProvider, account: string): Promise<Signer> {
  await provider.send("anvil_impersonateAccount", [account]);
  await provider.send("anvil_setBalance", [account, "0x56bc75e2d63100000"]);
  return provider.getSigner(account);
}

/** Send `calls` through `multicall` in batches of `batch`, waiting for each batch. */
export async function multicallBatches(
  ledger: CareLedger,
  from: Signer,
  calls: readonly string[],
  batch: number,
): Promise<void> {
  const sender = ledger.connect(from);
  for (let i = 0; i < calls.length; i += batch) {
    await mined(sender.multicall(calls.slice(i, i + batch)));
  }
}

/**
 * Deploy CareLedger on the anvil node at `url` (paid gas: start it with `zeroGas: false`) and seed it: two organisations, 4 doctors, a responder, an
 * auditor, `patients` patients each granting the doctors labs + vitals for treatment, and one labs record
 * per patient. Opens come separately from {@link openRecords}.
 */
export async function seedLedger(url: string, options: SeedOptions): Promise<SeededLedger> {
  const provider = new JsonRpcProvider(url, undefined, { staticNetwork: true, batchMaxCount: 1 });
  provider.pollingInterval = 50;
  const accounts = (await provider.send("eth_accounts", [])) as string[];
  const admin = await provider.getSigner(accounts[0]);
  const factory = new CareLedger__factory(admin);
  const ledger = await factory.deploy(accounts[0]!, 3600, accounts[0]!, 4 * 3600);
  const receipt = await mined(Promise.resolve(ledger.deploymentTransaction()!));
  const address = await ledger.getAddress();
  const registrar = ledger.connect(admin);
  await mined(registrar.registerOrganization(HOSPITAL));
  await mined(registrar.registerOrganization(CLINIC));
  const doctors = await Promise.all(accounts.slice(1, 5).map((a) => provider.getSigner(a)));
  const doctorAddresses = accounts.slice(1, 5);
  const responder = await provider.getSigner(accounts[5]);
  const auditor = await provider.getSigner(accounts[6]);
  const iface = ledger.interface;
  const staff = [
    ...doctorAddresses.map((a, i) =>
      iface.encodeFunctionData("onboardMember", [
        a,
        Role.Doctor,
        i % 2 === 0 ? HOSPITAL : CLINIC,
        key(`enc:${a}`),
      ]),
    ),
    iface.encodeFunctionData("onboardMember", [
      accounts[5]!,
      Role.EmergencyResponder,
      HOSPITAL,
      key("enc:responder"),
    ]),
    iface.encodeFunctionData("onboardMember", [
      accounts[6]!,
      Role.Auditor,
      HOSPITAL,
      key("enc:auditor"),
    ]),
  ];
  await multicallBatches(ledger, admin, staff, 50);
  const patients = Array.from({ length: options.patients }, (_, i) => patientAddress(i));
  await multicallBatches(
    ledger,
    admin,
    patients.map((p) =>
      iface.encodeFunctionData("onboardMember", [p, Role.Patient, 0, key(`enc:${p}`)]),
    ),
    200,
  );
  options.onProgress?.(`onboarded ${patients.length} patients`);
  const categories = categoryMask(Category.Labs, Category.Vitals);
  const purposes = purposeMask(Purpose.Treatment);
  // Within the governance limit on consent duration (366 days by default).
  const head = await provider.getBlock("latest");
  const expiresAt = Number(head!.timestamp) + 300 * 86_400;
  for (const patient of patients) {
    const asPatient = ledger.connect(await signerOf(provider, patient));
    const grants = doctorAddresses.map((d) =>
      iface.encodeFunctionData("grantConsent", [d, categories, purposes, expiresAt]),
    );
    // One multicall per patient: the patient is the sender of every grant.
    await mined(asPatient.multicall(grants));
  }
  options.onProgress?.(`granted ${patients.length * doctors.length} consents`);
  const contentHashes = patients.map((p) => key(`record:${p}`));
  await multicallBatches(
    ledger,
    doctors[0]!,
    patients.map((p, i) =>
      iface.encodeFunctionData("anchorRecord", [p, Category.Labs, contentHashes[i]!]),
    ),
    200,
  );
  // A record id binds the envelope's hash to its patient.
  const records = patients.map((p, i) => recordIdOf(p, contentHashes[i]!));
  options.onProgress?.(`anchored ${records.length} records`);
  return {
    provider,
    ledger,
    address,
    deploymentBlock: receipt!.blockNumber,
    admin,
    doctors,
    doctorAddresses,
    responder,
    auditor,
    patients,
    records,
  };
}

/** `count` audited opens spread round-robin over the patients' records and the doctors, in multicall batches. */
export async function openRecords(
  seeded: SeededLedger,
  count: number,
  onProgress?: (done: number) => void,
): Promise<void> {
  const iface = seeded.ledger.interface;
  const perDoctor = seeded.doctors.map(() => [] as string[]);
  for (let i = 0; i < count; i++) {
    perDoctor[i % seeded.doctors.length]!.push(
      iface.encodeFunctionData("openRecord", [
        seeded.records[Math.floor(i / seeded.doctors.length) % seeded.records.length]!,
        Purpose.Treatment,
      ]),
    );
  }
  let done = 0;
  // Doctors send in parallel: one pending multicall each.
  const maxLength = Math.max(...perDoctor.map((calls) => calls.length));
  for (let i = 0; i < maxLength; i += OPEN_BATCH) {
    const sent = await Promise.all(
      perDoctor
        .map((calls, d) => [calls.slice(i, i + OPEN_BATCH), d] as const)
        .filter(([calls]) => calls.length > 0)
        .map(([calls, d]) => mined(seeded.ledger.connect(seeded.doctors[d]!).multicall(calls))),
    );
    done = Math.min(count, done + sent.length * OPEN_BATCH);
    onProgress?.(done);
  }
}

/** A running `ponder start`. */
export interface RunningIndexer {
  readonly url: string;
  readonly pid: number;
  readonly output: () => string;
  readonly exited: () => boolean;
  /** Send `signal` (default SIGTERM) and wait for the exit. */
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/** Options of {@link startIndexer}. */
export interface IndexerOptions {
  readonly rpcUrl: string;
  readonly address: string;
  readonly startBlock: number;
  readonly chainId?: number;
  /** PGlite directory (ignored with `databaseUrl`). */
  readonly pgliteDir?: string;
  readonly databaseUrl?: string;
  /** Database schema (Ponder needs the same one to resume). */
  readonly schema?: string;
  readonly pollMs?: number;
  /**
   * Slow the backfill down (1 block per eth_getLogs, 8 requests/s) so that a test can stop it half way on a
   * machine of any speed.
   */
  readonly throttle?: boolean;
}

/** Start `ponder start` on a free port. Resolves once the HTTP server answers. */
export async function startIndexer(options: IndexerOptions): Promise<RunningIndexer> {
  const port = await freePort();
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    CARELEDGER_RPC_URL: options.rpcUrl,
    CARELEDGER_ADDRESS: options.address,
    CARELEDGER_START_BLOCK: String(options.startBlock),
    CARELEDGER_CHAIN_ID: String(options.chainId ?? 1337),
    CARELEDGER_POLL_MS: String(options.pollMs ?? 200),
    DATABASE_URL: options.databaseUrl ?? "",
    PONDER_TELEMETRY_DISABLED: "true",
    NO_COLOR: "1",
  };
  if (options.pgliteDir !== undefined) env.PONDER_PGLITE_DIR = options.pgliteDir;
  if (options.throttle === true) {
    env.CARELEDGER_GETLOGS_BLOCK_RANGE = "1";
    env.CARELEDGER_RPC_MAX_RPS = "8";
  }
  const child: ChildProcess = spawn(
    process.execPath,
    [
      PONDER_BIN,
      "--root",
      path.join(ROOT, "indexer"),
      "--log-format",
      "json",
      "start",
      "--schema",
      options.schema ?? "careledger",
      "-p",
      String(port),
      "-H",
      "127.0.0.1",
    ],
    { cwd: path.join(ROOT, "indexer"), env, stdio: ["ignore", "pipe", "pipe"] },
  );
  let output = "";
  let exited = false;
  const exit = new Promise<void>((resolve) =>
    child.once("exit", () => ((exited = true), resolve())),
  );
  child.stdout?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const url = `http://127.0.0.1:${port}`;
  const started = Date.now();
  for (;;) {
    if (exited) throw new Error(`the indexer exited before serving:\n${output.slice(-4000)}`);
    if (Date.now() - started > 120_000) {
      child.kill("SIGKILL");
      throw new Error(`the indexer did not serve within 120 s:\n${output.slice(-4000)}`);
    }
    const ok = await fetch(`${url}/health`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) break;
    await sleep(200);
  }
  return {
    url,
    pid: child.pid!,
    output: () => output,
    exited: () => exited,
    async stop(signal: NodeJS.Signals = "SIGTERM") {
      if (!exited) child.kill(signal);
      await Promise.race([exit, sleep(15_000)]);
      if (!exited) {
        child.kill("SIGKILL");
        await exit;
      }
    },
  };
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** GET `path` on the indexer and parse the JSON. */
export async function getJson<T>(indexer: { url: string }, route: string): Promise<T> {
  const response = await fetch(`${indexer.url}${route}`);
  const text = await response.text();
  if (!response.ok) throw new Error(`GET ${route}: ${response.status} ${text}`);
  return JSON.parse(text) as T;
}

/** Indexer's health answer. */
export interface IndexerHealth {
  readonly indexedBlock: number | null;
  readonly chainHead: number;
  readonly lagBlocks: number;
}

/** Wait until the indexer has caught up with the node's head (lag 0) and Ponder says it is ready. */
export async function waitCaughtUp(
  indexer: RunningIndexer,
  timeoutMs = 120_000,
): Promise<IndexerHealth> {
  const started = Date.now();
  for (;;) {
    if (indexer.exited()) throw new Error(`the indexer exited:\n${indexer.output().slice(-4000)}`);
    const ready = await fetch(`${indexer.url}/ready`).then(
      (r) => r.ok,
      () => false,
    );
    if (ready) {
      const health = await getJson<IndexerHealth>(indexer, "/careledger/health").catch(
        () => undefined,
      );
      if (health !== undefined && health.lagBlocks === 0) return health;
    }
    if (Date.now() - started > timeoutMs)
      throw new Error(
        `indexer not caught up in ${timeoutMs} ms:\n${indexer.output().slice(-4000)}`,
      );
    await sleep(200);
  }
}

/** The node's latest block number. */
export async function headOf(url: string): Promise<number> {
  return Number(BigInt((await jsonRpcRequest(url, "eth_blockNumber")) as string));
}

/** `/careledger/heads`. */
export interface HeadsAnswer {
  readonly block: number;
  readonly matches: boolean;
  readonly lostEvents: boolean;
  readonly global: {
    onChain: string;
    indexed: string;
    recomputed: string;
    entries: number;
    matches: boolean;
  };
  readonly patient: {
    onChain: string;
    indexed: string;
    recomputed: string;
    entries: number;
    matches: boolean;
  } | null;
}
/** A row of `/careledger/audit` (the SDK's view of it). */
export type AuditRowAnswer = AuditEntryView;

/** Every audit row of the index, by paging `/careledger/audit`. */
export async function allAuditRows(indexer: RunningIndexer): Promise<AuditRowAnswer[]> {
  const rows: AuditRowAnswer[] = [];
  let after = 0;
  for (;;) {
    const page = await getJson<{ entries: AuditRowAnswer[]; next: number | null }>(
      indexer,
      `/careledger/audit?after=${after}&limit=1000`,
    );
    rows.push(...page.entries);
    if (page.next === null) return rows;
    after = page.next;
  }
}

/** The seq column is 1..n with no gap and no duplicate, n = the chain's audited event count. */
export function expectContiguous(rows: readonly AuditRowAnswer[], expected: number): void {
  expect(rows.length, "audit rows").to.equal(expected);
  rows.forEach((row, i) => expect(row.seq, `seq at ${i}`).to.equal(i + 1));
}

/**
 * The indexer scenario: `opens` audited opens, one break-glass incident on patient 0 (declared, one flagged
 * open, left pending), patient 1 revoking doctor 1, then 40 empty blocks so that all of it is past Ponder's
 * 30-block finality window and indexed by the backfill. Returns the number of audited events.
 */
export async function seedScenario(seeded: SeededLedger, opens: number): Promise<number> {
  await openRecords(seeded, opens);
  const [p0, p1] = seeded.patients as [string, string];
  // A newly onboarded responder may break the glass only after the governance warm-up (1 h by default).
  await seeded.provider.send("evm_increaseTime", [3601]);
  await mined(seeded.ledger.connect(seeded.responder).breakGlass(p0, `0x${"ab".repeat(32)}`, 3600));
  await mined(
    seeded.ledger.connect(seeded.responder).openRecord(seeded.records[0]!, Purpose.Emergency),
  );
  const asP1 = seeded.ledger.connect(await signerOf(seeded.provider, p1));
  await mined(asP1.revokeConsent(seeded.doctorAddresses[1]!));
  await seeded.provider.send("anvil_mine", ["0x28"]);
  return opens + 2;
}

/**
 * Wait until the backfill reports progress above 0 % (from its log, not over HTTP: on PGlite, a read through
 * the API while a backfill batch is open shares its single connection), then send `signal`. Returns whether the
 * signal landed mid-backfill (false when the backfill finished first).
 */
export async function interruptBackfill(
  indexer: RunningIndexer,
  signal: NodeJS.Signals,
): Promise<boolean> {
  const started = Date.now();
  while (Date.now() - started < 120_000 && !indexer.exited()) {
    const output = indexer.output();
    if (output.includes("Completed backfill indexing")) break;
    if (/"progress":"(?!100(?:\.0)?%)[0-9.]+%"/.test(output)) {
      await indexer.stop(signal);
      return true;
    }
    await sleep(10);
  }
  await indexer.stop(signal);
  return false;
}

/**
 * Start the indexer, kill it with SIGKILL mid-backfill, start it again on the same database and wait until it
 * has caught up; checks that it recovered and that the trail has `audited` rows, none missing or doubled.
 */
export async function killMidBackfillAndResume(
  options: IndexerOptions,
  audited: number,
): Promise<RunningIndexer> {
  const first = await startIndexer({ ...options, throttle: true });
  expect(
    await interruptBackfill(first, "SIGKILL"),
    "killed while the backfill was running",
  ).to.equal(true);
  const indexer = await startIndexer(options);
  await waitCaughtUp(indexer);
  expect(indexer.output()).to.match(/crash recovery/i);
  expectContiguous(await allAuditRows(indexer), audited);
  return indexer;
}
