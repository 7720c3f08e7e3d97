/**
 * HTTP API of the indexer, beside Ponder's own `/health`, `/ready`, `/status`, `/metrics`:
 *   /graphql, /sql/*                      Ponder's GraphQL and SQL-over-HTTP on every table
 *   /careledger/health                    indexed block, chain head, lag in blocks
 *   /careledger/heads?patient=0x…         indexed and recomputed audit heads against the chain's at the indexed block
 *   /careledger/patients/:p/grants        current grants with status live | expired | revoked (?at=unix seconds)
 *   /careledger/patients/:p/grants/history
 *   /careledger/patients/:p/records       record versions
 *   /careledger/patients/:p/opens         who opened the patient's records (?limit, ?before=seq)
 *   /careledger/grantees/:g/patients      patients with a live grant to :g (?category=index)
 *   /careledger/incidents                 break-glass incidents (?pending=1)
 *   /careledger/audit                     the trail (?patient, ?org, ?from, ?to unix seconds, ?after=seq, ?limit)
 * Bad input answers 400 with { error, field }.
 */
import { Hono, type Context } from "hono";
import { and, asc, client, desc, eq, graphql, gt, gte, lt, lte, sql } from "ponder";
import { db, publicClients } from "ponder:api";
import schema from "ponder:schema";
import { zeroHash, type Hex } from "viem";
import { CareLedgerAbi } from "../../abis/CareLedgerAbi";
import config from "../../ponder.config";
import { foldAuditHead } from "../../../src/sdk/audit.js";

const app = new Hono();
app.use("/sql/*", client({ db, schema }));
app.use("/graphql", graphql({ db, schema }));

const chain = publicClients.careledger;
const address = config.contracts.CareLedger.address;
const MAX_LIMIT = 1_000;
const NODE_TIMEOUT_MS = 2_000;

class BadRequest extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

/** JSON with bigints as numbers when safe, decimal strings otherwise. */
function send(c: Context, body: unknown): Response {
  const text = JSON.stringify(body, (_key, value: unknown) =>
    typeof value === "bigint"
      ? value <= BigInt(Number.MAX_SAFE_INTEGER)
        ? Number(value)
        : value.toString()
      : value,
  );
  return c.body(text, 200, { "content-type": "application/json" });
}

function addressParam(value: string | undefined, field: string): Hex {
  if (value === undefined || !/^0x[0-9a-fA-F]{40}$/.test(value))
    throw new BadRequest(field, `${field} must be a 0x address`);
  return value.toLowerCase() as Hex;
}

function intParam(c: Context, field: string, min: number, max: number): number | undefined {
  const raw = c.req.query(field);
  if (raw === undefined || raw === "") return undefined;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new BadRequest(field, `${field}=${raw} must be an integer in [${min}, ${max}]`);
  }
  return value;
}

const limitOf = (c: Context) => intParam(c, "limit", 1, MAX_LIMIT) ?? 100;
const nowOf = (c: Context) =>
  BigInt(intParam(c, "at", 0, 2 ** 40) ?? Math.floor(Date.now() / 1000));

/** The block the index has processed, from Ponder's checkpoint (blockNumber is digits 27..42 of it). */
async function indexedBlock(): Promise<number | undefined> {
  const result = await db.execute(sql`SELECT latest_checkpoint FROM _ponder_checkpoint LIMIT 1`);
  const rows = (Array.isArray(result) ? result : (result as { rows: unknown[] }).rows) as {
    latest_checkpoint: string;
  }[];
  const checkpoint = rows[0]?.latest_checkpoint;
  return checkpoint === undefined ? undefined : Number(checkpoint.slice(26, 42));
}

app.get("/careledger/health", async (c) => {
  const block = await indexedBlock();
  let chainHead: number;
  try {
    // Ponder's transport retries a down node for minutes; the health check answers within NODE_TIMEOUT_MS.
    const timeout = new Promise<never>((_, reject) =>
      setTimeout(
        () => reject(new Error(`no answer within ${NODE_TIMEOUT_MS} ms`)),
        NODE_TIMEOUT_MS,
      ).unref(),
    );
    chainHead = Number(await Promise.race([chain.getBlockNumber({ cacheTime: 0 }), timeout]));
  } catch (error) {
    const reason = error instanceof Error ? error.message.split("\n")[0] : String(error);
    return c.json(
      {
        indexedBlock: block ?? null,
        chainHead: null,
        lagBlocks: null,
        error: `node unreachable: ${reason}`,
      },
      503,
    );
  }
  const lagBlocks = block === undefined ? chainHead : Math.max(0, chainHead - block);
  return send(c, {
    indexedBlock: block ?? null,
    chainHead,
    lagBlocks,
    chainId: chain.chain?.id ?? null,
    address,
  });
});

app.get("/careledger/heads", async (c) => {
  const patientRaw = c.req.query("patient");
  const patient = patientRaw === undefined ? undefined : addressParam(patientRaw, "patient");
  const block = await indexedBlock();
  if (block === undefined) return c.json({ error: "nothing indexed yet", field: null }, 503);
  const blockNumber = BigInt(block);
  const compare = async (
    id: string,
    onChain: Promise<Hex>,
    filter: ReturnType<typeof eq> | undefined,
  ) => {
    const row = await db.query.auditHead.findFirst({ where: eq(schema.auditHead.id, id) });
    const rows = await db
      .select({ seq: schema.auditEntry.seq, entryHash: schema.auditEntry.entryHash })
      .from(schema.auditEntry)
      .where(filter)
      .orderBy(asc(schema.auditEntry.seq));
    const recomputed = rows.reduce<string>((head, r) => foldAuditHead(head, r.entryHash), zeroHash);
    const chainHead = await onChain;
    const indexed = row?.head ?? zeroHash;
    return {
      onChain: chainHead,
      indexed,
      recomputed,
      entries: rows.length,
      matches: indexed === chainHead && recomputed === chainHead,
    };
  };
  const global = await compare(
    "global",
    chain.readContract({ address, abi: CareLedgerAbi, functionName: "auditHead", blockNumber }),
    undefined,
  );
  const forPatient =
    patient === undefined
      ? undefined
      : await compare(
          patient,
          chain.readContract({
            address,
            abi: CareLedgerAbi,
            functionName: "patientAuditHead",
            args: [patient],
            blockNumber,
          }),
          eq(schema.auditEntry.patient, patient),
        );
  const matches = global.matches && (forPatient?.matches ?? true);
  return send(c, {
    block,
    global,
    patient: forPatient ?? null,
    matches,
    lostEvents: !matches,
  });
});

function grantStatus(
  row: { revoked: boolean; expiresAt: bigint },
  now: bigint,
): "live" | "expired" | "revoked" {
  if (row.revoked) return "revoked";
  return row.expiresAt > now ? "live" : "expired";
}

app.get("/careledger/patients/:patient/grants", async (c) => {
  const patient = addressParam(c.req.param("patient"), "patient");
  const now = nowOf(c);
  const rows = await db
    .select()
    .from(schema.consent)
    .where(eq(schema.consent.patient, patient))
    .orderBy(asc(schema.consent.grantee));
  return send(c, {
    at: now,
    grants: rows.map((row) => ({ ...row, status: grantStatus(row, now) })),
  });
});

app.get("/careledger/patients/:patient/grants/history", async (c) => {
  const patient = addressParam(c.req.param("patient"), "patient");
  const rows = await db
    .select()
    .from(schema.consentEvent)
    .where(eq(schema.consentEvent.patient, patient))
    .orderBy(asc(schema.consentEvent.block), asc(schema.consentEvent.logIndex));
  return send(c, { events: rows });
});

app.get("/careledger/patients/:patient/records", async (c) => {
  const patient = addressParam(c.req.param("patient"), "patient");
  const rows = await db
    .select()
    .from(schema.record)
    .where(eq(schema.record.patient, patient))
    .orderBy(asc(schema.record.block));
  return send(c, { records: rows });
});

app.get("/careledger/patients/:patient/opens", async (c) => {
  const patient = addressParam(c.req.param("patient"), "patient");
  const before = intParam(c, "before", 1, Number.MAX_SAFE_INTEGER);
  const limit = limitOf(c);
  const t = schema.auditEntry;
  const rows = await db
    .select()
    .from(t)
    .where(
      and(
        eq(t.patient, patient),
        eq(t.action, 0),
        before === undefined ? undefined : lt(t.seq, BigInt(before)),
      ),
    )
    .orderBy(desc(t.seq))
    .limit(limit);
  return send(c, {
    opens: rows,
    next: rows.length === limit ? (rows[rows.length - 1]?.seq ?? null) : null,
  });
});

app.get("/careledger/grantees/:grantee/patients", async (c) => {
  const grantee = addressParam(c.req.param("grantee"), "grantee");
  const category = intParam(c, "category", 0, 15);
  const now = nowOf(c);
  const t = schema.consent;
  const rows = await db
    .select()
    .from(t)
    .where(
      and(
        eq(t.grantee, grantee),
        eq(t.revoked, false),
        gt(t.expiresAt, now),
        category === undefined ? undefined : sql`(${t.categories} & ${1 << category}) <> 0`,
      ),
    )
    .orderBy(asc(t.patient));
  return send(c, {
    at: now,
    patients: rows.map((row) => ({ ...row, status: grantStatus(row, now) })),
  });
});

app.get("/careledger/incidents", async (c) => {
  const pending = c.req.query("pending");
  if (pending !== undefined && pending !== "0" && pending !== "1")
    throw new BadRequest("pending", "pending must be 0 or 1");
  const t = schema.incident;
  const rows = await db
    .select()
    .from(t)
    .where(pending === "1" ? eq(t.verdict, 0) : undefined)
    .orderBy(asc(t.incidentId));
  return send(c, {
    incidents: rows.map((row) => ({ ...row, incidentId: row.incidentId.toString() })),
  });
});

app.get("/careledger/audit", async (c) => {
  const t = schema.auditEntry;
  const patientRaw = c.req.query("patient");
  const patient = patientRaw === undefined ? undefined : addressParam(patientRaw, "patient");
  const org = intParam(c, "org", 0, 2 ** 32 - 1);
  const from = intParam(c, "from", 0, 2 ** 40);
  const to = intParam(c, "to", 0, 2 ** 40);
  const after = intParam(c, "after", 0, Number.MAX_SAFE_INTEGER);
  const limit = limitOf(c);
  const byOrg = org === undefined ? undefined : eq(t.actorOrg, org);
  const rows = await db
    .select()
    .from(t)
    .where(
      and(
        patient === undefined ? undefined : eq(t.patient, patient),
        byOrg,
        from === undefined ? undefined : gte(t.time, BigInt(from)),
        to === undefined ? undefined : lte(t.time, BigInt(to)),
        after === undefined ? undefined : gt(t.seq, BigInt(after)),
      ),
    )
    .orderBy(asc(t.seq))
    .limit(limit);
  return send(c, {
    entries: rows.map((row) => ({ ...row, incidentId: row.incidentId?.toString() ?? null })),
    next: rows.length === limit ? (rows[rows.length - 1]?.seq ?? null) : null,
  });
});

app.onError((error, c) => {
  if (error instanceof BadRequest) return c.json({ error: error.message, field: error.field }, 400);
  throw error;
});

export default app;
