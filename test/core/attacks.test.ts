/**
 * Regression tests of the outside attack run: one `describe` per numbered finding, each test named for the
 * attack it replays against the contract's ABI (and, for signed consent, through the SDK's signing path).
 */
import { expect } from "chai";
import { MaxUint256 } from "ethers";
import { network } from "hardhat";
import { grantWithSigArgs, signGrant, signRevoke } from "../../src/consent/typedData.js";
import {
  AccessPath,
  BREAK_GLASS_MAX_DURATION,
  BREAK_GLASS_WARMUP,
  Category,
  CategoryMask,
  CLINIC_ORG_ID,
  HOSPITAL_ORG_ID,
  MAX_CONSENT_DURATION,
  MAX_SIGNATURE_LIFETIME,
  Purpose,
  PurposeMask,
  RecordStatus,
  ReviewVerdict,
  Role,
  categoryBit,
  type CareLedgerFixture,
  contentHash,
  deployConsentedRecordsFixture,
  documentHash,
  encryptionKeyFor,
  recordIdOf,
  deploySignedConsentFixture,
  grantRequest,
  revokeRequest,
} from "../helpers/index.js";
import { sendSignedConsent } from "../../src/consent/relay.js";

const connection = await network.create();
const { time } = connection.networkHelpers;
const loadFixture = connection.networkHelpers.loadFixture.bind(connection.networkHelpers);

const DAY = 24 * 60 * 60;
const WHY = documentHash("attack/justification");
const NOTES = documentHash("attack/notes");
const DEMOGRAPHICS = categoryBit(Category.Demographics);

/** Whether the fixture's doctor may read the patient's labs for treatment now (`hasAccess`). */
function doctorReadsLabs(
  f: Pick<CareLedgerFixture, "ledger" | "patient" | "doctor">,
): Promise<boolean> {
  return f.ledger.hasAccess(f.patient.address, f.doctor.address, Category.Labs, Purpose.Treatment);
}

describe("Attack regressions", function () {
  describe("1. a delegate removes consent outside its scope", function () {
    async function delegatedFixture() {
      const f = await loadFixture(deploySignedConsentFixture);
      const [, , , , delegate] = f.spare;
      if (delegate === undefined) throw new Error("need a spare signer");
      const now = await time.latest();
      const clinicalExpiry = now + 20 * DAY;
      await f.ledger
        .connect(f.patient)
        .grantConsent(
          f.doctor.address,
          CategoryMask.CLINICAL,
          PurposeMask.TREATMENT,
          clinicalExpiry,
        );
      await f.ledger
        .connect(f.patient)
        .appointDelegate(delegate.address, DEMOGRAPHICS, now + 30 * DAY);
      const labs = contentHash("attack-1/labs");
      await f.ledger.connect(f.patient).anchorRecord(f.patient.address, Category.Labs, labs);
      return { ...f, delegate, clinicalExpiry, labs: recordIdOf(f.patient.address, labs) };
    }

    it("grantConsentFor with a short expiry cannot overwrite the doctor's clinical grant", async function () {
      const f = await delegatedFixture();
      const soon = (await time.latest()) + 60;
      await expect(
        f.ledger
          .connect(f.delegate)
          .grantConsentFor(
            f.patient.address,
            f.doctor.address,
            DEMOGRAPHICS,
            PurposeMask.TREATMENT,
            soon,
          ),
      )
        .to.be.revertedWithCustomError(f.ledger, "DelegateScopeExceeded")
        .withArgs(f.patient.address, f.delegate.address, DEMOGRAPHICS, CategoryMask.CLINICAL);
      const grant = await f.ledger.consentOf(f.patient.address, f.doctor.address);
      expect(grant.categories).to.equal(CategoryMask.CLINICAL);
      await expect(f.ledger.connect(f.doctor).openRecord(f.labs, Purpose.Treatment)).to.emit(
        f.ledger,
        "RecordOpened",
      );
    });

    it("grantConsentFor on the same terms changes only the categories inside the scope", async function () {
      const f = await delegatedFixture();
      const asDelegate = f.ledger.connect(f.delegate);
      await asDelegate.revokeConsentFor(f.patient.address, f.doctor.address);
      expect((await f.ledger.consentOf(f.patient.address, f.doctor.address)).categories).to.equal(
        CategoryMask.CLINICAL & ~DEMOGRAPHICS,
      );
      await asDelegate.grantConsentFor(
        f.patient.address,
        f.doctor.address,
        DEMOGRAPHICS,
        PurposeMask.TREATMENT,
        f.clinicalExpiry,
      );
      expect((await f.ledger.consentOf(f.patient.address, f.doctor.address)).categories).to.equal(
        CategoryMask.CLINICAL,
      );
      expect(await doctorReadsLabs(f)).to.equal(true);
    });

    it("revokeConsentFor removes only the delegate's categories and leaves the labs open", async function () {
      const f = await delegatedFixture();
      await expect(
        f.ledger.connect(f.delegate).revokeConsentFor(f.patient.address, f.doctor.address),
      )
        .to.emit(f.ledger, "ConsentNarrowed")
        .withArgs(
          f.patient.address,
          f.doctor.address,
          f.delegate.address,
          CategoryMask.CLINICAL & ~DEMOGRAPHICS,
          PurposeMask.TREATMENT,
        );
      await expect(f.ledger.connect(f.doctor).openRecord(f.labs, Purpose.Treatment)).to.emit(
        f.ledger,
        "RecordOpened",
      );
      // A grant holding none of the delegate's categories is out of its reach altogether.
      await expect(
        f.ledger.connect(f.delegate).revokeConsentFor(f.patient.address, f.doctor.address),
      )
        .to.be.revertedWithCustomError(f.ledger, "DelegateScopeExceeded")
        .withArgs(
          f.patient.address,
          f.delegate.address,
          DEMOGRAPHICS,
          CategoryMask.CLINICAL & ~DEMOGRAPHICS,
        );
    });

    it("a grantWithSig signed by the delegate cannot overwrite the doctor's clinical grant", async function () {
      const f = await delegatedFixture();
      const request = await grantRequest(connection, f.ledger, {
        patient: f.patient.address,
        grantee: f.doctor.address,
        signer: f.delegate.address,
        categories: DEMOGRAPHICS,
        purposes: PurposeMask.TREATMENT,
        expiresAt: (await time.latest()) + 60,
      });
      const signed = await signGrant(f.delegate, request);
      await expect(sendSignedConsent(f.ledger.connect(f.relayer), signed))
        .to.be.revertedWithCustomError(f.ledger, "DelegateScopeExceeded")
        .withArgs(f.patient.address, f.delegate.address, DEMOGRAPHICS, CategoryMask.CLINICAL);
    });
  });

  describe("2. a suspended organisation's staff keep working", function () {
    async function suspendedFixture() {
      const f = await loadFixture(deployConsentedRecordsFixture);
      await f.ledger.connect(f.registrar).setOrganizationActive(HOSPITAL_ORG_ID, false);
      return f;
    }

    const refusals: {
      readonly attack: string;
      readonly act: (f: Awaited<ReturnType<typeof suspendedFixture>>) => Promise<unknown>;
    }[] = [
      {
        attack: "the doctor opens labs",
        act: (f) =>
          f.ledger.connect(f.doctor).openRecord(f.records[Category.Labs], Purpose.Treatment),
      },
      {
        attack: "the doctor anchors a record",
        act: (f) =>
          f.ledger
            .connect(f.doctor)
            .anchorRecord(f.patient.address, Category.Labs, contentHash("attack-2/anchor")),
      },
      {
        attack: "the responder breaks the glass",
        act: (f) => f.ledger.connect(f.responder).breakGlass(f.patient.address, WHY, 600),
      },
      {
        attack: "the nurse rotates its key",
        act: (f) => f.ledger.connect(f.nurse).rotateEncryptionKey(encryptionKeyFor("attack-2")),
      },
    ];
    for (const { attack, act } of refusals) {
      it(`refused: ${attack}`, async function () {
        const f = await suspendedFixture();
        await expect(act(f))
          .to.be.revertedWithCustomError(f.ledger, "OrganizationInactive")
          .withArgs(HOSPITAL_ORG_ID);
      });
    }

    it("views agree, the responder's open window closes with the org, and its patients keep their records", async function () {
      const f = await loadFixture(deployConsentedRecordsFixture);
      await f.ledger.connect(f.responder).breakGlass(f.patient.address, WHY, 600);
      await f.ledger.connect(f.registrar).setOrganizationActive(HOSPITAL_ORG_ID, false);
      const labs = f.records[Category.Labs];
      expect(await doctorReadsLabs(f)).to.equal(false);
      expect(await f.ledger.canWrite(f.patient.address, f.nurse.address, Category.Vitals)).to.equal(
        false,
      );
      expect(await f.ledger.canOpen(labs, f.responder.address, Purpose.Emergency)).to.equal(
        AccessPath.None,
      );
      // otherPatient belongs to the suspended hospital, but its records are its own.
      const own = contentHash("attack-2/own");
      await f.ledger
        .connect(f.otherPatient)
        .anchorRecord(f.otherPatient.address, Category.Vitals, own);
      expect(
        await f.ledger.canOpen(
          recordIdOf(f.otherPatient.address, own),
          f.otherPatient.address,
          Purpose.Treatment,
        ),
      ).to.equal(AccessPath.Patient);
      // Reinstating restores the staff at once.
      await f.ledger.connect(f.registrar).setOrganizationActive(HOSPITAL_ORG_ID, true);
      expect(await doctorReadsLabs(f)).to.equal(true);
    });
  });

  describe("3. the registrar's power is unbounded", function () {
    it("a registrar cannot onboard, reactivate, deactivate or re-role itself", async function () {
      const f = await loadFixture(deployConsentedRecordsFixture);
      const asRegistrar = f.ledger.connect(f.registrar);
      await expect(
        asRegistrar.onboardMember(
          f.registrar.address,
          Role.EmergencyResponder,
          HOSPITAL_ORG_ID,
          encryptionKeyFor("r"),
        ),
      )
        .to.be.revertedWithCustomError(f.ledger, "RegistrarSelfService")
        .withArgs(f.registrar.address);
      // A registrar that is also a member (onboarded by another registrar) still cannot change itself.
      const [other] = f.spare;
      if (other === undefined) throw new Error("need a spare signer");
      await f.ledger.connect(f.admin).grantRole(await f.ledger.REGISTRAR_ROLE(), other.address);
      await asRegistrar.onboardMember(
        other.address,
        Role.Nurse,
        HOSPITAL_ORG_ID,
        encryptionKeyFor("o"),
      );
      const asOther = f.ledger.connect(other);
      for (const call of [
        () => asOther.changeMemberRole(other.address, Role.Doctor),
        () => asOther.setMemberActive(other.address, false),
      ]) {
        await expect(call())
          .to.be.revertedWithCustomError(f.ledger, "RegistrarSelfService")
          .withArgs(other.address);
      }
    });

    it("during a pause the registrar cannot register an org, onboard, re-role, reactivate or reinstate", async function () {
      const f = await loadFixture(deployConsentedRecordsFixture);
      const [newcomer] = f.spare;
      if (newcomer === undefined) throw new Error("need a spare signer");
      await f.ledger.connect(f.registrar).setOrganizationActive(CLINIC_ORG_ID, false);
      await f.ledger.connect(f.admin).pause();
      const asRegistrar = f.ledger.connect(f.registrar);
      const attempts = [
        () => asRegistrar.registerOrganization(77),
        () =>
          asRegistrar.onboardMember(
            newcomer.address,
            Role.EmergencyResponder,
            HOSPITAL_ORG_ID,
            encryptionKeyFor("n"),
          ),
        () => asRegistrar.changeMemberRole(f.nurse.address, Role.EmergencyResponder),
        () => asRegistrar.setMemberActive(f.deactivatedDoctor.address, true),
        () => asRegistrar.setOrganizationActive(CLINIC_ORG_ID, true),
      ];
      for (const attempt of attempts) {
        await expect(attempt()).to.be.revertedWithCustomError(f.ledger, "EnforcedPause");
      }
    });

    it("during a pause deactivating a member and suspending an organisation still cut access off", async function () {
      const f = await loadFixture(deployConsentedRecordsFixture);
      await f.ledger.connect(f.admin).pause();
      const asRegistrar = f.ledger.connect(f.registrar);
      await expect(asRegistrar.setMemberActive(f.doctor.address, false)).to.emit(
        f.ledger,
        "MemberStatusChanged",
      );
      await expect(asRegistrar.setOrganizationActive(HOSPITAL_ORG_ID, false)).to.emit(
        f.ledger,
        "OrganizationStatusChanged",
      );
      await expect(
        f.ledger.connect(f.doctor).openRecord(f.records[Category.Labs], Purpose.Treatment),
      )
        .to.be.revertedWithCustomError(f.ledger, "MemberInactive")
        .withArgs(f.doctor.address);
    });

    it("a newly onboarded responder waits the warm-up before breaking the glass", async function () {
      const f = await loadFixture(deployConsentedRecordsFixture);
      const [fresh] = f.spare;
      if (fresh === undefined) throw new Error("need a spare signer");
      await f.ledger
        .connect(f.registrar)
        .onboardMember(
          fresh.address,
          Role.EmergencyResponder,
          HOSPITAL_ORG_ID,
          encryptionKeyFor("fresh"),
        );
      const readyAt = (await time.latest()) + BREAK_GLASS_WARMUP;
      await expect(f.ledger.connect(fresh).breakGlass(f.patient.address, WHY, 600))
        .to.be.revertedWithCustomError(f.ledger, "BreakGlassWarmupPending")
        .withArgs(fresh.address, readyAt);
      await time.setNextBlockTimestamp(readyAt);
      await expect(f.ledger.connect(fresh).breakGlass(f.patient.address, WHY, 600)).to.emit(
        f.ledger,
        "BreakGlassDeclared",
      );
      // A role change to a break-glass role restarts the warm-up.
      await f.ledger
        .connect(f.registrar)
        .changeMemberRole(f.nurse.address, Role.EmergencyResponder);
      await expect(
        f.ledger.connect(f.nurse).breakGlass(f.patient.address, WHY, 600),
      ).to.be.revertedWithCustomError(f.ledger, "BreakGlassWarmupPending");
    });
  });

  describe("4. break-glass", function () {
    it("a responder cannot open through break-glass for research", async function () {
      const f = await loadFixture(deployConsentedRecordsFixture);
      await f.ledger.connect(f.responder).breakGlass(f.patient.address, WHY, 600);
      const labs = f.records[Category.Labs];
      await expect(f.ledger.connect(f.responder).openRecord(labs, Purpose.Research))
        .to.be.revertedWithCustomError(f.ledger, "BreakGlassPurposeNotEmergency")
        .withArgs(Purpose.Research);
      expect(await f.ledger.canOpen(labs, f.responder.address, Purpose.Research)).to.equal(
        AccessPath.None,
      );
      // The doctor, who may read under consent too, is held to the same rule on the break-glass path.
      await f.ledger
        .connect(f.patient)
        .narrowConsent(f.doctor.address, CategoryMask.CLINICAL, PurposeMask.TREATMENT);
      await f.ledger.connect(f.doctor).breakGlass(f.patient.address, WHY, 600);
      await expect(
        f.ledger.connect(f.doctor).openRecord(labs, Purpose.Research),
      ).to.be.revertedWithCustomError(f.ledger, "BreakGlassPurposeNotEmergency");
      expect(await f.ledger.canOpen(labs, f.responder.address, Purpose.Emergency)).to.equal(
        AccessPath.BreakGlass,
      );
    });

    it("a second declaration cannot stretch the window past the cap from the first", async function () {
      const f = await loadFixture(deployConsentedRecordsFixture);
      const asResponder = f.ledger.connect(f.responder);
      const start = (await time.latest()) + 1;
      await time.setNextBlockTimestamp(start);
      await asResponder.breakGlass(f.patient.address, WHY, BREAK_GLASS_MAX_DURATION);
      await time.setNextBlockTimestamp(start + BREAK_GLASS_MAX_DURATION - 60);
      await expect(asResponder.breakGlass(f.patient.address, WHY, BREAK_GLASS_MAX_DURATION))
        .to.emit(f.ledger, "BreakGlassDeclared")
        .withArgs(
          2,
          f.patient.address,
          f.responder.address,
          WHY,
          start + BREAK_GLASS_MAX_DURATION - 60,
          start + BREAK_GLASS_MAX_DURATION,
        );
      const window = await f.ledger.breakGlassWindowOf(f.patient.address, f.responder.address);
      expect(window.expiresAt).to.equal(start + BREAK_GLASS_MAX_DURATION);
      expect(window.startedAt).to.equal(start);
      await time.increaseTo(start + BREAK_GLASS_MAX_DURATION);
      await expect(
        asResponder.openRecord(f.records[Category.Labs], Purpose.Emergency),
      ).to.be.revertedWithCustomError(f.ledger, "NoBreakGlassWindow");
      // Once the window has closed, a new declaration starts a new window.
      await expect(asResponder.breakGlass(f.patient.address, WHY, 600)).to.emit(
        f.ledger,
        "BreakGlassDeclared",
      );
      const third = await f.ledger.incidentOf(3);
      expect(
        (await f.ledger.breakGlassWindowOf(f.patient.address, f.responder.address)).startedAt,
      ).to.equal(third.openedAt);
      expect(third.openedAt).to.be.greaterThan(start + BREAK_GLASS_MAX_DURATION - 1);
    });

    it("a declaration in a window whose cap governance lowered below its age is refused", async function () {
      const f = await loadFixture(deployConsentedRecordsFixture);
      const asResponder = f.ledger.connect(f.responder);
      await asResponder.breakGlass(f.patient.address, WHY, 3600);
      await time.increase(1800);
      await f.ledger.connect(f.admin).setBreakGlassMaxDuration(600);
      // The window started 30 minutes ago: a 10-minute cap from its start leaves nothing to declare.
      await expect(asResponder.breakGlass(f.patient.address, WHY, 600))
        .to.be.revertedWithCustomError(f.ledger, "InvalidBreakGlassDuration")
        .withArgs(600, 600);
    });

    it("an unjustified verdict on the first of two overlapping incidents closes the window", async function () {
      const f = await loadFixture(deployConsentedRecordsFixture);
      const asResponder = f.ledger.connect(f.responder);
      await asResponder.breakGlass(f.patient.address, WHY, 3600);
      await asResponder.breakGlass(f.patient.address, WHY, 3600);
      await expect(
        f.ledger.connect(f.auditor).reviewBreakGlass(1, ReviewVerdict.Unjustified, NOTES),
      ).to.emit(f.ledger, "BreakGlassWindowClosed");
      await expect(
        asResponder.openRecord(f.records[Category.Labs], Purpose.Emergency),
      ).to.be.revertedWithCustomError(f.ledger, "NoBreakGlassWindow");
    });
  });

  describe("5. signed consent outlives a direct revoke", function () {
    async function signedGrantFixture() {
      const f = await loadFixture(deploySignedConsentFixture);
      const request = await grantRequest(connection, f.ledger, {
        patient: f.patient.address,
        grantee: f.doctor.address,
      });
      return { ...f, signed: await signGrant(f.patient, request) };
    }

    it("the clinic relays an old grant signature after the patient revoked directly", async function () {
      const f = await signedGrantFixture();
      const asPatient = f.ledger.connect(f.patient);
      const now = await time.latest();
      await asPatient.grantConsent(f.doctor.address, 0x14, PurposeMask.TREATMENT, now + DAY);
      await asPatient.revokeConsent(f.doctor.address);
      await expect(sendSignedConsent(f.ledger.connect(f.relayer), f.signed))
        .to.be.revertedWithCustomError(f.ledger, "StaleConsentEpoch")
        .withArgs(0, 2);
    });

    it("a later direct grant also voids the older signature, and a signed revoke of it", async function () {
      const f = await signedGrantFixture();
      const revoke = await signRevoke(
        f.patient,
        await revokeRequest(connection, f.ledger, {
          patient: f.patient.address,
          grantee: f.doctor.address,
        }),
      );
      await f.ledger
        .connect(f.patient)
        .grantConsent(f.doctor.address, 0x10, PurposeMask.TREATMENT, (await time.latest()) + DAY);
      for (const signed of [f.signed, revoke]) {
        await expect(sendSignedConsent(f.ledger.connect(f.relayer), signed))
          .to.be.revertedWithCustomError(f.ledger, "StaleConsentEpoch")
          .withArgs(0, 1);
      }
    });

    it("a deadline of 2^256-1 is refused, one within the governance limit is not", async function () {
      const f = await loadFixture(deploySignedConsentFixture);
      const forever = await signGrant(
        f.patient,
        await grantRequest(connection, f.ledger, {
          patient: f.patient.address,
          grantee: f.doctor.address,
          deadline: MaxUint256,
        }),
      );
      const now = (await time.latest()) + 1;
      await time.setNextBlockTimestamp(now);
      await expect(sendSignedConsent(f.ledger.connect(f.relayer), forever))
        .to.be.revertedWithCustomError(f.ledger, "DeadlineTooFar")
        .withArgs(MaxUint256, now + MAX_SIGNATURE_LIFETIME);
      const bounded = await signGrant(
        f.patient,
        await grantRequest(connection, f.ledger, {
          patient: f.patient.address,
          grantee: f.doctor.address,
          deadline: now + MAX_SIGNATURE_LIFETIME,
        }),
      );
      await time.setNextBlockTimestamp(now + 1);
      await expect(sendSignedConsent(f.ledger.connect(f.relayer), bounded)).to.emit(
        f.ledger,
        "ConsentRelayed",
      );
    });

    it("a delegate cannot burn the patient's pending signature, and lanes do not collide", async function () {
      const f = await loadFixture(deploySignedConsentFixture);
      // The minor signs for the doctor and the nurse (two lanes), and the guardian signs too.
      const forDoctor = await signGrant(
        f.minor,
        await grantRequest(connection, f.ledger, {
          patient: f.minor.address,
          grantee: f.doctor.address,
        }),
      );
      const forNurse = await signGrant(
        f.minor,
        await grantRequest(connection, f.ledger, {
          patient: f.minor.address,
          grantee: f.nurse.address,
        }),
      );
      const byGuardian = await signGrant(
        f.guardian,
        await grantRequest(connection, f.ledger, {
          patient: f.minor.address,
          grantee: f.doctor.address,
          signer: f.guardian.address,
          categories: 0x01,
        }),
      );
      // The guardian uses up its own lane for the doctor and relays its own signature: neither touches the minor's.
      await f.ledger.connect(f.guardian).invalidateNonce(f.minor.address, BigInt(f.nurse.address));
      await sendSignedConsent(f.ledger.connect(f.relayer), byGuardian);
      await expect(sendSignedConsent(f.ledger.connect(f.relayer), forNurse)).to.emit(
        f.ledger,
        "ConsentRelayed",
      );
      // byGuardian was a signed (not direct) change: the minor's signature for the doctor is still good.
      await expect(sendSignedConsent(f.ledger.connect(f.relayer), forDoctor)).to.emit(
        f.ledger,
        "ConsentRelayed",
      );
    });

    it("one ERC-1271 signature cannot be relayed as another wallet's of the same owner", async function () {
      const f = await loadFixture(deploySignedConsentFixture);
      const twin = await connection.ethers.deployContract(
        "TestSmartWallet",
        [f.walletOwner.address],
        f.admin,
      );
      const wallet = await f.smartWallet.getAddress();
      const twinAddress = await twin.getAddress();
      // The patient appoints both wallets of one owner as delegates for the same scope.
      const until = (await time.latest()) + 60 * DAY;
      await f.ledger.connect(f.patient).appointDelegate(wallet, 0x14, until);
      await f.ledger.connect(f.patient).appointDelegate(twinAddress, 0x14, until);
      const signed = await signGrant(
        f.walletOwner,
        await grantRequest(connection, f.ledger, {
          patient: f.patient.address,
          grantee: f.doctor.address,
          signer: wallet,
        }),
        { signerAddress: wallet },
      );
      const args = [...grantWithSigArgs(signed)];
      args[8] = twinAddress;
      await expect(
        f.ledger
          .connect(f.relayer)
          .grantWithSig(...(args as Parameters<typeof f.ledger.grantWithSig>)),
      )
        .to.be.revertedWithCustomError(f.ledger, "ERC1271SignatureRejected")
        .withArgs(twinAddress);
      await expect(sendSignedConsent(f.ledger.connect(f.relayer), signed)).to.emit(
        f.ledger,
        "ConsentRelayed",
      );
    });

    it("a gas-burning ERC-1271 wallet cannot burn the relayer's whole gas limit", async function () {
      const f = await loadFixture(deploySignedConsentFixture);
      const burner = await connection.ethers.deployContract("GasBurningWallet", [], f.admin);
      const burnerAddress = await burner.getAddress();
      await f.ledger
        .connect(f.registrar)
        .onboardMember(burnerAddress, Role.Patient, 0, encryptionKeyFor("burner"));
      const request = await grantRequest(connection, f.ledger, {
        patient: burnerAddress,
        grantee: f.doctor.address,
        signer: burnerAddress,
      });
      const args = grantWithSigArgs({
        ...request,
        signer: burnerAddress,
        signature: "0x" + "11".repeat(65),
      });
      const tx = await f.ledger.connect(f.relayer).grantWithSig(...args, { gasLimit: 3_000_000 });
      const receipt = await tx.wait();
      expect(receipt?.gasUsed).to.be.lessThan(250_000n);
    });
  });

  describe("6. record ids can be squatted", function () {
    it("a writer anchoring another patient's envelope hash first does not block the real anchor", async function () {
      const f = await loadFixture(deployConsentedRecordsFixture);
      const envelope = contentHash("attack-6/patient-envelope");
      // The doctor holds otherPatient's consent and anchors the patient's envelope hash under otherPatient.
      await f.ledger
        .connect(f.doctor)
        .anchorRecord(f.otherPatient.address, Category.Labs, envelope);
      const realId = recordIdOf(f.patient.address, envelope);
      await expect(
        f.ledger.connect(f.patient).anchorRecord(f.patient.address, Category.Labs, envelope),
      )
        .to.emit(f.ledger, "RecordAnchored")
        .withArgs(
          realId,
          f.patient.address,
          f.patient.address,
          envelope,
          Category.Labs,
          "0x" + "00".repeat(32),
        );
      const [record] = await f.ledger.recordOf(realId);
      expect(record.patient).to.equal(f.patient.address);
      // The same patient cannot anchor the same envelope twice.
      await expect(
        f.ledger.connect(f.patient).anchorRecord(f.patient.address, Category.Labs, envelope),
      )
        .to.be.revertedWithCustomError(f.ledger, "RecordAlreadyAnchored")
        .withArgs(realId);
    });
  });

  describe("7. consent follows the person and the role it was given to", function () {
    it("a grant to a billing clerk does not widen when the clerk becomes a doctor", async function () {
      const f = await loadFixture(deployConsentedRecordsFixture);
      const granted = await f.ledger.consentOf(f.patient.address, f.billingClerk.address);
      await f.ledger.connect(f.registrar).changeMemberRole(f.billingClerk.address, Role.Doctor);
      const since = await time.latest();
      await expect(
        f.ledger.connect(f.billingClerk).openRecord(f.records[Category.Labs], Purpose.Treatment),
      )
        .to.be.revertedWithCustomError(f.ledger, "ConsentPredatesStanding")
        .withArgs(f.patient.address, f.billingClerk.address, granted.grantedAt, since);
      // The patient grants again, now knowingly to a doctor.
      await f.ledger
        .connect(f.patient)
        .grantConsent(
          f.billingClerk.address,
          CategoryMask.CLINICAL,
          PurposeMask.TREATMENT,
          since + DAY,
        );
      await expect(
        f.ledger.connect(f.billingClerk).openRecord(f.records[Category.Labs], Purpose.Treatment),
      ).to.emit(f.ledger, "RecordOpened");
    });

    it("a grant to a non-member stays inert after it is onboarded", async function () {
      const f = await loadFixture(deployConsentedRecordsFixture);
      // The fixture granted `outsider` everything before it was ever a member.
      await f.ledger
        .connect(f.registrar)
        .onboardMember(
          f.outsider.address,
          Role.Doctor,
          HOSPITAL_ORG_ID,
          encryptionKeyFor("outsider"),
        );
      expect(
        await f.ledger.hasAccess(
          f.patient.address,
          f.outsider.address,
          Category.Labs,
          Purpose.Treatment,
        ),
      ).to.equal(false);
      await expect(
        f.ledger.connect(f.outsider).openRecord(f.records[Category.Labs], Purpose.Treatment),
      ).to.be.revertedWithCustomError(f.ledger, "ConsentPredatesStanding");
    });

    it("reactivating a member does not revive the consent given before", async function () {
      const f = await loadFixture(deployConsentedRecordsFixture);
      const asRegistrar = f.ledger.connect(f.registrar);
      await asRegistrar.setMemberActive(f.doctor.address, false);
      await asRegistrar.setMemberActive(f.doctor.address, true);
      expect(await doctorReadsLabs(f)).to.equal(false);
      expect(await f.ledger.canWrite(f.patient.address, f.doctor.address, Category.Labs)).to.equal(
        false,
      );
    });

    it("a delegate's grant cannot outlive its delegation", async function () {
      const f = await loadFixture(deploySignedConsentFixture);
      await expect(
        f.ledger
          .connect(f.guardian)
          .grantConsentFor(
            f.minor.address,
            f.doctor.address,
            0x01,
            PurposeMask.TREATMENT,
            f.delegationExpiresAt + 1,
          ),
      )
        .to.be.revertedWithCustomError(f.ledger, "ExpiryBeyondLimit")
        .withArgs(f.delegationExpiresAt + 1, f.delegationExpiresAt);
    });

    it("governance limits are range-checked", async function () {
      const f = await loadFixture(deployConsentedRecordsFixture);
      const asAdmin = f.ledger.connect(f.admin);
      const TEN_YEARS = 3650 * DAY;
      for (const [sig, consent, warmup] of [
        [0, DAY, 0],
        [TEN_YEARS + 1, DAY, 0],
        [DAY, 0, 0],
        [DAY, TEN_YEARS + 1, 0],
        [DAY, DAY, 7 * DAY + 1],
      ] as const) {
        await expect(asAdmin.setLimits(sig, consent, warmup))
          .to.be.revertedWithCustomError(f.ledger, "InvalidLimits")
          .withArgs(sig, consent, warmup);
      }
      await expect(asAdmin.setLimits(TEN_YEARS, TEN_YEARS, 7 * DAY))
        .to.emit(f.ledger, "LimitsSet")
        .withArgs(TEN_YEARS, TEN_YEARS, 7 * DAY, f.admin.address);
      expect(await f.ledger.limits()).to.deep.equal([
        BigInt(TEN_YEARS),
        BigInt(TEN_YEARS),
        BigInt(7 * DAY),
      ]);
      await expect(
        f.ledger.connect(f.registrar).setLimits(DAY, DAY, 0),
      ).to.be.revertedWithCustomError(f.ledger, "AccessControlUnauthorizedAccount");
    });

    it("consent expiry and extension are capped by governance", async function () {
      const f = await loadFixture(deployConsentedRecordsFixture);
      const now = (await time.latest()) + 1;
      await time.setNextBlockTimestamp(now);
      await expect(
        f.ledger
          .connect(f.patient)
          .grantConsent(
            f.nurse.address,
            0x04,
            PurposeMask.TREATMENT,
            now + MAX_CONSENT_DURATION + 1,
          ),
      )
        .to.be.revertedWithCustomError(f.ledger, "ExpiryBeyondLimit")
        .withArgs(now + MAX_CONSENT_DURATION + 1, now + MAX_CONSENT_DURATION);
      await expect(
        f.ledger.connect(f.patient).extendConsent(f.nurse.address, 2n ** 40n - 1n),
      ).to.be.revertedWithCustomError(f.ledger, "ExpiryBeyondLimit");
      await f.ledger.connect(f.admin).setLimits(MAX_SIGNATURE_LIFETIME, 10 * 365 * DAY, 0);
      await expect(
        f.ledger.connect(f.patient).extendConsent(f.nurse.address, now + 5 * 365 * DAY),
      ).to.emit(f.ledger, "ConsentExtended");
    });

    it("a deactivated patient still reads and revokes on their own records", async function () {
      const f = await loadFixture(deployConsentedRecordsFixture);
      await f.ledger.connect(f.registrar).setMemberActive(f.patient.address, false);
      const record = f.records[Category.MentalHealth];
      expect(await f.ledger.canOpen(record, f.patient.address, Purpose.Treatment)).to.equal(
        AccessPath.Patient,
      );
      await expect(f.ledger.connect(f.patient).openRecord(record, Purpose.Treatment)).to.emit(
        f.ledger,
        "RecordOpened",
      );
      await expect(f.ledger.connect(f.patient).revokeConsent(f.doctor.address)).to.emit(
        f.ledger,
        "ConsentRevoked",
      );
    });

    it("a patient cannot supersede or mark in error a clinician-authored record", async function () {
      const f = await loadFixture(deployConsentedRecordsFixture);
      const note = contentHash("attack-7/doctor-note");
      await f.ledger
        .connect(f.doctor)
        .anchorRecord(f.patient.address, Category.ClinicalNotes, note);
      const noteId = recordIdOf(f.patient.address, note);
      const [doctor] = await f.ledger.memberOf(f.doctor.address);
      const [patient] = await f.ledger.memberOf(f.patient.address);
      const asPatient = f.ledger.connect(f.patient);
      await expect(asPatient.markEnteredInError(noteId))
        .to.be.revertedWithCustomError(f.ledger, "PatientCannotChangeAuthoredRecord")
        .withArgs(noteId, doctor.id);
      // The patient's amendment is the patient's own version, linked to the note, which stays current.
      const statement = contentHash("attack-7/statement-of-disagreement");
      const statementId = recordIdOf(f.patient.address, statement);
      await expect(asPatient.amendRecord(noteId, statement))
        .to.emit(f.ledger, "RecordAnchored")
        .withArgs(
          statementId,
          f.patient.address,
          f.patient.address,
          statement,
          Category.ClinicalNotes,
          noteId,
        );
      const [original, author] = await f.ledger.recordOf(noteId);
      expect(original.status).to.equal(RecordStatus.Current);
      expect(author).to.equal(f.doctor.address);
      const [linked] = await f.ledger.recordOf(statementId);
      expect(linked.authorId).to.equal(patient.id);
      expect(await f.ledger.previousVersionOf(statementId)).to.equal(noteId);
      // The doctor still amends its own note; its own records the patient still supersedes.
      await f.ledger.connect(f.doctor).amendRecord(noteId, contentHash("attack-7/doctor-note-v2"));
      expect((await f.ledger.recordOf(noteId))[0].status).to.equal(RecordStatus.Superseded);
      await asPatient.amendRecord(f.records[Category.Vitals], contentHash("attack-7/own-v2"));
      expect((await f.ledger.recordOf(f.records[Category.Vitals]))[0].status).to.equal(
        RecordStatus.Superseded,
      );
    });
  });
});
