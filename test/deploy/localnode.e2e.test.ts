/**
 * Out of process, end to end: a real node (anvil, chain 1337, zero gas) started on 127.0.0.1, the
 * deploy run as an operator runs it (`hardhat deploy --network localnode` in a child process,
 * Ignition over HTTP), a scenario sent over JSON-RPC, its events read back with `eth_getLogs` from a
 * fresh provider as a separate indexer would, and the allowlist tasks run against a Besu-like node.
 * The node is stopped in `after()`, whatever happened.
 */
import { expect } from "chai";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { getAddress, hexlify, id, JsonRpcProvider, randomBytes } from "ethers";
import { network } from "hardhat";
import { runDemo } from "../../examples/demo/index.js";
import {
  connectCareLedger,
  readManifest,
  type DeploymentManifest,
} from "../../src/deploy/manifest.js";
import { CARE_LEDGER_ABI_HASH } from "../../src/abi/careLedger.js";
import { parseAccountsAllowlist } from "../../src/deploy/permissioning.js";
import { verifyAuditTrail } from "../../src/sdk/audit.js";
import { recordIdOf } from "../../src/sdk/recordId.js";
import {
  AccessPath,
  Category,
  categoryMask,
  Purpose,
  purposeMask,
  REGISTRAR_ROLE,
  Role,
} from "../../src/sdk/constants.js";
import { CareLedger__factory } from "../../typechain-types/index.js";
import { startFakeBesu } from "../helpers/deploy/fake-besu.js";
import { deployArgs, errorLines, runHardhat } from "../helpers/deploy/cli.js";
import {
  accountsOf,
  blockNumber,
  nonceOf,
  rpc,
  useDeployWorkspace,
  writeParameters,
} from "../helpers/deploy/chain.js";

describe("deploy: out of process on a real node (anvil, chain 1337, zero gas)", function () {
  // `hardhat test --coverage` instruments the bytecode past the 24 KB size limit a real node enforces; these
  // tests run (uninstrumented) in `npm test`.
  before(function () {
    if (process.env.HARDHAT_COVERAGE === "true") this.skip();
  });
  this.timeout(240_000);

  const ws = useDeployWorkspace("localnode", { port: 0, chainId: 1337 });
  const node = () => ws.nodes[0]!;
  let accounts: string[];
  let manifest: DeploymentManifest;
  let manifestFile: string;
  const startBalance = 10_000n * 10n ** 18n;

  before(async function () {
    accounts = await accountsOf(node().url);
  });

  it("deploys with Ignition over HTTP from `hardhat deploy`, paying no gas", async function () {
    const url = node().url;
    const [deployer, registrar, extraRegistrar] = accounts as [string, string, string];
    const parameters = await writeParameters(ws.dir, {
      admin: deployer,
      adminTransferDelay: 3600,
      initialRegistrar: registrar,
      breakGlassMaxDuration: 14_400,
      registrars: [extraRegistrar],
      rolePolicies: [{ role: "Nurse", read: 30, write: 4, emergencyRead: 0 }],
    });
    const result = await runHardhat(
      deployArgs("localnode", { parameters, deploymentId: ws.deploymentId, manifestDir: ws.dir }),
      { env: { LOCALNODE_RPC_URL: url } },
    );
    expect(result.code, result.stderr + result.stdout).to.equal(0);
    console.log(
      `      full deploy against the node: ${result.ms} ms (child process, incl. Hardhat start-up)`,
    );
    manifestFile = path.join(ws.dir, "1337.json");
    manifest = await readManifest(manifestFile);

    const careLedger = manifest.contracts.CareLedger;
    expect(manifest).to.deep.include({
      chainId: 1337,
      network: "localnode",
      deploymentId: ws.deploymentId,
      deployer,
    });
    expect(manifest.transactions.map((tx) => [tx.type, tx.name, tx.status])).to.deep.equal([
      ["DEPLOYMENT_EXECUTION_STATE", "CareLedger", "SUCCESS"],
      ["CALL_EXECUTION_STATE", "CareLedger#grantRole", "SUCCESS"],
      ["CALL_EXECUTION_STATE", "CareLedger#setRolePolicy", "SUCCESS"],
    ]);
    expect(careLedger.deploymentTxHash).to.equal(manifest.transactions[0]?.hash);
    expect([careLedger.abiHash, careLedger.abiRef]).to.deep.equal([
      CARE_LEDGER_ABI_HASH,
      "careledger/abi#careLedgerAbi",
    ]);
    for (const line of manifest.transactions.map(
      (tx) => `${tx.hash} block ${tx.blockNumber} ${tx.name}`,
    )) {
      console.log(`        ${line}`);
    }
    expect(result.stdout).to.include(`CareLedger ${careLedger.address} on chain 1337`);

    // The transactions, as the node has them: EIP-1559 with zero fees (Ignition on a zero base fee).
    for (const tx of manifest.transactions) {
      const receipt = (await rpc(url, "eth_getTransactionReceipt", [tx.hash])) as {
        status: string;
        effectiveGasPrice: string;
        blockNumber: string;
      };
      expect(receipt.status).to.equal("0x1");
      expect(BigInt(receipt.effectiveGasPrice)).to.equal(0n);
      expect(Number(BigInt(receipt.blockNumber))).to.equal(tx.blockNumber);
      const sent = (await rpc(url, "eth_getTransactionByHash", [tx.hash])) as {
        type: string;
        maxFeePerGas?: string;
      };
      expect(sent.type).to.equal("0x2");
      expect(BigInt(sent.maxFeePerGas ?? "0x1")).to.equal(0n);
    }
    expect(await nonceOf(url, deployer)).to.equal(3);
    expect(BigInt(String(await rpc(url, "eth_getBalance", [deployer, "latest"])))).to.equal(
      startBalance,
    );
    expect(
      String(await rpc(url, "eth_getCode", [careLedger.address, "latest"])).length,
    ).to.be.greaterThan(2);
  });

  it("runs a scenario over JSON-RPC, and a fresh provider sees its events with eth_getLogs", async function () {
    const url = node().url;
    const connection = await network.create({ network: "localnode", override: { url } });
    try {
      const signers = await connection.ethers.getSigners();
      const [, registrarSigner, , , doctor, patient] = signers;
      if (registrarSigner === undefined || doctor === undefined || patient === undefined)
        throw new Error("signers");
      const ledger = connectCareLedger(manifest, registrarSigner);
      const before = await blockNumber(url);

      await (await ledger.registerOrganization(7)).wait();
      await (
        await ledger.onboardMember(doctor.address, Role.Doctor, 7, hexlify(randomBytes(32)))
      ).wait();
      await (
        await ledger.onboardMember(patient.address, Role.Patient, 0, hexlify(randomBytes(32)))
      ).wait();
      const latest = await connection.ethers.provider.getBlock("latest");
      const expiresAt = (latest?.timestamp ?? 0) + 86_400;
      await (
        await ledger
          .connect(patient)
          .grantConsent(
            doctor.address,
            categoryMask(Category.Labs),
            purposeMask(Purpose.Treatment),
            expiresAt,
          )
      ).wait();
      const contentHash = id(`e2e lab result ${Date.now()}`);
      await (
        await ledger.connect(doctor).anchorRecord(patient.address, Category.Labs, contentHash)
      ).wait();
      const recordId = recordIdOf(patient.address, contentHash);
      const openReceipt = await (
        await ledger.connect(doctor).openRecord(recordId, Purpose.Treatment)
      ).wait();
      // ethers signers go through Hardhat's fixed gasPrice 0: legacy transactions at gas price 0
      const openTx = (await rpc(url, "eth_getTransactionByHash", [openReceipt?.hash])) as {
        type: string;
        gasPrice: string;
      };
      expect([openTx.type, BigInt(openTx.gasPrice)]).to.deep.equal(["0x0", 0n]);

      // A separate indexer: its own provider, raw eth_getLogs from the deployment block.
      const indexer = new JsonRpcProvider(url, 1337, { staticNetwork: true });
      try {
        const address = manifest.contracts.CareLedger.address;
        const logs = await indexer.getLogs({
          address,
          fromBlock: manifest.contracts.CareLedger.deploymentBlock,
          toBlock: "latest",
        });
        const iface = CareLedger__factory.createInterface();
        const events = logs.map((log) => iface.parseLog(log)).filter((e) => e !== null);
        expect(events.map((e) => e.name)).to.deep.equal([
          // constructor: the admin, the default limits, the five default staff policies, the patient's
          // erase policy, the break-glass cap, the registrar
          "RoleGranted",
          "LimitsSet",
          ...Array<string>(5).fill("RolePolicySet"),
          "ErasePolicySet",
          "BreakGlassMaxDurationSet",
          "RoleGranted",
          // Ignition calls: the extra registrar, the nurse policy override
          "RoleGranted",
          "RolePolicySet",
          "OrganizationRegistered",
          "MemberOnboarded",
          "MemberOnboarded",
          "ConsentGranted",
          "RecordAnchored",
          "RecordOpened",
        ]);
        const byName = (name: string) => events.filter((e) => e.name === name);
        expect(byName("RoleGranted")[2]?.args.toArray()).to.deep.equal([
          REGISTRAR_ROLE,
          accounts[2],
          accounts[0],
        ]);
        expect(
          byName("MemberOnboarded").map((e): unknown[] => [e.args.account, Number(e.args.role)]),
        ).to.deep.equal([
          [doctor.address, Role.Doctor],
          [patient.address, Role.Patient],
        ]);
        const opened = byName("RecordOpened")[0];
        expect(opened?.args.recordId).to.equal(recordId);
        expect(opened?.args.patient).to.equal(patient.address);
        expect(opened?.args.accessor).to.equal(doctor.address);
        expect(Number(opened?.args.path)).to.equal(AccessPath.Consent);
        // the deploy's own logs come first, then the scenario's, all found by the fresh provider
        expect(logs.slice(12).every((l) => l.blockNumber > before)).to.equal(true);
        // the audit head on chain is the fold of the emitted entries
        const audit = await verifyAuditTrail(connectCareLedger(manifest, indexer), {
          fromBlock: manifest.contracts.CareLedger.deploymentBlock,
        });
        expect(audit.entries.map((e) => e.action)).to.deep.equal(["RecordOpened"]);
        expect(audit.matchesChain).to.equal(true);
      } finally {
        indexer.destroy();
      }
    } finally {
      await connection.close();
    }
  });

  it("runs the demo scenario unchanged over JSON-RPC (npm run demo -- --network localnode)", async function () {
    const connection = await network.create({
      network: "localnode",
      override: { url: node().url },
    });
    try {
      const result = await runDemo({
        signers: await connection.ethers.getSigners(),
        log: () => {},
      });
      expect(result.audit.matchesChain).to.equal(true);
      expect(result.refusals.map((r) => r.errorName)).to.deep.equal([
        "CategoryNotAllowedForRole",
        "ConsentMissing",
      ]);
      // zero gas: every development account still has its starting balance
      for (const account of accounts.slice(0, 9)) {
        expect(
          BigInt(String(await rpc(node().url, "eth_getBalance", [account, "latest"]))),
        ).to.equal(startBalance);
      }
    } finally {
      await connection.close();
    }
  });

  it("exports the allowlist and syncs a Besu node from the CLI, dry run first", async function () {
    const url = node().url;
    const stale = getAddress(hexlify(randomBytes(20)));
    const besu = await startFakeBesu([accounts[0]!, stale]);
    try {
      const toml = path.join(ws.dir, "permissions_config.toml");
      const allowlist = (...args: string[]) =>
        runHardhat(["allowlist", ...args, "--network", "localnode", "--manifest", manifestFile], {
          env: { LOCALNODE_RPC_URL: url },
        });
      const [exported, dryRun] = await Promise.all([
        allowlist("export", "--out", toml),
        allowlist("sync", "--nodes", besu.url),
      ]);
      expect(exported.code, exported.stderr).to.equal(0);
      const expected = [accounts[0], accounts[1], accounts[2], accounts[4], accounts[5]].map((a) =>
        getAddress(a!),
      );
      expect(parseAccountsAllowlist(await readFile(toml, "utf8"))).to.have.members(expected);

      expect(dryRun.code, dryRun.stderr).to.equal(0);
      expect(dryRun.stdout).to.match(
        /: 4 to add, 1 to remove, 1 unchanged \(dry run: re-run with --apply to send these changes\)/,
      );
      expect(dryRun.stdout).to.include(`+ ${getAddress(accounts[4]!)}  doctor`);
      expect(besu.changeRequests()).to.equal(0);

      const applied = await allowlist("sync", "--nodes", besu.url, "--apply");
      expect(applied.code, applied.stderr).to.equal(0);
      expect(applied.stdout).to.match(/4 to add, 1 to remove, 1 unchanged \(applied\)/);
      expect(besu.allowlist()).to.have.members(expected.map((a) => a.toLowerCase()));
    } finally {
      await besu.close();
    }
  });

  it("refuses a manifest of another chain with one line", async function () {
    const other = path.join(ws.dir, "other", "2025.json");
    await mkdir(path.dirname(other), { recursive: true });
    await writeFile(other, JSON.stringify({ ...manifest, chainId: 2025 }));
    const result = await runHardhat(
      ["allowlist", "export", "--network", "localnode", "--manifest", other],
      { env: { LOCALNODE_RPC_URL: node().url } },
    );
    expect(result.code).to.equal(1);
    expect(errorLines(result)).to.deep.equal([
      `Error: The manifest is for chain 2025 but the node of network "localnode" is on chain 1337: pass the right --manifest`,
    ]);
  });
});
