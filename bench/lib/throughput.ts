/**
 * Throughput against a real node out of process (anvil on 127.0.0.1, started and stopped by PID through
 * scripts/lib/node.ts): a clinician anchors a record and opens it, sequentially (one transaction in flight)
 * and pipelined (up to `window` in flight, nonces managed here), and in multicall batches.
 *
 * The calls are encoded with the TypeChain binding and sent with `eth_sendTransaction` from the node's
 * unlocked development accounts (the node signs, as a node-managed account or signing service would),
 * with explicit nonce and gas limit so nothing waits on estimation. The hot path speaks JSON-RPC over
 * `fetch` (src/deploy/jsonrpc.ts), not through ethers' provider, whose block number is cached and whose
 * requests are queued. Inclusion is seen by scanning new blocks every 2 ms; a transaction's latency is
 * from just before it is sent to the poll that sees it mined.
 * Timing figures are reported, never asserted.
 */
import { JsonRpcProvider, Network, toQuantity } from "ethers";
import { jsonRpcRequest } from "../../src/deploy/jsonrpc.js";
import { type MiningMode, startNode } from "../../scripts/lib/node.js";
import { type BenchLedger, Category, Masks, Purpose, setUpBench } from "./fixture.js";
import { bulkHash } from "./ids.js";

export interface LatencyStats {
  readonly count: number;
  readonly p50Ms: number;
  readonly p95Ms: number;
  readonly maxMs: number;
}

export interface ThroughputRun {
  readonly mode: string;
  readonly records: number;
  readonly transactions: number;
  /** Transactions submitted but not yet mined, at most. */
  readonly inFlight: number;
  readonly seconds: number;
  readonly recordsPerSecond: number;
  readonly transactionsPerSecond: number;
  readonly latency: LatencyStats;
  /** Mean gas of one record (its anchor + its open, or its share of the batches). */
  readonly gasPerRecord: number;
}

/** What to run against one node. */
export interface NodePlan {
  /** How the node produces blocks: automine (a block per transaction, null) or every n seconds. */
  readonly blockTimeSeconds: number | null;
  readonly sequentialRecords: number;
  readonly pipelinedRecords: number;
  /** One pipelined run per window (transactions in flight at most). */
  readonly windows: readonly number[];
  readonly batchedRecords: number;
  readonly batchSize: number;
  /** Multicall transactions in flight at most. */
  readonly batchesInFlight: number;
}

export interface NodeThroughput {
  readonly engine: string;
  readonly url: string;
  readonly chainId: number;
  readonly mining: string;
  readonly runs: readonly ThroughputRun[];
}

/** A transaction the node rejected or that reverted. */
export class NodeTransactionError extends Error {
  constructor(
    readonly hash: string,
    readonly reason: string,
  ) {
    super(`transaction ${hash} ${reason}`);
    this.name = "NodeTransactionError";
  }
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] ?? 0;
}

function stats(latencies: readonly number[]): LatencyStats {
  const sorted = [...latencies].sort((a, b) => a - b);
  return {
    count: sorted.length,
    p50Ms: percentile(sorted, 50),
    p95Ms: percentile(sorted, 95),
    maxMs: sorted[sorted.length - 1] ?? 0,
  };
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Sends from one account with locally managed nonces and sees inclusion by scanning blocks. */
class Sender {
  private nonce = 0;
  private lastBlock = 0;
  private readonly waiting = new Map<string, (minedAt: number) => void>();
  /** When the poll saw each mined transaction of this sender. */
  private readonly seen = new Map<string, number>();
  private polling: Promise<void> | null = null;
  readonly latencies: number[] = [];
  readonly hashes: string[] = [];

  constructor(
    private readonly url: string,
    private readonly from: string,
    private readonly to: string,
  ) {}

  private async rpc(method: string, params: readonly unknown[]): Promise<unknown> {
    return jsonRpcRequest(this.url, method, params, { timeoutMs: 30_000 });
  }

  private async quantity(method: string, params: readonly unknown[]): Promise<number> {
    const value = await this.rpc(method, params);
    if (typeof value !== "string")
      throw new NodeTransactionError(method, `answered ${String(value)}`);
    return Number(BigInt(value));
  }

  async init(): Promise<void> {
    this.nonce = await this.quantity("eth_getTransactionCount", [this.from, "pending"]);
    this.lastBlock = await this.quantity("eth_blockNumber", []);
  }

  /**
   * Submit `data` with the next nonce; resolves once the node accepted it, with a promise of its
   * inclusion. Submissions from one caller go out in nonce order.
   */
  async submit(data: string, gas: bigint): Promise<{ readonly mined: Promise<void> }> {
    const nonce = this.nonce++;
    const start = performance.now();
    const hash = await this.rpc("eth_sendTransaction", [
      { from: this.from, to: this.to, data, gas: toQuantity(gas), nonce: toQuantity(nonce) },
    ]);
    if (typeof hash !== "string") throw new NodeTransactionError(String(hash), "was not accepted");
    this.hashes.push(hash);
    // The poll may already have seen its block (automine can be faster than the RPC answer).
    const seen = this.seen.get(hash);
    const minedAt =
      seen === undefined
        ? new Promise<number>((resolve, reject) => {
            // A node may drop a transaction it accepted (anvil does, beyond a block's gas limit).
            const timer = setTimeout(() => {
              this.waiting.delete(hash);
              reject(
                new NodeTransactionError(hash, `was not mined within ${MINE_TIMEOUT_MS / 1000} s`),
              );
            }, MINE_TIMEOUT_MS);
            this.waiting.set(hash, (t) => {
              clearTimeout(timer);
              resolve(t);
            });
            this.polling ??= this.poll();
          })
        : Promise.resolve(seen);
    return { mined: minedAt.then((t) => void this.latencies.push(t - start)) };
  }

  /** Submit `data` and wait until it is in a block. */
  async send(data: string, gas: bigint): Promise<void> {
    await (
      await this.submit(data, gas)
    ).mined;
  }

  private async poll(): Promise<void> {
    while (this.waiting.size > 0) {
      const head = await this.quantity("eth_blockNumber", []);
      const now = performance.now();
      for (let n = this.lastBlock + 1; n <= head; n++) {
        const block = (await this.rpc("eth_getBlockByNumber", [toQuantity(n), false])) as {
          transactions: string[];
        } | null;
        if (block === null) break;
        for (const hash of block.transactions) {
          this.seen.set(hash, now);
          const resolve = this.waiting.get(hash);
          if (resolve === undefined) continue;
          this.waiting.delete(hash);
          resolve(now);
        }
        this.lastBlock = n;
      }
      if (this.waiting.size > 0) await sleep(2);
    }
    this.polling = null;
  }

  /** Receipts of everything sent: all must have succeeded. Returns the total gas used. */
  async settle(): Promise<bigint> {
    let gas = 0n;
    for (const hash of this.hashes) {
      const receipt = (await this.rpc("eth_getTransactionReceipt", [hash])) as {
        status: string;
        gasUsed: string;
      } | null;
      if (receipt === null) throw new NodeTransactionError(hash, "has no receipt");
      if (BigInt(receipt.status) !== 1n) throw new NodeTransactionError(hash, "reverted");
      gas += BigInt(receipt.gasUsed);
    }
    return gas;
  }
}

/**
 * Submit `count` transactions in nonce order without waiting for inclusion, keeping at most `window`
 * submitted but not yet mined.
 */
async function pipeline(
  sender: Sender,
  window: number,
  count: number,
  tx: (i: number) => readonly [data: string, gas: bigint],
): Promise<void> {
  const inFlight = new Set<Promise<void>>();
  for (let i = 0; i < count; i++) {
    while (inFlight.size >= window) await Promise.race(inFlight);
    const { mined } = await sender.submit(...tx(i));
    const tracked = mined.then(() => void inFlight.delete(tracked));
    inFlight.add(tracked);
  }
  await Promise.all(inFlight);
}

const MINE_TIMEOUT_MS = 60_000;
/**
 * Gas limits sent with each transaction (no estimation round trip): above what the call uses (anchor
 * ~59k, open ~47k, a patient's first open ~81k), and low enough that many fit one block's 30M.
 */
const ANCHOR_GAS = 100_000n;
const OPEN_GAS = 100_000n;

async function run(
  b: BenchLedger,
  url: string,
  mode: string,
  records: number,
  inFlight: number,
  body: (sender: Sender, record: (i: number) => string) => Promise<void>,
): Promise<ThroughputRun> {
  const sender = new Sender(url, b.addresses.doctor, await b.ledger.getAddress());
  await sender.init();
  const base = b.sequence.next;
  b.sequence.next += records;
  const record = (i: number): string => bulkHash(`bench.node.${mode}.${inFlight}`, base + i);
  const t0 = performance.now();
  await body(sender, record);
  const seconds = (performance.now() - t0) / 1000;
  const gas = await sender.settle();
  return {
    mode,
    records,
    transactions: sender.hashes.length,
    inFlight,
    seconds,
    recordsPerSecond: records / seconds,
    transactionsPerSecond: sender.hashes.length / seconds,
    latency: stats(sender.latencies),
    gasPerRecord: Number(gas) / records,
  };
}

/**
 * Start anvil on a free port on 127.0.0.1, deploy and set up a bench ledger, run `plan`, and stop the
 * node (by PID, in `finally`).
 */
export async function runThroughput(
  plan: NodePlan,
  progress: (line: string) => void,
): Promise<NodeThroughput> {
  const mining: MiningMode =
    plan.blockTimeSeconds === null
      ? { kind: "auto" }
      : { kind: "interval", seconds: plan.blockTimeSeconds };
  const miningText = plan.blockTimeSeconds === null ? "automine" : `${plan.blockTimeSeconds} s`;
  // Paid gas (anvil's default fees): with a zero base fee anvil rejects its own default priority fee.
  const node = await startNode({ engine: "anvil", port: 0, zeroGas: false, mining });
  try {
    const provider = new JsonRpcProvider(node.url, Network.from(node.chainId), {
      staticNetwork: true,
      batchMaxCount: 1,
      pollingInterval: 20,
    });
    try {
      const signers = await Promise.all(Array.from({ length: 7 }, (_, i) => provider.getSigner(i)));
      const b = await setUpBench(signers);
      const iface = b.ledger.interface;
      const patient = b.addresses.patient;
      const anchor = (r: string): string =>
        iface.encodeFunctionData("anchorRecord", [patient, Category.Labs, r]);
      const open = (r: string): string =>
        iface.encodeFunctionData("openRecord", [r, Purpose.Treatment]);
      const runs: ThroughputRun[] = [];
      const say = (what: string): void => progress(`  node (${miningText} blocks): ${what}`);

      say(`sequential, ${plan.sequentialRecords} records`);
      runs.push(
        await run(b, node.url, "sequential", plan.sequentialRecords, 1, async (s, record) => {
          for (let i = 0; i < plan.sequentialRecords; i++) {
            await s.send(anchor(record(i)), ANCHOR_GAS);
            await s.send(open(record(i)), OPEN_GAS);
          }
        }),
      );

      for (const window of plan.windows) {
        say(`pipelined, ${plan.pipelinedRecords} records, ≤ ${window} in flight`);
        const records = plan.pipelinedRecords;
        runs.push(
          await run(b, node.url, "pipelined", records, window, async (s, record) => {
            // Transaction 2i anchors record i, 2i+1 opens it: the nonce order keeps each open after its anchor.
            await pipeline(s, window, 2 * records, (t) =>
              t % 2 === 0
                ? [anchor(record(t / 2)), ANCHOR_GAS]
                : [open(record((t - 1) / 2)), OPEN_GAS],
            );
          }),
        );
      }

      const size = plan.batchSize;
      const batches = Math.ceil(plan.batchedRecords / size);
      say(`multicall batches of ${size}, ${batches * size} records`);
      runs.push(
        await run(
          b,
          node.url,
          `multicall ×${size}`,
          batches * size,
          plan.batchesInFlight,
          async (s, record) => {
            // Batch 2k anchors records, 2k+1 opens them.
            const ids = (k: number): string[] =>
              Array.from({ length: size }, (_, j) => record(k * size + j));
            const gas = (perItem: bigint): bigint => 30_000n + perItem * BigInt(size);
            const multicall = (calls: string[]): string =>
              iface.encodeFunctionData("multicall", [calls]);
            await pipeline(s, plan.batchesInFlight, 2 * batches, (t) =>
              t % 2 === 0
                ? [multicall(ids(t / 2).map(anchor)), gas(40_000n)]
                : [multicall(ids((t - 1) / 2).map(open)), gas(20_000n)],
            );
          },
        ),
      );
      return {
        engine: node.engine,
        url: node.url,
        chainId: node.chainId,
        mining: miningText,
        runs,
      };
    } finally {
      provider.destroy();
    }
  } finally {
    await node.stop();
  }
}
