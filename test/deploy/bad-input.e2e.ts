/**
 * `hardhat deploy --network careledger` as an operator runs it, against real nodes (anvil as chain
 * 2025: one with zero gas, one that charges gas), with the deployer key in Hardhat's encrypted
 * keystore. Each bad input stops with exit code 1 and one line on stderr, and the node receives no
 * transaction; with the right keystore password the same command deploys from an unfunded key.
 */
import { expect } from "chai";
import path from "node:path";
import { Wallet } from "ethers";
import { readManifest } from "../../src/deploy/manifest.js";
import { freePort, type RunningNode } from "../../scripts/lib/node.js";
import { deployArgs, emptyConfigHome, expectOneLine, runHardhat } from "./helpers/cli.js";
import { blockNumber, nonceOf, rpc, useDeployWorkspace, writeParameters } from "./helpers/chain.js";

const CHAIN_ID = "2025";
const PASSWORD = "correct horse battery staple";

describe("deploy: bad input stops before sending anything (real CLI, real nodes)", function () {
  // `hardhat test --coverage` instruments the bytecode past the 24 KB size limit a real node enforces; these
  // tests run (uninstrumented) in `npm test`.
  before(function () {
    if (process.env.HARDHAT_COVERAGE === "true") this.skip();
  });
  this.timeout(240_000);

  const ws = useDeployWorkspace(
    "keystore",
    { port: 0, chainId: Number(CHAIN_ID) },
    { port: 0, chainId: Number(CHAIN_ID), zeroGas: false },
  );
  const zeroGas = () => ws.nodes[0]!;
  const paid = () => ws.nodes[1]!;
  let parameters: string;
  const deployer = Wallet.createRandom();

  before(async function () {
    parameters = await writeParameters(ws.dir, {
      admin: deployer.address,
      breakGlassMaxDuration: 3600,
    });
  });

  const deploy = (env: Record<string, string>, options: Parameters<typeof runHardhat>[1] = {}) =>
    runHardhat(
      deployArgs("careledger", { parameters, deploymentId: ws.deploymentId, manifestDir: ws.dir }),
      {
        ...options,
        env: { CARELEDGER_CHAIN_ID: CHAIN_ID, ...env },
      },
    );

  async function expectUntouched(node: RunningNode): Promise<void> {
    expect(await blockNumber(node.url), "no block was mined").to.equal(0);
    expect(await nonceOf(node.url, deployer.address, "pending"), "nothing was sent").to.equal(0);
  }

  it("for an unreachable URL, a wrong chain id, a missing key, a node that rejects price 0 and an unfunded deployer", async function () {
    const closedPort = await freePort();
    const [unreachable, wrongChain, missingKey, zeroPrice, unfunded] = await Promise.all([
      deploy({
        CARELEDGER_RPC_URL: `http://127.0.0.1:${closedPort}`,
        CARELEDGER_DEPLOYER_KEY: deployer.privateKey,
      }),
      deploy({
        CARELEDGER_RPC_URL: zeroGas().url,
        CARELEDGER_CHAIN_ID: "999",
        CARELEDGER_DEPLOYER_KEY: deployer.privateKey,
      }),
      deploy({ CARELEDGER_RPC_URL: zeroGas().url }),
      deploy({ CARELEDGER_RPC_URL: paid().url, CARELEDGER_DEPLOYER_KEY: deployer.privateKey }),
      deploy({
        CARELEDGER_RPC_URL: paid().url,
        CARELEDGER_DEPLOYER_KEY: deployer.privateKey,
        CARELEDGER_GAS_PRICE: "auto",
      }),
    ]);
    expectOneLine(
      unreachable,
      new RegExp(
        `^Error: Cannot reach the JSON-RPC node of network "careledger" at http://127\\.0\\.0\\.1:${closedPort} \\(connection failed \\(ECONNREFUSED\\)\\): start the node or fix CARELEDGER_RPC_URL$`,
      ),
    );
    expectOneLine(
      wrongChain,
      /^Error: The node at http:\/\/127\.0\.0\.1:\d+ is on chain 2025, but network "careledger" expects chain 999: fix CARELEDGER_CHAIN_ID or CARELEDGER_RPC_URL$/,
    );
    expectOneLine(
      missingKey,
      /^Error: The deployer key is not set: run npx hardhat keystore set CARELEDGER_DEPLOYER_KEY \(or export CARELEDGER_DEPLOYER_KEY in CI\)$/,
    );
    expectOneLine(
      zeroPrice,
      /^Error: The node at http:\/\/127\.0\.0\.1:\d+ rejects transactions priced 0 \(its blocks carry base fee \d+ wei\), which network "careledger" sends: run every node with zero gas \(zeroBaseFee and --min-gas-price=0\), or set CARELEDGER_GAS_PRICE=auto and fund the deployer$/,
    );
    expectOneLine(
      unfunded,
      new RegExp(
        `^Error: Deployer ${deployer.address} has 0\\.0 ETH on chain 2025, but this deploy needs about [0-9.]+ ETH \\(\\d+ gas at [0-9.]+ gwei\\): fund it, or run the network with zero gas \\(zeroBaseFee\\)$`,
      ),
    );
    await expectUntouched(zeroGas());
    await expectUntouched(paid());
  });

  it("for a keystore that cannot be unlocked; with the right password it deploys from an unfunded key at zero gas", async function () {
    const configHome = emptyConfigHome();
    const stored = await runHardhat(["keystore", "set", "CARELEDGER_DEPLOYER_KEY"], {
      configHome,
      answers: [
        { prompt: /Enter the password: $/, text: PASSWORD },
        { prompt: /Please confirm your password: $/, text: PASSWORD },
        {
          prompt: /Enter secret to store in the production keystore: $/,
          text: deployer.privateKey,
        },
      ],
    });
    expect(stored.code, stored.stdout + stored.stderr).to.equal(0);

    const env = { CARELEDGER_RPC_URL: zeroGas().url };
    const locked = await deploy(env, {
      configHome,
      answers: [{ prompt: /Enter the password: $/, text: "wrong password" }],
    });
    expectOneLine(
      locked,
      /^Error: The Hardhat keystore holding CARELEDGER_DEPLOYER_KEY could not be unlocked \(wrong password or corrupted file\): re-run and enter the keystore password, or export CARELEDGER_DEPLOYER_KEY for a non-interactive run$/,
    );
    await expectUntouched(zeroGas());

    const unlocked = await deploy(env, {
      configHome,
      answers: [{ prompt: /Enter the password: $/, text: PASSWORD }],
    });
    expect(unlocked.code, unlocked.stdout + unlocked.stderr).to.equal(0);
    expect(unlocked.stdout + unlocked.stderr).to.not.include(deployer.privateKey.slice(2));
    const manifest = await readManifest(path.join(ws.dir, `${CHAIN_ID}.json`));
    expect(manifest.deployer).to.equal(deployer.address);
    expect(manifest.transactions).to.have.length(1);
    // the key signed locally (Hardhat's local accounts), and never held a wei
    expect(await nonceOf(zeroGas().url, deployer.address)).to.equal(1);
    expect(
      BigInt(String(await rpc(zeroGas().url, "eth_getBalance", [deployer.address, "latest"]))),
    ).to.equal(0n);
  });
});
