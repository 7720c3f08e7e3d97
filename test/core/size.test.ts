import { expect } from "chai";
import { network } from "hardhat";
import { ADMIN_TRANSFER_DELAY, BREAK_GLASS_MAX_DURATION } from "../helpers/index.js";

/** EIP-170: the largest runtime code a chain accepts. */
const CODE_SIZE_LIMIT = 24_576;
/** Room kept free for fixes and for a build without PUSH0 (paris), which is larger. */
const MIN_HEADROOM = 1_024;

describe("contract size", function () {
  it(`CareLedger's deployed runtime code leaves at least ${MIN_HEADROOM} bytes under ${CODE_SIZE_LIMIT}`, async function () {
    // `hardhat test --coverage` deploys instrumented bytecode, larger than what ships.
    if (process.env.HARDHAT_COVERAGE === "true") this.skip();
    const { ethers } = await network.create();
    const [admin] = await ethers.getSigners();
    if (admin === undefined) throw new Error("need a signer");
    const ledger = await ethers.deployContract("CareLedger", [
      admin.address,
      ADMIN_TRANSFER_DELAY,
      admin.address,
      BREAK_GLASS_MAX_DURATION,
    ]);
    const code = await ethers.provider.getCode(await ledger.getAddress());
    const size = (code.length - 2) / 2;
    expect(size, `runtime code is ${size} bytes`).to.be.at.most(CODE_SIZE_LIMIT - MIN_HEADROOM);
  });
});
