/**
 * The queries a user interface asks, typed: from the indexer (`indexer/`, its `/careledger/*` routes) when
 * an indexer URL is configured, else from a log scan of the node (`eth_getLogs` with topic filters), which
 * answers the same but in time proportional to the chain's history.
 *
 *   const q = careLedgerQueries({ contract, indexerUrl: "http://127.0.0.1:42069" });
 *   const opens = await q.whoOpenedMyRecords(patient);
 */
import type { Log, Provider } from "ethers";
import { getAddress, zeroPadValue } from "ethers";
import type { CareLedger } from "../../typechain-types/index.js";
import { CareLedgerError } from "../errors.js";
import { auditActor, auditTime, fetchAuditEntries, type AuditEntry } from "./audit.js";
import { AccessPath, AuditAction, RecordStatus } from "./constants.js";

/** An indexer or log-scan query failed (unreachable indexer, bad answer, bad argument). */
export class IndexerQueryError extends CareLedgerError {
  override readonly name = "IndexerQueryError";
  /** HTTP status of the indexer's answer, when there was one. */
  readonly status: number | undefined;
  constructor(
    message: string,
    options: { readonly cause?: unknown; readonly status?: number } = {},
  ) {
    super(message, "INDEXER_QUERY", options);
    this.status = options.status;
  }
}

/** A grant as it stands: `live`, `expired` (at the time asked) or `revoked`. */
export interface GrantView {
  readonly patient: string;
  readonly grantee: string;
  readonly categories: number;
  readonly purposes: number;
  readonly expiresAt: number;
  readonly status: "live" | "expired" | "revoked";
}

/** A record version. `status`: 1 current, 2 superseded, 3 entered in error, 4 erased. */
export interface RecordView {
  readonly recordId: string;
  readonly patient: string;
  readonly author: string;
  /** keccak256 of the encrypted envelope: the blob store's key. */
  readonly contentHash: string;
  readonly category: number;
  readonly supersedes: string | null;
  readonly status: number;
}

/** One audit entry with who acted (organisation and role at the time it was indexed or read). */
export interface AuditEntryView {
  /** Position in the global trail, from 1 (indexer) or in the scanned range (log scan). */
  readonly seq: number;
  /** 0 RecordOpened, 1 BreakGlassDeclared, 2 BreakGlassReviewed, 3 RecordErased. */
  readonly action: number;
  readonly patient: string;
  readonly actor: string;
  readonly actorOrg: number;
  readonly actorRole: number;
  readonly recordId: string | null;
  readonly category: number | null;
  readonly purpose: number | null;
  readonly path: number | null;
  readonly flagged: boolean;
  readonly incidentId: string | null;
  readonly time: number;
  readonly block: number;
  readonly txHash: string;
}

/** A break-glass incident; `verdict` 0 pending, 1 justified, 2 unjustified. */
export interface IncidentView {
  readonly incidentId: string;
  readonly patient: string;
  readonly responder: string;
  readonly openedAt: number;
  readonly expiresAt: number;
  readonly verdict: number;
}

/** Filters of {@link CareLedgerQueries.auditTrail}; times in unix seconds, inclusive. */
export interface AuditTrailFilter {
  readonly patient?: string;
  /** Entries whose actor belongs to this organisation. */
  readonly org?: number;
  readonly from?: number;
  readonly to?: number;
  /** Paging: entries after this `seq`. */
  readonly after?: number;
  /** Page size, 1..1000 (default 100). */
  readonly limit?: number;
}

/** A page of the trail; `next` is the `after` of the next page, null at the end. */
export interface AuditPage {
  readonly entries: readonly AuditEntryView[];
  readonly next: number | null;
}

/** The typed queries, the same whichever the source. */
export interface CareLedgerQueries {
  readonly source: "indexer" | "logs";
  /** Patient: my grants (`at`: the time to judge expiry, default now). */
  grantsOf(patient: string, at?: number): Promise<GrantView[]>;
  /** Patient: my records, every version. */
  recordsOf(patient: string): Promise<RecordView[]>;
  /** Patient: who opened my records, newest first. */
  whoOpenedMyRecords(patient: string, limit?: number): Promise<AuditEntryView[]>;
  /** Clinician: patients with a live grant to `grantee`, optionally covering `category`. */
  patientsOfGrantee(grantee: string, category?: number, at?: number): Promise<GrantView[]>;
  /** Auditor: break-glass incidents not yet reviewed. */
  pendingBreakGlassReviews(): Promise<IncidentView[]>;
  /** Auditor: the trail, per patient or organisation, in a time range, paged. */
  auditTrail(filter?: AuditTrailFilter): Promise<AuditPage>;
}

/** Options of {@link careLedgerQueries}. */
export interface CareLedgerQueriesOptions {
  /** The contract, connected to a provider (the log scan and member lookups use it). */
  readonly contract: CareLedger;
  /** Base URL of the indexer; without it, queries scan the node's logs. */
  readonly indexerUrl?: string;
  /** First block of the log scan (the deployment block). Default 0. */
  readonly fromBlock?: number;
  /** `fetch` to use (tests, browsers with a custom one). Default the global `fetch`. */
  readonly fetch?: typeof fetch;
}

const nowSeconds = () => Math.floor(Date.now() / 1000);

function address(value: string, field: string): string {
  try {
    return getAddress(value);
  } catch (cause) {
    throw new IndexerQueryError(`${field} ${value} is not an address`, { cause });
  }
}

/** The queries from the indexer when `indexerUrl` is set, else from the node's logs. */
export function careLedgerQueries(options: CareLedgerQueriesOptions): CareLedgerQueries {
  return options.indexerUrl === undefined || options.indexerUrl === ""
    ? logScanQueries(options)
    : indexerQueries(options.indexerUrl, options.fetch ?? fetch);
}

function indexerQueries(baseUrl: string, fetchFn: typeof fetch): CareLedgerQueries {
  const base = baseUrl.replace(/\/+$/, "");
  const get = async <T>(route: string): Promise<T> => {
    let response: Response;
    try {
      response = await fetchFn(`${base}${route}`);
    } catch (cause) {
      throw new IndexerQueryError(`indexer at ${base} unreachable`, { cause });
    }
    const text = await response.text();
    if (!response.ok) {
      throw new IndexerQueryError(
        `indexer answered ${response.status} to ${route}: ${text.slice(0, 200)}`,
        {
          status: response.status,
        },
      );
    }
    return JSON.parse(text) as T;
  };
  const lower = (value: string, field: string) => address(value, field).toLowerCase();
  const query = (params: Record<string, string | number | undefined>) => {
    const entries = Object.entries(params).filter(([, v]) => v !== undefined) as [
      string,
      string | number,
    ][];
    return entries.length === 0
      ? ""
      : `?${entries.map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join("&")}`;
  };
  return {
    source: "indexer",
    grantsOf: async (patient, at) =>
      (
        await get<{ grants: GrantView[] }>(
          `/careledger/patients/${lower(patient, "patient")}/grants${query({ at })}`,
        )
      ).grants,
    recordsOf: async (patient) =>
      (
        await get<{ records: RecordView[] }>(
          `/careledger/patients/${lower(patient, "patient")}/records`,
        )
      ).records,
    whoOpenedMyRecords: async (patient, limit = 100) =>
      (
        await get<{ opens: AuditEntryView[] }>(
          `/careledger/patients/${lower(patient, "patient")}/opens${query({ limit })}`,
        )
      ).opens,
    patientsOfGrantee: async (grantee, category, at) =>
      (
        await get<{ patients: GrantView[] }>(
          `/careledger/grantees/${lower(grantee, "grantee")}/patients${query({ category, at })}`,
        )
      ).patients,
    pendingBreakGlassReviews: async () =>
      (await get<{ incidents: IncidentView[] }>("/careledger/incidents?pending=1")).incidents,
    auditTrail: async (filter = {}) =>
      get<AuditPage>(
        `/careledger/audit${query({ ...filter, patient: filter.patient === undefined ? undefined : lower(filter.patient, "patient") })}`,
      ),
  };
}

function providerOf(contract: CareLedger): Provider {
  const provider = contract.runner?.provider;
  if (provider === null || provider === undefined) {
    throw new IndexerQueryError("the CareLedger contract is not connected to a provider");
  }
  return provider;
}

function logScanQueries(options: CareLedgerQueriesOptions): CareLedgerQueries {
  const { contract } = options;
  const fromBlock = options.fromBlock ?? 0;
  const iface = contract.interface;
  const topic = (value: string) => zeroPadValue(value, 32);
  const scan = async (
    names: readonly Parameters<typeof iface.getEvent>[0][],
    filter: (string | null)[],
  ): Promise<Log[]> => {
    const provider = providerOf(contract);
    const toBlock = await provider.getBlockNumber();
    const topics = [names.map((n) => iface.getEvent(n).topicHash), ...filter];
    const logs: Log[] = [];
    for (let start = fromBlock; start <= toBlock; start += 5_000) {
      logs.push(
        ...(await provider.getLogs({
          address: await contract.getAddress(),
          topics,
          fromBlock: start,
          toBlock: Math.min(toBlock, start + 4_999),
        })),
      );
    }
    return logs.sort((a, b) => a.blockNumber - b.blockNumber || a.index - b.index);
  };
  const members = new Map<string, Promise<{ orgId: number; role: number }>>();
  const memberOf = (account: string) => {
    let found = members.get(account);
    if (found === undefined) {
      found = contract
        .memberOf(account)
        .then(([m]) => ({ orgId: Number(m.orgId), role: Number(m.role) }));
      members.set(account, found);
    }
    return found;
  };
  const categories = new Map<string, Promise<number>>();
  const categoryOf = (recordId: string) => {
    let found = categories.get(recordId);
    if (found === undefined) {
      found = contract.recordOf(recordId).then(([r]) => Number(r.category));
      categories.set(recordId, found);
    }
    return found;
  };
  const view = async (entry: AuditEntry, seq: number): Promise<AuditEntryView> => {
    const actor = auditActor(entry);
    const who = await memberOf(actor);
    const opened = entry.action === "RecordOpened";
    const onRecord = opened || entry.action === "RecordErased";
    return {
      seq,
      action: AuditAction[entry.action],
      patient: entry.patient.toLowerCase(),
      actor: actor.toLowerCase(),
      actorOrg: who.orgId,
      actorRole: who.role,
      recordId: onRecord ? entry.recordId : null,
      category: onRecord ? await categoryOf(entry.recordId) : null,
      purpose: opened ? entry.purpose : null,
      path: opened ? entry.path : null,
      flagged:
        entry.action === "BreakGlassDeclared" || (opened && entry.path === AccessPath.BreakGlass),
      incidentId: onRecord ? null : entry.incidentId.toString(),
      time: auditTime(entry),
      block: entry.blockNumber,
      txHash: entry.transactionHash,
    };
  };
  /** Fold consent logs into the current grant per (patient, grantee). */
  const foldGrants = (logs: readonly Log[], at: number): GrantView[] => {
    const grants = new Map<
      string,
      {
        patient: string;
        grantee: string;
        categories: number;
        purposes: number;
        expiresAt: number;
        revoked: boolean;
      }
    >();
    for (const log of logs) {
      const parsed = iface.parseLog(log)!;
      const patient = String(parsed.args.getValue("patient")).toLowerCase();
      const grantee = String(parsed.args.getValue("grantee")).toLowerCase();
      const k = `${patient}:${grantee}`;
      const current = grants.get(k);
      switch (parsed.name) {
        case "ConsentGranted":
          grants.set(k, {
            patient,
            grantee,
            categories: Number(parsed.args.getValue("categories")),
            purposes: Number(parsed.args.getValue("purposes")),
            expiresAt: Number(parsed.args.getValue("expiresAt")),
            revoked: false,
          });
          break;
        case "ConsentNarrowed":
          if (current !== undefined) {
            current.categories = Number(parsed.args.getValue("categories"));
            current.purposes = Number(parsed.args.getValue("purposes"));
          }
          break;
        case "ConsentExtended":
          if (current !== undefined) current.expiresAt = Number(parsed.args.getValue("expiresAt"));
          break;
        case "ConsentRevoked":
          if (current !== undefined) current.revoked = true;
          break;
      }
    }
    return [...grants.values()].map(({ revoked, ...g }) => ({
      ...g,
      status: revoked ? "revoked" : g.expiresAt > at ? "live" : "expired",
    }));
  };
  const CONSENT_EVENTS = [
    "ConsentGranted",
    "ConsentNarrowed",
    "ConsentExtended",
    "ConsentRevoked",
  ] as const;
  const trail = async (patient: string | undefined) =>
    (
      await fetchAuditEntries(contract, {
        fromBlock,
        ...(patient === undefined ? {} : { patient }),
      })
    ).map((e, i) => view(e, i + 1));
  return {
    source: "logs",
    grantsOf: async (patient, at = nowSeconds()) =>
      foldGrants(await scan(CONSENT_EVENTS, [topic(address(patient, "patient"))]), at).sort(
        (a, b) => a.grantee.localeCompare(b.grantee),
      ),
    recordsOf: async (patient) => {
      const logs = await scan(
        ["RecordAnchored", "RecordEnteredInError", "RecordErased"],
        [null, topic(address(patient, "patient"))],
      );
      const records = new Map<string, RecordView>();
      for (const log of logs) {
        const parsed = iface.parseLog(log)!;
        const recordId = String(parsed.args.getValue("recordId"));
        if (parsed.name === "RecordEnteredInError" || parsed.name === "RecordErased") {
          const r = records.get(recordId);
          const status =
            parsed.name === "RecordErased" ? RecordStatus.Erased : RecordStatus.EnteredInError;
          if (r !== undefined) records.set(recordId, { ...r, status });
          continue;
        }
        const supersedes = String(parsed.args.getValue("supersedes"));
        const previous = records.get(supersedes);
        const patient = String(parsed.args.getValue("patient")).toLowerCase();
        const author = String(parsed.args.getValue("author")).toLowerCase();
        // A patient's version of someone else's record is linked; the original stays current.
        const linked = previous !== undefined && author === patient && previous.author !== author;
        if (previous !== undefined && !linked) records.set(supersedes, { ...previous, status: 2 });
        records.set(recordId, {
          recordId,
          patient,
          author,
          contentHash: String(parsed.args.getValue("contentHash")),
          category: Number(parsed.args.getValue("category")),
          supersedes: /^0x0+$/.test(supersedes) ? null : supersedes,
          status: 1,
        });
      }
      return [...records.values()];
    },
    whoOpenedMyRecords: async (patient, limit = 100) => {
      const entries = await fetchAuditEntries(contract, {
        fromBlock,
        patient: address(patient, "patient"),
      });
      const opens = entries
        .filter((e) => e.action === "RecordOpened")
        .reverse()
        .slice(0, limit);
      return Promise.all(opens.map((e, i) => view(e, entries.length - i)));
    },
    patientsOfGrantee: async (grantee, category, at = nowSeconds()) =>
      foldGrants(await scan(CONSENT_EVENTS, [null, topic(address(grantee, "grantee"))]), at)
        .filter(
          (g) =>
            g.status === "live" &&
            (category === undefined || (g.categories & (1 << category)) !== 0),
        )
        .sort((a, b) => a.patient.localeCompare(b.patient)),
    pendingBreakGlassReviews: async () => {
      const logs = await scan(["BreakGlassDeclared", "BreakGlassReviewed"], []);
      const incidents = new Map<string, IncidentView>();
      for (const log of logs) {
        const parsed = iface.parseLog(log)!;
        const incidentId = String(parsed.args.getValue("incidentId"));
        if (parsed.name === "BreakGlassReviewed") incidents.delete(incidentId);
        else
          incidents.set(incidentId, {
            incidentId,
            patient: String(parsed.args.getValue("patient")).toLowerCase(),
            responder: String(parsed.args.getValue("responder")).toLowerCase(),
            openedAt: Number(parsed.args.getValue("openedAt")),
            expiresAt: Number(parsed.args.getValue("expiresAt")),
            verdict: 0,
          });
      }
      return [...incidents.values()];
    },
    auditTrail: async (filter = {}) => {
      const limit = filter.limit ?? 100;
      if (!Number.isInteger(limit) || limit < 1 || limit > 1_000)
        throw new IndexerQueryError(`limit ${limit} must be in [1, 1000]`);
      const views = await Promise.all(
        await trail(filter.patient === undefined ? undefined : address(filter.patient, "patient")),
      );
      const matching = views.filter(
        (e) =>
          (filter.org === undefined || e.actorOrg === filter.org) &&
          (filter.from === undefined || e.time >= filter.from) &&
          (filter.to === undefined || e.time <= filter.to) &&
          (filter.after === undefined || e.seq > filter.after),
      );
      const entries = matching.slice(0, limit);
      return {
        entries,
        next:
          entries.length === limit && matching.length > limit
            ? entries[entries.length - 1]!.seq
            : null,
      };
    },
  };
}
