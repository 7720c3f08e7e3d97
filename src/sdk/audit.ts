/**
 * The audit trail off chain: fetch the audited events, recompute the entries and heads exactly as
 * `contracts/core/AuditTrail.sol` folds them, and compare with the heads on chain.
 *
 * entry = keccak256(abi.encode(uint8 action, <the event's fields in declaration order>))
 * head  = keccak256(abi.encode(head, entry)), from bytes32(0); one global head, one per patient.
 *
 * A trail whose fold equals the on-chain head is complete and unedited: dropping, reordering or
 * changing any entry changes the fold.
 */
import type { Interface, Log, Provider } from "ethers";
import { AbiCoder, ZeroHash, concat, getAddress, keccak256, zeroPadValue } from "ethers";
import type { CareLedger } from "../../typechain-types/index.js";
import { CareLedgerError } from "../errors.js";
import type { AccessPath, Purpose, ReviewVerdict } from "./constants.js";
import {
  AuditAction,
  accessPathLabel,
  AccessPath as Path,
  purposeLabel,
  reviewVerdictLabel,
} from "./constants.js";
import { isoTime, shortHex } from "./format.js";

/** A `RecordOpened` event: someone opened a record version (path `BreakGlass` = flagged emergency open). */
export interface RecordOpenedEvent {
  readonly action: "RecordOpened";
  readonly recordId: string;
  readonly patient: string;
  readonly accessor: string;
  readonly purpose: Purpose;
  readonly path: AccessPath;
  readonly openedAt: number;
}

/** A `BreakGlassDeclared` event: a responder opened an emergency window on a patient. */
export interface BreakGlassDeclaredEvent {
  readonly action: "BreakGlassDeclared";
  readonly incidentId: bigint;
  readonly patient: string;
  readonly responder: string;
  readonly justificationHash: string;
  readonly openedAt: number;
  readonly expiresAt: number;
}

/** A `BreakGlassReviewed` event: an auditor recorded a verdict on an incident. */
export interface BreakGlassReviewedEvent {
  readonly action: "BreakGlassReviewed";
  readonly incidentId: bigint;
  readonly patient: string;
  readonly auditor: string;
  readonly verdict: ReviewVerdict;
  readonly notesHash: string;
  readonly reviewedAt: number;
}

/** A `RecordErased` event: a record version's content was crypto-shredded; the anchor stays. */
export interface RecordErasedEvent {
  readonly action: "RecordErased";
  readonly recordId: string;
  readonly patient: string;
  readonly erasedBy: string;
  readonly erasedAt: number;
}

/** The fields of one audited event, which is all the fold depends on. */
export type AuditEvent =
  RecordOpenedEvent | BreakGlassDeclaredEvent | BreakGlassReviewedEvent | RecordErasedEvent;

/** Where an event was emitted. */
export interface LogLocation {
  readonly blockNumber: number;
  readonly logIndex: number;
  readonly transactionHash: string;
}

/** An audited event as fetched from the chain, with its location and entry hash. */
export type AuditEntry = AuditEvent &
  LogLocation & {
    /** keccak256 of the event's encoding, as folded on chain. */
    readonly entryHash: string;
  };

/** Names of the audited events. */
export const AUDIT_EVENT_NAMES = [
  "RecordOpened",
  "BreakGlassDeclared",
  "BreakGlassReviewed",
  "RecordErased",
] as const;

/** The heads a fold produces. Patient heads are keyed by checksummed address. */
export interface AuditHeads {
  readonly globalHead: string;
  readonly patientHeads: Readonly<Record<string, string>>;
  /** The entry hash of each input event, in order. */
  readonly entryHashes: readonly string[];
}

/** Result of {@link verifyAuditTrail}. */
export interface AuditVerification extends AuditHeads {
  /** The audited events in chain order. */
  readonly entries: readonly AuditEntry[];
  /** `auditHead()` at `toBlock`. */
  readonly onChainHead: string;
  /** `patientAuditHead(p)` at `toBlock`, for every patient in the trail. */
  readonly onChainPatientHeads: Readonly<Record<string, string>>;
  /** Patients whose recomputed head differs from the on-chain one. */
  readonly mismatchedPatients: readonly string[];
  /** The global head and every patient head recomputed from the events equal the on-chain ones. */
  readonly matchesChain: boolean;
  readonly fromBlock: number;
  readonly toBlock: number;
}

/** Options of {@link fetchAuditEntries} and {@link verifyAuditTrail}. */
export interface AuditRangeOptions {
  /** First block to scan; the fold starts from a zero head, so use the deployment block (or 0). Default 0. */
  readonly fromBlock?: number;
  /** Last block to scan (inclusive). Default: the latest block when the call starts. */
  readonly toBlock?: number;
  /** Blocks per `eth_getLogs` request (many nodes cap the range). Default 5 000. */
  readonly pageSize?: number;
  /** Called after each page with the blocks scanned so far and in total (for a progress bar). */
  readonly onProgress?: (scannedBlocks: number, totalBlocks: number) => void;
  /**
   * Only this patient's entries, filtered by the node (the patient is the second indexed topic of every
   * audited event). The fold of such a trail is the patient's head, not the global one.
   */
  readonly patient?: string;
}

/** The audit trail cannot be read (no provider, bad range). */
export class AuditTrailError extends CareLedgerError {
  override readonly name: string = "AuditTrailError";

  constructor(message: string, options: { readonly cause?: unknown } = {}) {
    super(message, "AUDIT_TRAIL", options);
  }
}

const coder = AbiCoder.defaultAbiCoder();

type EventOf<A extends AuditEvent["action"]> = Extract<AuditEvent, { action: A }>;
type FieldList<A extends AuditEvent["action"]> = readonly (readonly [
  solidityType: string,
  field: Exclude<keyof EventOf<A>, "action">,
])[];

/**
 * The fields of each audited event in declaration order, with their ABI types (enums as `uint8`):
 * the layout the contract hashes after the `uint8` action.
 */
export const AUDIT_EVENT_FIELDS: { readonly [A in AuditEvent["action"]]: FieldList<A> } = {
  RecordOpened: [
    ["bytes32", "recordId"],
    ["address", "patient"],
    ["address", "accessor"],
    ["uint8", "purpose"],
    ["uint8", "path"],
    ["uint40", "openedAt"],
  ],
  BreakGlassDeclared: [
    ["uint64", "incidentId"],
    ["address", "patient"],
    ["address", "responder"],
    ["bytes32", "justificationHash"],
    ["uint40", "openedAt"],
    ["uint40", "expiresAt"],
  ],
  BreakGlassReviewed: [
    ["uint64", "incidentId"],
    ["address", "patient"],
    ["address", "auditor"],
    ["uint8", "verdict"],
    ["bytes32", "notesHash"],
    ["uint40", "reviewedAt"],
  ],
  RecordErased: [
    ["bytes32", "recordId"],
    ["address", "patient"],
    ["address", "erasedBy"],
    ["uint40", "erasedAt"],
  ],
};

function fieldsOf(action: AuditEvent["action"]): readonly (readonly [string, string])[] {
  return AUDIT_EVENT_FIELDS[action];
}

/** The entry hash of one audited event, exactly as the contract computes it. */
export function auditEntryHash(event: AuditEvent): string {
  const fields = fieldsOf(event.action);
  const values = event as unknown as Readonly<Record<string, unknown>>;
  return keccak256(
    coder.encode(
      ["uint8", ...fields.map(([type]) => type)],
      [AuditAction[event.action], ...fields.map(([, name]) => values[name])],
    ),
  );
}

/** One fold step: `keccak256(abi.encode(head, entry))`. */
export function foldAuditHead(head: string, entryHash: string): string {
  return keccak256(concat([head, entryHash]));
}

/**
 * Fold `events` (in chain order) into the global head and the per-patient heads, recomputing each
 * entry hash from the event fields. Pure: feed it an edited list to see the heads change.
 */
export function foldAuditEntries(events: readonly AuditEvent[]): AuditHeads {
  let globalHead = ZeroHash;
  const patientHeads: Record<string, string> = {};
  const entryHashes: string[] = [];
  for (const event of events) {
    const entry = auditEntryHash(event);
    const patient = getAddress(event.patient);
    globalHead = foldAuditHead(globalHead, entry);
    patientHeads[patient] = foldAuditHead(patientHeads[patient] ?? ZeroHash, entry);
    entryHashes.push(entry);
  }
  return { globalHead, patientHeads, entryHashes };
}

function isAuditAction(name: string): name is AuditEvent["action"] {
  return (AUDIT_EVENT_NAMES as readonly string[]).includes(name);
}

/** A decoded event value as the entry types hold it: `uint64` as bigint, smaller integers as number. */
function entryValue(type: string, value: unknown): unknown {
  if (type === "uint64") return BigInt(value as bigint);
  if (type.startsWith("uint")) return Number(value);
  return String(value);
}

/** Decode one log of an audited event into an {@link AuditEntry} (`undefined` for any other log). */
export function auditEntryFromLog(iface: Interface, log: Log): AuditEntry | undefined {
  const parsed = iface.parseLog({ topics: [...log.topics], data: log.data });
  if (parsed === null || !isAuditAction(parsed.name)) return undefined;
  const action = parsed.name;
  const fields = Object.fromEntries(
    fieldsOf(action).map(([type, name]) => [name, entryValue(type, parsed.args.getValue(name))]),
  );
  const event = { action, ...fields } as AuditEvent;
  return {
    ...event,
    blockNumber: log.blockNumber,
    logIndex: log.index,
    transactionHash: log.transactionHash,
    entryHash: auditEntryHash(event),
  };
}

function providerOf(contract: CareLedger): Provider {
  const provider = contract.runner?.provider;
  if (provider === null || provider === undefined) {
    throw new AuditTrailError("the CareLedger contract is not connected to a provider");
  }
  return provider;
}

/**
 * Fetch every audited event of `contract` in `[fromBlock, toBlock]` (or only `options.patient`'s), page by
 * page, ordered by (blockNumber, logIndex): the order the contract folded them in.
 */
export async function fetchAuditEntries(
  contract: CareLedger,
  options: AuditRangeOptions = {},
): Promise<AuditEntry[]> {
  const provider = providerOf(contract);
  const fromBlock = options.fromBlock ?? 0;
  const toBlock = options.toBlock ?? (await provider.getBlockNumber());
  const pageSize = options.pageSize ?? 5_000;
  if (!Number.isInteger(pageSize) || pageSize < 1)
    throw new AuditTrailError(`page size ${pageSize} must be >= 1`);
  if (fromBlock > toBlock)
    throw new AuditTrailError(`fromBlock ${fromBlock} is after toBlock ${toBlock}`);

  const iface = contract.interface;
  const address = await contract.getAddress();
  const eventTopics = AUDIT_EVENT_NAMES.map((name) => iface.getEvent(name).topicHash);
  const topics =
    options.patient === undefined
      ? [eventTopics]
      : [eventTopics, null, zeroPadValue(getAddress(options.patient), 32)];
  const entries: AuditEntry[] = [];
  const total = toBlock - fromBlock + 1;
  for (let start = fromBlock; start <= toBlock; start += pageSize) {
    const end = Math.min(toBlock, start + pageSize - 1);
    const logs = await provider.getLogs({ address, topics, fromBlock: start, toBlock: end });
    for (const log of logs) {
      const entry = auditEntryFromLog(iface, log);
      if (entry !== undefined) entries.push(entry);
    }
    options.onProgress?.(end - fromBlock + 1, total);
  }
  return entries.sort((x, y) => x.blockNumber - y.blockNumber || x.logIndex - y.logIndex);
}

/**
 * Fetch the audit trail, refold it and compare with the heads stored on chain at `toBlock`.
 * `fromBlock` must be at or before the contract's deployment for the heads to match.
 */
export async function verifyAuditTrail(
  contract: CareLedger,
  options: AuditRangeOptions = {},
): Promise<AuditVerification> {
  const provider = providerOf(contract);
  const fromBlock = options.fromBlock ?? 0;
  const toBlock = options.toBlock ?? (await provider.getBlockNumber());
  const entries = await fetchAuditEntries(contract, { ...options, fromBlock, toBlock });
  const heads = foldAuditEntries(entries);
  const onChainHead = await contract.auditHead({ blockTag: toBlock });
  const onChainPatientHeads: Record<string, string> = {};
  const mismatchedPatients: string[] = [];
  for (const [patient, head] of Object.entries(heads.patientHeads)) {
    const onChain = await contract.patientAuditHead(patient, { blockTag: toBlock });
    onChainPatientHeads[patient] = onChain;
    if (onChain !== head) mismatchedPatients.push(patient);
  }
  return {
    ...heads,
    entries,
    onChainHead,
    onChainPatientHeads,
    mismatchedPatients,
    matchesChain: heads.globalHead === onChainHead && mismatchedPatients.length === 0,
    fromBlock,
    toBlock,
  };
}

/** The acting account of an event (accessor, responder, auditor or who erased). */
export function auditActor(event: AuditEvent): string {
  switch (event.action) {
    case "RecordOpened":
      return event.accessor;
    case "BreakGlassDeclared":
      return event.responder;
    case "BreakGlassReviewed":
      return event.auditor;
    case "RecordErased":
      return event.erasedBy;
  }
}

/** When the event happened (unix seconds). */
export function auditTime(event: AuditEvent): number {
  switch (event.action) {
    case "RecordOpened":
    case "BreakGlassDeclared":
      return event.openedAt;
    case "BreakGlassReviewed":
      return event.reviewedAt;
    case "RecordErased":
      return event.erasedAt;
  }
}

/** A flat, display-ready row of an entry (for a table, CSV, a UI). */
export interface AuditRow {
  readonly block: string;
  readonly time: string;
  readonly action: string;
  readonly patient: string;
  readonly actor: string;
  readonly detail: string;
  /** `"FLAGGED"` for a break-glass declaration or a break-glass open, else empty. */
  readonly flag: string;
}

/** Display row of an entry; `label` can name known accounts ("doctor") instead of a short address. */
export function auditRow(
  entry: AuditEntry,
  label: (address: string) => string = shortHex,
): AuditRow {
  let detail: string;
  let flag = "";
  switch (entry.action) {
    case "RecordOpened":
      detail = `record ${shortHex(entry.recordId)}, ${purposeLabel(entry.purpose)}, via ${accessPathLabel(entry.path)}`;
      if (entry.path === Path.BreakGlass) flag = "FLAGGED";
      break;
    case "BreakGlassDeclared":
      detail = `incident #${entry.incidentId} until ${isoTime(entry.expiresAt)}`;
      flag = "FLAGGED";
      break;
    case "BreakGlassReviewed":
      detail = `incident #${entry.incidentId} ${reviewVerdictLabel(entry.verdict)}`;
      break;
    case "RecordErased":
      detail = `record ${shortHex(entry.recordId)} erased`;
      break;
  }
  return {
    block: String(entry.blockNumber),
    time: isoTime(auditTime(entry)),
    action: entry.action,
    patient: label(entry.patient),
    actor: label(auditActor(entry)),
    detail,
    flag,
  };
}
