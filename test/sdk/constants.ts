import { expect } from "chai";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";
import { network } from "hardhat";
import {
  ALL_CATEGORIES,
  ALL_PURPOSES,
  CATEGORY_COUNT,
  CLINICAL_CATEGORIES,
  Category,
  DEFAULT_ADMIN_ROLE,
  DEFAULT_ROLE_POLICIES,
  MAX_BREAK_GLASS_DURATION,
  PURPOSE_COUNT,
  PURPOSE_HL7_CODES,
  Purpose,
  REGISTRAR_ROLE,
  Role,
  categoriesInMask,
  categoryMask,
  categoryMaskLabel,
  purposeMask,
  purposesInMask,
} from "../../src/sdk/constants.js";
import {
  DEFAULT_BREAK_GLASS_MAX_DURATION,
  deployCareLedgerWithSigner,
} from "../../src/sdk/deploy.js";
import { InvalidContractArgumentError } from "../../src/sdk/errors.js";

const { ethers, networkHelpers } = await network.create();
const [deployer, other] = (await ethers.getSigners()) as [HardhatEthersSigner, HardhatEthersSigner];

async function defaultDeployment() {
  return deployCareLedgerWithSigner(deployer);
}

describe("SDK constants and deployCareLedgerWithSigner", function () {
  describe("bitmasks", function () {
    const MASKS: readonly [readonly Category[], number][] = [
      [[], 0],
      [[Category.Demographics], 0x001],
      [[Category.Labs, Category.Medications], 0x014],
      [[Category.Labs, Category.Labs], 0x010],
      [[Category.MentalHealth, Category.Billing], 0x180],
    ];
    for (const [cats, mask] of MASKS) {
      it(`categoryMask(${cats.join(", ")}) = 0x${mask.toString(16)} and back`, function () {
        expect(categoryMask(...cats)).to.equal(mask);
        expect(categoriesInMask(mask)).to.deep.equal([...new Set(cats)].sort((a, b) => a - b));
      });
    }

    it("ALL and CLINICAL match Categories.sol, ALL_PURPOSES matches Purposes.sol", function () {
      const every = Object.values(Category);
      expect(every).to.have.length(CATEGORY_COUNT);
      expect(categoryMask(...every))
        .to.equal(ALL_CATEGORIES)
        .and.equal(0x1ff);
      expect(CLINICAL_CATEGORIES).to.equal(0x1ff & ~(1 << Category.Billing));
      expect(purposeMask(...Object.values(Purpose)))
        .to.equal(ALL_PURPOSES)
        .and.equal(0x1f);
      expect(Object.values(Purpose)).to.have.length(PURPOSE_COUNT);
      expect(purposesInMask(0x11)).to.deep.equal([Purpose.Treatment, Purpose.Emergency]);
      expect(categoryMaskLabel(categoryMask(Category.Labs, Category.Medications))).to.equal(
        "medications, labs",
      );
    });

    it("rejects indices outside the defined sets", function () {
      expect(() => categoryMask(9 as Category)).to.throw(
        RangeError,
        "category index 9 is outside 0..8",
      );
      expect(() => purposeMask(-1 as Purpose)).to.throw(RangeError);
      expect(() => purposeMask(1.5 as Purpose)).to.throw(RangeError);
    });

    it("purposes map to HL7 v3 PurposeOfUse codes", function () {
      expect(PURPOSE_HL7_CODES).to.deep.equal({
        0: "TREAT",
        1: "HPAYMT",
        2: "HOPERAT",
        3: "HRESCH",
        4: "ETREAT",
      });
    });
  });

  describe("agree with a deployed contract", function () {
    it("role policies of a fresh deployment equal DEFAULT_ROLE_POLICIES, for every role", async function () {
      const { contract } = await networkHelpers.loadFixture(defaultDeployment);
      for (const role of Object.values(Role)) {
        const p = await contract.rolePolicy(role);
        expect(
          { read: Number(p.read), write: Number(p.write), emergencyRead: Number(p.emergencyRead) },
          `role ${role}`,
        ).to.deep.equal(DEFAULT_ROLE_POLICIES[role]);
      }
    });

    it("role ids and the break-glass cap equal the contract's constants", async function () {
      const { contract } = await networkHelpers.loadFixture(defaultDeployment);
      expect(await contract.REGISTRAR_ROLE()).to.equal(REGISTRAR_ROLE);
      expect(await contract.DEFAULT_ADMIN_ROLE()).to.equal(DEFAULT_ADMIN_ROLE);
      expect(Number(await contract.MAX_BREAK_GLASS_DURATION())).to.equal(MAX_BREAK_GLASS_DURATION);
    });
  });

  describe("deployCareLedgerWithSigner", function () {
    it("defaults: the signer is admin, no registrar, a 4 h break-glass cap; reports block and gas", async function () {
      const d = await networkHelpers.loadFixture(defaultDeployment);
      expect(await d.contract.defaultAdmin()).to.equal(deployer.address);
      expect(await d.contract.hasRole(REGISTRAR_ROLE, deployer.address)).to.equal(false);
      expect(Number(await d.contract.breakGlassMaxDuration())).to.equal(
        DEFAULT_BREAK_GLASS_MAX_DURATION,
      );
      const receipt = await ethers.provider.getTransactionReceipt(d.transactionHash);
      expect(receipt?.blockNumber).to.equal(d.deploymentBlock);
      expect(receipt?.gasUsed).to.equal(d.gasUsed);
      expect(receipt?.contractAddress).to.equal(d.address);
    });

    it("passes every constructor parameter", async function () {
      const d = await deployCareLedgerWithSigner(deployer, {
        admin: other.address,
        adminTransferDelay: 3600,
        registrar: other.address,
        breakGlassMaxDuration: 1800,
      });
      expect(await d.contract.defaultAdmin()).to.equal(other.address);
      expect(Number(await d.contract.defaultAdminDelay())).to.equal(3600);
      expect(await d.contract.hasRole(REGISTRAR_ROLE, other.address)).to.equal(true);
      expect(Number(await d.contract.breakGlassMaxDuration())).to.equal(1800);
    });

    for (const breakGlassMaxDuration of [0, MAX_BREAK_GLASS_DURATION + 1]) {
      it(`a break-glass cap of ${breakGlassMaxDuration}s is refused with a decoded BreakGlassCapExceeded`, async function () {
        try {
          await deployCareLedgerWithSigner(deployer, {
            breakGlassMaxDuration,
          });
          expect.fail("should revert");
        } catch (err) {
          expect(err).to.be.instanceOf(InvalidContractArgumentError);
          const e = err as InvalidContractArgumentError;
          expect(e.errorName).to.equal("BreakGlassCapExceeded");
          expect(e.args).to.deep.equal({
            maxDuration: breakGlassMaxDuration,
            cap: MAX_BREAK_GLASS_DURATION,
          });
        }
      });
    }
  });
});
