/**
 * The consent relay: `POST /consents` takes a signed consent (the JSON `serializeSignedConsent` writes),
 * verifies it with `verifyLocally` (which also simulates it), checks the gas estimate against the cap and
 * sends `grantWithSig` / `revokeWithSig` from the relayer account through the SDK's `AccountSender`
 * (SDK-managed nonces, so concurrent relays never collide). Idempotent by the EIP-712 digest: the same
 * signed consent twice, even concurrently, is one transaction; `GET /consents/:digest` reports it.
 */
import type { FastifyInstance, FastifyRequest } from "fastify";
import type { Signer } from "ethers";
import * as z from "zod";
import {
  Deadline,
  accountSender,
  consentDigest,
  grantWithSigArgs,
  parseSignedConsent,
  relayFunction,
  revokeWithSigArgs,
  toCareLedgerError,
  verifyLocally,
  NodeUnavailableError,
  TransactionTimeoutError,
  type AccountSender,
  type CareLedger,
  type SignedConsent,
} from "../src/node.js";
import { ServiceRequestError, errorBody, httpErrorOf } from "./errors.js";

/** Where a relayed consent is. */
export type RelayStatus = "pending" | "mined" | "failed";

/** What `POST /consents` answers (202) and `GET /consents/:digest` reports. */
export interface RelayState {
  readonly digest: string;
  readonly status: RelayStatus;
  readonly txHash: string | null;
  readonly statusUrl: string;
  readonly blockNumber?: number;
  readonly gasUsed?: string;
  readonly error?: ReturnType<typeof errorBody>["error"];
}

/** Options of the relay. */
export interface RelayOptions {
  readonly ledger: CareLedger;
  readonly relayer: Signer;
  /** Largest gas limit the relay sends with (estimate plus the SDK's 20 % margin); default 500 000. */
  readonly gasCap?: bigint;
  /** Relays a patient may ask for per minute; default 10. */
  readonly perPatientPerMinute?: number;
  /** How long `POST /consents` waits for the transaction to be mined before answering `pending` (ms, default 5 000). */
  readonly responseWaitMs?: number;
  /** Deadline of one relay, verification to receipt (ms, default 60 000). */
  readonly timeoutMs?: number;
  /** Relays remembered for status and idempotency (oldest forgotten first; default 10 000). */
  readonly maxRemembered?: number;
}

/** Default gas cap of a relayed consent: a grant costs about 100 k. */
export const DEFAULT_GAS_CAP = 500_000n;
const GAS_MARGIN_PERCENT = 20n;

interface Entry {
  readonly digest: string;
  status: RelayStatus | "verifying";
  txHash: string | null;
  blockNumber?: number;
  gasUsed?: bigint;
  error?: ServiceRequestError;
  /** Settles when verification is over (then `status` is no longer "verifying" or `error` is set). */
  readonly verified: Promise<void>;
  /** Settles when the relay is over (mined, failed, or refused). */
  readonly done: Promise<void>;
}

const digestParams = z.object({
  digest: z.string().regex(/^0x[0-9a-fA-F]{64}$/, "must be a 32-byte 0x hex digest"),
});

function statusUrl(digest: string): string {
  return `/consents/${digest}`;
}

function stateOf(entry: Entry): RelayState {
  const status: RelayStatus = entry.status === "verifying" ? "pending" : entry.status;
  return {
    digest: entry.digest,
    status,
    txHash: entry.txHash,
    statusUrl: statusUrl(entry.digest),
    ...(entry.blockNumber === undefined ? {} : { blockNumber: entry.blockNumber }),
    ...(entry.gasUsed === undefined ? {} : { gasUsed: entry.gasUsed.toString() }),
    ...(entry.error === undefined ? {} : { error: errorBody(entry.error).error }),
  };
}

/** The relay's state: remembered relays by digest. */
export class ConsentRelay {
  readonly #ledger: CareLedger;
  readonly #sender: Promise<AccountSender>;
  readonly #gasCap: bigint;
  readonly #timeoutMs: number;
  readonly #max: number;
  readonly #entries = new Map<string, Entry>();

  constructor(options: RelayOptions) {
    this.#ledger = options.ledger;
    this.#gasCap = options.gasCap ?? DEFAULT_GAS_CAP;
    this.#timeoutMs = options.timeoutMs ?? 60_000;
    this.#max = options.maxRemembered ?? 10_000;
    const relayer = options.relayer;
    this.#sender = relayer.getAddress().then((address) => accountSender(relayer, address));
  }

  /** The remembered relay of `digest`. */
  state(digest: string): RelayState | undefined {
    const entry = this.#entries.get(digest.toLowerCase());
    return entry === undefined ? undefined : stateOf(entry);
  }

  /**
   * Relay `signed` (or join the relay of the same digest already under way). Resolves once verification
   * passed, with the entry; rejects with the refusal otherwise.
   */
  async submit(signed: SignedConsent): Promise<Entry> {
    const digest = consentDigest(signed).toLowerCase();
    let entry = this.#entries.get(digest);
    if (entry === undefined) {
      entry = this.#start(digest, signed);
      this.#remember(entry);
    }
    await entry.verified;
    if (entry.status === "verifying" && entry.error !== undefined) throw entry.error;
    return entry;
  }

  #remember(entry: Entry): void {
    this.#entries.set(entry.digest, entry);
    while (this.#entries.size > this.#max) {
      const oldest = this.#entries.keys().next().value;
      if (oldest === undefined) break;
      this.#entries.delete(oldest);
    }
  }

  #start(digest: string, signed: SignedConsent): Entry {
    let markVerified!: () => void;
    const verified = new Promise<void>((resolve) => (markVerified = resolve));
    const entry: Entry = {
      digest,
      status: "verifying",
      txHash: null,
      verified,
      done: Promise.resolve(),
    };
    const functionName = relayFunction(signed);
    const run = async (): Promise<void> => {
      const deadline = new Deadline(this.#timeoutMs);
      const sender = await this.#sender;
      let data: string;
      try {
        await verifyLocally(this.#ledger, signed);
        data =
          signed.kind === "grant"
            ? this.#ledger.interface.encodeFunctionData("grantWithSig", [
                ...grantWithSigArgs(signed),
              ])
            : this.#ledger.interface.encodeFunctionData("revokeWithSig", [
                ...revokeWithSigArgs(signed),
              ]);
        const to = await this.#ledger.getAddress();
        const estimate = await sender.provider.estimateGas({ from: sender.address, to, data });
        const limit = (estimate * (100n + GAS_MARGIN_PERCENT)) / 100n;
        if (limit > this.#gasCap) {
          throw new ServiceRequestError(
            422,
            "GAS_CAP_EXCEEDED",
            `${functionName} needs a gas limit of ${limit.toString()}, above the relay's cap of ${this.#gasCap.toString()}`,
          );
        }
        entry.status = "pending";
      } catch (error) {
        entry.error = httpErrorOf(toCareLedgerError(error, functionName, this.#ledger.interface));
        // A refused request is forgotten: the same signature may succeed once the chain changed.
        this.#entries.delete(digest);
        markVerified();
        return;
      }
      markVerified();
      try {
        const to = await this.#ledger.getAddress();
        const mined = await sender.send(
          { to, data },
          { functionName, deadline, iface: this.#ledger.interface },
        );
        entry.txHash = mined.hash;
        entry.blockNumber = mined.receipt.blockNumber;
        entry.gasUsed = mined.receipt.gasUsed;
        entry.status = "mined";
      } catch (error) {
        const mapped = toCareLedgerError(error, functionName, this.#ledger.interface);
        entry.error = httpErrorOf(mapped);
        entry.status = "failed";
        const hash = (mapped as { transactionHash?: unknown }).transactionHash;
        if (typeof hash === "string") entry.txHash = hash;
        if (mapped instanceof NodeUnavailableError || mapped instanceof TransactionTimeoutError) {
          // Outcome unknown: a resubmission goes to the sender, which settles the earlier send first.
          this.#entries.delete(digest);
        }
      }
    };
    return Object.assign(entry, { done: run() });
  }
}

function patientKey(request: FastifyRequest): string {
  const body = request.body as { message?: { patient?: unknown } } | undefined;
  const patient = body?.message?.patient;
  return typeof patient === "string" && /^0x[0-9a-fA-F]{40}$/.test(patient)
    ? `patient:${patient.toLowerCase()}`
    : `ip:${request.ip}`;
}

/** Register `POST /consents` and `GET /consents/:digest` on `app`. */
export function registerRelay(
  app: FastifyInstance,
  relay: ConsentRelay,
  options: Pick<RelayOptions, "perPatientPerMinute" | "responseWaitMs">,
): void {
  const waitMs = options.responseWaitMs ?? 5_000;
  const max = options.perPatientPerMinute ?? 10;
  app.post(
    "/consents",
    {
      config: {
        rateLimit: {
          max,
          timeWindow: 60_000,
          hook: "preHandler",
          keyGenerator: patientKey,
          errorResponseBuilder: (request, context) =>
            new ServiceRequestError(
              429,
              "RATE_LIMITED",
              `${patientKey(request).replace(":", " ")} made more than ${String(context.max)} relay requests in a minute; retry in ${context.after}`,
            ),
        },
      },
    },
    async (request, reply) => {
      const signed = parseSignedConsent(request.body);
      const entry = await relay.submit(signed);
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        entry.done,
        new Promise<void>((resolve) => (timer = setTimeout(resolve, waitMs))),
      ]);
      clearTimeout(timer);
      if (entry.status === "failed" && entry.error !== undefined) {
        const body = errorBody(entry.error);
        return reply.code(entry.error.status).send({
          ...body,
          digest: entry.digest,
          txHash: entry.txHash,
          status: "failed",
          statusUrl: statusUrl(entry.digest),
        });
      }
      return reply.code(202).send(stateOf(entry));
    },
  );
  app.get("/consents/:digest", async (request, reply) => {
    const parsed = digestParams.safeParse(request.params);
    if (!parsed.success) {
      throw new ServiceRequestError(400, "INVALID_DIGEST", "digest must be 0x + 64 hex digits", {
        field: "params.digest",
      });
    }
    const state = relay.state(parsed.data.digest);
    if (state === undefined) {
      throw new ServiceRequestError(
        404,
        "UNKNOWN_DIGEST",
        `no relay of ${parsed.data.digest} is known to this service`,
      );
    }
    return reply.send(state);
  });
}
