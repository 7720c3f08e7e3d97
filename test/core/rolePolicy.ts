import { expect } from "chai";
import { network } from "hardhat";
import {
  AccessPath,
  Category,
  CategoryMask,
  DEFAULT_ADMIN_ROLE,
  Purpose,
  ROLE_COUNT,
  Role,
  STAFF_ROLES,
} from "../helpers/constants.js";
import { deployCareLedgerFixture, deployConsentedRecordsFixture } from "../helpers/fixtures.js";

const connection = await network.create();
const { loadFixture } = connection.networkHelpers;

/**
 * The default "minimum necessary" policy of every role, written out: [read, write, emergencyRead, erase].
 * A patient erases every category of their own records; no staff role erases anything by default.
 */
const DEFAULT_POLICIES: Readonly<Record<number, readonly [number, number, number, number]>> = {
  [Role.None]: [0x000, 0x000, 0x000, 0x000],
  [Role.Patient]: [0x000, 0x000, 0x000, 0x1ff],
  // every clinical category (all but billing, bit 7)
  [Role.Doctor]: [0x17f, 0x17f, 0x17f, 0x000],
  // reads allergies|medications|vitals|labs, writes medications|vitals
  [Role.Nurse]: [0x01e, 0x00c, 0x000, 0x000],
  // reads demographics|billing, writes billing
  [Role.BillingClerk]: [0x081, 0x080, 0x000, 0x000],
  [Role.Auditor]: [0x000, 0x000, 0x000, 0x000],
  // break-glass only: clinical minus mental health (bit 8)
  [Role.EmergencyResponder]: [0x000, 0x000, 0x07f, 0x000],
};

describe("RolePolicyRegistry", function () {
  describe("default policies", function () {
    for (const [role, [read, write, emergencyRead, erase]] of Object.entries(DEFAULT_POLICIES)) {
      it(`role ${role} has read 0x${read.toString(16)}, write 0x${write.toString(16)}, emergencyRead 0x${emergencyRead.toString(16)}, erase 0x${erase.toString(16)}`, async function () {
        const { ledger } = await loadFixture(deployCareLedgerFixture);
        expect(await ledger.rolePolicy(Number(role))).to.deep.equal([
          BigInt(read),
          BigInt(write),
          BigInt(emergencyRead),
          BigInt(erase),
        ]);
      });
    }

    it("rolePolicy reverts with InvalidRole past the last role", async function () {
      const { ledger } = await loadFixture(deployCareLedgerFixture);
      for (const role of [ROLE_COUNT, 255]) {
        await expect(ledger.rolePolicy(role))
          .to.be.revertedWithCustomError(ledger, "InvalidRole")
          .withArgs(role);
      }
    });
  });

  describe("setRolePolicy", function () {
    for (const role of STAFF_ROLES) {
      it(`the admin sets the policy of staff role ${role} and RolePolicySet is emitted`, async function () {
        const { ledger, admin } = await loadFixture(deployCareLedgerFixture);
        const [read, write, emergencyRead] = [0x0f0, 0x030, 0x101];
        await expect(ledger.connect(admin).setRolePolicy(role, read, write, emergencyRead))
          .to.emit(ledger, "RolePolicySet")
          .withArgs(role, read, write, emergencyRead, admin.address);
        expect(await ledger.rolePolicy(role)).to.deep.equal([
          BigInt(read),
          BigInt(write),
          BigInt(emergencyRead),
          0n,
        ]);
      });
    }

    it("accepts the full and the empty mask", async function () {
      const { ledger, admin } = await loadFixture(deployCareLedgerFixture);
      await ledger
        .connect(admin)
        .setRolePolicy(Role.Auditor, CategoryMask.ALL, CategoryMask.ALL, CategoryMask.ALL);
      expect(await ledger.rolePolicy(Role.Auditor)).to.deep.equal([0x1ffn, 0x1ffn, 0x1ffn, 0n]);
      await ledger.connect(admin).setRolePolicy(Role.Doctor, 0, 0, 0);
      expect(await ledger.rolePolicy(Role.Doctor)).to.deep.equal([0n, 0n, 0n, 0n]);
    });

    it("a new policy applies at once to open and write", async function () {
      const f = await loadFixture(deployConsentedRecordsFixture);
      const { ledger, admin, nurse, patient } = f;
      const billing = f.records[Category.Billing];
      expect(await ledger.canOpen(billing, nurse.address, Purpose.Payment)).to.equal(
        AccessPath.None,
      );
      expect(await ledger.canWrite(patient.address, nurse.address, Category.Billing)).to.equal(
        false,
      );

      await ledger
        .connect(admin)
        .setRolePolicy(Role.Nurse, CategoryMask.BILLING_READ, CategoryMask.BILLING_WRITE, 0);
      expect(await ledger.canOpen(billing, nurse.address, Purpose.Payment)).to.equal(
        AccessPath.Consent,
      );
      expect(await ledger.canWrite(patient.address, nurse.address, Category.Billing)).to.equal(
        true,
      );
      // and the old grants no longer hold
      await expect(ledger.connect(nurse).openRecord(f.records[Category.Labs], Purpose.Treatment))
        .to.be.revertedWithCustomError(ledger, "CategoryNotAllowedForRole")
        .withArgs(nurse.address, Role.Nurse, Category.Labs);
    });

    for (const who of ["registrar", "doctor", "outsider"] as const) {
      it(`reverts with AccessControlUnauthorizedAccount for the ${who}`, async function () {
        const f = await loadFixture(deployCareLedgerFixture);
        await expect(f.ledger.connect(f[who]).setRolePolicy(Role.Nurse, 0, 0, 0))
          .to.be.revertedWithCustomError(f.ledger, "AccessControlUnauthorizedAccount")
          .withArgs(f[who].address, DEFAULT_ADMIN_ROLE);
      });
    }

    for (const role of [Role.None, ROLE_COUNT, 255]) {
      it(`reverts with InvalidRole for role ${role}`, async function () {
        const { ledger, admin } = await loadFixture(deployCareLedgerFixture);
        await expect(ledger.connect(admin).setRolePolicy(role, 0, 0, 0))
          .to.be.revertedWithCustomError(ledger, "InvalidRole")
          .withArgs(role);
      });
    }

    it("reverts with RoleHasNoPolicy for Patient", async function () {
      const { ledger, admin } = await loadFixture(deployCareLedgerFixture);
      await expect(ledger.connect(admin).setRolePolicy(Role.Patient, CategoryMask.ALL, 0, 0))
        .to.be.revertedWithCustomError(ledger, "RoleHasNoPolicy")
        .withArgs(Role.Patient);
    });

    const badMasks = [
      ["read", [0x200, 0, 0], 0x200],
      ["write", [0, 0xffff, 0], 0xffff],
      ["emergencyRead", [0, 0, 0x3ff], 0x3ff],
    ] as const;
    for (const [field, [read, write, emergencyRead], bad] of badMasks) {
      it(`reverts with InvalidCategoryMask for an undefined bit in ${field}`, async function () {
        const { ledger, admin } = await loadFixture(deployCareLedgerFixture);
        await expect(ledger.connect(admin).setRolePolicy(Role.Nurse, read, write, emergencyRead))
          .to.be.revertedWithCustomError(ledger, "InvalidCategoryMask")
          .withArgs(bad);
      });
    }
  });

  describe("setErasePolicy", function () {
    for (const role of [Role.Patient, ...STAFF_ROLES]) {
      it(`the admin sets the erase policy of role ${role} and ErasePolicySet is emitted`, async function () {
        const { ledger, admin } = await loadFixture(deployCareLedgerFixture);
        const before = await ledger.rolePolicy(role);
        await expect(ledger.connect(admin).setErasePolicy(role, CategoryMask.BILLING_WRITE))
          .to.emit(ledger, "ErasePolicySet")
          .withArgs(role, CategoryMask.BILLING_WRITE, admin.address);
        expect(await ledger.rolePolicy(role)).to.deep.equal([
          before.read,
          before.write,
          before.emergencyRead,
          BigInt(CategoryMask.BILLING_WRITE),
        ]);
      });
    }

    it("setRolePolicy keeps the erase policy, setErasePolicy keeps the rest", async function () {
      const { ledger, admin } = await loadFixture(deployCareLedgerFixture);
      await ledger.connect(admin).setErasePolicy(Role.Doctor, 0x030);
      await ledger.connect(admin).setRolePolicy(Role.Doctor, 0x0f0, 0x030, 0x101);
      expect(await ledger.rolePolicy(Role.Doctor)).to.deep.equal([0x0f0n, 0x030n, 0x101n, 0x030n]);
      await ledger.connect(admin).setErasePolicy(Role.Doctor, 0);
      expect(await ledger.rolePolicy(Role.Doctor)).to.deep.equal([0x0f0n, 0x030n, 0x101n, 0n]);
    });

    for (const who of ["registrar", "doctor", "patient", "outsider"] as const) {
      it(`reverts with AccessControlUnauthorizedAccount for the ${who}`, async function () {
        const f = await loadFixture(deployCareLedgerFixture);
        await expect(f.ledger.connect(f[who]).setErasePolicy(Role.Doctor, CategoryMask.ALL))
          .to.be.revertedWithCustomError(f.ledger, "AccessControlUnauthorizedAccount")
          .withArgs(f[who].address, DEFAULT_ADMIN_ROLE);
      });
    }

    for (const role of [Role.None, ROLE_COUNT, 255]) {
      it(`reverts with InvalidRole for role ${role}`, async function () {
        const { ledger, admin } = await loadFixture(deployCareLedgerFixture);
        await expect(ledger.connect(admin).setErasePolicy(role, 0))
          .to.be.revertedWithCustomError(ledger, "InvalidRole")
          .withArgs(role);
      });
    }

    it("reverts with InvalidCategoryMask for an undefined bit", async function () {
      const { ledger, admin } = await loadFixture(deployCareLedgerFixture);
      await expect(ledger.connect(admin).setErasePolicy(Role.Patient, 0x200))
        .to.be.revertedWithCustomError(ledger, "InvalidCategoryMask")
        .withArgs(0x200);
    });
  });
});
