/**
 * The Ignition module's wiring, and the account allowlist derived from the member registry, synced
 * to a Besu-like node (a local JSON-RPC server implementing the three `perm_*` account methods).
 */
import { expect } from "chai";
import { getAddress, hexlify, randomBytes } from "ethers";
import { network } from "hardhat";
import { buildCareLedgerModule } from "../../ignition/modules/CareLedger.js";
import { planWiring } from "../../src/deploy/deploy.js";
import { ignitionParameters, parseCareLedgerParameters } from "../../src/deploy/parameters.js";
import {
  BesuPermissioningClient,
  collectAllowlist,
  formatSync,
  PermissioningError,
  syncAllowlist,
} from "../../src/deploy/permissioning.js";
import { REGISTRAR_ROLE, Role } from "../../src/sdk/constants.js";
import type { CareLedger } from "../../typechain-types/index.js";
import { startFakeBesu } from "../helpers/deploy/fake-besu.js";
import { RpcErrorReply, startFakeRpc } from "../helpers/deploy/rpc-server.js";

const { ethers, ignition, networkHelpers } = await network.create();

const NURSE_POLICY = { role: "Nurse", read: 0b11110, write: 0b00100, emergencyRead: 0 }; // no vitals writes
const ORG = 1;
const key = (): string => hexlify(randomBytes(32));

async function deployWired(adminIndex: number) {
  const signers = await ethers.getSigners();
  const at = (i: number) => {
    const signer = signers[i];
    if (signer === undefined) throw new Error(`no signer ${i}`);
    return signer;
  };
  const deployer = at(0);
  const admin = adminIndex === 0 ? deployer : at(1);
  const params = parseCareLedgerParameters("test.json", {
    CareLedger: {
      admin: admin.address,
      adminTransferDelay: 3600,
      initialRegistrar: at(2).address,
      breakGlassMaxDuration: 7200,
      registrars: [at(3).address],
      rolePolicies: [NURSE_POLICY],
    },
  });
  const wiring = planWiring(params, deployer.address);
  const { careLedger } = await ignition.deploy(buildCareLedgerModule(wiring), {
    parameters: ignitionParameters(params),
  });
  const ledger = careLedger as unknown as CareLedger;
  return {
    ledger,
    wiring,
    deployer,
    admin2: at(1),
    registrar: at(2),
    extraRegistrar: at(3),
    doctor: at(4),
    nurse: at(5),
    patient: at(6),
    outsider: at(7),
  };
}

async function deployedByDeployerAsAdmin() {
  return await deployWired(0);
}
async function deployedForAnotherAdmin() {
  return await deployWired(1);
}
async function onboardedHospital() {
  const f = await deployedByDeployerAsAdmin();
  const asRegistrar = f.ledger.connect(f.registrar);
  await asRegistrar.registerOrganization(ORG);
  await asRegistrar.onboardMember(f.doctor.address, Role.Doctor, ORG, key());
  await asRegistrar.onboardMember(f.nurse.address, Role.Nurse, ORG, key());
  await asRegistrar.onboardMember(f.patient.address, Role.Patient, 0, key());
  return f;
}

describe("deploy: Ignition module wiring", function () {
  it("deploys, grants the extra registrar and sets the overridden policy", async function () {
    const { ledger, wiring, registrar, extraRegistrar, deployer } =
      await networkHelpers.loadFixture(deployedByDeployerAsAdmin);
    expect(wiring.handOverAdmin).to.equal(false);
    expect(await ledger.defaultAdmin()).to.equal(deployer.address);
    expect(await ledger.hasRole(REGISTRAR_ROLE, registrar.address)).to.equal(true);
    expect(await ledger.hasRole(REGISTRAR_ROLE, extraRegistrar.address)).to.equal(true);
    expect(await ledger.breakGlassMaxDuration()).to.equal(7200n);
    const nurse = await ledger.rolePolicy(Role.Nurse);
    expect([nurse.read, nurse.write, nurse.emergencyRead]).to.deep.equal([0b11110n, 0b00100n, 0n]);
    const doctor = await ledger.rolePolicy(Role.Doctor);
    expect(doctor.read).to.equal(0x17fn); // untouched default: CLINICAL
  });

  it("hands the admin role over in two steps when the admin is not the deployer", async function () {
    const { ledger, wiring, deployer, admin2 } =
      await networkHelpers.loadFixture(deployedForAnotherAdmin);
    expect(wiring.handOverAdmin).to.equal(true);
    // the deployer wired it as admin, then began the transfer
    expect(await ledger.defaultAdmin()).to.equal(deployer.address);
    const [pending, schedule] = await ledger.pendingDefaultAdmin();
    expect(pending).to.equal(admin2.address);
    await expect(ledger.connect(admin2).acceptDefaultAdminTransfer())
      .to.be.revertedWithCustomError(ledger, "AccessControlEnforcedDefaultAdminDelay")
      .withArgs(schedule);
    await networkHelpers.time.increaseTo(schedule + 1n);
    await ledger.connect(admin2).acceptDefaultAdminTransfer();
    expect(await ledger.defaultAdmin()).to.equal(admin2.address);
  });
});

describe("deploy: account allowlist from the registry", function () {
  it("lists governance, registrars and active members, with reasons", async function () {
    const f = await networkHelpers.loadFixture(onboardedHospital);
    const entries = await collectAllowlist(f.ledger, { keep: [f.outsider.address] });
    const byAddress = Object.fromEntries(entries.map((e) => [e.address, e.reasons]));
    expect(byAddress).to.deep.equal({
      [f.deployer.address]: ["governance admin"],
      [f.registrar.address]: ["registrar"],
      [f.extraRegistrar.address]: ["registrar"],
      [f.doctor.address]: ["doctor"],
      [f.nurse.address]: ["nurse"],
      [f.patient.address]: ["patient"],
      [f.outsider.address]: ["kept by operator"],
    });
    const sorted = [...entries].sort((a, b) =>
      a.address.toLowerCase().localeCompare(b.address.toLowerCase()),
    );
    expect(entries).to.deep.equal(sorted);
  });

  it("drops deactivated members and revoked registrars", async function () {
    const f = await networkHelpers.loadFixture(onboardedHospital);
    await f.ledger.connect(f.registrar).setMemberActive(f.nurse.address, false);
    await f.ledger.revokeRole(REGISTRAR_ROLE, f.extraRegistrar.address);
    const addresses = (await collectAllowlist(f.ledger)).map((e) => e.address);
    expect(addresses).to.not.include(f.nurse.address);
    expect(addresses).to.not.include(f.extraRegistrar.address);
    expect(addresses).to.include(f.doctor.address);
  });
});

describe("deploy: allowlist sync through perm_*", function () {
  it("is a dry run by default, applies with apply, is idempotent, and removes a deactivated member next time", async function () {
    const f = await networkHelpers.loadFixture(onboardedHospital);
    const stale = getAddress(hexlify(randomBytes(20)));
    const besu = await startFakeBesu([f.deployer.address, stale]);
    try {
      const client = new BesuPermissioningClient(besu.url);
      const entries = await collectAllowlist(f.ledger);
      const desired = entries.map((e) => e.address);
      const reasons = new Map(entries.map((e) => [e.address, e.reasons.join(", ")]));

      const dry = await syncAllowlist(client, desired);
      expect(dry.applied).to.equal(false);
      expect(dry.diff.add).to.have.members(desired.filter((a) => a !== f.deployer.address));
      expect(dry.diff.remove).to.deep.equal([stale]);
      expect(besu.changeRequests(), "a dry run sends no change").to.equal(0);
      const lines = formatSync(dry, reasons);
      expect(lines[0]).to.match(
        /: 5 to add, 1 to remove, 1 unchanged \(dry run: re-run with --apply to send these changes\)$/,
      );
      expect(lines).to.include(`  + ${f.nurse.address}  nurse`);
      expect(lines).to.include(`  - ${stale}  (not an active member or governance account)`);

      const applied = await syncAllowlist(client, desired, { apply: true });
      expect(applied.applied).to.equal(true);
      expect(besu.allowlist()).to.have.members(desired.map((a) => a.toLowerCase()));
      expect(besu.changeRequests()).to.equal(2); // one add, one remove

      const again = await syncAllowlist(client, desired, { apply: true });
      expect(again.diff.add.length + again.diff.remove.length).to.equal(0);
      expect(besu.changeRequests(), "an in-sync node gets no request").to.equal(2);
      expect(formatSync(again, reasons)[0]).to.match(
        /0 to add, 0 to remove, 6 unchanged \(already in sync\)$/,
      );

      await f.ledger.connect(f.registrar).setMemberActive(f.nurse.address, false);
      const next = await syncAllowlist(
        client,
        (await collectAllowlist(f.ledger)).map((e) => e.address),
        { apply: true },
      );
      expect(next.diff).to.deep.include({ add: [], remove: [f.nurse.address] });
      expect(besu.allowlist()).to.not.include(f.nurse.address.toLowerCase());
      expect(besu.allowlist()).to.include(f.doctor.address.toLowerCase());
    } finally {
      await besu.close();
    }
  });

  it("sends the Authorization header of a protected PERM endpoint", async function () {
    const besu = await startFakeBesu(["0x00000000000000000000000000000000000000a1"]);
    try {
      const client = new BesuPermissioningClient(besu.url, { authorization: "Bearer test-jwt" });
      await syncAllowlist(client, ["0x00000000000000000000000000000000000000b2"], { apply: true });
      expect(besu.calls.map((c) => [c.method, c.authorization])).to.deep.equal([
        ["perm_getAccountsAllowlist", "Bearer test-jwt"],
        ["perm_addAccountsToAllowlist", "Bearer test-jwt"],
        ["perm_removeAccountsFromAllowlist", "Bearer test-jwt"],
        ["perm_getAccountsAllowlist", "Bearer test-jwt"],
      ]);
      expect(besu.allowlist()).to.deep.equal(["0x00000000000000000000000000000000000000b2"]);
    } finally {
      await besu.close();
    }
  });

  it("refuses to empty the allowlist", async function () {
    const besu = await startFakeBesu(["0x00000000000000000000000000000000000000a1"]);
    try {
      await syncAllowlist(new BesuPermissioningClient(besu.url), [], { apply: true }).then(
        () => expect.fail("must refuse"),
        (error: unknown) =>
          expect(error)
            .to.be.instanceOf(PermissioningError)
            .with.property("message")
            .that.matches(/Refusing to empty the allowlist/),
      );
      expect(besu.calls).to.deep.equal([]);
    } finally {
      await besu.close();
    }
  });

  const misconfigured: readonly [string, Record<string, () => unknown>, RegExp][] = [
    [
      "without the PERM API",
      {},
      /does not offer perm_getAccountsAllowlist: start Besu with --rpc-http-api including PERM/,
    ],
    [
      "without account permissioning",
      {
        perm_getAccountsAllowlist: () => {
          throw new RpcErrorReply(-32000, "Account allowlist has not been enabled");
        },
      },
      /has no account allowlist: start Besu with --permissions-accounts-config-file-enabled/,
    ],
  ];
  for (const [what, handlers, message] of misconfigured) {
    it(`says what to enable on a node ${what}`, async function () {
      const server = await startFakeRpc(handlers);
      try {
        await syncAllowlist(new BesuPermissioningClient(server.url), [
          "0x00000000000000000000000000000000000000a1",
        ]).then(
          () => expect.fail("must fail"),
          (error: unknown) =>
            expect(error)
              .to.be.instanceOf(PermissioningError)
              .with.property("message")
              .that.matches(message),
        );
      } finally {
        await server.close();
      }
    });
  }
});
