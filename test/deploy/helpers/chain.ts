/** Small JSON-RPC helpers for tests that drive a real node from outside. */
import { rm, mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { getAddress } from "ethers";
import { jsonRpcRequest } from "../../../src/deploy/jsonrpc.js";
import { startNode, type NodeOptions, type RunningNode } from "../../../scripts/lib/node.js";
import { PROJECT_ROOT } from "./cli.js";

export async function rpc(
  url: string,
  method: string,
  params: readonly unknown[] = [],
): Promise<unknown> {
  return await jsonRpcRequest(url, method, params, { timeoutMs: 10_000 });
}

/** The node's own (development) accounts, checksummed. */
export async function accountsOf(url: string): Promise<string[]> {
  return ((await rpc(url, "eth_accounts")) as string[]).map((a) => getAddress(a));
}

export async function nonceOf(url: string, account: string, tag = "latest"): Promise<number> {
  return Number(BigInt(String(await rpc(url, "eth_getTransactionCount", [account, tag]))));
}

export async function blockNumber(url: string): Promise<number> {
  return Number(BigInt(String(await rpc(url, "eth_blockNumber"))));
}

/** Polls `condition` every 100 ms until it holds, or fails after `timeoutMs`. */
export async function waitFor(
  what: string,
  condition: () => Promise<boolean>,
  timeoutMs = 60_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** A scratch directory and a parameters file in it. */
export async function scratch(): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(path.join(tmpdir(), "careledger-deploy-"));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

export async function writeParameters(
  dir: string,
  parameters: Record<string, unknown>,
): Promise<string> {
  const file = path.join(dir, "parameters.json");
  await writeFile(file, JSON.stringify({ CareLedger: parameters }, null, 2));
  return file;
}

/** Removes the Ignition journal of a test deployment from the repository. */
export async function removeIgnitionDeployment(deploymentId: string): Promise<void> {
  await rm(path.join(PROJECT_ROOT, "ignition", "deployments", deploymentId), {
    recursive: true,
    force: true,
  });
}

/** What {@link useDeployWorkspace} provides to the tests of a `describe`. */
export interface DeployWorkspace {
  /** The started nodes, in the order of the options. */
  readonly nodes: RunningNode[];
  /** A scratch directory (parameters files, manifests). */
  readonly dir: string;
  /** An Ignition deployment id of this run (its journal is removed afterwards). */
  readonly deploymentId: string;
}

/**
 * Registers mocha hooks in the calling `describe`: start one node per options object before the
 * tests, and after them (whatever happened) stop every node by its PID and remove the scratch
 * directory and the test's Ignition journal.
 */
export function useDeployWorkspace(label: string, ...nodeOptions: NodeOptions[]): DeployWorkspace {
  const state = {
    nodes: [] as RunningNode[],
    dir: "",
    deploymentId: `test-${label}-${process.pid}-${Date.now()}`,
  };
  let cleanup: (() => Promise<void>) | undefined;
  before(async function () {
    const work = await scratch();
    state.dir = work.dir;
    cleanup = work.cleanup;
    // anvil explicitly: zero gas and on-demand mining need it, and a missing binary should say so
    const started = await Promise.allSettled(
      nodeOptions.map((o) => startNode({ engine: "anvil", ...o })),
    );
    state.nodes = started.flatMap((r) => (r.status === "fulfilled" ? [r.value] : []));
    const failed = started.find((r) => r.status === "rejected");
    if (failed !== undefined) throw failed.reason;
  });
  after(async function () {
    await Promise.all(state.nodes.map((n) => n.stop()));
    await removeIgnitionDeployment(state.deploymentId);
    await cleanup?.();
  });
  return state;
}
