/**
 * The behaviour of the access matrix (test/core/access-matrix.test.ts holds the expected tables): its
 * fixtures, how a cell is evaluated against its code, the per-category rows and the suite that checks a
 * table of them, as OpenZeppelin pairs `X.test.js` with `X.behavior.js`.
 */
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";
import { expect } from "chai";
import { type ContractTransactionResponse, ZeroHash } from "ethers";
import type { NetworkConnection } from "hardhat/types/network";
import {
  AccessPath,
  CATEGORIES,
  CategoryMask,
  Purpose,
  Role,
  type CategoryIndex,
} from "./constants.js";
import { pinNextTimestamp } from "./chain.js";
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
  recordIdOf,
} from "./fixtures.js";

/**
 * The purpose every open of the matrix is for: emergency treatment, the one purpose both paths serve (a
 * break-glass read is for it only; the fixture's consent covers every purpose).
 */
export const OPEN_PURPOSE = Purpose.Emergency;

export type SuccessCode = "+" | "P" | "C" | "B";
export type RefusalCode =
  "M" | "I" | "R" | "K" | "G" | "N" | "X" | "A" | "F" | "D" | "O" | "U" | "V";
export type Code = SuccessCode | RefusalCode;

// ---------------------------------------------------------------------------------------------------------
// Fixtures
// ---------------------------------------------------------------------------------------------------------

export interface MatrixFixture extends CareLedgerFixture {
  readonly records: Readonly<Record<CategoryIndex, string>>;
  /** The delegate `patient` and `otherPatient` appointed (not one of the actors). */
  readonly delegate: HardhatEthersSigner;
  /** A fresh account used as grantee / new member / new registrar / new admin. */
  readonly fresh: HardhatEthersSigner;
  readonly expiresAt: number;
}

const INCIDENT_ON_OTHER_PATIENT = documentHash("matrix/incident-on-other-patient");

/** Everyone consented (see `deployConsentedRecordsFixture`), plus an incident to review and delegations. */
export async function deployConsentedMatrixFixture(c: NetworkConnection): Promise<MatrixFixture> {
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

/** No consent at all; `patient` anchored one record per category. */
export async function deployUnconsentedMatrixFixture(c: NetworkConnection): Promise<MatrixFixture> {
  const f = await deployCareLedgerFixture(c);
  const records = await anchorOnePerCategory(f.ledger, f.patient, "matrix/unconsented");
  const expiresAt = (await c.networkHelpers.time.latest()) + 30 * 24 * 3600;
  return { ...f, records, delegate: f.spare[0]!, fresh: f.spare[1]!, expiresAt };
}

/** No consent; the doctor and the responder broke the glass on `patient` (1 h windows). */
export async function deployBreakGlassMatrixFixture(c: NetworkConnection): Promise<MatrixFixture> {
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

export interface Cell {
  readonly f: MatrixFixture;
  readonly actor: HardhatEthersSigner;
  readonly role: number;
  readonly category: CategoryIndex;
}

export function cellOf(f: MatrixFixture, name: ActorName, category: CategoryIndex = 0): Cell {
  const spec = (MEMBER_SPECS as Partial<Record<ActorName, { role: number }>>)[name];
  return { f, actor: f.actors[name], role: spec?.role ?? Role.None, category };
}

export interface Row {
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

export function refusalOf(
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
  }
}

export const PATH_OF: Readonly<Record<string, number>> = {
  P: AccessPath.Patient,
  C: AccessPath.Consent,
  B: AccessPath.BreakGlass,
};

/** Assert the outcome `code` for cell `c` of `row`; a failure names the cell. */
export async function checkCell(
  connection: NetworkConnection,
  code: Code,
  c: Cell,
  row: Row,
  label: string,
): Promise<void> {
  try {
    await assertCell(connection, code, c, row);
  } catch (error) {
    if (error instanceof Error) error.message = `[${label}: expected ${code}] ${error.message}`;
    throw error;
  }
}

async function assertCell(
  connection: NetworkConnection,
  code: Code,
  c: Cell,
  row: Row,
): Promise<void> {
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

export const CATEGORY_ROWS = {
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

export function describeCategoryMatrix(
  connection: NetworkConnection,
  title: string,
  fixture: (c: NetworkConnection) => Promise<MatrixFixture>,
  tables: Partial<Record<"write" | "openRecord", Record<ActorName, string>>>,
): void {
  const loadFixture = connection.networkHelpers.loadFixture.bind(connection.networkHelpers);
  describe(title, function () {
    const fns: [CategoryFn, Record<ActorName, string>][] = [];
    if (tables.write) {
      for (const fn of ["anchorRecord", "amendRecord", "markEnteredInError"] as const)
        fns.push([fn, tables.write]);
    }
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
                connection,
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
