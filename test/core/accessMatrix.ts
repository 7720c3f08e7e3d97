/**
 * The access matrix: every actor × every state-changing function × every category where relevant.
 *
 * The expected outcome of every cell is written out below as a literal table, NOT derived from the
 * contract's policy, so changing any cell of the contract's behaviour fails this file.
 *
 * Cell codes
 *   success:  +  succeeded (with its exact event)      P / C / B  opened via Patient / Consent / BreakGlass
 *   refusal:  M  NotAMember(actor)                      I  MemberInactive(actor)
 *             R  CategoryNotAllowedForRole(actor, role, category)
 *             K  ConsentMissing(patient, actor)         G  NoBreakGlassWindow(patient, actor)
 *             N  NotAPatient(actor, role)               X  BreakGlassNotPermitted(actor, role)
 *             A  NotAnAuditor(actor, role)              F  ConsentNotFound(actor, grantee)
 *             D  DelegateNotFound(actor, delegate)      O  NotPatientOrDelegate(patient, actor)
 *             U  AccessControlUnauthorizedAccount(actor, role needed)
 *             E  ErasureNotPermitted(actor, role, category)
 *             V  AccessControlInvalidDefaultAdmin(actor)
 */
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";
import { expect } from "chai";
import type { ContractTransactionResponse } from "ethers";
import { ZeroHash } from "ethers";
import { network } from "hardhat";
import type { NetworkConnection } from "hardhat/types/network";
import {
  ADMIN_TRANSFER_DELAY,
  AccessPath,
  CATEGORIES,
  CLINIC_ORG_ID,
  CategoryMask,
  DEFAULT_ADMIN_ROLE,
  HOSPITAL_ORG_ID,
  Purpose,
  PurposeMask,
  REGISTRAR_ROLE,
  ReviewVerdict,
  Role,
  STAFF_ROLES,
  type CategoryIndex,
} from "../helpers/constants.js";
import { pinNextTimestamp } from "../helpers/chain.js";
import {
  ACTOR_NAMES,
  type ActorName,
  type CareLedgerFixture,
  MEMBER_SPECS,
  anchorOnePerCategory,
  contentHash,
  deployCareLedgerFixture,
  deployConsentedRecordsFixture,
  documentHash,
  encryptionKeyFor,
  recordIdOf,
} from "../helpers/fixtures.js";

const connection = await network.create();
const { loadFixture, time } = connection.networkHelpers;

type SuccessCode = "+" | "P" | "C" | "B";
type RefusalCode =
  "M" | "I" | "R" | "K" | "G" | "N" | "X" | "A" | "F" | "D" | "O" | "U" | "V" | "E";
type Code = SuccessCode | RefusalCode;

// ---------------------------------------------------------------------------------------------------------
// Expected tables. Per-category rows: one character per category index 0..8 =
// demographics, allergies, medications, vitals, labs, imaging, clinical notes, billing, mental health.
// ---------------------------------------------------------------------------------------------------------

/** Everyone holds `patient`'s consent to all categories for all purposes: only membership and role decide. */
const WITH_CONSENT = {
  // anchorRecord, amendRecord and markEnteredInError share the write rule.
  write: {
    admin: "MMMMMMMMM",
    registrar: "MMMMMMMMM",
    doctor: "+++++++R+",
    nurse: "RR++RRRRR",
    billingClerk: "RRRRRRR+R",
    auditor: "RRRRRRRRR",
    responder: "RRRRRRRRR",
    patient: "+++++++++",
    otherPatient: "RRRRRRRRR",
    outsider: "MMMMMMMMM",
    deactivatedDoctor: "IIIIIIIII",
  },
  openRecord: {
    admin: "MMMMMMMMM",
    registrar: "MMMMMMMMM",
    doctor: "CCCCCCCRC",
    nurse: "RCCCCRRRR",
    billingClerk: "CRRRRRRCR",
    auditor: "RRRRRRRRR",
    responder: "GGGGGGGRR",
    patient: "PPPPPPPPP",
    otherPatient: "RRRRRRRRR",
    outsider: "MMMMMMMMM",
    deactivatedDoctor: "IIIIIIIII",
  },
  // The write rule, then the default erase policy: the patient erases every category, no staff role any.
  eraseRecord: {
    admin: "MMMMMMMMM",
    registrar: "MMMMMMMMM",
    doctor: "EEEEEEERE",
    nurse: "RREERRRRR",
    billingClerk: "RRRRRRRER",
    auditor: "RRRRRRRRR",
    responder: "RRRRRRRRR",
    patient: "+++++++++",
    otherPatient: "RRRRRRRRR",
    outsider: "MMMMMMMMM",
    deactivatedDoctor: "IIIIIIIII",
  },
} as const satisfies Record<string, Record<ActorName, string>>;

/**
 * Everyone holds `patient`'s full consent and governance let every staff role erase every category but billing,
 * kept for its retention period: the write rule decides, then the erase policy.
 */
const WITH_CONSENT_AND_STAFF_ERASURE = {
  eraseRecord: {
    admin: "MMMMMMMMM",
    registrar: "MMMMMMMMM",
    doctor: "+++++++R+",
    nurse: "RR++RRRRR",
    billingClerk: "RRRRRRRER",
    auditor: "RRRRRRRRR",
    responder: "RRRRRRRRR",
    patient: "+++++++++",
    otherPatient: "RRRRRRRRR",
    outsider: "MMMMMMMMM",
    deactivatedDoctor: "IIIIIIIII",
  },
} as const satisfies Record<string, Record<ActorName, string>>;

/** Nobody holds any consent. */
const WITHOUT_CONSENT = {
  write: {
    admin: "MMMMMMMMM",
    registrar: "MMMMMMMMM",
    doctor: "KKKKKKKRK",
    nurse: "RRKKRRRRR",
    billingClerk: "RRRRRRRKR",
    auditor: "RRRRRRRRR",
    responder: "RRRRRRRRR",
    patient: "+++++++++",
    otherPatient: "RRRRRRRRR",
    outsider: "MMMMMMMMM",
    deactivatedDoctor: "IIIIIIIII",
  },
  eraseRecord: {
    admin: "MMMMMMMMM",
    registrar: "MMMMMMMMM",
    doctor: "KKKKKKKRK",
    nurse: "RRKKRRRRR",
    billingClerk: "RRRRRRRKR",
    auditor: "RRRRRRRRR",
    responder: "RRRRRRRRR",
    patient: "+++++++++",
    otherPatient: "RRRRRRRRR",
    outsider: "MMMMMMMMM",
    deactivatedDoctor: "IIIIIIIII",
  },
  openRecord: {
    admin: "MMMMMMMMM",
    registrar: "MMMMMMMMM",
    doctor: "KKKKKKKRK",
    nurse: "RKKKKRRRR",
    billingClerk: "KRRRRRRKR",
    auditor: "RRRRRRRRR",
    responder: "GGGGGGGRR",
    patient: "PPPPPPPPP",
    otherPatient: "RRRRRRRRR",
    outsider: "MMMMMMMMM",
    deactivatedDoctor: "IIIIIIIII",
  },
} as const satisfies Record<string, Record<ActorName, string>>;

/** No consent, but the doctor and the responder each hold an open break-glass window on `patient`. */
const WITH_BREAK_GLASS = {
  openRecord: {
    admin: "MMMMMMMMM",
    registrar: "MMMMMMMMM",
    doctor: "BBBBBBBRB",
    nurse: "RKKKKRRRR",
    billingClerk: "KRRRRRRKR",
    auditor: "RRRRRRRRR",
    responder: "BBBBBBBRR",
    patient: "PPPPPPPPP",
    otherPatient: "RRRRRRRRR",
    outsider: "MMMMMMMMM",
    deactivatedDoctor: "IIIIIIIII",
  },
} as const satisfies Record<string, Record<ActorName, string>>;

/** Functions without a category, in the consented matrix fixture. One code per actor. */
const SINGLE = {
  //                          admin registrar doctor nurse billing auditor responder patient other outsider deactivated
  grantConsent: /*             */ ["M", "M", "N", "N", "N", "N", "N", "+", "+", "M", "I"],
  narrowConsent: /*            */ ["M", "M", "N", "N", "N", "N", "N", "+", "+", "M", "I"],
  extendConsent: /*            */ ["M", "M", "N", "N", "N", "N", "N", "+", "+", "M", "I"],
  revokeConsent: /*            */ ["F", "F", "F", "F", "F", "F", "F", "+", "+", "F", "F"],
  appointDelegate: /*          */ ["M", "M", "N", "N", "N", "N", "N", "+", "+", "M", "I"],
  removeDelegate: /*           */ ["D", "D", "D", "D", "D", "D", "D", "+", "+", "D", "D"],
  grantConsentFor: /*          */ ["O", "O", "O", "O", "O", "O", "O", "+", "O", "O", "O"],
  revokeConsentFor: /*         */ ["O", "O", "O", "O", "O", "O", "O", "+", "O", "O", "O"],
  grantWithSig: /*             */ ["+", "+", "+", "+", "+", "+", "+", "+", "+", "+", "+"],
  revokeWithSig: /*            */ ["+", "+", "+", "+", "+", "+", "+", "+", "+", "+", "+"],
  breakGlass: /*               */ ["M", "M", "+", "X", "X", "X", "+", "X", "X", "M", "I"],
  reviewBreakGlass: /*         */ ["M", "M", "A", "A", "A", "+", "A", "A", "A", "M", "I"],
  rotateEncryptionKey: /*      */ ["M", "M", "+", "+", "+", "+", "+", "+", "+", "M", "I"],
  registerOrganization: /*     */ ["U", "+", "U", "U", "U", "U", "U", "U", "U", "U", "U"],
  setOrganizationActive: /*    */ ["U", "+", "U", "U", "U", "U", "U", "U", "U", "U", "U"],
  onboardMember: /*            */ ["U", "+", "U", "U", "U", "U", "U", "U", "U", "U", "U"],
  setMemberActive: /*          */ ["U", "+", "U", "U", "U", "U", "U", "U", "U", "U", "U"],
  changeMemberRole: /*         */ ["U", "+", "U", "U", "U", "U", "U", "U", "U", "U", "U"],
  setRolePolicy: /*            */ ["+", "U", "U", "U", "U", "U", "U", "U", "U", "U", "U"],
  setErasePolicy: /*           */ ["+", "U", "U", "U", "U", "U", "U", "U", "U", "U", "U"],
  setBreakGlassMaxDuration: /* */ ["+", "U", "U", "U", "U", "U", "U", "U", "U", "U", "U"],
  pause: /*                    */ ["+", "U", "U", "U", "U", "U", "U", "U", "U", "U", "U"],
  unpause: /*                  */ ["+", "U", "U", "U", "U", "U", "U", "U", "U", "U", "U"],
  grantRole: /*                */ ["+", "U", "U", "U", "U", "U", "U", "U", "U", "U", "U"],
  revokeRole: /*               */ ["+", "U", "U", "U", "U", "U", "U", "U", "U", "U", "U"],
  beginDefaultAdminTransfer: /**/ ["+", "U", "U", "U", "U", "U", "U", "U", "U", "U", "U"],
  cancelDefaultAdminTransfer: /**/ ["+", "U", "U", "U", "U", "U", "U", "U", "U", "U", "U"],
  changeDefaultAdminDelay: /*  */ ["+", "U", "U", "U", "U", "U", "U", "U", "U", "U", "U"],
  acceptDefaultAdminTransfer: /**/ ["V", "V", "V", "V", "V", "V", "V", "V", "V", "V", "V"],
} as const satisfies Record<string, readonly Code[] & { length: 11 }>;

// ---------------------------------------------------------------------------------------------------------
// Fixtures
// ---------------------------------------------------------------------------------------------------------

interface MatrixFixture extends CareLedgerFixture {
  readonly records: Readonly<Record<CategoryIndex, string>>;
  /** The delegate `patient` and `otherPatient` appointed (not one of the actors). */
  readonly delegate: HardhatEthersSigner;
  /** A fresh account used as grantee / new member / new registrar / new admin. */
  readonly fresh: HardhatEthersSigner;
  readonly expiresAt: number;
}

const INCIDENT_ON_OTHER_PATIENT = documentHash("matrix/incident-on-other-patient");

/** Everyone consented (see `deployConsentedRecordsFixture`), plus an incident to review and delegations. */
async function deployConsentedMatrixFixture(c: NetworkConnection): Promise<MatrixFixture> {
  const f = await deployConsentedRecordsFixture(c);
  const [delegate, fresh] = f.spare;
  // Incident 1 is on the OTHER patient, so no one holds a window on `patient`'s records.
  await f.ledger
    .connect(f.responder)
    .breakGlass(f.otherPatient.address, INCIDENT_ON_OTHER_PATIENT, 600);
  for (const p of [f.patient, f.otherPatient]) {
    await f.ledger
      .connect(p)
      .appointDelegate(delegate!.address, CategoryMask.ALL, f.consentExpiresAt);
  }
  return { ...f, delegate: delegate!, fresh: fresh!, expiresAt: f.consentExpiresAt };
}

/** As `deployConsentedMatrixFixture`; governance let every staff role erase every category but billing. */
async function deployStaffErasureMatrixFixture(c: NetworkConnection): Promise<MatrixFixture> {
  const f = await deployConsentedMatrixFixture(c);
  for (const role of STAFF_ROLES) {
    await f.ledger
      .connect(f.admin)
      .setErasePolicy(role, CategoryMask.ALL & ~CategoryMask.BILLING_WRITE);
  }
  return f;
}

/** No consent at all; `patient` anchored one record per category. */
async function deployUnconsentedMatrixFixture(c: NetworkConnection): Promise<MatrixFixture> {
  const f = await deployCareLedgerFixture(c);
  const records = await anchorOnePerCategory(f.ledger, f.patient, "matrix/unconsented");
  const expiresAt = (await c.networkHelpers.time.latest()) + 30 * 24 * 3600;
  return { ...f, records, delegate: f.spare[0]!, fresh: f.spare[1]!, expiresAt };
}

/** No consent; the doctor and the responder broke the glass on `patient` (1 h windows). */
async function deployBreakGlassMatrixFixture(c: NetworkConnection): Promise<MatrixFixture> {
  const f = await deployUnconsentedMatrixFixture(c);
  for (const who of [f.doctor, f.responder]) {
    await f.ledger
      .connect(who)
      .breakGlass(f.patient.address, documentHash("matrix/emergency"), 3600);
  }
  return f;
}

// ---------------------------------------------------------------------------------------------------------
// Cell evaluation
// ---------------------------------------------------------------------------------------------------------

interface Cell {
  readonly f: MatrixFixture;
  readonly actor: HardhatEthersSigner;
  readonly role: number;
  readonly category: CategoryIndex;
}

function cellOf(f: MatrixFixture, name: ActorName, category: CategoryIndex = 0): Cell {
  const spec = (MEMBER_SPECS as Partial<Record<ActorName, { role: number }>>)[name];
  return { f, actor: f.actors[name], role: spec?.role ?? Role.None, category };
}

interface Row {
  readonly send: (c: Cell) => Promise<ContractTransactionResponse>;
  /** The exact success event, given the block time `t`. */
  readonly success: (
    c: Cell,
    t: number,
  ) => { readonly event: string; readonly args: readonly unknown[] };
  /** Arguments of the row-specific refusals. */
  readonly neededRole?: string;
  readonly target?: (f: MatrixFixture) => string;
  readonly prepare?: (f: MatrixFixture) => Promise<void>;
}

function refusalOf(
  code: RefusalCode,
  c: Cell,
  row: Row,
): { readonly error: string; readonly args: readonly unknown[] } {
  const a = c.actor.address;
  const p = c.f.patient.address;
  switch (code) {
    case "M":
      return { error: "NotAMember", args: [a] };
    case "I":
      return { error: "MemberInactive", args: [a] };
    case "R":
      return { error: "CategoryNotAllowedForRole", args: [a, c.role, c.category] };
    case "K":
      return { error: "ConsentMissing", args: [p, a] };
    case "G":
      return { error: "NoBreakGlassWindow", args: [p, a] };
    case "N":
      return { error: "NotAPatient", args: [a, c.role] };
    case "X":
      return { error: "BreakGlassNotPermitted", args: [a, c.role] };
    case "A":
      return { error: "NotAnAuditor", args: [a, c.role] };
    case "F":
      return { error: "ConsentNotFound", args: [a, row.target!(c.f)] };
    case "D":
      return { error: "DelegateNotFound", args: [a, row.target!(c.f)] };
    case "O":
      return { error: "NotPatientOrDelegate", args: [p, a] };
    case "U":
      return { error: "AccessControlUnauthorizedAccount", args: [a, row.neededRole!] };
    case "V":
      return { error: "AccessControlInvalidDefaultAdmin", args: [a] };
    case "E":
      return { error: "ErasureNotPermitted", args: [a, c.role, c.category] };
  }
}

const PATH_OF: Readonly<Record<string, number>> = {
  P: AccessPath.Patient,
  C: AccessPath.Consent,
  B: AccessPath.BreakGlass,
};

/** Assert the outcome `code` for cell `c` of `row`; a failure names the cell. */
async function checkCell(code: Code, c: Cell, row: Row, label: string): Promise<void> {
  try {
    await assertCell(code, c, row);
  } catch (error) {
    if (error instanceof Error) error.message = `[${label}: expected ${code}] ${error.message}`;
    throw error;
  }
}

async function assertCell(code: Code, c: Cell, row: Row): Promise<void> {
  const t = await pinNextTimestamp(connection);
  if (code === "+" || code === "P" || code === "C" || code === "B") {
    const { event, args } = row.success(c, t);
    const expectedArgs = code === "+" ? args : [...args, PATH_OF[code], t];
    await expect(row.send(c))
      .to.emit(c.f.ledger, event)
      .withArgs(...expectedArgs);
  } else {
    const { error, args } = refusalOf(code, c, row);
    await expect(row.send(c))
      .to.be.revertedWithCustomError(c.f.ledger, error)
      .withArgs(...args);
  }
}

// ---------------------------------------------------------------------------------------------------------
// Per-category rows
// ---------------------------------------------------------------------------------------------------------

const newHash = (c: Cell, what: string) =>
  contentHash(`matrix/${what}/${c.actor.address}/${c.category}`);

const CATEGORY_ROWS = {
  anchorRecord: {
    send: (c) =>
      c.f.ledger
        .connect(c.actor)
        .anchorRecord(c.f.patient.address, c.category, newHash(c, "anchor")),
    success: (c) => ({
      event: "RecordAnchored",
      args: [
        recordIdOf(c.f.patient.address, newHash(c, "anchor")),
        c.f.patient.address,
        c.actor.address,
        newHash(c, "anchor"),
        c.category,
        ZeroHash,
      ],
    }),
  },
  amendRecord: {
    send: (c) =>
      c.f.ledger.connect(c.actor).amendRecord(c.f.records[c.category], newHash(c, "amend")),
    success: (c) => ({
      event: "RecordAnchored",
      args: [
        recordIdOf(c.f.patient.address, newHash(c, "amend")),
        c.f.patient.address,
        c.actor.address,
        newHash(c, "amend"),
        c.category,
        c.f.records[c.category],
      ],
    }),
  },
  markEnteredInError: {
    send: (c) => c.f.ledger.connect(c.actor).markEnteredInError(c.f.records[c.category]),
    success: (c) => ({
      event: "RecordEnteredInError",
      args: [c.f.records[c.category], c.f.patient.address, c.actor.address],
    }),
  },
  eraseRecord: {
    send: (c) => c.f.ledger.connect(c.actor).eraseRecord(c.f.records[c.category]),
    success: (c, t) => ({
      event: "RecordErased",
      args: [c.f.records[c.category], c.f.patient.address, c.actor.address, t],
    }),
  },
  openRecord: {
    send: (c) => c.f.ledger.connect(c.actor).openRecord(c.f.records[c.category], OPEN_PURPOSE),
    // path and openedAt are appended by checkCell
    success: (c) => ({
      event: "RecordOpened",
      args: [c.f.records[c.category], c.f.patient.address, c.actor.address, OPEN_PURPOSE],
    }),
  },
} as const satisfies Record<string, Row>;

type CategoryFn = keyof typeof CATEGORY_ROWS;

function describeCategoryMatrix(
  title: string,
  fixture: (c: NetworkConnection) => Promise<MatrixFixture>,
  tables: Partial<Record<"write" | "eraseRecord" | "openRecord", Record<ActorName, string>>>,
): void {
  describe(title, function () {
    const fns: [CategoryFn, Record<ActorName, string>][] = [];
    if (tables.write) {
      for (const fn of ["anchorRecord", "amendRecord", "markEnteredInError"] as const)
        fns.push([fn, tables.write]);
    }
    if (tables.eraseRecord) fns.push(["eraseRecord", tables.eraseRecord]);
    if (tables.openRecord) fns.push(["openRecord", tables.openRecord]);

    for (const [fn, table] of fns) {
      describe(fn, function () {
        for (const name of ACTOR_NAMES) {
          it(`${name}: ${table[name]}`, async function () {
            const f = await loadFixture(fixture);
            const codes = [...table[name]] as Code[];
            expect(codes).to.have.length(CATEGORIES.length);
            for (const category of CATEGORIES) {
              const cell = cellOf(f, name, category);
              await checkCell(
                codes[category]!,
                cell,
                CATEGORY_ROWS[fn],
                `${fn} by ${name}, category ${category}`,
              );
            }
          });
        }
      });
    }

    it("the views (canWrite, canOpen, hasAccess) agree with every cell", async function () {
      const f = await loadFixture(fixture);
      const p = f.patient.address;
      for (const name of ACTOR_NAMES) {
        const a = f.actors[name].address;
        for (const category of CATEGORIES) {
          if (tables.write) {
            expect(
              await f.ledger.canWrite(p, a, category),
              `canWrite ${name} ${category}`,
            ).to.equal(tables.write[name][category] === "+");
          }
          if (tables.openRecord) {
            const code = tables.openRecord[name][category]!;
            expect(
              await f.ledger.canOpen(f.records[category], a, OPEN_PURPOSE),
              `canOpen ${name} ${category}`,
            ).to.equal(PATH_OF[code] ?? AccessPath.None);
            expect(
              await f.ledger.hasAccess(p, a, category, OPEN_PURPOSE),
              `hasAccess ${name} ${category}`,
            ).to.equal(code === "P" || code === "C");
          }
        }
      }
    });
  });
}

// ---------------------------------------------------------------------------------------------------------
// Single-cell rows (no category)
// ---------------------------------------------------------------------------------------------------------

const NEW_KEY = encryptionKeyFor("matrix/rotated");
const WHY = documentHash("matrix/why");
const NOTES = documentHash("matrix/notes");
/**
 * The purpose every open of the matrix is for: emergency treatment, the one purpose both paths serve (a
 * break-glass read is for it only; the fixture's consent covers every purpose).
 */
const OPEN_PURPOSE = Purpose.Emergency;

/** A signature deadline within the governance limit (7 days) of the next block. */
async function sigDeadline(): Promise<bigint> {
  return BigInt(await connection.networkHelpers.time.latest()) + 3600n;
}

/** The patient signs EIP-712 typed data over CareLedger's domain ("CareLedger", "1"), written out here. */
async function signAsPatient(
  f: MatrixFixture,
  types: Record<string, { name: string; type: string }[]>,
  message: Record<string, unknown>,
): Promise<string> {
  const domain = {
    name: "CareLedger",
    version: "1",
    chainId: (await connection.ethers.provider.getNetwork()).chainId,
    verifyingContract: await f.ledger.getAddress(),
  };
  return f.patient.signTypedData(domain, types, message);
}

const signGrant = (f: MatrixFixture, epoch: bigint, deadline: bigint) =>
  signAsPatient(
    f,
    {
      GrantConsent: [
        { name: "patient", type: "address" },
        { name: "signer", type: "address" },
        { name: "grantee", type: "address" },
        { name: "categories", type: "uint16" },
        { name: "purposes", type: "uint8" },
        { name: "expiresAt", type: "uint40" },
        { name: "epoch", type: "uint32" },
        { name: "nonce", type: "uint256" },
        { name: "deadline", type: "uint256" },
      ],
    },
    {
      patient: f.patient.address,
      signer: f.patient.address,
      grantee: f.fresh.address,
      categories: CategoryMask.ALL,
      purposes: PurposeMask.ALL,
      expiresAt: f.expiresAt,
      epoch,
      nonce: 0,
      deadline,
    },
  );

const signRevoke = (f: MatrixFixture, epoch: bigint, deadline: bigint) =>
  signAsPatient(
    f,
    {
      RevokeConsent: [
        { name: "patient", type: "address" },
        { name: "signer", type: "address" },
        { name: "grantee", type: "address" },
        { name: "epoch", type: "uint32" },
        { name: "nonce", type: "uint256" },
        { name: "deadline", type: "uint256" },
      ],
    },
    {
      patient: f.patient.address,
      signer: f.patient.address,
      grantee: f.doctor.address,
      epoch,
      nonce: 0,
      deadline,
    },
  );

const SINGLE_ROWS: Record<keyof typeof SINGLE, Row> = {
  grantConsent: {
    send: (c) =>
      c.f.ledger
        .connect(c.actor)
        .grantConsent(c.f.fresh.address, CategoryMask.ALL, PurposeMask.ALL, c.f.expiresAt),
    success: (c) => ({
      event: "ConsentGranted",
      args: [
        c.actor.address,
        c.f.fresh.address,
        c.actor.address,
        CategoryMask.ALL,
        PurposeMask.ALL,
        c.f.expiresAt,
      ],
    }),
  },
  narrowConsent: {
    send: (c) =>
      c.f.ledger
        .connect(c.actor)
        .narrowConsent(c.f.doctor.address, CategoryMask.CLINICAL, PurposeMask.ALL),
    success: (c) => ({
      event: "ConsentNarrowed",
      args: [
        c.actor.address,
        c.f.doctor.address,
        c.actor.address,
        CategoryMask.CLINICAL,
        PurposeMask.ALL,
      ],
    }),
  },
  extendConsent: {
    send: (c) => c.f.ledger.connect(c.actor).extendConsent(c.f.doctor.address, c.f.expiresAt + 1),
    success: (c) => ({
      event: "ConsentExtended",
      args: [c.actor.address, c.f.doctor.address, c.actor.address, c.f.expiresAt + 1],
    }),
  },
  revokeConsent: {
    send: (c) => c.f.ledger.connect(c.actor).revokeConsent(c.f.doctor.address),
    success: (c) => ({
      event: "ConsentRevoked",
      args: [c.actor.address, c.f.doctor.address, c.actor.address],
    }),
    target: (f) => f.doctor.address,
  },
  appointDelegate: {
    send: (c) =>
      c.f.ledger
        .connect(c.actor)
        .appointDelegate(c.f.fresh.address, CategoryMask.ALL, c.f.expiresAt),
    success: (c) => ({
      event: "DelegateAppointed",
      args: [c.actor.address, c.f.fresh.address, CategoryMask.ALL, c.f.expiresAt],
    }),
  },
  removeDelegate: {
    send: (c) => c.f.ledger.connect(c.actor).removeDelegate(c.f.delegate.address),
    success: (c) => ({ event: "DelegateRemoved", args: [c.actor.address, c.f.delegate.address] }),
    target: (f) => f.delegate.address,
  },
  grantConsentFor: {
    send: (c) =>
      c.f.ledger
        .connect(c.actor)
        .grantConsentFor(
          c.f.patient.address,
          c.f.fresh.address,
          CategoryMask.ALL,
          PurposeMask.ALL,
          c.f.expiresAt,
        ),
    success: (c) => ({
      event: "ConsentGranted",
      args: [
        c.f.patient.address,
        c.f.fresh.address,
        c.actor.address,
        CategoryMask.ALL,
        PurposeMask.ALL,
        c.f.expiresAt,
      ],
    }),
  },
  revokeConsentFor: {
    send: (c) =>
      c.f.ledger.connect(c.actor).revokeConsentFor(c.f.patient.address, c.f.doctor.address),
    success: (c) => ({
      event: "ConsentRevoked",
      args: [c.f.patient.address, c.f.doctor.address, c.actor.address],
    }),
  },
  grantWithSig: {
    send: async (c) => {
      const epoch = (await c.f.ledger.consentOf(c.f.patient.address, c.f.fresh.address)).epoch;
      const deadline = await sigDeadline();
      return c.f.ledger
        .connect(c.actor)
        .grantWithSig(
          c.f.patient.address,
          c.f.fresh.address,
          CategoryMask.ALL,
          PurposeMask.ALL,
          c.f.expiresAt,
          epoch,
          0,
          deadline,
          c.f.patient.address,
          await signGrant(c.f, epoch, deadline),
        );
    },
    success: (c) => ({
      event: "ConsentRelayed",
      args: [c.f.patient.address, c.f.patient.address, c.actor.address, 0],
    }),
  },
  revokeWithSig: {
    send: async (c) => {
      const epoch = (await c.f.ledger.consentOf(c.f.patient.address, c.f.doctor.address)).epoch;
      const deadline = await sigDeadline();
      return c.f.ledger
        .connect(c.actor)
        .revokeWithSig(
          c.f.patient.address,
          c.f.doctor.address,
          epoch,
          0,
          deadline,
          c.f.patient.address,
          await signRevoke(c.f, epoch, deadline),
        );
    },
    success: (c) => ({
      event: "ConsentRelayed",
      args: [c.f.patient.address, c.f.patient.address, c.actor.address, 0],
    }),
  },
  breakGlass: {
    send: (c) => c.f.ledger.connect(c.actor).breakGlass(c.f.patient.address, WHY, 600),
    success: (c, t) => ({
      event: "BreakGlassDeclared",
      args: [2, c.f.patient.address, c.actor.address, WHY, t, t + 600],
    }),
  },
  reviewBreakGlass: {
    send: (c) => c.f.ledger.connect(c.actor).reviewBreakGlass(1, ReviewVerdict.Justified, NOTES),
    success: (c, t) => ({
      event: "BreakGlassReviewed",
      args: [1, c.f.otherPatient.address, c.actor.address, ReviewVerdict.Justified, NOTES, t],
    }),
  },
  rotateEncryptionKey: {
    send: (c) => c.f.ledger.connect(c.actor).rotateEncryptionKey(NEW_KEY),
    success: (c) => ({ event: "EncryptionKeyRotated", args: [c.actor.address, NEW_KEY] }),
  },
  registerOrganization: {
    send: (c) => c.f.ledger.connect(c.actor).registerOrganization(3),
    success: (c) => ({ event: "OrganizationRegistered", args: [3, c.actor.address] }),
    neededRole: REGISTRAR_ROLE,
  },
  setOrganizationActive: {
    send: (c) => c.f.ledger.connect(c.actor).setOrganizationActive(CLINIC_ORG_ID, false),
    success: (c) => ({
      event: "OrganizationStatusChanged",
      args: [CLINIC_ORG_ID, false, c.actor.address],
    }),
    neededRole: REGISTRAR_ROLE,
  },
  onboardMember: {
    send: (c) =>
      c.f.ledger
        .connect(c.actor)
        .onboardMember(c.f.fresh.address, Role.Nurse, HOSPITAL_ORG_ID, NEW_KEY),
    success: (c) => ({
      event: "MemberOnboarded",
      args: [c.f.fresh.address, Role.Nurse, HOSPITAL_ORG_ID, 9, NEW_KEY, c.actor.address],
    }),
    neededRole: REGISTRAR_ROLE,
  },
  setMemberActive: {
    send: (c) => c.f.ledger.connect(c.actor).setMemberActive(c.f.nurse.address, false),
    success: (c) => ({
      event: "MemberStatusChanged",
      args: [c.f.nurse.address, false, c.actor.address],
    }),
    neededRole: REGISTRAR_ROLE,
  },
  changeMemberRole: {
    send: (c) => c.f.ledger.connect(c.actor).changeMemberRole(c.f.nurse.address, Role.Doctor),
    success: (c) => ({
      event: "MemberRoleChanged",
      args: [c.f.nurse.address, Role.Nurse, Role.Doctor, c.actor.address],
    }),
    neededRole: REGISTRAR_ROLE,
  },
  setErasePolicy: {
    send: (c) => c.f.ledger.connect(c.actor).setErasePolicy(Role.Doctor, 1),
    success: (c) => ({ event: "ErasePolicySet", args: [Role.Doctor, 1, c.actor.address] }),
    neededRole: DEFAULT_ADMIN_ROLE,
  },
  setRolePolicy: {
    send: (c) => c.f.ledger.connect(c.actor).setRolePolicy(Role.Auditor, 1, 0, 0),
    success: (c) => ({ event: "RolePolicySet", args: [Role.Auditor, 1, 0, 0, c.actor.address] }),
    neededRole: DEFAULT_ADMIN_ROLE,
  },
  setBreakGlassMaxDuration: {
    send: (c) => c.f.ledger.connect(c.actor).setBreakGlassMaxDuration(600),
    success: (c) => ({ event: "BreakGlassMaxDurationSet", args: [600, c.actor.address] }),
    neededRole: DEFAULT_ADMIN_ROLE,
  },
  pause: {
    send: (c) => c.f.ledger.connect(c.actor).pause(),
    success: (c) => ({ event: "Paused", args: [c.actor.address] }),
    neededRole: DEFAULT_ADMIN_ROLE,
  },
  unpause: {
    prepare: async (f) => {
      await f.ledger.connect(f.admin).pause();
    },
    send: (c) => c.f.ledger.connect(c.actor).unpause(),
    success: (c) => ({ event: "Unpaused", args: [c.actor.address] }),
    neededRole: DEFAULT_ADMIN_ROLE,
  },
  grantRole: {
    send: (c) => c.f.ledger.connect(c.actor).grantRole(REGISTRAR_ROLE, c.f.fresh.address),
    success: (c) => ({
      event: "RoleGranted",
      args: [REGISTRAR_ROLE, c.f.fresh.address, c.actor.address],
    }),
    neededRole: DEFAULT_ADMIN_ROLE,
  },
  revokeRole: {
    send: (c) => c.f.ledger.connect(c.actor).revokeRole(REGISTRAR_ROLE, c.f.registrar.address),
    success: (c) => ({
      event: "RoleRevoked",
      args: [REGISTRAR_ROLE, c.f.registrar.address, c.actor.address],
    }),
    neededRole: DEFAULT_ADMIN_ROLE,
  },
  beginDefaultAdminTransfer: {
    send: (c) => c.f.ledger.connect(c.actor).beginDefaultAdminTransfer(c.f.fresh.address),
    success: (c, t) => ({
      event: "DefaultAdminTransferScheduled",
      args: [c.f.fresh.address, t + ADMIN_TRANSFER_DELAY],
    }),
    neededRole: DEFAULT_ADMIN_ROLE,
  },
  cancelDefaultAdminTransfer: {
    prepare: async (f) => {
      await f.ledger.connect(f.admin).beginDefaultAdminTransfer(f.fresh.address);
    },
    send: (c) => c.f.ledger.connect(c.actor).cancelDefaultAdminTransfer(),
    success: () => ({ event: "DefaultAdminTransferCanceled", args: [] }),
    neededRole: DEFAULT_ADMIN_ROLE,
  },
  changeDefaultAdminDelay: {
    send: (c) => c.f.ledger.connect(c.actor).changeDefaultAdminDelay(ADMIN_TRANSFER_DELAY - 3600),
    success: (_c, t) => ({
      event: "DefaultAdminDelayChangeScheduled",
      args: [ADMIN_TRANSFER_DELAY - 3600, t + 3600],
    }),
    neededRole: DEFAULT_ADMIN_ROLE,
  },
  acceptDefaultAdminTransfer: {
    prepare: async (f) => {
      await f.ledger.connect(f.admin).beginDefaultAdminTransfer(f.fresh.address);
      await time.increase(ADMIN_TRANSFER_DELAY + 1);
    },
    send: (c) => c.f.ledger.connect(c.actor).acceptDefaultAdminTransfer(),
    success: (c) => ({
      event: "RoleGranted",
      args: [DEFAULT_ADMIN_ROLE, c.actor.address, c.actor.address],
    }),
  },
};

// ---------------------------------------------------------------------------------------------------------

describe("Access matrix", function () {
  describeCategoryMatrix(
    "with everyone holding the patient's full consent (role policy decides)",
    deployConsentedMatrixFixture,
    WITH_CONSENT,
  );
  describeCategoryMatrix(
    "with everyone consented and every staff role allowed to erase all but billing",
    deployStaffErasureMatrixFixture,
    WITH_CONSENT_AND_STAFF_ERASURE,
  );
  describeCategoryMatrix("without any consent", deployUnconsentedMatrixFixture, WITHOUT_CONSENT);
  describeCategoryMatrix(
    "without consent, the doctor and the responder holding break-glass windows",
    deployBreakGlassMatrixFixture,
    WITH_BREAK_GLASS,
  );

  describe("functions without a category (everyone consented)", function () {
    for (const [fn, codes] of Object.entries(SINGLE) as [keyof typeof SINGLE, readonly Code[]][]) {
      it(`${fn}: ${codes.join("")}`, async function () {
        expect(codes).to.have.length(ACTOR_NAMES.length);
        const row = SINGLE_ROWS[fn];
        for (const [i, name] of ACTOR_NAMES.entries()) {
          const f = await loadFixture(deployConsentedMatrixFixture);
          if (row.prepare) await row.prepare(f);
          await checkCell(codes[i]!, cellOf(f, name), row, `${fn} by ${name}`);
        }
      });
    }
  });
});
