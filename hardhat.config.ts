import { createRequire } from "node:module";
import hardhatToolboxMochaEthersPlugin from "@nomicfoundation/hardhat-toolbox-mocha-ethers";
import { defineConfig } from "hardhat/config";

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

export default defineConfig({
  plugins: [hardhatToolboxMochaEthersPlugin],
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
  },
});
