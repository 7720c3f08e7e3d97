/**
 * Delegates (a minor's guardian): granting and revoking within scope, directly and by signature, and the
 * refusals outside scope, after expiry and after removal — each with its own error, on chain and in
 * `verifyLocally`.
 */
import { expect } from "chai";
import { type ContractTransactionResponse, ZeroAddress } from "ethers";
import {
  pinNextTimestamp,
  GUARDIAN_SCOPE,
  type SignedConsentFixture,
  deploySignedConsentFixture,
  expectRefused,
  expectRelayedGrant,
  grantRequest,
  revokeRequest,
} from "../helpers/index.js";
import { network } from "hardhat";
import {
  type SignedConsent,
  type SignedGrant,
  relayGrant,
  relayRevoke,
  sendSignedConsent,
  signGrant,
  signRevoke,
} from "../../src/consent/index.js";
import type { ContractErrorName } from "../../src/sdk/errors.js";

const connection = await network.create();
const { networkHelpers } = connection;

async function fixture(): Promise<SignedConsentFixture> {
  return deploySignedConsentFixture(connection);
}

/** Allergies + medications: inside the guardian's scope (0x0F). */
const IN_SCOPE = 0x06;
/** Labs: outside it. */
const OUT_OF_SCOPE = 0x10;
const TREATMENT = 0x01;

/** The guardian signs a grant for the minor (deadline far enough to outlive the delegation). */
async function guardianSignsGrant(
  f: SignedConsentFixture,
  categories: number,
): Promise<SignedGrant> {
  const request = await grantRequest(connection, f.ledger, {
    patient: f.minor.address,
    grantee: f.doctor.address,
    signer: f.guardian.address,
    categories,
  });
  return signGrant(f.guardian, request);
}

describe("Delegates (guardian of a minor)", function () {
  describe("appointDelegate refuses bad input with the precise error", function () {
    const cases = [
      ["the zero address", "zero", 0x0f, 3600, "InvalidDelegate"],
      ["the patient themself", "self", 0x0f, 3600, "InvalidDelegate"],
      ["an empty scope", "guardian", 0, 3600, "InvalidCategories"],
      ["a scope with an undefined category bit", "guardian", 0x200, 3600, "InvalidCategories"],
      ["an expiry that is not in the future", "guardian", 0x0f, 0, "ExpiryNotInFuture"],
    ] as const;
    for (const [what, who, scope, lifetime, error] of cases) {
      it(`${what}: ${error}`, async function () {
        const f = await networkHelpers.loadFixture(fixture);
        const delegate =
          who === "zero" ? ZeroAddress : who === "self" ? f.minor.address : f.guardian.address;
        const t = await pinNextTimestamp(connection);
        const expiresAt = t + lifetime;
        const args =
          error === "InvalidDelegate"
            ? [delegate]
            : error === "InvalidCategories"
              ? [scope]
              : [expiresAt, t];
        await expect(f.ledger.connect(f.minor).appointDelegate(delegate, scope, expiresAt))
          .to.be.revertedWithCustomError(f.ledger, error)
          .withArgs(...args);
      });
    }

    it("a staff member cannot appoint a delegate: NotAPatient", async function () {
      const f = await networkHelpers.loadFixture(fixture);
      await expect(f.ledger.connect(f.doctor).appointDelegate(f.guardian.address, 0x0f, 2 ** 39))
        .to.be.revertedWithCustomError(f.ledger, "NotAPatient")
        .withArgs(f.doctor.address, 2);
    });
  });

  it("the delegation is stored with its scope and expiry", async function () {
    const f = await networkHelpers.loadFixture(fixture);
    const d = await f.ledger.delegationOf(f.minor.address, f.guardian.address);
    expect([d.scope, d.expiresAt, d.removed]).to.deep.equal([
      BigInt(GUARDIAN_SCOPE),
      BigInt(f.delegationExpiresAt),
      false,
    ]);
  });

  it("the guardian grants directly: ConsentGranted names the guardian as actor", async function () {
    const f = await networkHelpers.loadFixture(fixture);
    const expiresAt = (await networkHelpers.time.latest()) + 3600;
    await expect(
      f.ledger
        .connect(f.guardian)
        .grantConsentFor(f.minor.address, f.doctor.address, IN_SCOPE, TREATMENT, expiresAt),
    )
      .to.emit(f.ledger, "ConsentGranted")
      .withArgs(
        f.minor.address,
        f.doctor.address,
        f.guardian.address,
        IN_SCOPE,
        TREATMENT,
        expiresAt,
      );
    expect(await f.ledger.hasAccess(f.minor.address, f.doctor.address, 1, 0)).to.equal(true);
  });

  it("the guardian grants by signature: ConsentGranted names the guardian, ConsentRelayed the relayer", async function () {
    const f = await networkHelpers.loadFixture(fixture);
    const signed = await guardianSignsGrant(f, IN_SCOPE);
    await expectRelayedGrant(
      f.ledger,
      sendSignedConsent(f.ledger.connect(f.relayer), signed),
      signed,
      f.relayer.address,
    );
    expect(signed.signer).to.equal(f.guardian.address);
    expect(signed.message.patient).to.equal(f.minor.address);
  });

  it("the guardian revokes by signature and directly", async function () {
    const f = await networkHelpers.loadFixture(fixture);
    const asRelayer = f.ledger.connect(f.relayer);
    const granted = await guardianSignsGrant(f, IN_SCOPE);
    if (granted.kind !== "grant") throw new Error("unreachable");
    const relayed = await relayGrant(asRelayer, granted);
    expect(relayed.verified?.actor).to.equal("delegate");

    const revoke = await signRevoke(
      f.guardian,
      await revokeRequest(connection, f.ledger, {
        patient: f.minor.address,
        grantee: f.doctor.address,
        signer: f.guardian.address,
      }),
    );
    const tx = relayRevoke(asRelayer, revoke);
    await expect(tx.then((r) => r.receipt))
      .to.emit(f.ledger, "ConsentRevoked")
      .withArgs(f.minor.address, f.doctor.address, f.guardian.address);

    const expiresAt = (await networkHelpers.time.latest()) + 3600;
    await f.ledger
      .connect(f.guardian)
      .grantConsentFor(f.minor.address, f.nurse.address, IN_SCOPE, TREATMENT, expiresAt);
    await expect(f.ledger.connect(f.guardian).revokeConsentFor(f.minor.address, f.nurse.address))
      .to.emit(f.ledger, "ConsentRevoked")
      .withArgs(f.minor.address, f.nurse.address, f.guardian.address);
  });

  describe("refusals: direct call and signature alike", function () {
    interface Refusal {
      /** The delegate's direct call. */
      readonly direct: () => Promise<ContractTransactionResponse>;
      /** The same change, signed by the delegate. */
      readonly signed: SignedConsent;
      readonly args: Readonly<Record<string, unknown>>;
      /** Block time of the refusal, when it matters. */
      readonly at?: number;
    }
    const CASES: readonly [
      string,
      ContractErrorName,
      (f: SignedConsentFixture) => Promise<Refusal>,
    ][] = [
      [
        "a grant outside its scope",
        "DelegateScopeExceeded",
        async (f) => {
          const categories = IN_SCOPE | OUT_OF_SCOPE;
          const expiresAt = (await networkHelpers.time.latest()) + 3600;
          return {
            direct: () =>
              f.ledger
                .connect(f.guardian)
                .grantConsentFor(
                  f.minor.address,
                  f.doctor.address,
                  categories,
                  TREATMENT,
                  expiresAt,
                ),
            signed: await guardianSignsGrant(f, categories),
            args: {
              patient: f.minor.address,
              delegate: f.guardian.address,
              scope: GUARDIAN_SCOPE,
              categories,
            },
          };
        },
      ],
      [
        "revoking a grant wider than its scope",
        "DelegateScopeExceeded",
        async (f) => {
          const expiresAt = (await networkHelpers.time.latest()) + 3600;
          await f.ledger
            .connect(f.minor)
            .grantConsent(f.doctor.address, OUT_OF_SCOPE, TREATMENT, expiresAt);
          const request = await revokeRequest(connection, f.ledger, {
            patient: f.minor.address,
            grantee: f.doctor.address,
            signer: f.guardian.address,
          });
          return {
            direct: () =>
              f.ledger.connect(f.guardian).revokeConsentFor(f.minor.address, f.doctor.address),
            signed: await signRevoke(f.guardian, request),
            args: {
              patient: f.minor.address,
              delegate: f.guardian.address,
              scope: GUARDIAN_SCOPE,
              categories: OUT_OF_SCOPE,
            },
          };
        },
      ],
      [
        "after its expiry",
        "DelegateExpired",
        async (f) => {
          // Signed shortly before the delegation ends (a deadline lies at most 7 days ahead), relayed after.
          const at = f.delegationExpiresAt;
          await networkHelpers.time.increaseTo(at - 600);
          const signed = await guardianSignsGrant(f, IN_SCOPE);
          return {
            direct: () =>
              f.ledger
                .connect(f.guardian)
                .grantConsentFor(f.minor.address, f.doctor.address, IN_SCOPE, TREATMENT, at + 3600),
            signed,
            args: { patient: f.minor.address, delegate: f.guardian.address, expiredAt: at },
            at,
          };
        },
      ],
      [
        "after removal",
        "DelegateWasRemoved",
        async (f) => {
          const signed = await guardianSignsGrant(f, IN_SCOPE);
          await expect(f.ledger.connect(f.minor).removeDelegate(f.guardian.address))
            .to.emit(f.ledger, "DelegateRemoved")
            .withArgs(f.minor.address, f.guardian.address);
          const expiresAt = (await networkHelpers.time.latest()) + 3600;
          return {
            direct: () =>
              f.ledger
                .connect(f.guardian)
                .grantConsentFor(f.minor.address, f.doctor.address, IN_SCOPE, TREATMENT, expiresAt),
            signed,
            args: { patient: f.minor.address, delegate: f.guardian.address },
          };
        },
      ],
      [
        "a delegate of another patient",
        "NotPatientOrDelegate",
        async (f) => {
          const request = await grantRequest(connection, f.ledger, {
            patient: f.patient.address,
            grantee: f.doctor.address,
            signer: f.guardian.address,
            categories: IN_SCOPE,
          });
          const expiresAt = (await networkHelpers.time.latest()) + 3600;
          return {
            direct: () =>
              f.ledger
                .connect(f.guardian)
                .grantConsentFor(
                  f.patient.address,
                  f.doctor.address,
                  IN_SCOPE,
                  TREATMENT,
                  expiresAt,
                ),
            signed: await signGrant(f.guardian, request),
            args: { patient: f.patient.address, account: f.guardian.address },
          };
        },
      ],
    ];

    for (const [name, errorName, prepare] of CASES) {
      it(`${name}: ${errorName}, directly and by signature`, async function () {
        const f = await networkHelpers.loadFixture(fixture);
        const { direct, signed, args, at } = await prepare(f);
        if (at !== undefined) await networkHelpers.time.setNextBlockTimestamp(at);
        await expect(direct())
          .to.be.revertedWithCustomError(f.ledger, errorName)
          .withArgs(...Object.values(args));
        await expectRefused(
          connection,
          f.ledger.connect(f.relayer),
          signed,
          errorName,
          args,
          at === undefined ? undefined : at + 1,
        );
      });
    }
  });
});
