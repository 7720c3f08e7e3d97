import { createRequire } from "node:module";
import hardhatToolboxMochaEthersPlugin from "@nomicfoundation/hardhat-toolbox-mocha-ethers";
import { defineConfig } from "hardhat/config";
import type { HardhatPlugin } from "hardhat/types/plugins";
import { localNodeNetwork, privateNetwork } from "./src/deploy/networks.js";
import { careLedgerTasks } from "./tasks/index.js";

const require = createRequire(import.meta.url);

/**
 * Solidity is compiled offline with the wasm build of the npm `solc` package,
 * pinned to exactly this version in package.json.
 */
const SOLC_VERSION = "0.8.30";
const solcSettings = {
  optimizer: { enabled: true, runs: 200 },
  evmVersion: "cancun",
  viaIR: true,
};

/** Refuses a connection to a network whose environment is malformed (tasks/network-hooks.ts). */
const careLedgerEnvironmentPlugin: HardhatPlugin = {
  id: "careledger-environment",
  hookHandlers: { network: () => import("./tasks/network-hooks.js") },
};

export default defineConfig({
  plugins: [hardhatToolboxMochaEthersPlugin, careLedgerEnvironmentPlugin],
  solidity: {
    profiles: {
      default: {
        version: SOLC_VERSION,
        path: require.resolve("solc/soljson.js"),
        settings: solcSettings,
      },
      production: {
        version: SOLC_VERSION,
        path: require.resolve("solc/soljson.js"),
        settings: solcSettings,
      },
      // For a client whose EVM predates Cancun (GoQuorum, a London/Clique network). Built by
      // `npx hardhat build-evm --evm paris` into artifacts-evm/paris/, never over artifacts/;
      // deployed by `npm run deploy -- --network … --evm paris` (src/deploy/evm-build.ts).
      paris: {
        version: SOLC_VERSION,
        path: require.resolve("solc/soljson.js"),
        settings: { ...solcSettings, evmVersion: "paris" },
      },
    },
  },
  typechain: {
    outDir: "typechain-types",
  },
  test: {
    solidity: {
      fuzz: { runs: 200 },
    },
  },
  networks: {
    hardhat: {
      type: "edr-simulated",
      chainType: "l1",
      hardfork: "cancun",
    },
    // `npm run node` (anvil on 127.0.0.1:8545, chain 1337, zero gas, the node's dev accounts)
    localnode: localNodeNetwork(),
    // A private permissioned network: CARELEDGER_RPC_URL and CARELEDGER_DEPLOYER_KEY from the env or
    // `npx hardhat keystore set …`, CARELEDGER_CHAIN_ID and CARELEDGER_GAS_PRICE (default 0) from the env.
    careledger: privateNetwork("CARELEDGER"),
  },
  // BFT consensus (QBFT, IBFT 2.0) finalises a block at once: one confirmation is final.
  ignition: { requiredConfirmations: 1 },
  tasks: [...careLedgerTasks],
});
