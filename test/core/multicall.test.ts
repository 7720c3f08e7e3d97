import { expect } from "chai";
import { network } from "hardhat";
import { CLINIC_ORG_ID, HOSPITAL_ORG_ID, Role } from "../helpers/constants.js";
import {
  type CareLedgerFixture,
  deployCareLedgerFixture,
  encryptionKeyFor,
} from "../helpers/fixtures.js";

const connection = await network.create();
const loadFixture = connection.networkHelpers.loadFixture.bind(connection.networkHelpers);

/** `onboardMember` calldata for `account`. */
function onboardCall(f: CareLedgerFixture, account: string, role: number, orgId: number): string {
  return f.ledger.interface.encodeFunctionData("onboardMember", [
    account,
    role,
    orgId,
    encryptionKeyFor(account),
  ]);
}

/** Three new members from the spare accounts: a doctor, a nurse of the clinic and a patient. */
function batchOf(f: CareLedgerFixture): { account: string; role: number; orgId: number }[] {
  return [
    { account: f.spare[0]!.address, role: Role.Doctor, orgId: HOSPITAL_ORG_ID },
    { account: f.spare[1]!.address, role: Role.Nurse, orgId: CLINIC_ORG_ID },
    { account: f.spare[2]!.address, role: Role.Patient, orgId: 0 },
  ];
}

describe("CareLedger multicall (batched onboarding)", function () {
  it("a registrar onboards a batch in one transaction, as itself, with sequential member ids", async function () {
    const f = await loadFixture(deployCareLedgerFixture);
    const before = await f.ledger.memberCount();
    const batch = batchOf(f);
    const tx = f.ledger
      .connect(f.registrar)
      .multicall(batch.map((m) => onboardCall(f, m.account, m.role, m.orgId)));
    for (const [i, m] of batch.entries()) {
      await expect(tx)
        .to.emit(f.ledger, "MemberOnboarded")
        .withArgs(
          m.account,
          m.role,
          m.orgId,
          before + BigInt(i) + 1n,
          encryptionKeyFor(m.account),
          f.registrar.address,
        );
    }
    expect(await f.ledger.memberCount()).to.equal(before + BigInt(batch.length));
    for (const m of batch) {
      const [member] = await f.ledger.memberOf(m.account);
      expect(member.role).to.equal(m.role);
      expect(member.orgId).to.equal(m.orgId);
    }
  });

  const failures = [
    {
      name: "a member already on chain",
      item: (f: CareLedgerFixture) =>
        onboardCall(f, f.doctor.address, Role.Doctor, HOSPITAL_ORG_ID),
      error: "MemberAlreadyRegistered",
      args: (f: CareLedgerFixture) => [f.doctor.address],
    },
    {
      name: "an unregistered organisation",
      item: (f: CareLedgerFixture) => onboardCall(f, f.spare[3]!.address, Role.Nurse, 99),
      error: "OrganizationNotRegistered",
      args: () => [99],
    },
    {
      name: "role None",
      item: (f: CareLedgerFixture) => onboardCall(f, f.spare[3]!.address, Role.None, 0),
      error: "InvalidRole",
      args: () => [Role.None],
    },
  ] as const;

  for (const failure of failures) {
    it(`one failing item (${failure.name}) reverts the whole batch with its own custom error`, async function () {
      const f = await loadFixture(deployCareLedgerFixture);
      const before = await f.ledger.memberCount();
      const calls = batchOf(f).map((m) => onboardCall(f, m.account, m.role, m.orgId));
      calls.splice(1, 0, failure.item(f));
      await expect(f.ledger.connect(f.registrar).multicall(calls))
        .to.be.revertedWithCustomError(f.ledger, failure.error)
        .withArgs(...failure.args(f));
      expect(await f.ledger.memberCount()).to.equal(before);
      const [first] = await f.ledger.memberOf(f.spare[0]!.address);
      expect(first.role).to.equal(Role.None);
    });
  }

  it("batching grants no rights: a non-registrar's batch reverts as its own call would", async function () {
    const f = await loadFixture(deployCareLedgerFixture);
    const calls = batchOf(f).map((m) => onboardCall(f, m.account, m.role, m.orgId));
    await expect(f.ledger.connect(f.doctor).multicall(calls))
      .to.be.revertedWithCustomError(f.ledger, "AccessControlUnauthorizedAccount")
      .withArgs(f.doctor.address, await f.ledger.REGISTRAR_ROLE());
  });

  it("while paused a batch of onboardings reverts with EnforcedPause, and goes through after unpause", async function () {
    const f = await loadFixture(deployCareLedgerFixture);
    const calls = batchOf(f).map((m) => onboardCall(f, m.account, m.role, m.orgId));
    await f.ledger.connect(f.admin).pause();
    await expect(f.ledger.connect(f.registrar).multicall(calls)).to.be.revertedWithCustomError(
      f.ledger,
      "EnforcedPause",
    );
    // What works while paused still works batched: deactivating members (incident response).
    await expect(
      f.ledger
        .connect(f.registrar)
        .multicall([
          f.ledger.interface.encodeFunctionData("setMemberActive", [f.doctor.address, false]),
          f.ledger.interface.encodeFunctionData("setMemberActive", [f.nurse.address, false]),
        ]),
    )
      .to.emit(f.ledger, "MemberStatusChanged")
      .withArgs(f.nurse.address, false, f.registrar.address);
    await f.ledger.connect(f.admin).unpause();
    await expect(f.ledger.connect(f.registrar).multicall(calls)).to.emit(
      f.ledger,
      "MemberOnboarded",
    );
    expect(await f.ledger.memberCount()).to.equal(
      BigInt(Object.keys(f.actors).length - 3 + calls.length),
    );
  });
});
