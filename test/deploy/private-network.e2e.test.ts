/**
 * The private-network deploy against real anvil nodes shaped like the clients it targets: a
 * pre-Shanghai EVM (`--hardfork paris`, as GoQuorum) and a pre-London chain without base fee
 * (`--hardfork berlin`), both at zero gas. The per-EVM build, the EVM probe, what is really sent per
 * chain kind, a sync with a node down, unattended (exported) variables, malformed environments.
 */
import { expect } from "chai";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { Wallet } from "ethers";
import hre from "hardhat";
import { evmBuildContext } from "../../src/deploy/deploy.js";
import { buildForEvm, RUNTIME_SIZE_LIMIT } from "../../src/deploy/evm-build.js";
import { readManifest } from "../../src/deploy/manifest.js";
import { freePort } from "../../scripts/lib/node.js";
import { opcodesOf } from "../../src/deploy/preflight.js";
import { startFakeBesu } from "./helpers/fake-besu.js";
import { RpcErrorReply, startProxyRpc } from "./helpers/rpc-server.js";
import {
  deployArgs,
  emptyConfigHome,
  errorLines,
  expectOneLine,
  keystoreSetScript,
  runHardhat,
  type CliResult,
} from "./helpers/cli.js";
import {
  blockNumber as blockNumberOf,
  rpc,
  useDeployWorkspace,
  writeParameters,
} from "./helpers/chain.js";
import { skipUnderCoverage } from "../helpers/coverage.js";

const PUSH0 = 0x5f;
const MCOPY = 0x5e;

describe("deploy: private-network clients (anvil as a paris EVM and a legacy chain, zero gas)", function () {
  skipUnderCoverage();
  before(function () {
    if (process.env.HARDHAT_COVERAGE === "true") this.skip();
  });
  this.timeout(300_000);

  const zero = { port: 0, chainId: 2025, zeroGas: false } as const;
  const ws = useDeployWorkspace(
    "clients",
    { ...zero, extraArgs: ["--hardfork", "paris", "--base-fee", "0", "--gas-price", "0"] },
    { ...zero, extraArgs: ["--hardfork", "berlin", "--gas-price", "0"] },
  );
  const paris = () => ws.nodes[0]!;
  const berlin = () => ws.nodes[1]!;
  const deployer = Wallet.createRandom();
  let parameters: string;
  const env = (url: string) => ({
    CARELEDGER_RPC_URL: url,
    CARELEDGER_CHAIN_ID: "2025",
    CARELEDGER_DEPLOYER_KEY: deployer.privateKey,
  });
  const deploy = (url: string, dir: string, id: string, ...extra: string[]) =>
    runHardhat(
      [...deployArgs("careledger", { parameters, deploymentId: id, manifestDir: dir }), ...extra],
      { env: env(url) },
    );

  before(async function () {
    parameters = await writeParameters(ws.dir, { admin: deployer.address });
  });

  it("builds CareLedger for paris under the size limit, with no PUSH0 or MCOPY in its runtime", async function () {
    const build = await buildForEvm(evmBuildContext(hre, "paris"), "paris");
    expect(build.runtimeSize).to.be.below(RUNTIME_SIZE_LIMIT);
    expect(path.relative(hre.config.paths.root, build.file)).to.equal(
      path.join("artifacts-evm", "paris", "CareLedger.json"),
    );
    const runtime = opcodesOf(build.artifact.deployedBytecode);
    expect(runtime.has(PUSH0), "PUSH0 in the paris runtime").to.equal(false);
    expect(runtime.has(MCOPY), "MCOPY in the paris runtime").to.equal(false);
    // the walk sees them where they are: the default (cancun) build uses both
    const cancun = opcodesOf((await hre.artifacts.readArtifact("CareLedger")).deployedBytecode);
    expect(cancun.has(PUSH0) && cancun.has(MCOPY)).to.equal(true);
    console.log(`      paris runtime ${build.runtimeSize} bytes, headroom ${build.headroom} bytes`);
  });

  it("refuses the cancun build on a paris EVM in one line, and deploys the paris build there", async function () {
    const refused = await runHardhat(["preflight", "--network", "careledger"], {
      env: env(paris().url),
    });
    expectOneLine(
      refused,
      /^Error: The node at http:\/\/127\.0\.0\.1:\d+ \(anvil\/v[\d.]+\) cannot run PUSH0 \(shanghai\), MCOPY \(cancun\), which the cancun build of CareLedger uses: deploy the build for its EVM with --evm paris/,
    );
    const dir = path.join(ws.dir, "paris");
    const deployed = await deploy(paris().url, dir, `${ws.deploymentId}-paris`, "--evm", "paris");
    expect(deployed.code, deployed.stdout + deployed.stderr).to.equal(0);
    const manifest = await readManifest(path.join(dir, "2025.json"));
    expect(manifest.parameters["evmVersion"]).to.equal("paris");
    const creation = (await rpc(paris().url, "eth_getTransactionByHash", [
      manifest.contracts.CareLedger.deploymentTxHash,
    ])) as Record<string, string>;
    // base fee 0: Ignition sends EIP-1559 at 0/0
    expect(creation).to.deep.include({
      type: "0x2",
      maxFeePerGas: "0x0",
      maxPriorityFeePerGas: "0x0",
    });
    const code = String(
      await rpc(paris().url, "eth_getCode", [manifest.contracts.CareLedger.address, "latest"]),
    );
    expect(code.length).to.be.greaterThan(2);
  });

  it("sends legacy transactions at gas price 0 on a chain without base fee (berlin), and offers the first sync", async function () {
    const dir = path.join(ws.dir, "berlin");
    const besu = await startFakeBesu([deployer.address]);
    let deployed: CliResult;
    try {
      deployed = await deploy(
        berlin().url,
        dir,
        `${ws.deploymentId}-berlin`,
        ...["--evm", "paris", "--sync-nodes", besu.url],
      );
      // bootstrap step 2 done by the deploy: the admin may transact, the deployer is kept
      expect(besu.allowlist()).to.have.members([deployer.address.toLowerCase()]);
    } finally {
      await besu.close();
    }
    expect(deployed.code, deployed.stdout + deployed.stderr).to.equal(0);
    expect(deployed.stdout).to.match(/already in sync/);
    const manifest = await readManifest(path.join(dir, "2025.json"));
    const creation = (await rpc(berlin().url, "eth_getTransactionByHash", [
      manifest.contracts.CareLedger.deploymentTxHash,
    ])) as Record<string, string>;
    expect(creation).to.deep.include({ type: "0x0", gasPrice: "0x0" });
    expect(
      BigInt(String(await rpc(berlin().url, "eth_getBalance", [deployer.address, "latest"]))),
    ).to.equal(0n);
  });

  it("stops with one line when the node rejects a zero-priced transaction of the deploy (Besu without --min-gas-price=0)", async function () {
    const besuLike = await startProxyRpc(paris().url, {
      eth_sendRawTransaction: () => {
        throw new RpcErrorReply(-32000, "Gas price below configured minimum gas price");
      },
    });
    try {
      const dir = path.join(ws.dir, "rejected");
      const result = await deploy(
        besuLike.url,
        dir,
        `${ws.deploymentId}-rejected`,
        "--evm",
        "paris",
      );
      expectOneLine(
        result,
        /^Error: The node at http:\/\/127\.0\.0\.1:\d+ rejects transactions priced 0 \(Gas price below configured minimum gas price\): start every node with --min-gas-price=0 \(and zeroBaseFee in the genesis\), then re-run the same command to resume$/,
      );
    } finally {
      await besuLike.close();
    }
  });

  it("syncs past a node that is down: the next node is updated, the exit is 1, a re-run changes nothing more", async function () {
    const besu = await startFakeBesu([deployer.address]);
    const down = `http://127.0.0.1:${await freePort()}`;
    const relayer = Wallet.createRandom().address;
    try {
      const sync = () =>
        runHardhat(
          [
            "allowlist",
            "sync",
            "--network",
            "careledger",
            "--apply",
            "--manifest",
            path.join(ws.dir, "paris", "2025.json"),
            "--nodes",
            `${down},${besu.url}`,
            "--keep",
            relayer,
          ],
          // unattended: only the URL and the chain id, exported; no key, nothing prompts
          { env: { CARELEDGER_RPC_URL: paris().url, CARELEDGER_CHAIN_ID: "2025" } },
        );
      const first = await sync();
      expect(first.code, first.stdout + first.stderr).to.equal(1);
      expect(first.stdout).to.match(
        new RegExp(
          `${down.replaceAll(".", "\\.")}: FAILED, not synced \\(.*connection failed \\(ECONNREFUSED\\)\\)`,
        ),
      );
      expect(first.stdout).to.match(/1 to add, 0 to remove, 1 unchanged \(applied\)/);
      expect(first.stdout).to.include("1 of 2 nodes FAILED");
      expect(besu.allowlist()).to.have.length(2);
      const changes = besu.changeRequests();
      const second = await sync();
      expect(second.code).to.equal(1);
      expect(besu.changeRequests(), "nothing sent to a node in step").to.equal(changes);
    } finally {
      await besu.close();
    }
  });

  it("runs unattended: npm run keystore:set takes a piped value; an exported URL wins over the keystore's, nothing prompts", async function () {
    const configHome = emptyConfigHome();
    const password = "correct horse battery staple";
    // provisioned by a script: the value piped in at once, the password from the environment
    const stored = await keystoreSetScript(
      configHome,
      "CARELEDGER_RPC_URL",
      "http://127.0.0.1:1",
      password,
    );
    expect(stored.code, stored.stdout + stored.stderr).to.equal(0);
    expect(stored.stdout).to.include('Key "CARELEDGER_RPC_URL" set in the production keystore');
    // as cron runs it: stdin closed, the URL and chain id exported, no key anywhere
    const exported = await runHardhat(
      [
        "allowlist",
        "export",
        "--network",
        "careledger",
        "--manifest",
        path.join(ws.dir, "paris", "2025.json"),
      ],
      { configHome, env: { CARELEDGER_RPC_URL: paris().url, CARELEDGER_CHAIN_ID: "2025" } },
    );
    expect(exported.code, exported.stdout + exported.stderr).to.equal(0);
    expect(exported.stdout).to.not.include("password");
    expect(exported.stdout).to.include(`"${deployer.address.toLowerCase()}"`);
  });

  it("with a malformed environment, every command that uses the network says so in one line; others still run", async function () {
    const web = createServer((_req, res) => {
      res.writeHead(200, { "content-type": "text/html" });
      res.end("<html>intranet</html>");
    });
    await new Promise<void>((resolve) => web.listen(0, "127.0.0.1", resolve));
    const badJson = path.join(ws.dir, "bad.json");
    await writeFile(badJson, '{ "CareLedger": { "admin": "0x00", } }');
    const closed = await freePort();
    const parisBlocks = await blockNumberOf(paris().url);
    try {
      const preflight = (extra: Record<string, string>) =>
        runHardhat(["preflight", "--network", "careledger"], {
          env: { ...env(paris().url), ...extra },
        });
      const [list, chainId, gasPrice, notANode, refused, json, ignition] = await Promise.all([
        runHardhat(["keystore", "list"], {
          configHome: emptyConfigHome(),
          env: { CARELEDGER_CHAIN_ID: "twenty" },
        }),
        preflight({ CARELEDGER_CHAIN_ID: "twenty" }),
        runHardhat(["allowlist", "export", "--network", "careledger"], {
          env: { ...env(paris().url), CARELEDGER_GAS_PRICE: "free" },
        }),
        preflight({
          CARELEDGER_RPC_URL: `http://127.0.0.1:${(web.address() as AddressInfo).port}`,
        }),
        preflight({ CARELEDGER_RPC_URL: `http://localhost:${closed}` }),
        runHardhat(
          deployArgs("careledger", {
            parameters: badJson,
            deploymentId: "unused",
            manifestDir: ws.dir,
          }),
          { env: env(paris().url) },
        ),
        // a command of another plugin that connects: refused by the careledger-environment hook
        runHardhat(
          ["ignition", "deploy", "ignition/modules/CareLedger.ts", "--network", "careledger"],
          { env: { ...env(paris().url), CARELEDGER_CHAIN_ID: "twenty" } },
        ),
      ]);
      expect(ignition.code).to.equal(1);
      expect(errorLines(ignition)[0]).to.equal(
        'Error in community plugin careledger-environment: CARELEDGER_CHAIN_ID="twenty" is not a chain id: use a positive integer',
      );
      expect(ignition.stdout + ignition.stderr).to.not.match(/report it|    at /);
      expect(await blockNumberOf(paris().url)).to.equal(parisBlocks);
      // the keystore's own answer (there is none in this config home), not a config crash
      expect(list.stdout + list.stderr).to.not.match(/NetworkConfigError|report it|twenty/);
      expect(list.stdout + list.stderr).to.match(/No production keystore found/);
      expectOneLine(
        chainId,
        /^Error: CARELEDGER_CHAIN_ID="twenty" is not a chain id: use a positive integer$/,
      );
      expectOneLine(
        gasPrice,
        /^Error: CARELEDGER_GAS_PRICE="free" is not a gas price: use "auto" or an integer amount of wei \(0 for a zero-gas network\)$/,
      );
      expectOneLine(
        notANode,
        /^Error: http:\/\/127\.0\.0\.1:\d+, the URL of network "careledger" \(CARELEDGER_RPC_URL\), is not an Ethereum JSON-RPC node \(HTTP 200 with a body that is not JSON-RPC\): set CARELEDGER_RPC_URL to a node's JSON-RPC URL$/,
      );
      expectOneLine(
        refused,
        /\(connection failed \(ECONNREFUSED\)\): start the node or fix CARELEDGER_RPC_URL$/,
      );
      expectOneLine(json, /bad\.json: is not valid JSON: .*position \d+/);
    } finally {
      web.close();
    }
  });
});
