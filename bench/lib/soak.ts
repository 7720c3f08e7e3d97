/**
 * SDK soak against a real node: anvil out of process (scripts/lib/node.ts, port 0), a plain
 * `JsonRpcProvider` with ethers' default settings and `Wallet`s, as an app creates them. A clinician
 * runs `pairs` sequential `createRecord` + `openRecord` through the SDK clients (seal, store, anchor;
 * audited open, fetch, verify, decrypt). Reported: pairs/s, latency percentiles per operation, errors
 * and, as the reference measured first in the same run on the same node, the
 * same anchor + open transactions sent with plain ethers contract calls (`await (await c.f()).wait()`,
 * request cache off, since with ethers' defaults back-to-back sends from one account collide).
 * Each SDK call has a 30 s deadline, so nothing can hang the bench; timing figures are reported,
 * never asserted.
 */
import { HDNodeWallet, JsonRpcProvider, keccak256, toUtf8Bytes, type Wallet } from "ethers";
import { generateMemberKeyPair } from "../../src/crypto/index.js";
import { startNode } from "../../scripts/lib/node.js";
import { AdminClient } from "../../src/sdk/clients/admin.js";
import { ClinicianClient } from "../../src/sdk/clients/clinician.js";
import { PatientClient } from "../../src/sdk/clients/patient.js";
import { Category, Purpose, Role } from "../../src/sdk/constants.js";
import { deployCareLedgerWithSigner } from "../../src/sdk/deploy.js";
import { MemoryBlobStore } from "../../src/store/index.js";
import { renderTable } from "./table.js";
import { percentile } from "./throughput.js";

const MNEMONIC = "test test test test test test test test test test test junk";

export interface SoakOperation {
  readonly operation: string;
  readonly count: number;
  readonly perSecond: number;
  readonly p50Ms: number;
  readonly p95Ms: number;
  readonly maxMs: number;
}

export interface SoakReport {
  readonly pairs: number;
  readonly seconds: number;
  readonly pairsPerSecond: number;
  readonly errors: number;
  readonly firstError: string | undefined;
  readonly sdk: readonly SoakOperation[];
  /** Plain ethers anchor + open, the same node, `referencePairs` pairs. */
  readonly reference: readonly SoakOperation[];
  readonly referencePairs: number;
  /** Reference pairs that failed or did not finish within 30 s (ethers `wait()` has no deadline). */
  readonly referenceFailures: number;
  readonly referenceFirstError: string | undefined;
  /** SDK pair time / plain ethers pair time (p50). */
  readonly p50Ratio: number;
}

function summary(operation: string, ms: readonly number[], seconds: number): SoakOperation {
  const sorted = [...ms].sort((a, b) => a - b);
  return {
    operation,
    count: ms.length,
    perSecond: seconds > 0 ? ms.length / seconds : 0,
    p50Ms: percentile(sorted, 50),
    p95Ms: percentile(sorted, 95),
    maxMs: sorted.at(-1) ?? 0,
  };
}

/** `promise`, or a rejection after 30 s: the reference calls have no deadline of their own. */
function bounded<T>(promise: Promise<T>): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("no receipt within 30 s (hung)")), 30_000);
    promise.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(timer);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}

async function timedMs(work: () => Promise<unknown>): Promise<number> {
  const t = performance.now();
  await work();
  return performance.now() - t;
}

/** Run the soak; `progress` gets a line every 250 pairs. */
export async function runSdkSoak(
  pairs: number,
  referencePairs: number,
  progress: (line: string) => void,
): Promise<SoakReport> {
  const node = await startNode({ engine: "anvil", port: 0, chainId: 1337 });
  const provider = new JsonRpcProvider(node.url);
  try {
    const wallet = (i: number): Wallet =>
      HDNodeWallet.fromPhrase(MNEMONIC, undefined, `m/44'/60'/0'/0/${i}`).connect(
        provider,
      ) as unknown as Wallet;
    const [admin, registrar, doctorWallet, patientWallet] = [0, 1, 2, 3].map(wallet);
    if (!admin || !registrar || !doctorWallet || !patientWallet) throw new Error("no wallets");
    const deployment = await deployCareLedgerWithSigner(admin, { registrar: registrar.address });
    const ledger = deployment.contract;
    const fromBlock = deployment.deploymentBlock;
    const doctorKeys = generateMemberKeyPair();
    const patientKeys = generateMemberKeyPair();
    const registrarClient = await AdminClient.connect({ ledger, signer: registrar, fromBlock });
    await registrarClient.registerOrganization(1);
    for (const [account, role, orgId, keys] of [
      [doctorWallet.address, Role.Doctor, 1, doctorKeys],
      [patientWallet.address, Role.Patient, 0, patientKeys],
    ] as const) {
      await registrarClient.onboardMember({ account, role, orgId, publicKey: keys.publicKey });
    }
    const store = new MemoryBlobStore();
    const patient = await PatientClient.connect({
      ledger,
      signer: patientWallet,
      store,
      keys: patientKeys,
      fromBlock,
    });
    await patient.grantConsent(doctorWallet.address, {
      categories: [Category.Vitals, Category.Labs],
      purposes: [Purpose.Treatment],
      expiresAt: (await patient.chainTime()) + 30 * 86_400,
    });
    const doctor = await ClinicianClient.connect({
      ledger,
      signer: doctorWallet,
      store,
      keys: doctorKeys,
      fromBlock,
    });

    // Reference: the same two transactions with plain ethers contract calls (cache off).
    const plain = new JsonRpcProvider(node.url, undefined, { cacheTimeout: -1 });
    const raw = ledger.connect(
      HDNodeWallet.fromPhrase(MNEMONIC, undefined, `m/44'/60'/0'/0/2`).connect(plain),
    );
    const anchorMs: number[] = [];
    let referenceFailures = 0;
    let referenceFirstError: string | undefined;
    const rawOpenMs: number[] = [];
    const r0 = performance.now();
    for (let i = 0; i < referencePairs; i++) {
      const id = keccak256(toUtf8Bytes(`reference ${i} ${Date.now()}`));
      try {
        anchorMs.push(
          await timedMs(() =>
            bounded(
              (async () =>
                (await raw.anchorRecord(patientWallet.address, Category.Vitals, id)).wait())(),
            ),
          ),
        );
        rawOpenMs.push(
          await timedMs(() =>
            bounded((async () => (await raw.openRecord(id, Purpose.Treatment)).wait())()),
          ),
        );
      } catch (error) {
        referenceFailures++;
        referenceFirstError ??= error instanceof Error ? error.message : String(error);
      }
    }
    const referenceSeconds = (performance.now() - r0) / 1000;
    plain.destroy();

    progress(
      `  reference: ${referencePairs} plain ethers pairs, ${referenceFailures} failed or hung${referenceFirstError === undefined ? "" : ` (${referenceFirstError})`}`,
    );

    const createMs: number[] = [];
    const openMs: number[] = [];
    let errors = 0;
    let firstError: string | undefined;
    const t0 = performance.now();
    for (let i = 0; i < pairs; i++) {
      try {
        let recordId = "";
        createMs.push(
          await timedMs(async () => {
            recordId = (
              await doctor.createRecord(patientWallet.address, Category.Vitals, `soak ${i}`)
            ).recordId;
          }),
        );
        openMs.push(
          await timedMs(async () => {
            const opened = await doctor.openRecord(recordId, Purpose.Treatment);
            if (opened.text() !== `soak ${i}`) throw new Error(`pair ${i}: wrong body`);
          }),
        );
      } catch (error) {
        errors++;
        firstError ??= error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      }
      if ((i + 1) % 250 === 0) progress(`  soak: ${i + 1}/${pairs} pairs`);
    }
    const seconds = (performance.now() - t0) / 1000;
    progress(`  soak: ${pairs} pairs in ${seconds.toFixed(1)} s, ${errors} errors`);

    const sdk = [
      summary("SDK createRecord (seal, store, anchor)", createMs, seconds),
      summary("SDK openRecord (audited open, fetch, decrypt)", openMs, seconds),
    ];
    const reference = [
      summary("ethers anchorRecord + wait", anchorMs, referenceSeconds),
      summary("ethers openRecord + wait", rawOpenMs, referenceSeconds),
    ];
    const sdkPair = (sdk[0]?.p50Ms ?? 0) + (sdk[1]?.p50Ms ?? 0);
    const rawPair = (reference[0]?.p50Ms ?? 0) + (reference[1]?.p50Ms ?? 0);
    return {
      pairs,
      seconds,
      pairsPerSecond: pairs / seconds,
      errors,
      firstError,
      sdk,
      reference,
      referencePairs,
      referenceFailures,
      referenceFirstError,
      p50Ratio: rawPair > 0 ? sdkPair / rawPair : 0,
    };
  } finally {
    provider.destroy();
    await node.stop();
  }
}

/** The soak as a table, with the plain-ethers reference and the ratio. */
export function renderSoak(r: SoakReport): string {
  const row = (o: SoakOperation): string[] => [
    o.operation,
    String(o.count),
    o.perSecond.toFixed(1),
    o.p50Ms.toFixed(1),
    o.p95Ms.toFixed(1),
    o.maxMs.toFixed(1),
  ];
  return [
    renderTable(
      `SDK soak against anvil (default JsonRpcProvider + Wallet): ${r.pairs} sequential create+open pairs in ${r.seconds.toFixed(1)} s = ${r.pairsPerSecond.toFixed(1)} pairs/s (${(2 * r.pairsPerSecond).toFixed(1)} ops/s), errors ${r.errors}`,
      [
        { header: "operation" },
        { header: "count" },
        { header: "ops/s" },
        { header: "p50 ms" },
        { header: "p95 ms" },
        { header: "max ms" },
      ],
      [...r.sdk.map(row), ...r.reference.map(row)],
    ),
    `SDK pair / plain ethers pair (p50, same node, same run): ${r.p50Ratio.toFixed(2)}x; plain ethers pairs failed or hung: ${r.referenceFailures}/${r.referencePairs}` +
      (r.firstError === undefined ? "" : `\nfirst error: ${r.firstError}`),
  ].join("\n");
}
