/**
 * docs/private-network.md, section 8, followed as written: the commands of its first `bash` block
 * run in order against a real anvil started with the block's flags. Only what a test must change is
 * changed: a random port instead of 8545, 1 s blocks instead of 2 (the docs allow both), a local
 * stand-in for Besu's PERM API at the `--nodes` URL (anvil has none), and the deploy's journal,
 * manifest and the exported file kept in a scratch directory instead of the repository. Then the
 * rest of the bootstrap order (section 4) is played with the SDK: the admin accepts, a registrar
 * onboards, and the next sync drops the deployer and admits the member.
 */
import { expect } from "chai";
import { execFileSync } from "node:child_process";
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { getAddress, JsonRpcProvider, Wallet } from "ethers";
import { connectCareLedger, readManifest } from "../../src/deploy/manifest.js";
import { parseAccountsAllowlist } from "../../src/deploy/permissioning.js";
import { AdminClient } from "../../src/sdk/clients/admin.js";
import { Role } from "../../src/sdk/constants.js";
import { startFakeBesu, type FakeBesu } from "../helpers/deploy/fake-besu.js";
import { PROJECT_ROOT, runHardhat, type CliResult } from "../helpers/deploy/cli.js";
import { accountsOf, rpc, useDeployWorkspace, waitFor } from "../helpers/deploy/chain.js";
import { skipUnderCoverage } from "../helpers/index.js";

/** The commands of the first `bash` block of section 8, comments dropped. */
async function walkthroughCommands(): Promise<string[]> {
  const docs = await readFile(path.join(PROJECT_ROOT, "docs", "private-network.md"), "utf8");
  const section = docs.slice(docs.indexOf("## 8. Try it on anvil first"));
  const block = /```bash\n([\s\S]*?)```/.exec(section)?.[1];
  if (block === undefined) throw new Error("docs/private-network.md section 8 has no bash block");
  return block
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line !== "" && !line.startsWith("#"));
}

/** `--flag value` pairs of an `npx anvil …` line. */
function anvilFlags(line: string): Map<string, string> {
  const words = line.split(/\s+/).slice(2);
  const flags = new Map<string, string>();
  for (let i = 0; i < words.length; i += 2) flags.set(words[i]!, words[i + 1] ?? "");
  return flags;
}

const docsFlags = new Map<string, string>();

describe("docs/private-network.md followed step by step against anvil (chain 2025, base fee 0, gas price 0)", function () {
  skipUnderCoverage();
  before(function () {
    if (process.env.HARDHAT_COVERAGE === "true") this.skip();
  });
  this.timeout(240_000);

  let commands: string[] = [];
  before(async function () {
    commands = await walkthroughCommands();
    const anvil = commands.find((c) => c.startsWith("npx anvil "));
    if (anvil === undefined) throw new Error("no npx anvil line in section 8");
    for (const [k, v] of anvilFlags(anvil)) docsFlags.set(k, v);
  });
  // the node exactly as the docs' flags say, but for the port and the block time
  const ws = useDeployWorkspace("walkthrough", {
    port: 0,
    chainId: 2025,
    zeroGas: false,
    mining: { kind: "interval", seconds: 1 },
    get extraArgs() {
      return [...docsFlags]
        .filter(([k]) => !["--port", "--chain-id", "--block-time"].includes(k))
        .flat();
    },
  });
  const node = () => ws.nodes[0]!;
  let besu: FakeBesu;
  after(async function () {
    await besu?.close();
  });

  it("says the same as the README and Besu: one Node 22 path, one permissions file, permissioning removed in 25.6.0", async function () {
    const docs = await readFile(path.join(PROJECT_ROOT, "docs", "private-network.md"), "utf8");
    const readme = await readFile(path.join(PROJECT_ROOT, "README.md"), "utf8");
    const nodePaths = (text: string) => new Set(text.match(/export PATH=[^\s`]+/g) ?? []);
    expect([...nodePaths(docs)]).to.deep.equal([...nodePaths(readme)]);
    expect(nodePaths(readme).size).to.equal(1);
    const besu = /```bash\n(besu --data-path[\s\S]*?)```/.exec(docs)?.[1] ?? "";
    expect(besu).to.include("--permissions-nodes-config-file=permissions_config.toml");
    expect(besu).to.include("--permissions-accounts-config-file=permissions_config.toml");
    expect(docs).to.match(/removed\*\* it in\s+25\.6\.0/);
    expect(docs).to.not.match(/\/opt\/node22/);
  });

  it("runs every command of section 8 as written; then the bootstrap order of section 4 works", async function () {
    expect(docsFlags.get("--chain-id")).to.equal("2025");
    expect(docsFlags.get("--base-fee")).to.equal("0");
    expect(docsFlags.get("--gas-price")).to.equal("0");
    expect(docsFlags.get("--block-time")).to.equal("2");
    // anvil's eth_gasPrice is 1 gwei here (its default priority fee): the preflight must not care
    expect(BigInt(String(await rpc(node().url, "eth_gasPrice")))).to.be.greaterThan(0n);

    besu = await startFakeBesu([]);
    const toml = path.join(ws.dir, "permissions_config.toml");
    const nodesAllowlist = 'nodes-allowlist=[\n  "enode://abc@10.0.0.1:30303"\n]\n';
    await writeFile(toml, nodesAllowlist);
    const manifest = path.join(ws.dir, "2025.json");
    const env: Record<string, string> = {};
    const substitute = (text: string) =>
      text
        .replaceAll("http://127.0.0.1:8545", node().url)
        .replaceAll("http://127.0.0.1:8546", besu.url);
    const results: [string, CliResult][] = [];

    for (const command of commands) {
      if (command.startsWith("npx anvil ")) continue; // started above, with these flags
      const exported = /^export (\w+)=(.*)$/.exec(command);
      if (exported !== null) {
        env[exported[1]!] = execFileSync("bash", ["-c", `printf %s ${exported[2]!}`], {
          cwd: PROJECT_ROOT,
          encoding: "utf8",
        }).trim();
        env[exported[1]!] = substitute(env[exported[1]!]!);
        continue;
      }
      let args = substitute(command).split(/\s+/);
      if (args[0] === "npm" && args[1] === "run" && args[2] === "deploy" && args[3] === "--") {
        args = [
          "deploy",
          ...args.slice(4),
          "--deployment-id",
          ws.deploymentId,
          "--manifest-dir",
          ws.dir,
          "--quiet",
        ];
      } else if (args[0] === "npx" && args[1] === "hardhat") {
        args = args.slice(2);
        if (args[0] === "allowlist") args.push("--manifest", manifest);
        args = args.map((a) => (a === "permissions_config.toml" ? toml : a));
      } else {
        throw new Error(`section 8 has a command this walkthrough does not know: ${command}`);
      }
      const result = await runHardhat(args, { env });
      expect(result.code, `${command}\n${result.stdout}${result.stderr}`).to.equal(0);
      results.push([command, result]);
    }
    expect(results.map(([c]) => c.split(" ").slice(0, 4).join(" "))).to.deep.equal([
      "npx hardhat preflight --network",
      "npm run deploy --",
      "npx hardhat allowlist export",
      "npx hardhat allowlist sync",
    ]);
    const [preflight, deploy] = results.map(([, r]) => r);
    expect(preflight!.stdout).to.include(
      "zero gas (base fee 0: EIP-1559 transactions with max fee and priority fee 0)",
    );
    expect(preflight!.stdout).to.include("nothing was sent");

    // the deployer never held a wei, and Ignition sent type-2 transactions priced 0
    const deployer = new Wallet(env["CARELEDGER_DEPLOYER_KEY"]!).address;
    expect(BigInt(String(await rpc(node().url, "eth_getBalance", [deployer, "latest"])))).to.equal(
      0n,
    );
    const deployed = await readManifest(manifest);
    expect(deployed.deployer).to.equal(deployer);
    expect(deploy!.stdout).to.include("Admin hand-over started");
    for (const tx of deployed.transactions) {
      const sent = (await rpc(node().url, "eth_getTransactionByHash", [tx.hash])) as Record<
        string,
        string
      >;
      expect(sent, tx.name).to.deep.include({
        type: "0x2",
        maxFeePerGas: "0x0",
        maxPriorityFeePerGas: "0x0",
      });
    }

    // one file for both allowlists: the export kept nodes-allowlist
    const written = await readFile(toml, "utf8");
    expect(written).to.include(nodesAllowlist.trim());
    const [admin, registrar1, registrar2, , memberAccount] = await accountsOf(node().url);
    const governance = [deployer, admin!, registrar1!, registrar2!];
    expect(parseAccountsAllowlist(written)).to.have.members(governance);
    expect(besu.allowlist()).to.have.members(governance.map((a) => a.toLowerCase()));

    // section 4, steps 3 and 4: the admin accepts after the delay, a registrar onboards
    const provider = new JsonRpcProvider(node().url, 2025, { staticNetwork: true });
    try {
      const ledger = connectCareLedger(deployed, provider);
      const adminSigner = await provider.getSigner(admin);
      await waitFor("the admin transfer delay", async () => {
        const [, schedule] = await ledger.pendingDefaultAdmin();
        const block = await provider.getBlock("latest");
        return block !== null && BigInt(block.timestamp) > schedule;
      });
      await (await ledger.connect(adminSigner).acceptDefaultAdminTransfer()).wait();
      expect(await ledger.defaultAdmin()).to.equal(admin);
      const registrar = await AdminClient.connect({
        ledger,
        signer: await provider.getSigner(registrar1),
      });
      await registrar.registerOrganization(7);
      await registrar.onboardMember({
        account: memberAccount!,
        role: Role.Doctor,
        orgId: 7,
        publicKey: new Uint8Array(32).fill(9),
      });
      expect((await ledger.memberOf(memberAccount!))[0].active).to.equal(true);
    } finally {
      provider.destroy();
    }
    const sync = commands.find((c) => c.startsWith("npx hardhat allowlist sync"))!;
    const again = await runHardhat(
      [...substitute(sync).split(/\s+/).slice(2), "--manifest", manifest],
      { env },
    );
    expect(again.code, again.stderr).to.equal(0);
    expect(besu.allowlist()).to.have.members(
      [admin!, registrar1!, registrar2!, getAddress(memberAccount!)].map((a) => a.toLowerCase()),
    );
  });
});
