/**
 * The auditor client: read the audit trail and prove it complete and unedited (refold it and compare
 * with the heads on chain), list break-glass incidents awaiting review with the flagged opens they
 * led to, and record a verdict.
 */
import { getAddress } from "ethers";
import type {
  AuditEntry,
  AuditRangeOptions,
  AuditVerification,
  BreakGlassDeclaredEvent,
} from "../audit.js";
import { verifyAuditTrail } from "../audit.js";
import { AccessPath, ReviewVerdict } from "../constants.js";
import type { LedgerClientOptions, SentTransaction } from "./base.js";
import type { CallOptions } from "../transport.js";
import {
  bytes32Schema,
  callOptionsSchema,
  parseArgs,
  uint64Schema,
  verdictSchema,
} from "../validate.js";
import { LedgerClient, signerAddress } from "./base.js";

/**
 * A break-glass incident with what happened under it: the declared fields of its `BreakGlassDeclared`
 * event (`expiresAt` is the end of the window as declared), plus its outcome.
 */
export interface BreakGlassIncident extends Omit<BreakGlassDeclaredEvent, "action"> {
  /**
   * When the window actually ends: `expiresAt`, or earlier if an unjustified verdict closed it or a
   * later break-glass of the same responder on the same patient replaced it.
   */
  readonly closesAt: number;
  readonly verdict: ReviewVerdict;
  /** The window is still open at the latest block time. */
  readonly windowOpen: boolean;
  /** The responder's flagged `RecordOpened` entries on the patient under this window. */
  readonly opens: readonly AuditEntry[];
}

/** Options of {@link AuditorClient.verifyTrail}: a block range (default: from the client's `fromBlock`). */
export type TrailOptions = AuditRangeOptions;

/** SDK client of an auditor / privacy officer. */
export class AuditorClient extends LedgerClient {
  /** A client acting as the auditor `options.signer`. */
  static async connect(options: LedgerClientOptions): Promise<AuditorClient> {
    return new AuditorClient(options, await signerAddress(options.signer));
  }

  /**
   * Fetch the audit trail, refold it and compare it with `auditHead()` and every `patientAuditHead()`.
   * `matchesChain` true proves the trail complete and unedited.
   */
  verifyTrail(options: TrailOptions = {}): Promise<AuditVerification> {
    return verifyAuditTrail(this.ledger, { fromBlock: this.fromBlock, ...options });
  }

  /** Every break-glass incident, oldest first, with its verdict and the flagged opens under it. */
  async incidents(): Promise<BreakGlassIncident[]> {
    const [declared, trail, now] = await Promise.all([
      this.events(this.ledger.filters.BreakGlassDeclared()),
      this.verifyTrail(),
      this.chainTime(),
    ]);
    const out: BreakGlassIncident[] = [];
    for (const [i, log] of declared.entries()) {
      const incidentId = BigInt(log.args.incidentId);
      const patient = getAddress(log.args.patient);
      const responder = getAddress(log.args.responder);
      const [incident, window] = await Promise.all([
        this.view("incidentOf", this.ledger.incidentOf(incidentId)),
        this.view("breakGlassWindowOf", this.ledger.breakGlassWindowOf(patient, responder)),
      ]);
      const openedAt = Number(log.args.openedAt);
      // The window ends at its expiry, when an unjustified verdict closed it, or when a later
      // break-glass of the same responder on the same patient replaced it.
      const closesAt =
        BigInt(window.incidentId) === incidentId
          ? Number(window.expiresAt)
          : Math.min(
              Number(incident.expiresAt),
              nextOpening(declared.slice(i + 1), patient, responder),
            );
      const opens = trail.entries.filter(
        (e) =>
          e.action === "RecordOpened" &&
          e.path === AccessPath.BreakGlass &&
          e.patient === patient &&
          e.accessor === responder &&
          e.openedAt >= openedAt &&
          e.openedAt < closesAt,
      );
      out.push({
        incidentId,
        patient,
        responder,
        justificationHash: log.args.justificationHash.toLowerCase(),
        openedAt,
        expiresAt: Number(incident.expiresAt),
        closesAt,
        verdict: Number(incident.verdict) as ReviewVerdict,
        windowOpen: closesAt > now,
        opens,
      });
    }
    return out;
  }

  /** Incidents still awaiting a verdict. */
  async pendingIncidents(): Promise<BreakGlassIncident[]> {
    return (await this.incidents()).filter((i) => i.verdict === ReviewVerdict.Pending);
  }

  /**
   * Record a verdict on an incident; `notesHash` is the hash of review notes kept off chain. An
   * `Unjustified` verdict closes what is left of the window. The responder may not review its own incident.
   */
  async review(
    incidentId: bigint,
    verdict: typeof ReviewVerdict.Justified | typeof ReviewVerdict.Unjustified,
    notesHash: string,
    options: CallOptions = {},
  ): Promise<SentTransaction> {
    const args = parseArgs("review", {
      incidentId: [uint64Schema, incidentId],
      verdict: [verdictSchema, verdict],
      notesHash: [bytes32Schema, notesHash],
      options: [callOptionsSchema, options],
    });
    return this.send(
      "reviewBreakGlass",
      () =>
        this.ledger.reviewBreakGlass.populateTransaction(
          args.incidentId,
          args.verdict,
          args.notesHash,
        ),
      this.deadline(options),
    );
  }
}

/** When the first of `later` incidents of `responder` on `patient` opened (infinity if none). */
function nextOpening(
  later: readonly { args: { patient: string; responder: string; openedAt: bigint } }[],
  patient: string,
  responder: string,
): number {
  const next = later.find(
    (l) => getAddress(l.args.patient) === patient && getAddress(l.args.responder) === responder,
  );
  return next === undefined ? Number.POSITIVE_INFINITY : Number(next.args.openedAt);
}
