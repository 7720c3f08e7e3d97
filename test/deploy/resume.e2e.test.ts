/**
 * A deploy killed half way resumes from Ignition's journal and sends nothing twice.
 *
 * The node mines only on demand (anvil `--no-mining`), so the test decides when each batch of the
 * deploy lands: it lets the contract creation be mined, waits until the wiring calls of the next
 * batch are in the mempool, kills the deploy process (SIGKILL, no chance to clean up), mines them,
 * and runs the same deploy again. The second run must send only what the first did not: the final
 * `beginDefaultAdminTransfer`, which depends on the wiring calls.
 */
import { expect } from "chai";
import type { ChildProcess } from "node:child_process";
import path from "node:path";
import { getAddress, getCreateAddress, JsonRpcProvider } from "ethers";
import { readManifest } from "../../src/deploy/manifest.js";
import { REGISTRAR_ROLE } from "../../src/sdk/constants.js";
import { CareLedger__factory } from "../../typechain-types/index.js";
import { deployArgs, runHardhat } from "../helpers/deploy/cli.js";
import {
  accountsOf,
  blockNumber,
  nonceOf,
  rpc,
  useDeployWorkspace,
  waitFor,
  writeParameters,
} from "../helpers/deploy/chain.js";

interface PendingBlock {
  transactions: { hash: string; nonce: string; to: string | null }[];
}

describe("deploy: resumable after the process is killed half way", function () {
  // `hardhat test --coverage` instruments the bytecode past the 24 KB size limit a real node enforces; these
  // tests run (uninstrumented) in `npm test`.
  before(function () {
    if (process.env.HARDHAT_COVERAGE === "true") this.skip();
  });
  this.timeout(240_000);

  const ws = useDeployWorkspace("resume", { port: 0, chainId: 1337, mining: { kind: "manual" } });

  it("finishes on the second run without deploying or calling anything twice", async function () {
    const url = ws.nodes[0]!.url;
    const accounts = await accountsOf(url);
    const [deployer, registrar, r2, r3, , , , , , admin] = accounts;
    const parameters = await writeParameters(ws.dir, {
      admin, // not the deployer: the deploy ends with beginDefaultAdminTransfer(admin)
      adminTransferDelay: 600,
      initialRegistrar: registrar,
      registrars: [r2, r3],
      rolePolicies: [{ role: "BillingClerk", read: 0x81, write: 0x80, emergencyRead: 0 }],
    });
    const args = deployArgs("localnode", {
      parameters,
      deploymentId: ws.deploymentId,
      manifestDir: ws.dir,
    });
    const env = { LOCALNODE_RPC_URL: url };
    const pending = async (): Promise<PendingBlock["transactions"]> =>
      ((await rpc(url, "eth_getBlockByNumber", ["pending", true])) as PendingBlock).transactions;

    // First run: killed once the creation is mined and the wiring calls are pending.
    let child: ChildProcess | undefined;
    const firstRun = runHardhat(args, { env, onSpawn: (c) => (child = c) });
    await waitFor(
      "the creation transaction",
      async () => (await nonceOf(url, deployer!, "pending")) >= 1,
    );
    const [creation] = await pending();
    expect(creation?.to ?? null, "the first transaction creates the contract").to.equal(null);
    await rpc(url, "evm_mine");
    await waitFor("the wiring calls", async () => (await nonceOf(url, deployer!, "pending")) >= 4);
    const calls = await pending();
    child!.kill("SIGKILL");
    const killed = await firstRun;
    expect(killed.signal).to.equal("SIGKILL");
    expect(calls.map((tx) => Number(BigInt(tx.nonce)))).to.deep.equal([1, 2, 3]);
    await rpc(url, "evm_mine");
    expect(await nonceOf(url, deployer!)).to.equal(4);
    const blocksBefore = await blockNumber(url);

    // Second run, same deployment id, the node mining again.
    await rpc(url, "evm_setAutomine", [true]);
    const second = await runHardhat(args, { env });
    expect(second.code, second.stderr + second.stdout).to.equal(0);

    // Exactly one more transaction: the admin hand-over. Nothing was deployed or called twice.
    expect(await nonceOf(url, deployer!)).to.equal(5);
    expect(await blockNumber(url)).to.equal(blocksBefore + 1);
    const manifest = await readManifest(path.join(ws.dir, "1337.json"));
    const hashes = manifest.transactions.map((tx) => tx.hash);
    expect(hashes.slice(0, 4)).to.have.members([creation!.hash, ...calls.map((tx) => tx.hash)]);
    expect(manifest.transactions.map((tx) => tx.name).sort()).to.deep.equal([
      "CareLedger",
      "CareLedger#beginDefaultAdminTransfer",
      "CareLedger#grantRole",
      "CareLedger#grantRole",
      "CareLedger#setRolePolicy",
    ]);
    const address = manifest.contracts.CareLedger.address;
    expect(address).to.equal(getCreateAddress({ from: deployer!, nonce: 0 }));
    let creations = 0;
    for (let n = 1; n <= (await blockNumber(url)); n++) {
      const block = (await rpc(url, "eth_getBlockByNumber", [
        `0x${n.toString(16)}`,
        true,
      ])) as PendingBlock;
      creations += block.transactions.filter((tx) => tx.to === null).length;
    }
    expect(creations, "contract creations on the whole chain").to.equal(1);

    const provider = new JsonRpcProvider(url, 1337, { staticNetwork: true });
    try {
      const ledger = CareLedger__factory.connect(address, provider);
      expect(await ledger.hasRole(REGISTRAR_ROLE, r2!)).to.equal(true);
      expect(await ledger.hasRole(REGISTRAR_ROLE, r3!)).to.equal(true);
      expect((await ledger.rolePolicy(4)).read).to.equal(0x81n);
      expect(await ledger.defaultAdmin()).to.equal(getAddress(deployer!));
      expect((await ledger.pendingDefaultAdmin())[0]).to.equal(getAddress(admin!));
    } finally {
      provider.destroy();
    }
  });
});
