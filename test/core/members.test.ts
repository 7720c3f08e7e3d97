import { expect } from "chai";
import { ZeroAddress, ZeroHash } from "ethers";
import { network } from "hardhat";
import {
  AccessPath,
  CLINIC_ORG_ID,
  Category,
  CategoryMask,
  HOSPITAL_ORG_ID,
  Purpose,
  PurposeMask,
  REGISTRAR_ROLE,
  ROLE_COUNT,
  Role,
  pinNextTimestamp,
  MEMBER_NAMES,
  MEMBER_SPECS,
  deployCareLedgerFixture,
  deployConsentedRecordsFixture,
  documentHash,
  encryptionKeyFor,
} from "../helpers/index.js";

const connection = await network.create();
const { time } = connection.networkHelpers;
const loadFixture = connection.networkHelpers.loadFixture.bind(connection.networkHelpers);

const NEW_KEY = encryptionKeyFor("rotated");
const UNKNOWN_ORG = 99;

describe("MemberRegistry", function () {
  describe("registerOrganization", function () {
    it("registers an active organisation and emits OrganizationRegistered", async function () {
      const { ledger, registrar } = await loadFixture(deployCareLedgerFixture);
      const t = await pinNextTimestamp(connection);
      await expect(ledger.connect(registrar).registerOrganization(3))
        .to.emit(ledger, "OrganizationRegistered")
        .withArgs(3, registrar.address);
      expect(await ledger.organizationOf(3)).to.deep.equal([true, true, BigInt(t)]);
    });

    it("reverts with AccessControlUnauthorizedAccount for a non-registrar (even the admin)", async function () {
      const { ledger, admin, doctor } = await loadFixture(deployCareLedgerFixture);
      for (const caller of [admin, doctor]) {
        await expect(ledger.connect(caller).registerOrganization(3))
          .to.be.revertedWithCustomError(ledger, "AccessControlUnauthorizedAccount")
          .withArgs(caller.address, REGISTRAR_ROLE);
      }
    });

    it("reverts with InvalidOrganizationId for id 0", async function () {
      const { ledger, registrar } = await loadFixture(deployCareLedgerFixture);
      await expect(ledger.connect(registrar).registerOrganization(0))
        .to.be.revertedWithCustomError(ledger, "InvalidOrganizationId")
        .withArgs(0);
    });

    it("reverts with OrganizationAlreadyRegistered for a registered id", async function () {
      const { ledger, registrar } = await loadFixture(deployCareLedgerFixture);
      await expect(ledger.connect(registrar).registerOrganization(HOSPITAL_ORG_ID))
        .to.be.revertedWithCustomError(ledger, "OrganizationAlreadyRegistered")
        .withArgs(HOSPITAL_ORG_ID);
    });
  });

  describe("setOrganizationActive", function () {
    it("suspends and reactivates, emitting OrganizationStatusChanged", async function () {
      const { ledger, registrar } = await loadFixture(deployCareLedgerFixture);
      const since = (await ledger.organizationOf(CLINIC_ORG_ID)).since;
      await expect(ledger.connect(registrar).setOrganizationActive(CLINIC_ORG_ID, false))
        .to.emit(ledger, "OrganizationStatusChanged")
        .withArgs(CLINIC_ORG_ID, false, registrar.address);
      expect(await ledger.organizationOf(CLINIC_ORG_ID)).to.deep.equal([true, false, since]);
      await expect(ledger.connect(registrar).setOrganizationActive(CLINIC_ORG_ID, true))
        .to.emit(ledger, "OrganizationStatusChanged")
        .withArgs(CLINIC_ORG_ID, true, registrar.address);
      expect(await ledger.organizationOf(CLINIC_ORG_ID)).to.deep.equal([true, true, since]);
    });

    it("reverts with AccessControlUnauthorizedAccount for a non-registrar", async function () {
      const { ledger, admin } = await loadFixture(deployCareLedgerFixture);
      await expect(ledger.connect(admin).setOrganizationActive(CLINIC_ORG_ID, false))
        .to.be.revertedWithCustomError(ledger, "AccessControlUnauthorizedAccount")
        .withArgs(admin.address, REGISTRAR_ROLE);
    });

    it("reverts with OrganizationNotRegistered for an unknown id (and for 0)", async function () {
      const { ledger, registrar } = await loadFixture(deployCareLedgerFixture);
      for (const orgId of [UNKNOWN_ORG, 0]) {
        await expect(ledger.connect(registrar).setOrganizationActive(orgId, false))
          .to.be.revertedWithCustomError(ledger, "OrganizationNotRegistered")
          .withArgs(orgId);
      }
    });

    it("reverts with OrganizationStatusUnchanged when the status is already the requested one", async function () {
      const { ledger, registrar } = await loadFixture(deployCareLedgerFixture);
      await expect(ledger.connect(registrar).setOrganizationActive(HOSPITAL_ORG_ID, true))
        .to.be.revertedWithCustomError(ledger, "OrganizationStatusUnchanged")
        .withArgs(HOSPITAL_ORG_ID, true);
      await ledger.connect(registrar).setOrganizationActive(HOSPITAL_ORG_ID, false);
      await expect(ledger.connect(registrar).setOrganizationActive(HOSPITAL_ORG_ID, false))
        .to.be.revertedWithCustomError(ledger, "OrganizationStatusUnchanged")
        .withArgs(HOSPITAL_ORG_ID, false);
    });

    it("a suspended organisation takes no new staff or patients (OrganizationInactive)", async function () {
      const { ledger, registrar, spare } = await loadFixture(deployCareLedgerFixture);
      await ledger.connect(registrar).setOrganizationActive(CLINIC_ORG_ID, false);
      for (const role of [Role.Doctor, Role.Patient]) {
        await expect(
          ledger
            .connect(registrar)
            .onboardMember(spare[0]!.address, role, CLINIC_ORG_ID, encryptionKeyFor("x")),
        )
          .to.be.revertedWithCustomError(ledger, "OrganizationInactive")
          .withArgs(CLINIC_ORG_ID);
      }
    });
  });

  describe("onboardMember", function () {
    it("the fixture's members have the expected records, ids and keys", async function () {
      const f = await loadFixture(deployCareLedgerFixture);
      expect(await f.ledger.memberCount()).to.equal(MEMBER_NAMES.length);
      for (const [i, name] of MEMBER_NAMES.entries()) {
        const spec = MEMBER_SPECS[name];
        const [member, key] = await f.ledger.memberOf(f[name].address);
        expect(member.role).to.equal(spec.role, name);
        expect(member.active).to.equal(spec.active, name);
        expect(member.id).to.equal(i + 1, name);
        expect(member.orgId).to.equal(spec.orgId, name);
        expect(key).to.equal(encryptionKeyFor(name));
        expect(await f.ledger.memberAt(i + 1)).to.equal(f[name].address);
      }
    });

    for (const [roleName, role] of Object.entries(Role).filter(([, r]) => r !== Role.None)) {
      it(`onboards a ${roleName} and emits MemberOnboarded`, async function () {
        const { ledger, registrar, spare } = await loadFixture(deployCareLedgerFixture);
        const account = spare[0]!.address;
        const key = encryptionKeyFor(`new/${roleName}`);
        const t = await pinNextTimestamp(connection);
        await expect(ledger.connect(registrar).onboardMember(account, role, CLINIC_ORG_ID, key))
          .to.emit(ledger, "MemberOnboarded")
          .withArgs(account, role, CLINIC_ORG_ID, 9, key, registrar.address);
        const [member, storedKey] = await ledger.memberOf(account);
        expect(member).to.deep.equal([BigInt(role), true, 9n, BigInt(CLINIC_ORG_ID), BigInt(t)]);
        expect(storedKey).to.equal(key);
        expect(await ledger.memberAt(9)).to.equal(account);
        expect(await ledger.memberCount()).to.equal(9);
      });
    }

    it("onboards a patient with no organisation (orgId 0)", async function () {
      const { ledger, registrar, spare } = await loadFixture(deployCareLedgerFixture);
      const account = spare[0]!.address;
      await expect(
        ledger.connect(registrar).onboardMember(account, Role.Patient, 0, encryptionKeyFor("p")),
      )
        .to.emit(ledger, "MemberOnboarded")
        .withArgs(account, Role.Patient, 0, 9, encryptionKeyFor("p"), registrar.address);
    });

    it("reverts with AccessControlUnauthorizedAccount for a non-registrar", async function () {
      const { ledger, admin, doctor, spare } = await loadFixture(deployCareLedgerFixture);
      for (const caller of [admin, doctor]) {
        await expect(
          ledger
            .connect(caller)
            .onboardMember(spare[0]!.address, Role.Nurse, HOSPITAL_ORG_ID, NEW_KEY),
        )
          .to.be.revertedWithCustomError(ledger, "AccessControlUnauthorizedAccount")
          .withArgs(caller.address, REGISTRAR_ROLE);
      }
    });

    it("reverts with ZeroAddress for the zero account", async function () {
      const { ledger, registrar } = await loadFixture(deployCareLedgerFixture);
      await expect(
        ledger.connect(registrar).onboardMember(ZeroAddress, Role.Nurse, HOSPITAL_ORG_ID, NEW_KEY),
      ).to.be.revertedWithCustomError(ledger, "ZeroAddress");
    });

    for (const role of [Role.None, ROLE_COUNT, 255]) {
      it(`reverts with InvalidRole for role ${role}`, async function () {
        const { ledger, registrar, spare } = await loadFixture(deployCareLedgerFixture);
        await expect(
          ledger
            .connect(registrar)
            .onboardMember(spare[0]!.address, role, HOSPITAL_ORG_ID, NEW_KEY),
        )
          .to.be.revertedWithCustomError(ledger, "InvalidRole")
          .withArgs(role);
      });
    }

    it("reverts with MemberAlreadyRegistered for an active or deactivated member", async function () {
      const { ledger, registrar, doctor, deactivatedDoctor } =
        await loadFixture(deployCareLedgerFixture);
      for (const account of [doctor, deactivatedDoctor]) {
        await expect(
          ledger
            .connect(registrar)
            .onboardMember(account.address, Role.Nurse, HOSPITAL_ORG_ID, NEW_KEY),
        )
          .to.be.revertedWithCustomError(ledger, "MemberAlreadyRegistered")
          .withArgs(account.address);
      }
    });

    it("reverts with ZeroEncryptionKey for a zero key", async function () {
      const { ledger, registrar, spare } = await loadFixture(deployCareLedgerFixture);
      await expect(
        ledger
          .connect(registrar)
          .onboardMember(spare[0]!.address, Role.Nurse, HOSPITAL_ORG_ID, ZeroHash),
      )
        .to.be.revertedWithCustomError(ledger, "ZeroEncryptionKey")
        .withArgs(spare[0]!.address);
    });

    it("reverts with InvalidOrganizationId for staff without an organisation", async function () {
      const { ledger, registrar, spare } = await loadFixture(deployCareLedgerFixture);
      await expect(
        ledger.connect(registrar).onboardMember(spare[0]!.address, Role.Doctor, 0, NEW_KEY),
      )
        .to.be.revertedWithCustomError(ledger, "InvalidOrganizationId")
        .withArgs(0);
    });

    for (const role of [Role.Doctor, Role.Patient]) {
      it(`reverts with OrganizationNotRegistered for an unknown organisation (role ${role})`, async function () {
        const { ledger, registrar, spare } = await loadFixture(deployCareLedgerFixture);
        await expect(
          ledger.connect(registrar).onboardMember(spare[0]!.address, role, UNKNOWN_ORG, NEW_KEY),
        )
          .to.be.revertedWithCustomError(ledger, "OrganizationNotRegistered")
          .withArgs(UNKNOWN_ORG);
      });
    }
  });

  describe("setMemberActive", function () {
    it("deactivates and reactivates, emitting MemberStatusChanged", async function () {
      const { ledger, registrar, nurse } = await loadFixture(deployCareLedgerFixture);
      await expect(ledger.connect(registrar).setMemberActive(nurse.address, false))
        .to.emit(ledger, "MemberStatusChanged")
        .withArgs(nurse.address, false, registrar.address);
      expect((await ledger.memberOf(nurse.address))[0].active).to.equal(false);
      await expect(ledger.connect(registrar).setMemberActive(nurse.address, true))
        .to.emit(ledger, "MemberStatusChanged")
        .withArgs(nurse.address, true, registrar.address);
      expect((await ledger.memberOf(nurse.address))[0].active).to.equal(true);
    });

    it("reverts with AccessControlUnauthorizedAccount for a non-registrar", async function () {
      const { ledger, admin, nurse } = await loadFixture(deployCareLedgerFixture);
      await expect(ledger.connect(admin).setMemberActive(nurse.address, false))
        .to.be.revertedWithCustomError(ledger, "AccessControlUnauthorizedAccount")
        .withArgs(admin.address, REGISTRAR_ROLE);
    });

    it("reverts with NotAMember for a non-member", async function () {
      const { ledger, registrar, outsider } = await loadFixture(deployCareLedgerFixture);
      await expect(ledger.connect(registrar).setMemberActive(outsider.address, false))
        .to.be.revertedWithCustomError(ledger, "NotAMember")
        .withArgs(outsider.address);
    });

    it("reverts with MemberStatusUnchanged when the status is already the requested one", async function () {
      const { ledger, registrar, doctor, deactivatedDoctor } =
        await loadFixture(deployCareLedgerFixture);
      await expect(ledger.connect(registrar).setMemberActive(doctor.address, true))
        .to.be.revertedWithCustomError(ledger, "MemberStatusUnchanged")
        .withArgs(doctor.address, true);
      await expect(ledger.connect(registrar).setMemberActive(deactivatedDoctor.address, false))
        .to.be.revertedWithCustomError(ledger, "MemberStatusUnchanged")
        .withArgs(deactivatedDoctor.address, false);
    });

    it("deactivation takes effect at once in every check; reactivation restores the member, not its old consent", async function () {
      const f = await loadFixture(deployConsentedRecordsFixture);
      const { ledger, registrar, doctor, patient } = f;
      const labs = f.records[Category.Labs];
      expect(await ledger.canOpen(labs, doctor.address, Purpose.Treatment)).to.equal(
        AccessPath.Consent,
      );

      await ledger.connect(registrar).setMemberActive(doctor.address, false);
      expect(
        await ledger.hasAccess(patient.address, doctor.address, Category.Labs, Purpose.Treatment),
      ).to.equal(false);
      expect(await ledger.canWrite(patient.address, doctor.address, Category.Labs)).to.equal(false);
      expect(await ledger.canOpen(labs, doctor.address, Purpose.Treatment)).to.equal(
        AccessPath.None,
      );
      const refusals = [
        () => ledger.connect(doctor).openRecord(labs, Purpose.Treatment),
        () =>
          ledger.connect(doctor).anchorRecord(patient.address, Category.Labs, documentHash("new")),
        () => ledger.connect(doctor).amendRecord(labs, documentHash("amended")),
        () => ledger.connect(doctor).markEnteredInError(labs),
        () => ledger.connect(doctor).breakGlass(patient.address, documentHash("why"), 60),
        () => ledger.connect(doctor).rotateEncryptionKey(NEW_KEY),
      ];
      for (const call of refusals) {
        await expect(call())
          .to.be.revertedWithCustomError(ledger, "MemberInactive")
          .withArgs(doctor.address);
      }

      await ledger.connect(registrar).setMemberActive(doctor.address, true);
      expect(await ledger.canOpen(labs, doctor.address, Purpose.Treatment)).to.equal(
        AccessPath.None,
      );
      await expect(
        ledger.connect(doctor).openRecord(labs, Purpose.Treatment),
      ).to.be.revertedWithCustomError(ledger, "ConsentPredatesStanding");
      // The patient consents again, to the reactivated doctor.
      await ledger
        .connect(patient)
        .grantConsent(doctor.address, 0x1ff, 0x1f, (await time.latest()) + 24 * 3600);
      expect(await ledger.canOpen(labs, doctor.address, Purpose.Treatment)).to.equal(
        AccessPath.Consent,
      );
      await expect(ledger.connect(doctor).openRecord(labs, Purpose.Treatment)).to.emit(
        ledger,
        "RecordOpened",
      );
    });

    it("a deactivated patient can no longer grant, narrow, extend or anchor, nor be broken-glass on", async function () {
      const f = await loadFixture(deployConsentedRecordsFixture);
      const { ledger, registrar, patient, doctor, nurse, responder } = f;
      await ledger.connect(registrar).setMemberActive(patient.address, false);
      const refusals = [
        () => ledger.connect(patient).grantConsent(nurse.address, 1, 1, f.consentExpiresAt),
        () => ledger.connect(patient).narrowConsent(doctor.address, 1, 1),
        () => ledger.connect(patient).extendConsent(doctor.address, f.consentExpiresAt + 1),
        () =>
          ledger.connect(patient).anchorRecord(patient.address, Category.Labs, documentHash("p")),
        () => ledger.connect(responder).breakGlass(patient.address, documentHash("why"), 60),
      ];
      for (const call of refusals) {
        await expect(call())
          .to.be.revertedWithCustomError(ledger, "MemberInactive")
          .withArgs(patient.address);
      }
    });
  });

  describe("changeMemberRole", function () {
    it("moves a staff member to another staff role, emits MemberRoleChanged; the new policy applies at once, to consent given from then on", async function () {
      const f = await loadFixture(deployConsentedRecordsFixture);
      const { ledger, registrar, nurse } = f;
      const notes = f.records[Category.ClinicalNotes];
      await expect(ledger.connect(nurse).openRecord(notes, Purpose.Treatment))
        .to.be.revertedWithCustomError(ledger, "CategoryNotAllowedForRole")
        .withArgs(nurse.address, Role.Nurse, Category.ClinicalNotes);
      await expect(ledger.connect(registrar).changeMemberRole(nurse.address, Role.Doctor))
        .to.emit(ledger, "MemberRoleChanged")
        .withArgs(nurse.address, Role.Nurse, Role.Doctor, registrar.address);
      expect((await ledger.memberOf(nurse.address))[0].role).to.equal(Role.Doctor);
      await expect(
        ledger.connect(nurse).openRecord(notes, Purpose.Treatment),
      ).to.be.revertedWithCustomError(ledger, "ConsentPredatesStanding");
      await ledger
        .connect(f.patient)
        .grantConsent(nurse.address, 0x17f, 0x01, (await time.latest()) + 24 * 3600);
      await expect(ledger.connect(nurse).openRecord(notes, Purpose.Treatment)).to.emit(
        ledger,
        "RecordOpened",
      );
    });

    it("keeps the member id, organisation, key and active flag", async function () {
      const { ledger, registrar, deactivatedDoctor } = await loadFixture(deployCareLedgerFixture);
      const [before, key] = await ledger.memberOf(deactivatedDoctor.address);
      await ledger.connect(registrar).changeMemberRole(deactivatedDoctor.address, Role.Auditor);
      const [after, keyAfter] = await ledger.memberOf(deactivatedDoctor.address);
      expect(after.slice(0, 4)).to.deep.equal([
        BigInt(Role.Auditor),
        before.active,
        before.id,
        before.orgId,
      ]);
      // A new standing: consent given to the account in its old role stays inert.
      expect(after.since).to.be.greaterThan(before.since);
      expect(keyAfter).to.equal(key);
    });

    it("reverts with AccessControlUnauthorizedAccount for a non-registrar", async function () {
      const { ledger, admin, nurse } = await loadFixture(deployCareLedgerFixture);
      await expect(ledger.connect(admin).changeMemberRole(nurse.address, Role.Doctor))
        .to.be.revertedWithCustomError(ledger, "AccessControlUnauthorizedAccount")
        .withArgs(admin.address, REGISTRAR_ROLE);
    });

    for (const role of [Role.None, ROLE_COUNT]) {
      it(`reverts with InvalidRole for role ${role}`, async function () {
        const { ledger, registrar, nurse } = await loadFixture(deployCareLedgerFixture);
        await expect(ledger.connect(registrar).changeMemberRole(nurse.address, role))
          .to.be.revertedWithCustomError(ledger, "InvalidRole")
          .withArgs(role);
      });
    }

    it("reverts with NotAMember for a non-member", async function () {
      const { ledger, registrar, outsider } = await loadFixture(deployCareLedgerFixture);
      await expect(ledger.connect(registrar).changeMemberRole(outsider.address, Role.Doctor))
        .to.be.revertedWithCustomError(ledger, "NotAMember")
        .withArgs(outsider.address);
    });

    const refused = [
      ["doctor", Role.Doctor, Role.Doctor, "the same role"],
      ["doctor", Role.Doctor, Role.Patient, "staff to patient"],
      ["patient", Role.Patient, Role.Doctor, "patient to staff"],
      ["patient", Role.Patient, Role.Patient, "patient to patient"],
    ] as const;
    for (const [who, from, to, what] of refused) {
      it(`reverts with RoleChangeNotAllowed for ${what}`, async function () {
        const f = await loadFixture(deployCareLedgerFixture);
        await expect(f.ledger.connect(f.registrar).changeMemberRole(f[who].address, to))
          .to.be.revertedWithCustomError(f.ledger, "RoleChangeNotAllowed")
          .withArgs(f[who].address, from, to);
      });
    }
  });

  describe("rotateEncryptionKey", function () {
    for (const who of ["doctor", "patient"] as const) {
      it(`an active ${who} publishes a new key and EncryptionKeyRotated is emitted`, async function () {
        const f = await loadFixture(deployCareLedgerFixture);
        const [memberBefore] = await f.ledger.memberOf(f[who].address);
        await expect(f.ledger.connect(f[who]).rotateEncryptionKey(NEW_KEY))
          .to.emit(f.ledger, "EncryptionKeyRotated")
          .withArgs(f[who].address, NEW_KEY);
        const [member, key] = await f.ledger.memberOf(f[who].address);
        expect(key).to.equal(NEW_KEY);
        expect(member).to.deep.equal(memberBefore);
      });
    }

    it("reverts with NotAMember for a non-member", async function () {
      const { ledger, outsider } = await loadFixture(deployCareLedgerFixture);
      await expect(ledger.connect(outsider).rotateEncryptionKey(NEW_KEY))
        .to.be.revertedWithCustomError(ledger, "NotAMember")
        .withArgs(outsider.address);
    });

    it("reverts with MemberInactive for a deactivated member", async function () {
      const { ledger, deactivatedDoctor } = await loadFixture(deployCareLedgerFixture);
      await expect(ledger.connect(deactivatedDoctor).rotateEncryptionKey(NEW_KEY))
        .to.be.revertedWithCustomError(ledger, "MemberInactive")
        .withArgs(deactivatedDoctor.address);
    });

    it("reverts with ZeroEncryptionKey for a zero key", async function () {
      const { ledger, doctor } = await loadFixture(deployCareLedgerFixture);
      await expect(ledger.connect(doctor).rotateEncryptionKey(ZeroHash))
        .to.be.revertedWithCustomError(ledger, "ZeroEncryptionKey")
        .withArgs(doctor.address);
    });
  });

  describe("views", function () {
    it("memberOf a non-member is all zero with role None", async function () {
      const { ledger, outsider } = await loadFixture(deployCareLedgerFixture);
      const [member, key] = await ledger.memberOf(outsider.address);
      expect(member).to.deep.equal([0n, false, 0n, 0n, 0n]);
      expect(key).to.equal(ZeroHash);
    });

    it("memberAt is the zero address for id 0 and past memberCount", async function () {
      const { ledger } = await loadFixture(deployCareLedgerFixture);
      expect(await ledger.memberAt(0)).to.equal(ZeroAddress);
      expect(await ledger.memberAt(MEMBER_NAMES.length + 1)).to.equal(ZeroAddress);
    });

    it("organizationOf an unknown id is unregistered", async function () {
      const { ledger } = await loadFixture(deployCareLedgerFixture);
      expect(await ledger.organizationOf(UNKNOWN_ORG)).to.deep.equal([false, false, 0n]);
    });

    it("a member's grant outlives the member's deactivation but is unusable until reactivation", async function () {
      const f = await loadFixture(deployConsentedRecordsFixture);
      const { ledger, patient, deactivatedDoctor } = f;
      const grant = await ledger.consentOf(patient.address, deactivatedDoctor.address);
      expect(grant.categories).to.equal(CategoryMask.ALL);
      expect(grant.purposes).to.equal(PurposeMask.ALL);
      expect(
        await ledger.hasAccess(
          patient.address,
          deactivatedDoctor.address,
          Category.Labs,
          Purpose.Treatment,
        ),
      ).to.equal(false);
    });
  });
});
