/**
 * Preflight against small JSON-RPC servers that play the node: every bad input stops with a
 * one-line message that says what to fix, and the node never receives a transaction.
 */
import { HardhatError } from "@nomicfoundation/hardhat-errors";
import { expect } from "chai";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { Wallet } from "ethers";
import hre from "hardhat";
import {
  preflight,
  PreflightError,
  preflightTargetFromConfig,
  type PreflightCode,
  type PreflightTarget,
  type Secret,
} from "../../src/deploy/preflight.js";
import { freePort } from "../../scripts/lib/node.js";
import {
  fakeChainHandlers,
  RpcErrorReply,
  startFakeRpc,
  type FakeChain,
  type FakeRpcServer,
} from "./helpers/rpc-server.js";

const GWEI = 10n ** 9n;
const deployerWallet = Wallet.createRandom();
const DEPLOYER = deployerWallet.address;

const value = (name: string, text: string): Secret => ({ name, get: async () => text });
const failing = (name: string, error: Error): Secret => ({
  name,
  get: async () => {
    throw error;
  },
});
const envVarNotFound = (name: string): HardhatError =>
  new HardhatError(HardhatError.ERRORS.CORE.GENERAL.ENV_VAR_NOT_FOUND, { name });

function target(url: string, overrides: Partial<PreflightTarget> = {}): PreflightTarget {
  return {
    network: "careledger",
    url: value("CARELEDGER_RPC_URL", url),
    expectedChainId: 2025,
    chainIdVariable: "CARELEDGER_CHAIN_ID",
    deployer: { kind: "key", key: value("CARELEDGER_DEPLOYER_KEY", deployerWallet.privateKey) },
    gasPrice: 0n,
    gasPriceVariable: "CARELEDGER_GAS_PRICE",
    ...overrides,
  };
}

const zeroGasChain: FakeChain = { chainId: 2025, baseFeePerGas: 0n, gasPrice: 0n };
const paidChain: FakeChain = { chainId: 2025, baseFeePerGas: GWEI, gasPrice: 2n * GWEI };

async function expectPreflightError(
  run: Promise<unknown>,
  code: PreflightCode,
  message: RegExp,
): Promise<void> {
  let caught: unknown;
  try {
    await run;
  } catch (error) {
    caught = error;
  }
  expect(caught, `expected ${code}`).to.be.instanceOf(PreflightError);
  const error = caught as PreflightError;
  expect(error.code).to.equal(code);
  expect(error.message).to.match(message);
  expect(error.message, "one line").to.not.include("\n");
}

describe("deploy: preflight", function () {
  const servers: FakeRpcServer[] = [];
  async function node(chain: FakeChain): Promise<FakeRpcServer> {
    const server = await startFakeRpc(fakeChainHandlers(chain));
    servers.push(server);
    return server;
  }
  afterEach(function () {
    for (const server of servers) {
      const sent = server.calls.filter((c) => /^eth_send/.test(c.method));
      expect(sent, "a preflight must never send a transaction").to.deep.equal([]);
    }
  });
  after(async function () {
    await Promise.all(servers.map((s) => s.close()));
  });

  describe("stops before sending anything", function () {
    it("when the RPC URL is not configured", async function () {
      await expectPreflightError(
        preflight(
          target("", { url: failing("CARELEDGER_RPC_URL", envVarNotFound("CARELEDGER_RPC_URL")) }),
        ),
        "RPC_URL_MISSING",
        /^The RPC URL of network "careledger" is not set: run npx hardhat keystore set CARELEDGER_RPC_URL \(or export CARELEDGER_RPC_URL in CI\)$/,
      );
    });

    for (const [url, message] of [
      [
        "127.0.0.1:8545",
        /CARELEDGER_RPC_URL of network "careledger" is not a URL: set it to http\(s\):\/\/host:port/,
      ],
      ["ws://127.0.0.1:8546", /uses ws:: use an http\(s\):\/\/ JSON-RPC URL/],
    ] as const) {
      it(`when the RPC URL is ${url}`, async function () {
        await expectPreflightError(preflight(target(url)), "RPC_URL_INVALID", message);
      });
    }

    it("when nothing listens at the URL", async function () {
      const port = await freePort();
      await expectPreflightError(
        preflight(target(`http://127.0.0.1:${port}`)),
        "RPC_UNREACHABLE",
        new RegExp(
          `^Cannot reach the JSON-RPC node of network "careledger" at http://127\\.0\\.0\\.1:${port} \\(connection failed \\(ECONNREFUSED\\)\\): start the node or fix CARELEDGER_RPC_URL$`,
        ),
      );
    });

    it("when the URL answers something that is not JSON-RPC, naming the network and the variable, without printing its secret path", async function () {
      const web = createServer((_req, res) => {
        res.writeHead(404, { "content-type": "text/html" });
        res.end("<html>not found</html>");
      });
      await new Promise<void>((resolve) => web.listen(0, "127.0.0.1", resolve));
      const { port } = web.address() as AddressInfo;
      try {
        await expectPreflightError(
          preflight(target(`http://127.0.0.1:${port}/v3/SECRET-API-KEY`)),
          "NOT_AN_ETHEREUM_NODE",
          new RegExp(
            `^http://127\\.0\\.0\\.1:${port}/…, the URL of network "careledger" \\(CARELEDGER_RPC_URL\\), is not an Ethereum JSON-RPC node \\(HTTP 404 with a body that is not JSON-RPC\\): set CARELEDGER_RPC_URL to a node's JSON-RPC URL$`,
          ),
        );
        await preflight(target(`http://127.0.0.1:${port}/v3/SECRET-API-KEY`)).catch(
          (error: Error) => expect(error.message).to.not.include("SECRET"),
        );
      } finally {
        web.close();
      }
    });

    it("when no chain id is configured", async function () {
      const server = await node(zeroGasChain);
      await expectPreflightError(
        preflight(target(server.url, { expectedChainId: undefined })),
        "CHAIN_ID_MISSING",
        /^Network "careledger" has no chain id configured: set CARELEDGER_CHAIN_ID \(the node at http:\/\/127\.0\.0\.1:\d+ reports 2025\)$/,
      );
    });

    it("when the node is on another chain", async function () {
      const server = await node({ ...zeroGasChain, chainId: 1 });
      await expectPreflightError(
        preflight(target(server.url)),
        "CHAIN_ID_MISMATCH",
        /^The node at http:\/\/127\.0\.0\.1:\d+ is on chain 1, but network "careledger" expects chain 2025: fix CARELEDGER_CHAIN_ID or CARELEDGER_RPC_URL$/,
      );
    });

    const keyFailures: readonly [string, Error, PreflightCode, RegExp][] = [
      [
        "the deployer key is in neither the environment nor the keystore",
        envVarNotFound("CARELEDGER_DEPLOYER_KEY"),
        "DEPLOYER_KEY_MISSING",
        /^The deployer key is not set: run npx hardhat keystore set CARELEDGER_DEPLOYER_KEY \(or export CARELEDGER_DEPLOYER_KEY in CI\)$/,
      ],
      [
        "the key is missing from the development keystore during tests",
        new HardhatError(
          HardhatError.ERRORS.HARDHAT_KEYSTORE.GENERAL.KEY_NOT_FOUND_DURING_TESTS_WITH_DEV_KEYSTORE,
          { key: "CARELEDGER_DEPLOYER_KEY" },
        ),
        "DEPLOYER_KEY_MISSING",
        /keystore set CARELEDGER_DEPLOYER_KEY/,
      ],
      [
        "the keystore password is wrong",
        new HardhatError(
          HardhatError.ERRORS.HARDHAT_KEYSTORE.GENERAL.INVALID_PASSWORD_OR_CORRUPTED_KEYSTORE,
        ),
        "KEYSTORE_LOCKED",
        /^The Hardhat keystore holding CARELEDGER_DEPLOYER_KEY could not be unlocked \(wrong password or corrupted file\): re-run and enter the keystore password, or export CARELEDGER_DEPLOYER_KEY for a non-interactive run$/,
      ],
    ];
    for (const [what, error, code, message] of keyFailures) {
      it(`when ${what}`, async function () {
        const server = await node(zeroGasChain);
        await expectPreflightError(
          preflight(
            target(server.url, {
              deployer: { kind: "key", key: failing("CARELEDGER_DEPLOYER_KEY", error) },
            }),
          ),
          code,
          message,
        );
      });
    }

    it("when the deployer key is not a private key", async function () {
      const server = await node(zeroGasChain);
      await expectPreflightError(
        preflight(
          target(server.url, {
            deployer: { kind: "key", key: value("CARELEDGER_DEPLOYER_KEY", "0x1234") },
          }),
        ),
        "DEPLOYER_KEY_INVALID",
        /^CARELEDGER_DEPLOYER_KEY is not a 32-byte hex private key: set it again with npx hardhat keystore set CARELEDGER_DEPLOYER_KEY$/,
      );
    });

    it("when the node has no accounts and no key is configured", async function () {
      const server = await node({ ...zeroGasChain, accounts: [] });
      await expectPreflightError(
        preflight(target(server.url, { deployer: { kind: "remote" } })),
        "NO_DEPLOYER",
        /manages no accounts and network "careledger" has no deployer key/,
      );
    });

    it("when blocks carry a base fee (the node rejects price 0) but the network sends gas price 0", async function () {
      const server = await node(paidChain);
      await expectPreflightError(
        preflight(target(server.url)),
        "ZERO_PRICE_REJECTED",
        /^The node at http:\/\/127\.0\.0\.1:\d+ rejects transactions priced 0 \(its blocks carry base fee 1000000000 wei\), which network "careledger" sends: run every node with zero gas \(zeroBaseFee and --min-gas-price=0\), or set CARELEDGER_GAS_PRICE=auto and fund the deployer$/,
      );
    });

    it("when the node refuses a simulated zero-fee transaction", async function () {
      const server = await startFakeRpc({
        ...fakeChainHandlers(zeroGasChain),
        eth_estimateGas: () => {
          throw new RpcErrorReply(-32000, "Gas price below configured minimum gas price");
        },
      });
      servers.push(server);
      await expectPreflightError(
        preflight(target(server.url)),
        "ZERO_PRICE_REJECTED",
        /rejects transactions priced 0 \(a simulated zero-fee transaction was refused: eth_estimateGas failed: Gas price below configured minimum gas price \(JSON-RPC error -32000\)\)/,
      );
    });

    const unfunded: readonly [string, FakeChain, RegExp][] = [
      [
        "EIP-1559",
        paidChain,
        // 1 000 000 gas at 2 × base fee + 1 gwei priority = 3 gwei
        /^Deployer 0x[0-9a-fA-F]{40} has 0\.001 ETH on chain 2025, but this deploy needs about 0\.003 ETH \(1000000 gas at 3\.0 gwei\): fund it, or run the network with zero gas \(zeroBaseFee\)$/,
      ],
      [
        "legacy",
        { chainId: 2025, gasPrice: 5n * GWEI },
        /has 0\.001 ETH on chain 2025, but this deploy needs about 0\.005 ETH \(1000000 gas at 5\.0 gwei\): fund it, or run every node with --min-gas-price=0 so that eth_gasPrice, the price Ignition sends on a chain without base fee, is 0$/,
      ],
    ];
    for (const [kind, chain, message] of unfunded) {
      it(`when the deployer cannot pay on a paid ${kind} network`, async function () {
        const server = await node({ ...chain, balances: { [DEPLOYER.toLowerCase()]: 10n ** 15n } });
        await expectPreflightError(
          preflight(target(server.url, { gasPrice: "auto" }), { gasLimit: 1_000_000n }),
          "INSUFFICIENT_FUNDS",
          message,
        );
        expect(server.calls.map((c) => c.method)).to.include("eth_getBalance");
      });
    }
  });

  describe("passes", function () {
    const zeroNetworks: readonly [string, FakeChain][] = [
      ["a zero-gas network with EIP-1559 (base fee 0)", zeroGasChain],
      [
        "a zero-gas network whose eth_gasPrice is not 0 (Besu: a percentile of recent blocks; anvil: its priority fee)",
        { ...zeroGasChain, gasPrice: GWEI },
      ],
      ["a zero-gas legacy network (no base fee, gas price 0)", { chainId: 2025, gasPrice: 0n }],
    ];
    for (const [what, chain] of zeroNetworks) {
      it(`on ${what}, with an unfunded deployer`, async function () {
        const server = await node(chain);
        const report = await preflight(target(server.url));
        expect(report).to.deep.include({
          chainId: 2025,
          deployer: DEPLOYER,
          balance: 0n,
          feeMode: "zero",
          estimatedCost: 0n,
        });
        expect(report.baseFeePerGas).to.equal(chain.baseFeePerGas);
      });
    }

    it("on a paid network with a funded deployer, asking the node for the gas", async function () {
      const server = await node({
        ...paidChain,
        balances: { [DEPLOYER.toLowerCase()]: 10n ** 18n },
      });
      const asked: string[] = [];
      const report = await preflight(target(server.url, { gasPrice: "auto" }), {
        gasLimit: async (deployer) => {
          asked.push(deployer);
          return 2_000_000n;
        },
      });
      expect(asked).to.deep.equal([DEPLOYER]);
      expect(report.feeMode).to.equal("paid");
      expect(report.estimatedCost).to.equal(2_000_000n * 3n * GWEI);
    });

    it("with the node's first account when the network uses remote accounts", async function () {
      const account = Wallet.createRandom().address;
      const server = await node({ ...zeroGasChain, accounts: [account.toLowerCase()] });
      const report = await preflight(target(server.url, { deployer: { kind: "remote" } }));
      expect(report.deployer).to.equal(account);
    });
  });

  it("reads the careledger network of hardhat.config.ts as configuration variables", function () {
    const config = hre.config.networks["careledger"];
    if (config === undefined) throw new Error("no careledger network");
    const t = preflightTargetFromConfig("careledger", config);
    expect(t.url.name).to.equal("CARELEDGER_RPC_URL");
    expect(t.chainIdVariable).to.equal("CARELEDGER_CHAIN_ID");
    expect(t.gasPriceVariable).to.equal("CARELEDGER_GAS_PRICE");
    expect(t.deployer.kind).to.equal("key");
    if (t.deployer.kind === "key") expect(t.deployer.key.name).to.equal("CARELEDGER_DEPLOYER_KEY");
    const local = hre.config.networks["localnode"];
    if (local === undefined) throw new Error("no localnode network");
    expect(preflightTargetFromConfig("localnode", local)).to.deep.include({
      expectedChainId: 1337,
      deployer: { kind: "remote" },
      gasPrice: 0n,
    });
    expect(() => preflightTargetFromConfig("hardhat", hre.config.networks["hardhat"]!)).to.throw(
      PreflightError,
      /simulated in process/,
    );
  });
});
