/**
 * The floor: for each operation, the sum of the costs no implementation of the design can avoid
 * (Cancun gas schedule, EIP-2929 cold access, EIP-2200/3529 storage pricing).
 *
 *   transaction base                   21,000
 *   calldata                           4 per zero byte, 16 per non-zero byte (of the call as sent)
 *   new storage slot (0 → x)           22,100  (20,000 + 2,100 cold)
 *   updated slot (x → y)               5,000   (2,900 + 2,100 cold)
 *   cleared slot (x → 0)               5,000, then a 4,800 refund (capped at gasUsed / 5)
 *   cold read                          2,100
 *   keccak256                          30 + 6 per 32-byte word (mapping slots hash 64 bytes: 42 per level)
 *   ecrecover                          3,000
 *   log                                375 + 375 per topic + 8 per data byte, for the events the
 *                                      interfaces (contracts/interfaces/) specify
 *
 * Views are floored on execution only (no base, no calldata), like their measurement.
 *
 * Each operation lists the state it **must** touch to honour the README's access rules and the interfaces (who may act,
 * pause, what is recorded). Where CareLedger deliberately touches more (e.g. member ids that let a record
 * fit one slot), that is noted on the entry and left out of the floor.
 */
import type { Interface } from "ethers";
import type { OpId } from "./ops.js";

export const GAS = {
  base: 21_000,
  newSlot: 22_100,
  updateSlot: 5_000,
  clearRefund: 4_800,
  coldRead: 2_100,
  keccakBase: 30,
  keccakWord: 6,
  ecrecover: 3_000,
  log: 375,
  logTopic: 375,
  logByte: 8,
} as const;

/** One unavoidable cost of an operation. */
export type Touch =
  | {
      readonly kind: "read" | "create" | "update" | "clear";
      readonly slot: string;
      readonly mappingDepth: number;
    }
  | { readonly kind: "keccak"; readonly what: string; readonly bytes: number }
  | { readonly kind: "ecrecover" }
  | { readonly kind: "event"; readonly name: string };

const read = (slot: string, mappingDepth = 1): Touch => ({ kind: "read", slot, mappingDepth });
const create = (slot: string, mappingDepth = 1): Touch => ({ kind: "create", slot, mappingDepth });
const update = (slot: string, mappingDepth = 1): Touch => ({ kind: "update", slot, mappingDepth });
const clear = (slot: string, mappingDepth = 1): Touch => ({ kind: "clear", slot, mappingDepth });
const keccak = (what: string, bytes: number): Touch => ({ kind: "keccak", what, bytes });
const event = (name: string): Touch => ({ kind: "event", name });

// Shared pieces.
const paused = read("paused flag (pause stops this operation)", 0);
const registrar = read("roles[REGISTRAR_ROLE].hasRole[msg.sender] (only a registrar onboards)", 2);
const admin = read(
  "roles[DEFAULT_ADMIN_ROLE].hasRole[msg.sender] (only governance sets policy)",
  2,
);
const patientMember = read("members[patient] (an active patient acts)");
const actorMember = read("members[msg.sender] (active member, its role)");
const policy = read("policies[role] (minimum necessary: the role may touch the category)");
const grantRead = read("grants[patient][actor] (live consent covers category and purpose)", 2);
/** abi.encode of an audit entry: action + 6 event fields = 7 words. */
const auditEntry = keccak("audit entry: keccak256(abi.encode(action, 6 fields))", 7 * 32);
const fold = (head: string): Touch => keccak(`fold into ${head}: keccak256(head, entry)`, 64);
/**
 * A relayed signature: EIP-712 hashing, ecrecover, and the patient's member slot updated (active patient
 * and the single-use nonce share it, so a patient's first signature costs what a later one does).
 */
const signature: Touch[] = [
  keccak("EIP-712 struct hash (typehash + 7 fields)", 8 * 32),
  keccak("EIP-712 digest (0x1901 + domain + struct)", 66),
  { kind: "ecrecover" },
  update("members[patient] (an active patient; its signature nonce, used once, in the same slot)"),
];
const openTouches = (
  globalHead: "create" | "update",
  patientHead: "create" | "update",
): Touch[] => [
  read("records[recordId] (patient, category, status)"),
  actorMember,
  policy,
  grantRead,
  auditEntry,
  globalHead === "create" ? create("auditHead (global)", 0) : update("auditHead (global)", 0),
  fold("the global head"),
  patientHead === "create"
    ? create("patientAuditHeads[patient]")
    : update("patientAuditHeads[patient]"),
  fold("the patient's head"),
  event("RecordOpened"),
];

/**
 * What each operation must touch. Left out on purpose (CareLedger pays for them, the design does not
 * require them): onboarding's `memberCount` update and `memberAt[id]` slot (they let a record store its
 * author as a 4-byte id and fit one slot); break-glass's second incident slot (the responder address,
 * which could be a member id like record authors).
 */
export const FLOOR_TOUCHES: { readonly [K in OpId]: readonly Touch[] } = {
  onboardPatient: [
    registrar,
    create("members[account] (role, active, org, since; also the not-yet-a-member check)"),
    create("encryptionKeys[account] (32-byte X25519 key: no room in the member slot)"),
    event("MemberOnboarded"),
  ],
  onboardStaff: [
    registrar,
    read("organizations[orgId] (staff belong to an active organisation)"),
    create("members[account] (role, active, org, since; also the not-yet-a-member check)"),
    create("encryptionKeys[account] (32-byte X25519 key: no room in the member slot)"),
    event("MemberOnboarded"),
  ],
  setRolePolicy: [admin, update("policies[role]"), event("RolePolicySet")],
  grant: [paused, patientMember, create("grants[patient][grantee]", 2), event("ConsentGranted")],
  narrow: [patientMember, update("grants[patient][grantee]", 2), event("ConsentNarrowed")],
  extend: [paused, patientMember, update("grants[patient][grantee]", 2), event("ConsentExtended")],
  // Revoke works for a deactivated patient too, so it needs no member read.
  revoke: [clear("grants[patient][grantee]", 2), event("ConsentRevoked")],
  grantWithSigFirst: [
    paused,
    ...signature,
    create("grants[patient][grantee]", 2),
    event("ConsentGranted"),
    event("ConsentRelayed"),
  ],
  grantWithSigLater: [
    paused,
    ...signature,
    create("grants[patient][grantee]", 2),
    event("ConsentGranted"),
    event("ConsentRelayed"),
  ],
  anchor: [
    paused,
    actorMember,
    policy,
    grantRead,
    create("records[contentHash] (one slot: patient, author id, category, status, time)"),
    event("RecordAnchored"),
  ],
  amend: [
    paused,
    update("records[recordId] (read patient, category; status → superseded)"),
    actorMember,
    policy,
    grantRead,
    create("records[newContentHash]"),
    create("previousVersions[newContentHash] (the version it supersedes: a 32-byte hash)"),
    event("RecordAnchored"),
  ],
  markEnteredInError: [
    paused,
    update("records[recordId] (status → entered in error)"),
    actorMember,
    policy,
    grantRead,
    event("RecordEnteredInError"),
  ],
  openFirstEver: openTouches("create", "create"),
  openPatientFirst: openTouches("update", "create"),
  open: openTouches("update", "update"),
  erase: [
    paused,
    update("records[recordId] (read patient, category; status → erased)"),
    actorMember,
    policy,
    auditEntry,
    update("auditHead (global)", 0),
    fold("the global head"),
    update("patientAuditHeads[patient]"),
    fold("the patient's head"),
    event("RecordErased"),
  ],
  breakGlass: [
    actorMember,
    policy,
    read("members[patient] (an active patient)"),
    update("incident counter (packed with the max duration)", 0),
    create("windows[patient][responder]", 2),
    create("incidents[id] (patient, times, verdict; responder as a member id)"),
    auditEntry,
    update("auditHead (global)", 0),
    fold("the global head"),
    update("patientAuditHeads[patient]"),
    fold("the patient's head"),
    event("BreakGlassDeclared"),
  ],
  reviewBreakGlass: [
    actorMember,
    update("incidents[id] (read patient; verdict)"),
    auditEntry,
    update("auditHead (global)", 0),
    fold("the global head"),
    update("patientAuditHeads[patient]"),
    fold("the patient's head"),
    event("BreakGlassReviewed"),
  ],
  hasAccess: [actorMember, policy, grantRead],
  canOpen: [read("records[recordId] (patient, category, status)"), actorMember, policy, grantRead],
};

export function keccakGas(bytes: number): number {
  return GAS.keccakBase + GAS.keccakWord * Math.ceil(bytes / 32);
}

/** Cost of emitting `name` as specified by `iface` (static fields only: 32 bytes each). */
export function eventGas(iface: Interface, name: string): number {
  const fragment = iface.getEvent(name);
  if (fragment === null) throw new RangeError(`no event ${name} in the interface`);
  const topics = 1 + fragment.inputs.filter((i) => i.indexed).length;
  const dataBytes = 32 * fragment.inputs.filter((i) => !i.indexed).length;
  return GAS.log + GAS.logTopic * topics + GAS.logByte * dataBytes;
}

/** One line of a floor breakdown. */
export interface FloorItem {
  readonly what: string;
  readonly gas: number;
}

export interface Floor {
  readonly gas: number;
  readonly items: readonly FloorItem[];
}

function touchItems(iface: Interface, t: Touch): FloorItem[] {
  const mappingHash = (slot: string, depth: number): FloorItem[] =>
    depth === 0
      ? []
      : [{ what: `slot of ${slot}: ${depth} mapping hash(es)`, gas: depth * keccakGas(64) }];
  switch (t.kind) {
    case "read":
      return [
        { what: `cold read ${t.slot}`, gas: GAS.coldRead },
        ...mappingHash(t.slot, t.mappingDepth),
      ];
    case "create":
      return [
        { what: `new slot ${t.slot}`, gas: GAS.newSlot },
        ...mappingHash(t.slot, t.mappingDepth),
      ];
    case "update":
      return [
        { what: `update ${t.slot}`, gas: GAS.updateSlot },
        ...mappingHash(t.slot, t.mappingDepth),
      ];
    case "clear":
      return [
        { what: `clear ${t.slot}`, gas: GAS.updateSlot },
        ...mappingHash(t.slot, t.mappingDepth),
        { what: `refund for clearing ${t.slot} (≤ gasUsed / 5)`, gas: -GAS.clearRefund },
      ];
    case "keccak":
      return [{ what: `keccak ${t.what}`, gas: keccakGas(t.bytes) }];
    case "ecrecover":
      return [{ what: "ecrecover", gas: GAS.ecrecover }];
    case "event":
      return [{ what: `log ${t.name}`, gas: eventGas(iface, t.name) }];
  }
}

/**
 * The floor of `op` whose call costs `calldataGas` (transactions: base + calldata + touches − refund;
 * views: touches only).
 */
export function floorOf(
  iface: Interface,
  op: OpId,
  kind: "tx" | "view",
  calldataGas: number,
): Floor {
  const items: FloorItem[] =
    kind === "tx"
      ? [
          { what: "transaction base", gas: GAS.base },
          { what: "calldata (4 / 16 per zero / non-zero byte)", gas: calldataGas },
        ]
      : [];
  for (const t of FLOOR_TOUCHES[op]) items.push(...touchItems(iface, t));
  const charged = items.filter((i) => i.gas > 0).reduce((s, i) => s + i.gas, 0);
  const refund = -items.filter((i) => i.gas < 0).reduce((s, i) => s + i.gas, 0);
  const capped = Math.min(refund, Math.floor(charged / 5));
  return { gas: charged - capped, items };
}
