import { expect } from "chai";
import type { ErrorFragment } from "ethers";
import { AbiCoder, ZeroAddress, ZeroHash, hexlify } from "ethers";
import { network } from "hardhat";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";
import { CareLedgerError } from "../../src/errors.js";
import {
  Category,
  Purpose,
  REGISTRAR_ROLE,
  ReviewVerdict,
  Role,
  categoryMask,
  purposeMask,
} from "../../src/sdk/constants.js";
import type {
  AccessDeniedReason,
  ContractErrorKind,
  ContractErrorName,
} from "../../src/sdk/errors.js";
import {
  AccessDeniedError,
  CONTRACT_ERRORS,
  ContractRevertError,
  InvalidContractArgumentError,
  InvalidSignatureError,
  NotAuthorizedError,
  NotFoundOnChainError,
  PausedError,
  RecordErasedError,
  StateConflictError,
  UnknownRevertError,
  careLedgerInterface,
  decodeContractError,
  findRevertData,
  withDecodedErrors,
} from "../../src/sdk/errors.js";
import type { SdkWorld } from "./world.js";
import { deploySdkWorld, hashOf } from "./world.js";

const { networkHelpers } = await network.create();
const iface = careLedgerInterface();
const DAY = 86_400;

async function sdkWorld(connection: Parameters<typeof deploySdkWorld>[0]): Promise<SdkWorld> {
  return deploySdkWorld(connection);
}

/** The rejection of `promise`, which must reject. */
async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error("expected the call to revert, but it succeeded");
}

async function grant(
  w: SdkWorld,
  grantee: HardhatEthersSigner,
  cats: number,
  purposes: number,
  days = 30,
) {
  const now = await networkHelpers.time.latest();
  await w.ledger.connect(w.patient).grantConsent(grantee.address, cats, purposes, now + days * DAY);
}

interface DenialCase {
  readonly reason: AccessDeniedReason;
  /** Who opens which record for which purpose, after `setup`. */
  readonly open: (w: SdkWorld) => {
    signer: HardhatEthersSigner;
    recordId: string;
    purpose: Purpose;
  };
  readonly setup?: (w: SdkWorld) => Promise<void>;
  /** The expected decoded arguments. */
  readonly args: (w: SdkWorld) => Promise<Record<string, unknown>> | Record<string, unknown>;
  /** Fragments the human message must contain. */
  readonly says: (w: SdkWorld) => readonly string[];
}

const short = (address: string): string => `${address.slice(0, 6)}…${address.slice(-4)}`;

/** One row per access refusal: each must decode to `AccessDeniedError` with exactly these arguments. */
const DENIALS: readonly DenialCase[] = [
  {
    reason: "NotAMember",
    open: (w) => ({ signer: w.outsider, recordId: w.lab, purpose: Purpose.Treatment }),
    args: (w) => ({ account: w.outsider.address }),
    says: (w) => [short(w.outsider.address), "not a CareLedger member"],
  },
  {
    reason: "MemberInactive",
    open: (w) => ({ signer: w.formerDoctor, recordId: w.lab, purpose: Purpose.Treatment }),
    args: (w) => ({ account: w.formerDoctor.address }),
    says: () => ["deactivated member"],
  },
  {
    reason: "CategoryNotAllowedForRole",
    open: (w) => ({ signer: w.billing, recordId: w.lab, purpose: Purpose.Payment }),
    args: (w) => ({ account: w.billing.address, role: Role.BillingClerk, category: Category.Labs }),
    says: (w) => [`billing clerk ${short(w.billing.address)} may not read labs (role policy)`],
  },
  {
    reason: "ConsentMissing",
    open: (w) => ({ signer: w.doctor, recordId: w.lab, purpose: Purpose.Treatment }),
    args: (w) => ({ patient: w.patient.address, accessor: w.doctor.address }),
    says: (w) => [
      `patient ${short(w.patient.address)} has given ${short(w.doctor.address)} no consent`,
    ],
  },
  {
    reason: "ConsentExpired",
    setup: async (w) => {
      await grant(w, w.doctor, categoryMask(Category.Labs), purposeMask(Purpose.Treatment), 1);
      await networkHelpers.time.increase(DAY + 1);
    },
    open: (w) => ({ signer: w.doctor, recordId: w.lab, purpose: Purpose.Treatment }),
    args: async (w) => ({
      patient: w.patient.address,
      accessor: w.doctor.address,
      expiredAt: Number((await w.ledger.consentOf(w.patient.address, w.doctor.address)).expiresAt),
    }),
    says: () => ["expired at 20"],
  },
  {
    reason: "CategoryNotConsented",
    setup: (w) => grant(w, w.doctor, categoryMask(Category.Labs), purposeMask(Purpose.Treatment)),
    open: (w) => ({ signer: w.doctor, recordId: w.meds, purpose: Purpose.Treatment }),
    args: (w) => ({
      patient: w.patient.address,
      accessor: w.doctor.address,
      category: Category.Medications,
    }),
    says: () => ["does not cover medications"],
  },
  {
    reason: "PurposeNotConsented",
    setup: (w) => grant(w, w.doctor, categoryMask(Category.Labs), purposeMask(Purpose.Treatment)),
    open: (w) => ({ signer: w.doctor, recordId: w.lab, purpose: Purpose.Research }),
    args: (w) => ({
      patient: w.patient.address,
      accessor: w.doctor.address,
      purpose: Purpose.Research,
    }),
    says: () => ["does not cover the purpose research"],
  },
  {
    reason: "NoBreakGlassWindow",
    open: (w) => ({ signer: w.responder, recordId: w.lab, purpose: Purpose.Emergency }),
    args: (w) => ({ patient: w.patient.address, accessor: w.responder.address }),
    says: () => ["only through break-glass"],
  },
];

/** The three ways a refusal reaches a caller: a sent transaction, `estimateGas`, `staticCall`. */
const VIA = ["transaction", "estimateGas", "staticCall"] as const;

describe("SDK errors: decodeContractError", function () {
  describe("every access refusal decodes to AccessDeniedError with its arguments", function () {
    for (const row of DENIALS) {
      for (const via of VIA) {
        it(`${row.reason} (via ${via})`, async function () {
          const w = await networkHelpers.loadFixture(sdkWorld);
          await row.setup?.(w);
          const { signer, recordId, purpose } = row.open(w);
          const ledger = w.ledger.connect(signer);
          const call =
            via === "transaction"
              ? ledger.openRecord(recordId, purpose)
              : via === "estimateGas"
                ? ledger.openRecord.estimateGas(recordId, purpose)
                : ledger.openRecord.staticCall(recordId, purpose);
          const raw = await rejectionOf(call);

          const decoded = decodeContractError(raw, iface, { functionName: "openRecord" });
          expect(decoded).to.be.instanceOf(AccessDeniedError);
          expect(decoded).to.be.instanceOf(ContractRevertError);
          expect(decoded).to.be.instanceOf(CareLedgerError);
          const err = decoded as AccessDeniedError;
          expect(err.errorName).to.equal(row.reason);
          expect(err.args).to.deep.equal(await row.args(w));
          expect(err.kind).to.equal("access-denied");
          expect(err.code).to.equal("ACCESS_DENIED");
          expect(err.name).to.equal("AccessDeniedError");
          expect(err.selector).to.equal(iface.getError(row.reason)?.selector);
          expect(err.functionName).to.equal("openRecord");
          expect(err.cause).to.equal(raw);
          for (const fragment of row.says(w)) expect(err.message).to.include(fragment);
        });
      }
    }
  });

  it("names the action from the failing function: a refused write says 'write'", async function () {
    const w = await networkHelpers.loadFixture(sdkWorld);
    const raw = await rejectionOf(
      w.ledger
        .connect(w.billing)
        .anchorRecord(w.patient.address, Category.Labs, hashOf("billing-lab")),
    );
    const err = decodeContractError(raw, iface, { functionName: "anchorRecord" });
    expect(err).to.be.instanceOf(AccessDeniedError);
    expect(err?.message).to.equal(
      `billing clerk ${short(w.billing.address)} may not write labs (role policy)`,
    );
  });

  it("finds the function from the calldata of a JSON-RPC style error, and the data nested in info.error", function () {
    const account = "0x90F79bf6EB2c4f870365E785982E1f101E93b906";
    const data = iface.encodeErrorResult("CategoryNotAllowedForRole", [
      account,
      Role.Nurse,
      Category.Billing,
    ]);
    const rpcError = {
      code: "CALL_EXCEPTION",
      transaction: {
        to: ZeroAddress,
        data: iface.encodeFunctionData("amendRecord", [ZeroHash, ZeroHash]),
      },
      info: { error: { code: 3, message: "execution reverted", data } },
    };
    const err = decodeContractError(rpcError);
    expect(err).to.be.instanceOf(AccessDeniedError);
    expect(err?.functionName).to.equal("amendRecord");
    expect(err?.message).to.equal("nurse 0x90F7…b906 may not write billing (role policy)");
  });

  it("finds revert data at any nesting (error.error.data, cause.data.data) but never takes calldata for it", function () {
    const data = iface.encodeErrorResult("RecordNotFound", [hashOf("x")]);
    for (const shape of [{ error: { error: { data } } }, { cause: { data: { data } } }, { data }]) {
      expect(findRevertData(shape)).to.equal(data);
      expect(decodeContractError(shape)).to.be.instanceOf(NotFoundOnChainError);
    }
    const calldataOnly = {
      transaction: { data: iface.encodeFunctionData("openRecord", [ZeroHash, 0]) },
    };
    expect(findRevertData(calldataOnly)).to.equal(undefined);
    expect(decodeContractError(calldataOnly)).to.equal(undefined);
  });

  const FAMILIES: readonly {
    readonly title: string;
    readonly Class: abstract new (...args: never[]) => ContractRevertError;
    readonly errorName: ContractErrorName;
    readonly code: string;
    readonly run: (w: SdkWorld) => Promise<unknown>;
    readonly args: (w: SdkWorld) => Record<string, unknown>;
  }[] = [
    {
      title: "RecordNotFound → NotFoundOnChainError",
      Class: NotFoundOnChainError,
      errorName: "RecordNotFound",
      code: "NOT_FOUND",
      run: (w) => w.ledger.connect(w.doctor).openRecord(hashOf("nowhere"), Purpose.Treatment),
      args: () => ({ recordId: hashOf("nowhere") }),
    },
    {
      title: "IncidentNotFound → NotFoundOnChainError (uint64 stays bigint)",
      Class: NotFoundOnChainError,
      errorName: "IncidentNotFound",
      code: "NOT_FOUND",
      run: (w) =>
        w.ledger.connect(w.auditor).reviewBreakGlass(7, ReviewVerdict.Justified, hashOf("n")),
      args: () => ({ incidentId: 7n }),
    },
    {
      title: "NotAnAuditor → NotAuthorizedError",
      Class: NotAuthorizedError,
      errorName: "NotAnAuditor",
      code: "NOT_AUTHORIZED",
      run: (w) =>
        w.ledger.connect(w.nurse).reviewBreakGlass(1, ReviewVerdict.Justified, hashOf("n")),
      args: (w) => ({ account: w.nurse.address, role: Role.Nurse }),
    },
    {
      title: "AccessControlUnauthorizedAccount → NotAuthorizedError",
      Class: NotAuthorizedError,
      errorName: "AccessControlUnauthorizedAccount",
      code: "NOT_AUTHORIZED",
      run: (w) => w.ledger.connect(w.outsider).registerOrganization(9),
      args: (w) => ({ account: w.outsider.address, neededRole: REGISTRAR_ROLE }),
    },
    {
      title: "RecordAlreadyAnchored → StateConflictError",
      Class: StateConflictError,
      errorName: "RecordAlreadyAnchored",
      code: "STATE_CONFLICT",
      run: (w) =>
        w.ledger.connect(w.patient).anchorRecord(w.patient.address, Category.Labs, w.labHash),
      args: (w) => ({ recordId: w.lab }),
    },
    {
      title: "InvalidPurpose → InvalidContractArgumentError",
      Class: InvalidContractArgumentError,
      errorName: "InvalidPurpose",
      code: "INVALID_ARGUMENT",
      run: (w) => w.ledger.connect(w.doctor).openRecord(w.lab, 9),
      args: () => ({ purpose: 9 }),
    },
    {
      title: "EnforcedPause → PausedError",
      Class: PausedError,
      errorName: "EnforcedPause",
      code: "PAUSED",
      run: async (w) => {
        await w.ledger.connect(w.admin).pause();
        return w.ledger
          .connect(w.patient)
          .anchorRecord(w.patient.address, Category.Labs, hashOf("paused"));
      },
      args: () => ({}),
    },
  ];

  describe("other families decode to their classes", function () {
    for (const row of FAMILIES) {
      it(row.title, async function () {
        const w = await networkHelpers.loadFixture(sdkWorld);
        const raw = await rejectionOf(row.run(w));
        const err = decodeContractError(raw);
        expect(err).to.be.instanceOf(row.Class);
        expect(err).to.not.be.instanceOf(AccessDeniedError);
        const typed = err as ContractRevertError;
        expect(typed.errorName).to.equal(row.errorName);
        expect(typed.code).to.equal(row.code);
        expect(typed.args).to.deep.equal(row.args(w));
      });
    }
  });

  it("the registrar role is named in the message", async function () {
    const w = await networkHelpers.loadFixture(sdkWorld);
    const err = decodeContractError(
      await rejectionOf(w.ledger.connect(w.outsider).registerOrganization(9)),
    );
    expect(err?.message).to.equal(`${short(w.outsider.address)} is not a registrar`);
  });

  describe("every custom error in the ABI has a decoder entry that renders", function () {
    const abiErrors = iface.fragments
      .filter((f): f is ErrorFragment => f.type === "error")
      .map((f) => f.name);

    it("CONTRACT_ERRORS covers exactly the errors of the compiled ABI", function () {
      const missing = abiErrors.filter((n) => !(n in CONTRACT_ERRORS));
      const stale = Object.keys(CONTRACT_ERRORS).filter((n) => !abiErrors.includes(n));
      expect(missing, "add these to CONTRACT_ERRORS in src/sdk/errors.ts").to.deep.equal([]);
      expect(stale, "remove these from CONTRACT_ERRORS in src/sdk/errors.ts").to.deep.equal([]);
    });

    const CLASS_OF: Record<
      ContractErrorKind,
      abstract new (...args: never[]) => ContractRevertError
    > = {
      "access-denied": AccessDeniedError,
      "not-authorized": NotAuthorizedError,
      "not-found": NotFoundOnChainError,
      "invalid-argument": InvalidContractArgumentError,
      "state-conflict": StateConflictError,
      "invalid-signature": InvalidSignatureError,
      paused: PausedError,
      erased: RecordErasedError,
      other: ContractRevertError,
    };

    for (const name of abiErrors) {
      it(`${name}: decodes from revert data, to its family's class, with the ABI argument names and a rendered message`, function () {
        const fragment = iface.getError(name) as ErrorFragment;
        const values = fragment.inputs.map((p, i) => sampleValue(p.type, i));
        const data = iface.encodeErrorResult(fragment, values);
        const err = decodeContractError({ data });
        expect(err).to.be.instanceOf(ContractRevertError);
        const typed = err as ContractRevertError;
        expect(typed.errorName).to.equal(name);
        expect(typed).to.be.instanceOf(CLASS_OF[typed.kind]);
        expect(Object.keys(typed.args)).to.deep.equal(fragment.inputs.map((p) => p.name));
        expect(typed.message)
          .to.be.a("string")
          .and.not.match(/undefined|NaN|\[object/);
        expect(typed.message.length).to.be.greaterThan(10);
      });
    }
  });

  it("Error(string) and unknown selectors decode to UnknownRevertError", function () {
    const reason = AbiCoder.defaultAbiCoder().encode(["string"], ["nope"]);
    const stringRevert = decodeContractError({ data: `0x08c379a0${reason.slice(2)}` });
    expect(stringRevert).to.be.instanceOf(UnknownRevertError);
    expect(stringRevert?.message).to.equal("the contract reverted: nope");
    const foreign = decodeContractError({ data: "0xdeadbeef" });
    expect(foreign).to.be.instanceOf(UnknownRevertError);
    expect((foreign as UnknownRevertError).selector).to.equal("0xdeadbeef");
  });

  it("returns undefined for errors without revert data, and an already decoded error as is", function () {
    expect(decodeContractError(new Error("socket hang up"))).to.equal(undefined);
    expect(decodeContractError("a string")).to.equal(undefined);
    expect(decodeContractError(null)).to.equal(undefined);
    const decoded = decodeContractError({ data: iface.encodeErrorResult("ZeroContentHash", []) });
    expect(decodeContractError(decoded)).to.equal(decoded);
  });

  it("is() narrows to one error and its typed arguments", function () {
    const data = iface.encodeErrorResult("ConsentExpired", [ZeroAddress, ZeroAddress, 1234]);
    const err = decodeContractError({ data });
    if (!(err instanceof ContractRevertError) || !err.is("ConsentExpired"))
      throw new Error("not ConsentExpired");
    const expiredAt: number = err.args.expiredAt;
    expect(expiredAt).to.equal(1234);
    expect(err.is("ConsentMissing")).to.equal(false);
  });

  describe("withDecodedErrors", function () {
    it("resolves with the value of a successful call", async function () {
      const w = await networkHelpers.loadFixture(sdkWorld);
      expect(
        await withDecodedErrors(w.ledger.canOpen(w.lab, w.patient.address, Purpose.Treatment)),
      ).to.equal(1n);
    });

    it("rejects with the decoded error of a reverted transaction", async function () {
      const w = await networkHelpers.loadFixture(sdkWorld);
      const err = await rejectionOf(
        withDecodedErrors(w.ledger.connect(w.billing).openRecord(w.lab, Purpose.Payment), {
          functionName: "openRecord",
        }),
      );
      expect(err).to.be.instanceOf(AccessDeniedError);
      expect((err as AccessDeniedError).errorName).to.equal("CategoryNotAllowedForRole");
    });

    it("passes other errors through unchanged", async function () {
      const original = new Error("network down");
      expect(await rejectionOf(withDecodedErrors(Promise.reject(original)))).to.equal(original);
    });
  });
});

/** A valid ABI value for `type`, distinct per argument position. */
function sampleValue(type: string, i: number): unknown {
  if (type === "address") return `0x${String(i + 1).padStart(40, "0")}`;
  if (type === "bool") return i % 2 === 0;
  if (type === "string") return `text-${i}`;
  if (type.startsWith("bytes"))
    return hexlify(new Uint8Array(Number(type.slice(5)) || 32).fill(i + 1));
  return i + 1;
}
