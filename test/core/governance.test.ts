import { expect } from "chai";
import { Interface, ZeroAddress, toBeHex } from "ethers";
import { network } from "hardhat";
import {
  IAccessRules__factory,
  IAuditTrail__factory,
  IAuditedAccess__factory,
  IBreakGlass__factory,
  ICareGovernance__factory,
  IConsentRegistry__factory,
  IDelegateRegistry__factory,
  IMemberRegistry__factory,
  IRecordRegistry__factory,
  IRolePolicyRegistry__factory,
  ISignedConsent__factory,
} from "../../typechain-types/index.js";
import {
  ADMIN_TRANSFER_DELAY,
  BREAK_GLASS_MAX_DURATION,
  DEFAULT_ADMIN_ROLE,
  HOSPITAL_ORG_ID,
  MAX_BREAK_GLASS_DURATION,
  REGISTRAR_ROLE,
  Role,
  deployCareLedgerFixture,
} from "../helpers/index.js";

const connection = await network.create();
const { ethers, networkHelpers } = connection;
const { time } = networkHelpers;
const loadFixture = networkHelpers.loadFixture.bind(networkHelpers);

/** ERC-165 id of an interface: XOR of its own function selectors. */
function interfaceIdOf(iface: Interface): string {
  let id = 0n;
  iface.forEachFunction((f) => {
    id ^= BigInt(f.selector);
  });
  return toBeHex(id, 4);
}

describe("CareGovernance", function () {
  describe("constructor", function () {
    it("sets the admin, delay, registrar, break-glass cap and the default role policies", async function () {
      const [deployer, admin, registrar] = await ethers.getSigners();
      const ledger = await ethers.deployContract(
        "CareLedger",
        [admin!.address, ADMIN_TRANSFER_DELAY, registrar!.address, BREAK_GLASS_MAX_DURATION],
        deployer,
      );
      const deployTx = ledger.deploymentTransaction();
      expect(await ledger.defaultAdmin()).to.equal(admin!.address);
      expect(await ledger.owner()).to.equal(admin!.address);
      expect(await ledger.defaultAdminDelay()).to.equal(ADMIN_TRANSFER_DELAY);
      expect(await ledger.hasRole(DEFAULT_ADMIN_ROLE, admin!.address)).to.equal(true);
      expect(await ledger.hasRole(DEFAULT_ADMIN_ROLE, deployer!.address)).to.equal(false);
      expect(await ledger.hasRole(REGISTRAR_ROLE, registrar!.address)).to.equal(true);
      expect(await ledger.REGISTRAR_ROLE()).to.equal(REGISTRAR_ROLE);
      expect(await ledger.DEFAULT_ADMIN_ROLE()).to.equal(DEFAULT_ADMIN_ROLE);
      expect(await ledger.getRoleAdmin(REGISTRAR_ROLE)).to.equal(DEFAULT_ADMIN_ROLE);
      expect(await ledger.MAX_BREAK_GLASS_DURATION()).to.equal(MAX_BREAK_GLASS_DURATION);
      expect(await ledger.breakGlassMaxDuration()).to.equal(BREAK_GLASS_MAX_DURATION);
      expect(await ledger.paused()).to.equal(false);
      expect(await ledger.memberCount()).to.equal(0);
      expect(await ledger.incidentCount()).to.equal(0);
      expect(await ledger.auditHead()).to.equal(ethers.ZeroHash);

      await expect(deployTx)
        .to.emit(ledger, "RoleGranted")
        .withArgs(DEFAULT_ADMIN_ROLE, admin!.address, deployer!.address);
      await expect(deployTx)
        .to.emit(ledger, "RoleGranted")
        .withArgs(REGISTRAR_ROLE, registrar!.address, deployer!.address);
      await expect(deployTx)
        .to.emit(ledger, "BreakGlassMaxDurationSet")
        .withArgs(BREAK_GLASS_MAX_DURATION, deployer!.address);
      const defaults = [
        [Role.Doctor, 0x17f, 0x17f, 0x17f],
        [Role.Nurse, 0x01e, 0x00c, 0],
        [Role.BillingClerk, 0x081, 0x080, 0],
        [Role.Auditor, 0, 0, 0],
        [Role.EmergencyResponder, 0, 0, 0x07f],
      ] as const;
      for (const [role, read, write, emergencyRead] of defaults) {
        await expect(deployTx)
          .to.emit(ledger, "RolePolicySet")
          .withArgs(role, read, write, emergencyRead, deployer!.address);
      }
    });

    it("grants no registrar when the initial registrar is the zero address", async function () {
      const [admin] = await ethers.getSigners();
      const ledger = await ethers.deployContract("CareLedger", [
        admin!.address,
        ADMIN_TRANSFER_DELAY,
        ZeroAddress,
        BREAK_GLASS_MAX_DURATION,
      ]);
      const receipt = await ledger.deploymentTransaction()!.wait();
      const granted = receipt!.logs
        .map((log) => ledger.interface.parseLog(log))
        .filter((e) => e?.name === "RoleGranted")
        .map((e): unknown[] => [e!.args.role, e!.args.account]);
      expect(granted).to.deep.equal([[DEFAULT_ADMIN_ROLE, admin!.address]]);
      expect(await ledger.hasRole(REGISTRAR_ROLE, ZeroAddress)).to.equal(false);
      await expect(ledger.registerOrganization(HOSPITAL_ORG_ID))
        .to.be.revertedWithCustomError(ledger, "AccessControlUnauthorizedAccount")
        .withArgs(admin!.address, REGISTRAR_ROLE);
    });

    it("reverts with AccessControlInvalidDefaultAdmin for a zero admin", async function () {
      const factory = await ethers.getContractFactory("CareLedger");
      await expect(
        factory.deploy(ZeroAddress, ADMIN_TRANSFER_DELAY, ZeroAddress, BREAK_GLASS_MAX_DURATION),
      )
        .to.be.revertedWithCustomError(factory, "AccessControlInvalidDefaultAdmin")
        .withArgs(ZeroAddress);
    });

    for (const maxDuration of [0, MAX_BREAK_GLASS_DURATION + 1]) {
      it(`reverts with BreakGlassCapExceeded for a break-glass max of ${maxDuration} s`, async function () {
        const [admin] = await ethers.getSigners();
        const factory = await ethers.getContractFactory("CareLedger");
        await expect(factory.deploy(admin!.address, ADMIN_TRANSFER_DELAY, ZeroAddress, maxDuration))
          .to.be.revertedWithCustomError(factory, "BreakGlassCapExceeded")
          .withArgs(maxDuration, MAX_BREAK_GLASS_DURATION);
      });
    }

    it("accepts the hard cap itself as the break-glass max", async function () {
      const [admin] = await ethers.getSigners();
      const ledger = await ethers.deployContract("CareLedger", [
        admin!.address,
        0,
        ZeroAddress,
        MAX_BREAK_GLASS_DURATION,
      ]);
      expect(await ledger.breakGlassMaxDuration()).to.equal(MAX_BREAK_GLASS_DURATION);
    });
  });

  describe("pause / unpause", function () {
    it("pause by the admin sets paused and emits Paused", async function () {
      const { ledger, admin } = await loadFixture(deployCareLedgerFixture);
      await expect(ledger.connect(admin).pause()).to.emit(ledger, "Paused").withArgs(admin.address);
      expect(await ledger.paused()).to.equal(true);
    });

    it("unpause by the admin clears paused and emits Unpaused", async function () {
      const { ledger, admin } = await loadFixture(deployCareLedgerFixture);
      await ledger.connect(admin).pause();
      await expect(ledger.connect(admin).unpause())
        .to.emit(ledger, "Unpaused")
        .withArgs(admin.address);
      expect(await ledger.paused()).to.equal(false);
    });

    it("pause while paused reverts with EnforcedPause", async function () {
      const { ledger, admin } = await loadFixture(deployCareLedgerFixture);
      await ledger.connect(admin).pause();
      await expect(ledger.connect(admin).pause()).to.be.revertedWithCustomError(
        ledger,
        "EnforcedPause",
      );
    });

    it("unpause while not paused reverts with ExpectedPause", async function () {
      const { ledger, admin } = await loadFixture(deployCareLedgerFixture);
      await expect(ledger.connect(admin).unpause()).to.be.revertedWithCustomError(
        ledger,
        "ExpectedPause",
      );
    });

    for (const who of ["registrar", "doctor", "patient", "outsider"] as const) {
      it(`pause and unpause by the ${who} revert with AccessControlUnauthorizedAccount`, async function () {
        const f = await loadFixture(deployCareLedgerFixture);
        const caller = f[who];
        await expect(f.ledger.connect(caller).pause())
          .to.be.revertedWithCustomError(f.ledger, "AccessControlUnauthorizedAccount")
          .withArgs(caller.address, DEFAULT_ADMIN_ROLE);
        await f.ledger.connect(f.admin).pause();
        await expect(f.ledger.connect(caller).unpause())
          .to.be.revertedWithCustomError(f.ledger, "AccessControlUnauthorizedAccount")
          .withArgs(caller.address, DEFAULT_ADMIN_ROLE);
      });
    }
  });

  describe("two-step delayed admin transfer (AccessControlDefaultAdminRules)", function () {
    it("begin schedules the transfer after the delay and emits DefaultAdminTransferScheduled", async function () {
      const { ledger, admin, spare } = await loadFixture(deployCareLedgerFixture);
      const newAdmin = spare[0]!;
      const t = (await time.latest()) + 1;
      await time.setNextBlockTimestamp(t);
      await expect(ledger.connect(admin).beginDefaultAdminTransfer(newAdmin.address))
        .to.emit(ledger, "DefaultAdminTransferScheduled")
        .withArgs(newAdmin.address, t + ADMIN_TRANSFER_DELAY);
      const [pending, schedule] = await ledger.pendingDefaultAdmin();
      expect(pending).to.equal(newAdmin.address);
      expect(schedule).to.equal(t + ADMIN_TRANSFER_DELAY);
      expect(await ledger.defaultAdmin()).to.equal(admin.address);
    });

    it("accept is refused until strictly after the schedule, then moves the admin role", async function () {
      const { ledger, admin, spare } = await loadFixture(deployCareLedgerFixture);
      const newAdmin = spare[0]!;
      await ledger.connect(admin).beginDefaultAdminTransfer(newAdmin.address);
      const [, schedule] = await ledger.pendingDefaultAdmin();

      await expect(ledger.connect(newAdmin).acceptDefaultAdminTransfer())
        .to.be.revertedWithCustomError(ledger, "AccessControlEnforcedDefaultAdminDelay")
        .withArgs(schedule);
      await time.setNextBlockTimestamp(schedule);
      await expect(ledger.connect(newAdmin).acceptDefaultAdminTransfer({ gasLimit: 200_000 }))
        .to.be.revertedWithCustomError(ledger, "AccessControlEnforcedDefaultAdminDelay")
        .withArgs(schedule);
      expect(await time.latest()).to.equal(Number(schedule));

      const accept = ledger.connect(newAdmin).acceptDefaultAdminTransfer();
      await expect(accept)
        .to.emit(ledger, "RoleRevoked")
        .withArgs(DEFAULT_ADMIN_ROLE, admin.address, newAdmin.address);
      await expect(accept)
        .to.emit(ledger, "RoleGranted")
        .withArgs(DEFAULT_ADMIN_ROLE, newAdmin.address, newAdmin.address);
      expect(await ledger.defaultAdmin()).to.equal(newAdmin.address);
      expect(await ledger.hasRole(DEFAULT_ADMIN_ROLE, admin.address)).to.equal(false);

      // The old admin lost every governance power; the new one has them.
      await expect(ledger.connect(admin).pause())
        .to.be.revertedWithCustomError(ledger, "AccessControlUnauthorizedAccount")
        .withArgs(admin.address, DEFAULT_ADMIN_ROLE);
      await expect(ledger.connect(newAdmin).pause())
        .to.emit(ledger, "Paused")
        .withArgs(newAdmin.address);
    });

    it("accept by anyone but the pending admin reverts with AccessControlInvalidDefaultAdmin", async function () {
      const { ledger, admin, registrar, spare } = await loadFixture(deployCareLedgerFixture);
      await ledger.connect(admin).beginDefaultAdminTransfer(spare[0]!.address);
      await time.increase(ADMIN_TRANSFER_DELAY + 1);
      await expect(ledger.connect(registrar).acceptDefaultAdminTransfer())
        .to.be.revertedWithCustomError(ledger, "AccessControlInvalidDefaultAdmin")
        .withArgs(registrar.address);
      await expect(ledger.connect(admin).acceptDefaultAdminTransfer())
        .to.be.revertedWithCustomError(ledger, "AccessControlInvalidDefaultAdmin")
        .withArgs(admin.address);
    });

    it("cancel drops the pending transfer and emits DefaultAdminTransferCanceled", async function () {
      const { ledger, admin, spare } = await loadFixture(deployCareLedgerFixture);
      const newAdmin = spare[0]!;
      await ledger.connect(admin).beginDefaultAdminTransfer(newAdmin.address);
      await expect(ledger.connect(admin).cancelDefaultAdminTransfer()).to.emit(
        ledger,
        "DefaultAdminTransferCanceled",
      );
      const [pending, schedule] = await ledger.pendingDefaultAdmin();
      expect(pending).to.equal(ZeroAddress);
      expect(schedule).to.equal(0);
      await time.increase(ADMIN_TRANSFER_DELAY + 1);
      await expect(ledger.connect(newAdmin).acceptDefaultAdminTransfer())
        .to.be.revertedWithCustomError(ledger, "AccessControlInvalidDefaultAdmin")
        .withArgs(newAdmin.address);
    });

    it("begin, cancel and delay changes by a non-admin revert with AccessControlUnauthorizedAccount", async function () {
      const { ledger, registrar, spare } = await loadFixture(deployCareLedgerFixture);
      const calls = [
        () => ledger.connect(registrar).beginDefaultAdminTransfer(spare[0]!.address),
        () => ledger.connect(registrar).cancelDefaultAdminTransfer(),
        () => ledger.connect(registrar).changeDefaultAdminDelay(1),
        () => ledger.connect(registrar).rollbackDefaultAdminDelay(),
      ];
      for (const call of calls) {
        await expect(call())
          .to.be.revertedWithCustomError(ledger, "AccessControlUnauthorizedAccount")
          .withArgs(registrar.address, DEFAULT_ADMIN_ROLE);
      }
    });

    it("changeDefaultAdminDelay schedules a shorter delay after the difference", async function () {
      const { ledger, admin } = await loadFixture(deployCareLedgerFixture);
      const newDelay = 3600;
      const t = (await time.latest()) + 1;
      await time.setNextBlockTimestamp(t);
      const effect = t + ADMIN_TRANSFER_DELAY - newDelay;
      await expect(ledger.connect(admin).changeDefaultAdminDelay(newDelay))
        .to.emit(ledger, "DefaultAdminDelayChangeScheduled")
        .withArgs(newDelay, effect);
      expect(await ledger.pendingDefaultAdminDelay()).to.deep.equal([
        BigInt(newDelay),
        BigInt(effect),
      ]);
      await time.increaseTo(effect + 1);
      expect(await ledger.defaultAdminDelay()).to.equal(newDelay);
    });

    it("the admin role cannot be granted or revoked directly (AccessControlEnforcedDefaultAdminRules)", async function () {
      const { ledger, admin, spare } = await loadFixture(deployCareLedgerFixture);
      await expect(
        ledger.connect(admin).grantRole(DEFAULT_ADMIN_ROLE, spare[0]!.address),
      ).to.be.revertedWithCustomError(ledger, "AccessControlEnforcedDefaultAdminRules");
      await expect(
        ledger.connect(admin).revokeRole(DEFAULT_ADMIN_ROLE, admin.address),
      ).to.be.revertedWithCustomError(ledger, "AccessControlEnforcedDefaultAdminRules");
    });

    it("the admin cannot renounce without a scheduled, elapsed transfer to zero", async function () {
      const { ledger, admin } = await loadFixture(deployCareLedgerFixture);
      await expect(ledger.connect(admin).renounceRole(DEFAULT_ADMIN_ROLE, admin.address))
        .to.be.revertedWithCustomError(ledger, "AccessControlEnforcedDefaultAdminDelay")
        .withArgs(0);
    });
  });

  describe("registrar grant / revoke", function () {
    it("the admin grants REGISTRAR_ROLE (RoleGranted) and the new registrar can onboard", async function () {
      const { ledger, admin, spare } = await loadFixture(deployCareLedgerFixture);
      const newRegistrar = spare[0]!;
      await expect(ledger.connect(admin).grantRole(REGISTRAR_ROLE, newRegistrar.address))
        .to.emit(ledger, "RoleGranted")
        .withArgs(REGISTRAR_ROLE, newRegistrar.address, admin.address);
      expect(await ledger.hasRole(REGISTRAR_ROLE, newRegistrar.address)).to.equal(true);
      await expect(ledger.connect(newRegistrar).registerOrganization(7))
        .to.emit(ledger, "OrganizationRegistered")
        .withArgs(7, newRegistrar.address);
    });

    it("the admin revokes REGISTRAR_ROLE (RoleRevoked) and the registrar is refused at once", async function () {
      const { ledger, admin, registrar } = await loadFixture(deployCareLedgerFixture);
      await expect(ledger.connect(admin).revokeRole(REGISTRAR_ROLE, registrar.address))
        .to.emit(ledger, "RoleRevoked")
        .withArgs(REGISTRAR_ROLE, registrar.address, admin.address);
      await expect(ledger.connect(registrar).registerOrganization(7))
        .to.be.revertedWithCustomError(ledger, "AccessControlUnauthorizedAccount")
        .withArgs(registrar.address, REGISTRAR_ROLE);
    });

    it("a registrar may renounce its own role, with the right confirmation only", async function () {
      const { ledger, registrar, admin } = await loadFixture(deployCareLedgerFixture);
      await expect(
        ledger.connect(registrar).renounceRole(REGISTRAR_ROLE, admin.address),
      ).to.be.revertedWithCustomError(ledger, "AccessControlBadConfirmation");
      await expect(ledger.connect(registrar).renounceRole(REGISTRAR_ROLE, registrar.address))
        .to.emit(ledger, "RoleRevoked")
        .withArgs(REGISTRAR_ROLE, registrar.address, registrar.address);
      expect(await ledger.hasRole(REGISTRAR_ROLE, registrar.address)).to.equal(false);
    });

    for (const who of ["registrar", "doctor", "outsider"] as const) {
      it(`grantRole / revokeRole of REGISTRAR_ROLE by the ${who} revert with AccessControlUnauthorizedAccount`, async function () {
        const f = await loadFixture(deployCareLedgerFixture);
        const caller = f[who];
        await expect(f.ledger.connect(caller).grantRole(REGISTRAR_ROLE, f.spare[0]!.address))
          .to.be.revertedWithCustomError(f.ledger, "AccessControlUnauthorizedAccount")
          .withArgs(caller.address, DEFAULT_ADMIN_ROLE);
        await expect(f.ledger.connect(caller).revokeRole(REGISTRAR_ROLE, f.registrar.address))
          .to.be.revertedWithCustomError(f.ledger, "AccessControlUnauthorizedAccount")
          .withArgs(caller.address, DEFAULT_ADMIN_ROLE);
      });
    }
  });

  describe("supportsInterface", function () {
    const moduleInterfaces = {
      ICareGovernance: ICareGovernance__factory.createInterface(),
      IMemberRegistry: IMemberRegistry__factory.createInterface(),
      IRolePolicyRegistry: IRolePolicyRegistry__factory.createInterface(),
      IConsentRegistry: IConsentRegistry__factory.createInterface(),
      IDelegateRegistry: IDelegateRegistry__factory.createInterface(),
      ISignedConsent: ISignedConsent__factory.createInterface(),
      IAuditTrail: IAuditTrail__factory.createInterface(),
      IBreakGlass: IBreakGlass__factory.createInterface(),
      IAccessRules: IAccessRules__factory.createInterface(),
      IRecordRegistry: IRecordRegistry__factory.createInterface(),
      IAuditedAccess: IAuditedAccess__factory.createInterface(),
    };
    for (const [name, iface] of Object.entries(moduleInterfaces)) {
      it(`supports ${name}`, async function () {
        const { ledger } = await loadFixture(deployCareLedgerFixture);
        expect(await ledger.supportsInterface(interfaceIdOf(iface))).to.equal(true);
      });
    }

    const inherited = {
      IERC165: "0x01ffc9a7",
      IAccessControl: "0x7965db0b",
      IAccessControlDefaultAdminRules: "0x31498786",
    };
    for (const [name, interfaceId] of Object.entries(inherited)) {
      it(`supports ${name} (${interfaceId})`, async function () {
        const { ledger } = await loadFixture(deployCareLedgerFixture);
        expect(await ledger.supportsInterface(interfaceId)).to.equal(true);
      });
    }

    for (const interfaceId of ["0xffffffff", "0x00000000", "0x12345678"]) {
      it(`does not support ${interfaceId}`, async function () {
        const { ledger } = await loadFixture(deployCareLedgerFixture);
        expect(await ledger.supportsInterface(interfaceId)).to.equal(false);
      });
    }

    it("the IERC165 / IAccessControl ids above match their ABIs", function () {
      expect(interfaceIdOf(new Interface(["function supportsInterface(bytes4)"]))).to.equal(
        inherited.IERC165,
      );
      expect(
        interfaceIdOf(
          new Interface([
            "function hasRole(bytes32,address)",
            "function getRoleAdmin(bytes32)",
            "function grantRole(bytes32,address)",
            "function revokeRole(bytes32,address)",
            "function renounceRole(bytes32,address)",
          ]),
        ),
      ).to.equal(inherited.IAccessControl);
    });
  });
});
