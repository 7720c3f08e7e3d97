/**
 * The tables a CareLedger user interface reads. Addresses and hashes are lowercase hex; times are unix
 * seconds; `block`/`logIndex` give chain order. Enums keep the contract's indices (see src/sdk/constants.ts).
 */
import { index, onchainTable, primaryKey } from "ponder";

/** Organisations (`OrganizationRegistered`, `OrganizationStatusChanged`). */
export const organization = onchainTable("organization", (t) => ({
  orgId: t.integer().primaryKey(),
  active: t.boolean().notNull(),
  registrar: t.hex().notNull(),
  registeredAt: t.bigint().notNull(),
  updatedAt: t.bigint().notNull(),
}));

/** Members with their current role, organisation, status and encryption key. */
export const member = onchainTable(
  "member",
  (t) => ({
    account: t.hex().primaryKey(),
    memberId: t.integer().notNull(),
    role: t.integer().notNull(),
    orgId: t.integer().notNull(),
    active: t.boolean().notNull(),
    encryptionKey: t.hex().notNull(),
    onboardedAt: t.bigint().notNull(),
    updatedAt: t.bigint().notNull(),
  }),
  (table) => ({ byOrg: index().on(table.orgId) }),
);

/** The current consent of one patient to one grantee (`status`: live or revoked; expiry is read against now). */
export const consent = onchainTable(
  "consent",
  (t) => ({
    patient: t.hex().notNull(),
    grantee: t.hex().notNull(),
    categories: t.integer().notNull(),
    purposes: t.integer().notNull(),
    expiresAt: t.bigint().notNull(),
    revoked: t.boolean().notNull(),
    grantedAt: t.bigint().notNull(),
    updatedAt: t.bigint().notNull(),
    lastActor: t.hex().notNull(),
  }),
  (table) => ({
    pk: primaryKey({ columns: [table.patient, table.grantee] }),
    byGrantee: index().on(table.grantee),
  }),
);

/** Every consent event (granted, narrowed, extended, revoked), in chain order: the history of a grant. */
export const consentEvent = onchainTable(
  "consent_event",
  (t) => ({
    id: t.text().primaryKey(),
    kind: t.text().notNull(),
    patient: t.hex().notNull(),
    grantee: t.hex().notNull(),
    actor: t.hex().notNull(),
    categories: t.integer(),
    purposes: t.integer(),
    expiresAt: t.bigint(),
    block: t.bigint().notNull(),
    logIndex: t.integer().notNull(),
    timestamp: t.bigint().notNull(),
    txHash: t.hex().notNull(),
  }),
  (table) => ({
    byPatient: index().on(table.patient, table.block),
    byGrantee: index().on(table.grantee),
  }),
);

/** Relayed (signed) consent and invalidated nonces. */
export const consentRelay = onchainTable("consent_relay", (t) => ({
  id: t.text().primaryKey(),
  kind: t.text().notNull(),
  patient: t.hex().notNull(),
  signer: t.hex().notNull(),
  relayer: t.hex(),
  nonce: t.bigint().notNull(),
  block: t.bigint().notNull(),
  txHash: t.hex().notNull(),
}));

/** Guardians and proxies. */
export const delegation = onchainTable(
  "delegation",
  (t) => ({
    patient: t.hex().notNull(),
    delegate: t.hex().notNull(),
    scope: t.integer().notNull(),
    expiresAt: t.bigint().notNull(),
    removed: t.boolean().notNull(),
    appointedAt: t.bigint().notNull(),
    updatedAt: t.bigint().notNull(),
  }),
  (table) => ({
    pk: primaryKey({ columns: [table.patient, table.delegate] }),
    byDelegate: index().on(table.delegate),
  }),
);

/** Record versions: status 1 current, 2 superseded, 3 entered in error, 4 erased; `version` counts from 1 in a chain of amendments. */
export const record = onchainTable(
  "record",
  (t) => ({
    recordId: t.hex().primaryKey(),
    patient: t.hex().notNull(),
    author: t.hex().notNull(),
    /** keccak256 of the encrypted envelope: the blob store's key (the id binds it to the patient). */
    contentHash: t.hex().notNull(),
    category: t.integer().notNull(),
    supersedes: t.hex(),
    supersededBy: t.hex(),
    rootId: t.hex().notNull(),
    version: t.integer().notNull(),
    status: t.integer().notNull(),
    anchoredAt: t.bigint().notNull(),
    block: t.bigint().notNull(),
  }),
  (table) => ({ byPatient: index().on(table.patient, table.block) }),
);

/**
 * The audit trail: one row per audited event (action 0 RecordOpened, 1 BreakGlassDeclared, 2 BreakGlassReviewed,
 * 3 RecordErased),
 * with the actor's organisation and role at that time, the record's category, the entry hash and the heads after it.
 */
export const auditEntry = onchainTable(
  "audit_entry",
  (t) => ({
    seq: t.bigint().primaryKey(),
    action: t.integer().notNull(),
    patient: t.hex().notNull(),
    actor: t.hex().notNull(),
    actorOrg: t.integer().notNull(),
    actorRole: t.integer().notNull(),
    recordId: t.hex(),
    category: t.integer(),
    purpose: t.integer(),
    path: t.integer(),
    flagged: t.boolean().notNull(),
    incidentId: t.bigint(),
    verdict: t.integer(),
    detailHash: t.hex(),
    time: t.bigint().notNull(),
    expiresAt: t.bigint(),
    block: t.bigint().notNull(),
    logIndex: t.integer().notNull(),
    txHash: t.hex().notNull(),
    entryHash: t.hex().notNull(),
    globalHead: t.hex().notNull(),
    patientHead: t.hex().notNull(),
  }),
  (table) => ({
    byPatient: index().on(table.patient, table.seq),
    byActorOrg: index().on(table.actorOrg, table.time),
    byTime: index().on(table.time),
  }),
);

/** Running audit heads: `id` is "global" or a patient address. */
export const auditHead = onchainTable("audit_head", (t) => ({
  id: t.text().primaryKey(),
  head: t.hex().notNull(),
  entries: t.bigint().notNull(),
}));

/** Break-glass incidents and their review (verdict 0 pending, 1 justified, 2 unjustified). */
export const incident = onchainTable(
  "incident",
  (t) => ({
    incidentId: t.bigint().primaryKey(),
    patient: t.hex().notNull(),
    responder: t.hex().notNull(),
    responderOrg: t.integer().notNull(),
    justificationHash: t.hex().notNull(),
    openedAt: t.bigint().notNull(),
    expiresAt: t.bigint().notNull(),
    closedAt: t.bigint(),
    flaggedOpens: t.integer().notNull(),
    verdict: t.integer().notNull(),
    auditor: t.hex(),
    notesHash: t.hex(),
    reviewedAt: t.bigint(),
  }),
  (table) => ({ byVerdict: index().on(table.verdict), byPatient: index().on(table.patient) }),
);

/** Role policies as governance last set them. */
export const rolePolicy = onchainTable("role_policy", (t) => ({
  role: t.integer().primaryKey(),
  read: t.integer().notNull(),
  write: t.integer().notNull(),
  emergencyRead: t.integer().notNull(),
  admin: t.hex().notNull(),
  block: t.bigint().notNull(),
}));

/** Every other event (governance, pause, access-control roles, settings), decoded args as JSON. */
export const governanceEvent = onchainTable("governance_event", (t) => ({
  id: t.text().primaryKey(),
  name: t.text().notNull(),
  args: t.json().notNull(),
  block: t.bigint().notNull(),
  logIndex: t.integer().notNull(),
  txHash: t.hex().notNull(),
}));
