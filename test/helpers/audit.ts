/**
 * An independent TypeScript model of the audit fold (contracts/core/AuditTrail.sol), to check the on-chain
 * heads against the emitted events:
 *
 *   entry = keccak256(abi.encode(uint8 action, <event fields in declaration order>))
 *   head  = keccak256(abi.encode(head, entry)), from bytes32(0); one global head and one per patient.
 */
import { AbiCoder, ZeroHash, keccak256, type Log } from "ethers";
import type { CareLedger } from "../../typechain-types/index.js";
import { AuditAction } from "./constants.js";

const coder = AbiCoder.defaultAbiCoder();

export interface RecordOpenedFields {
  readonly recordId: string;
  readonly patient: string;
  readonly accessor: string;
  readonly purpose: bigint | number;
  readonly path: bigint | number;
  readonly openedAt: bigint | number;
}

export interface BreakGlassDeclaredFields {
  readonly incidentId: bigint | number;
  readonly patient: string;
  readonly responder: string;
  readonly justificationHash: string;
  readonly openedAt: bigint | number;
  readonly expiresAt: bigint | number;
}

export interface BreakGlassReviewedFields {
  readonly incidentId: bigint | number;
  readonly patient: string;
  readonly auditor: string;
  readonly verdict: bigint | number;
  readonly notesHash: string;
  readonly reviewedAt: bigint | number;
}

export interface RecordErasedFields {
  readonly recordId: string;
  readonly patient: string;
  readonly erasedBy: string;
  readonly erasedAt: bigint | number;
}

/** One audited event, reduced to what the fold needs. */
export interface AuditEntry {
  readonly action: number;
  readonly patient: string;
  readonly entry: string;
}

/** `keccak256(abi.encode(uint8 action, fields…))`. */
function auditEntry(action: number, types: readonly string[], fields: readonly unknown[]): string {
  return keccak256(coder.encode(["uint8", ...types], [action, ...fields]));
}

export function recordOpenedEntry(e: RecordOpenedFields): string {
  return auditEntry(
    AuditAction.RecordOpened,
    ["bytes32", "address", "address", "uint8", "uint8", "uint40"],
    [e.recordId, e.patient, e.accessor, e.purpose, e.path, e.openedAt],
  );
}

export function breakGlassDeclaredEntry(e: BreakGlassDeclaredFields): string {
  return auditEntry(
    AuditAction.BreakGlassDeclared,
    ["uint64", "address", "address", "bytes32", "uint40", "uint40"],
    [e.incidentId, e.patient, e.responder, e.justificationHash, e.openedAt, e.expiresAt],
  );
}

export function breakGlassReviewedEntry(e: BreakGlassReviewedFields): string {
  return auditEntry(
    AuditAction.BreakGlassReviewed,
    ["uint64", "address", "address", "uint8", "bytes32", "uint40"],
    [e.incidentId, e.patient, e.auditor, e.verdict, e.notesHash, e.reviewedAt],
  );
}

export function recordErasedEntry(e: RecordErasedFields): string {
  return auditEntry(
    AuditAction.RecordErased,
    ["bytes32", "address", "address", "uint40"],
    [e.recordId, e.patient, e.erasedBy, e.erasedAt],
  );
}

/** `keccak256(abi.encode(head, entry))`. */
export function foldAudit(head: string, entry: string): string {
  return keccak256(coder.encode(["bytes32", "bytes32"], [head, entry]));
}

/** The `AuditAction` of each audited event. */
const AUDITED_EVENTS: Readonly<Record<string, number>> = {
  RecordOpened: AuditAction.RecordOpened,
  BreakGlassDeclared: AuditAction.BreakGlassDeclared,
  BreakGlassReviewed: AuditAction.BreakGlassReviewed,
  RecordErased: AuditAction.RecordErased,
};

/**
 * The audit entries of `logs` (CareLedger logs in chain order), in order; other events are skipped.
 * Each entry encodes the action and the event's fields in declaration order, as the event ABI gives them.
 */
export function auditEntriesOf(ledger: CareLedger, logs: readonly Log[]): AuditEntry[] {
  const entries: AuditEntry[] = [];
  for (const log of logs) {
    const parsed = ledger.interface.parseLog(log);
    const action = parsed === null ? undefined : AUDITED_EVENTS[parsed.name];
    if (parsed === null || action === undefined) continue;
    const types = parsed.fragment.inputs.map((input) => input.type);
    entries.push({
      action,
      patient: parsed.args.getValue("patient") as string,
      entry: auditEntry(action, types, parsed.args.toArray()),
    });
  }
  return entries;
}

export interface AuditHeads {
  readonly global: string;
  /** Head per patient address (checksummed, as in the logs); absent means the zero head. */
  readonly perPatient: ReadonlyMap<string, string>;
}

/** Fold `entries` from zero heads. */
export function foldAuditEntries(entries: readonly AuditEntry[]): AuditHeads {
  let global = ZeroHash;
  const perPatient = new Map<string, string>();
  for (const { patient, entry } of entries) {
    global = foldAudit(global, entry);
    perPatient.set(patient, foldAudit(perPatient.get(patient) ?? ZeroHash, entry));
  }
  return { global, perPatient };
}

/** Every audit entry CareLedger has emitted so far, in chain order. */
export async function fetchAuditEntries(ledger: CareLedger): Promise<AuditEntry[]> {
  const provider = ledger.runner?.provider;
  if (provider == null) throw new Error("the CareLedger instance has no provider");
  const logs = await provider.getLogs({
    address: await ledger.getAddress(),
    fromBlock: 0,
    toBlock: "latest",
  });
  return auditEntriesOf(ledger, logs);
}
