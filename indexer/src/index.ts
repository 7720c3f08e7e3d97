/**
 * Event handlers, one entry per CareLedger event in the tables below. Audited events also fold into the
 * running audit heads exactly as contracts/core/AuditTrail.sol does (the entry hash and fold come from
 * src/sdk/audit.ts, the same code the SDK verifies exported trails with).
 */
import { ponder, type Context, type Event, type EventNames } from "ponder:registry";
import {
  auditEntry,
  auditHead,
  consent,
  consentEvent,
  consentRelay,
  delegation,
  governanceEvent,
  incident,
  member,
  organization,
  record,
  rolePolicy,
} from "ponder:schema";
import { zeroHash, type Hex } from "viem";
import { auditEntryHash, foldAuditHead, type AuditEvent } from "../../src/sdk/audit.js";
import { AuditAction, RecordStatus } from "../../src/sdk/constants.js";

type Name = EventNames extends `CareLedger:${infer N}` ? N : never;
type Args<N extends Name> = {
  event: Event<`CareLedger:${N}`>;
  context: Context<`CareLedger:${N}`>;
};
type Handler<N extends Name> = (args: Args<N>) => Promise<void>;

/** The store every handler writes through (the same for every event). */
type Store = { db: Context<"CareLedger:RecordOpened">["db"] };

const lower = (value: string): Hex => value.toLowerCase() as Hex;

/** Order key of a log within the chain: block then log index. */
function where(event: {
  block: { number: bigint; timestamp: bigint };
  log: { logIndex: number };
  transaction: { hash: Hex };
}) {
  return {
    block: event.block.number,
    logIndex: event.log.logIndex,
    timestamp: event.block.timestamp,
    txHash: event.transaction.hash,
  };
}

/** Fold one audited event into the global and patient heads and append it to the trail. */
async function appendAudit(
  context: Store,
  event: Event,
  audited: AuditEvent,
  row: {
    actor: Hex;
    recordId?: Hex;
    category?: number;
    purpose?: number;
    path?: number;
    flagged: boolean;
    incidentId?: bigint;
    verdict?: number;
    detailHash?: Hex;
    time: bigint;
    expiresAt?: bigint;
  },
): Promise<void> {
  const patient = lower(audited.patient);
  const entryHash = auditEntryHash(audited) as Hex;
  const globalRow = await context.db.find(auditHead, { id: "global" });
  const patientRow = await context.db.find(auditHead, { id: patient });
  const globalHead = foldAuditHead(globalRow?.head ?? zeroHash, entryHash) as Hex;
  const patientHead = foldAuditHead(patientRow?.head ?? zeroHash, entryHash) as Hex;
  const seq = (globalRow?.entries ?? 0n) + 1n;
  await context.db
    .insert(auditHead)
    .values({ id: "global", head: globalHead, entries: seq })
    .onConflictDoUpdate({ head: globalHead, entries: seq });
  await context.db
    .insert(auditHead)
    .values({ id: patient, head: patientHead, entries: 1n })
    .onConflictDoUpdate((r) => ({ head: patientHead, entries: r.entries + 1n }));
  const actor = await context.db.find(member, { account: row.actor });
  const { timestamp: _timestamp, ...at } = where(event as never);
  await context.db.insert(auditEntry).values({
    seq,
    action: AuditAction[audited.action],
    patient,
    actorOrg: actor?.orgId ?? 0,
    actorRole: actor?.role ?? 0,
    ...row,
    ...at,
    entryHash,
    globalHead,
    patientHead,
  });
}

/** Write one consent event to the history and apply it to the current grant. */
async function consentChange(
  context: Store,
  event: Event,
  kind: "granted" | "narrowed" | "extended" | "revoked",
  args: {
    patient: Hex;
    grantee: Hex;
    actor: Hex;
    categories?: number;
    purposes?: number;
    expiresAt?: number;
  },
): Promise<void> {
  const at = where(event as never);
  const patient = lower(args.patient);
  const grantee = lower(args.grantee);
  await context.db.insert(consentEvent).values({
    id: event.id,
    kind,
    patient,
    grantee,
    actor: lower(args.actor),
    categories: args.categories ?? null,
    purposes: args.purposes ?? null,
    expiresAt: args.expiresAt === undefined ? null : BigInt(args.expiresAt),
    ...at,
  });
  const key = { patient, grantee };
  if (kind === "granted") {
    const values = {
      categories: args.categories ?? 0,
      purposes: args.purposes ?? 0,
      expiresAt: BigInt(args.expiresAt ?? 0),
      revoked: false,
      grantedAt: at.timestamp,
      updatedAt: at.timestamp,
      lastActor: lower(args.actor),
    };
    await context.db
      .insert(consent)
      .values({ ...key, ...values })
      .onConflictDoUpdate(values);
    return;
  }
  const patch =
    kind === "narrowed"
      ? { categories: args.categories ?? 0, purposes: args.purposes ?? 0 }
      : kind === "extended"
        ? { expiresAt: BigInt(args.expiresAt ?? 0) }
        : { revoked: true };
  await context.db
    .update(consent, key)
    .set({ ...patch, updatedAt: at.timestamp, lastActor: lower(args.actor) });
}

const handlers: { [N in Name]?: Handler<N> } = {
  OrganizationRegistered: async ({ event, context }) => {
    const at = event.block.timestamp;
    await context.db.insert(organization).values({
      orgId: event.args.orgId,
      active: true,
      registrar: lower(event.args.registrar),
      registeredAt: at,
      updatedAt: at,
    });
  },
  OrganizationStatusChanged: async ({ event, context }) => {
    await context.db
      .update(organization, { orgId: event.args.orgId })
      .set({ active: event.args.active, updatedAt: event.block.timestamp });
  },
  MemberOnboarded: async ({ event, context }) => {
    const at = event.block.timestamp;
    await context.db.insert(member).values({
      account: lower(event.args.account),
      memberId: event.args.memberId,
      role: event.args.role,
      orgId: event.args.orgId,
      active: true,
      encryptionKey: event.args.encryptionKey,
      onboardedAt: at,
      updatedAt: at,
    });
  },
  MemberStatusChanged: async ({ event, context }) => {
    await context.db
      .update(member, { account: lower(event.args.account) })
      .set({ active: event.args.active, updatedAt: event.block.timestamp });
  },
  MemberRoleChanged: async ({ event, context }) => {
    await context.db
      .update(member, { account: lower(event.args.account) })
      .set({ role: event.args.newRole, updatedAt: event.block.timestamp });
  },
  EncryptionKeyRotated: async ({ event, context }) => {
    await context.db
      .update(member, { account: lower(event.args.account) })
      .set({ encryptionKey: event.args.encryptionKey, updatedAt: event.block.timestamp });
  },
  RolePolicySet: async ({ event, context }) => {
    const values = {
      read: event.args.read,
      write: event.args.write,
      emergencyRead: event.args.emergencyRead,
      admin: lower(event.args.admin),
      block: event.block.number,
    };
    await context.db
      .insert(rolePolicy)
      .values({ role: event.args.role, ...values })
      .onConflictDoUpdate(values);
  },
  ConsentGranted: ({ event, context }) => consentChange(context, event, "granted", event.args),
  ConsentNarrowed: ({ event, context }) => consentChange(context, event, "narrowed", event.args),
  ConsentExtended: ({ event, context }) => consentChange(context, event, "extended", event.args),
  ConsentRevoked: ({ event, context }) => consentChange(context, event, "revoked", event.args),
  ConsentRelayed: async ({ event, context }) => {
    const { patient, signer, relayer, nonce } = event.args;
    await context.db.insert(consentRelay).values({
      id: event.id,
      kind: "relayed",
      patient: lower(patient),
      signer: lower(signer),
      relayer: lower(relayer),
      nonce,
      block: event.block.number,
      txHash: event.transaction.hash,
    });
  },
  NonceInvalidated: async ({ event, context }) => {
    const { patient, actor, nonce } = event.args;
    await context.db.insert(consentRelay).values({
      id: event.id,
      kind: "invalidated",
      patient: lower(patient),
      signer: lower(actor),
      relayer: null,
      nonce,
      block: event.block.number,
      txHash: event.transaction.hash,
    });
  },
  DelegateAppointed: async ({ event, context }) => {
    const at = event.block.timestamp;
    const values = {
      scope: event.args.scope,
      expiresAt: BigInt(event.args.expiresAt),
      removed: false,
      updatedAt: at,
    };
    await context.db
      .insert(delegation)
      .values({
        patient: lower(event.args.patient),
        delegate: lower(event.args.delegate),
        appointedAt: at,
        ...values,
      })
      .onConflictDoUpdate({ ...values, appointedAt: at });
  },
  DelegateRemoved: async ({ event, context }) => {
    await context.db
      .update(delegation, {
        patient: lower(event.args.patient),
        delegate: lower(event.args.delegate),
      })
      .set({ removed: true, updatedAt: event.block.timestamp });
  },
  RecordAnchored: async ({ event, context }) => {
    const { recordId, patient, author, contentHash, category, supersedes } = event.args;
    const previous =
      supersedes === zeroHash ? null : await context.db.find(record, { recordId: supersedes });
    // A patient's version of a record someone else authored is linked to the original, which stays
    // current (RecordRegistry.amendRecord); any other amendment supersedes it.
    const linked =
      previous !== null && lower(author) === lower(patient) && previous.author !== lower(author);
    if (previous !== null && !linked) {
      await context.db
        .update(record, { recordId: supersedes })
        .set({ status: 2, supersededBy: recordId });
    }
    await context.db.insert(record).values({
      recordId,
      patient: lower(patient),
      author: lower(author),
      contentHash,
      category,
      supersedes: supersedes === zeroHash ? null : supersedes,
      supersededBy: null,
      rootId: previous?.rootId ?? recordId,
      version: (previous?.version ?? 0) + 1,
      status: 1,
      anchoredAt: event.block.timestamp,
      block: event.block.number,
    });
  },
  RecordEnteredInError: async ({ event, context }) => {
    await context.db.update(record, { recordId: event.args.recordId }).set({ status: 3 });
  },
  RecordErased: async ({ event, context }) => {
    const { recordId, patient, erasedBy, erasedAt } = event.args;
    const erased = await context.db.find(record, { recordId });
    await context.db.update(record, { recordId }).set({ status: RecordStatus.Erased });
    await appendAudit(
      context,
      event,
      { action: "RecordErased", recordId, patient, erasedBy, erasedAt },
      {
        actor: lower(erasedBy),
        recordId,
        category: erased?.category ?? null,
        flagged: false,
        time: BigInt(erasedAt),
      } as never,
    );
  },
  RecordOpened: async ({ event, context }) => {
    const { recordId, patient, accessor, purpose, path, openedAt } = event.args;
    const opened = await context.db.find(record, { recordId });
    const flagged = path === 3;
    await appendAudit(
      context,
      event,
      {
        action: "RecordOpened",
        recordId,
        patient,
        accessor,
        purpose: purpose as never,
        path: path as never,
        openedAt,
      },
      {
        actor: lower(accessor),
        recordId,
        category: opened?.category ?? null,
        purpose,
        path,
        flagged,
        time: BigInt(openedAt),
      } as never,
    );
    if (flagged) {
      const window = await context.db.sql.query.incident.findFirst({
        where: (i, { and, eq }) =>
          and(eq(i.patient, lower(patient)), eq(i.responder, lower(accessor))),
        orderBy: (i, { desc }) => desc(i.incidentId),
      });
      if (window !== undefined) {
        await context.db
          .update(incident, { incidentId: window.incidentId })
          .set((r) => ({ flaggedOpens: r.flaggedOpens + 1 }));
      }
    }
  },
  BreakGlassDeclared: async ({ event, context }) => {
    const { incidentId, patient, responder, justificationHash, openedAt, expiresAt } = event.args;
    const by = await context.db.find(member, { account: lower(responder) });
    await context.db.insert(incident).values({
      incidentId,
      patient: lower(patient),
      responder: lower(responder),
      responderOrg: by?.orgId ?? 0,
      justificationHash,
      openedAt: BigInt(openedAt),
      expiresAt: BigInt(expiresAt),
      closedAt: null,
      flaggedOpens: 0,
      verdict: 0,
      auditor: null,
      notesHash: null,
      reviewedAt: null,
    });
    await appendAudit(
      context,
      event,
      {
        action: "BreakGlassDeclared",
        incidentId,
        patient,
        responder,
        justificationHash,
        openedAt,
        expiresAt,
      },
      {
        actor: lower(responder),
        flagged: true,
        incidentId,
        detailHash: justificationHash,
        time: BigInt(openedAt),
        expiresAt: BigInt(expiresAt),
      },
    );
  },
  BreakGlassReviewed: async ({ event, context }) => {
    const { incidentId, patient, auditor, verdict, notesHash, reviewedAt } = event.args;
    await context.db
      .update(incident, { incidentId })
      .set({ verdict, auditor: lower(auditor), notesHash, reviewedAt: BigInt(reviewedAt) });
    await appendAudit(
      context,
      event,
      {
        action: "BreakGlassReviewed",
        incidentId,
        patient,
        auditor,
        verdict: verdict as never,
        notesHash,
        reviewedAt,
      },
      {
        actor: lower(auditor),
        flagged: false,
        incidentId,
        verdict,
        detailHash: notesHash,
        time: BigInt(reviewedAt),
      },
    );
  },
  BreakGlassWindowClosed: async ({ event, context }) => {
    await context.db
      .update(incident, { incidentId: event.args.incidentId })
      .set({ closedAt: BigInt(event.args.closedAt) });
  },
};

/** Events kept as decoded JSON in `governance_event` (no table of their own). */
const GOVERNANCE_EVENTS = [
  "BreakGlassMaxDurationSet",
  "ErasePolicySet",
  "LimitsSet",
  "Paused",
  "Unpaused",
  "RoleGranted",
  "RoleRevoked",
  "RoleAdminChanged",
  "DefaultAdminTransferScheduled",
  "DefaultAdminTransferCanceled",
  "DefaultAdminDelayChangeScheduled",
  "DefaultAdminDelayChangeCanceled",
  "EIP712DomainChanged",
] as const satisfies readonly Name[];

const json = (args: unknown): unknown =>
  JSON.parse(
    JSON.stringify(args, (_key, value: unknown) =>
      typeof value === "bigint" ? value.toString() : value,
    ),
  );

for (const name of GOVERNANCE_EVENTS) {
  ponder.on(`CareLedger:${name}`, async ({ event, context }) => {
    await context.db.insert(governanceEvent).values({
      id: event.id,
      name,
      args: json(event.args ?? {}),
      block: event.block.number,
      logIndex: event.log.logIndex,
      txHash: event.transaction.hash,
    });
  });
}

for (const name of Object.keys(handlers) as Name[]) {
  ponder.on(`CareLedger:${name}`, handlers[name] as never);
}
