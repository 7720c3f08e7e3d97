/**
 * Consent a patient can read: renders any CareLedger consent typed data (a request built by the SDK, or
 * the `eth_signTypedData_v4` payload a wallet is about to sign) as a human summary, e.g. "Dr X at
 * Org Y may read labs and medications for treatment until 2027-03-01". A front end shows it before it
 * asks for a signature.
 *
 * It works over whatever fields the typed data carries: each field is labelled and formatted by its
 * name and EIP-712 type (addresses through an optional address book, category and purpose bitmasks as
 * labels, times as dates), and fields it does not know are still listed, raw, so nothing signed is
 * hidden from the reader.
 */
import { getAddress, isAddress } from "ethers";
import {
  CATEGORY_COUNT,
  CATEGORY_LABELS,
  PURPOSE_COUNT,
  PURPOSE_LABELS,
  type Category,
  type Purpose,
} from "../sdk/constants.js";
import { InvalidConsentInputError } from "./errors.js";

/** One field as shown to the patient. */
export interface ConsentSummaryLine {
  /** The typed-data field name, e.g. `expiresAt`. */
  readonly field: string;
  /** Human label, e.g. `"Until"`. */
  readonly label: string;
  /** Human value, e.g. `"2027-03-01 00:00 UTC"`. */
  readonly value: string;
}

/** A consent as a patient reads it. */
export interface ConsentSummary {
  /** The EIP-712 primary type, e.g. `GrantConsent`. */
  readonly primaryType: string;
  /** Short title, e.g. `"Share medical records"`. */
  readonly title: string;
  /** One sentence saying what the signature allows. */
  readonly text: string;
  /** Every field of the message, in type order, labelled and formatted. */
  readonly lines: readonly ConsentSummaryLine[];
  /** The chain and contract the signature is bound to. */
  readonly chainId: string;
  readonly verifyingContract: string;
}

/** Options of {@link summarizeConsent}. */
export interface ConsentSummaryOptions {
  /**
   * Display name of an address, e.g. `"Dr X at Org Y"` (from the member registry or an address book);
   * undefined leaves the shortened address.
   */
  readonly nameOf?: (address: string) => string | undefined;
  /** Render times in this IANA time zone (default `UTC`). */
  readonly timeZone?: string;
}

/** The shape this module reads: an SDK request (`kind`, `domain`, `message`) or a v4 payload. */
export interface ConsentTypedDataInput {
  readonly kind?: string;
  readonly primaryType?: string;
  readonly types?: Readonly<
    Record<string, readonly { readonly name: string; readonly type: string }[]>
  >;
  readonly domain: { readonly chainId?: unknown; readonly verifyingContract?: unknown };
  readonly message: object;
}

const FIELD_LABELS: Readonly<Record<string, string>> = {
  patient: "Patient",
  grantee: "Who",
  categories: "Records",
  purposes: "For",
  expiresAt: "Until",
  deadline: "Signature valid until",
  nonce: "Signature number",
  signer: "Signed by",
  epoch: "Consent version",
  issuedAt: "Signed at",
};

/** Integer fields shown as dates: `expiresAt`, `issuedAt`, `validUntil`, `deadline`, … */
const TIME_FIELD = /(?:At|Until|Time|Expiry)$|^(?:deadline|expiry|timestamp)$/;

function labelOf(field: string): string {
  return (
    FIELD_LABELS[field] ??
    field.replace(/([a-z0-9])([A-Z])/g, "$1 $2").replace(/^./, (c) => c.toUpperCase())
  );
}

function listText(items: readonly string[]): string {
  if (items.length <= 1) return items[0] ?? "";
  return `${items.slice(0, -1).join(", ")} and ${items[items.length - 1] ?? ""}`;
}

function maskLabels(
  value: bigint,
  count: number,
  labels: Readonly<Record<number, string>>,
): string[] {
  const out: string[] = [];
  for (let i = 0; i < count; i++) if ((value >> BigInt(i)) & 1n) out.push(labels[i] ?? `#${i}`);
  const extra = value >> BigInt(count);
  if (extra !== 0n) out.push(`undefined bits 0x${(extra << BigInt(count)).toString(16)}`);
  return out;
}

/** A time in unix seconds as `YYYY-MM-DD HH:MM <zone>`. */
export function formatConsentTime(seconds: bigint, timeZone = "UTC"): string {
  const ms = Number(seconds) * 1000;
  if (!Number.isFinite(ms) || Math.abs(ms) > 8.64e15) return `${seconds} (unix seconds)`;
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat("en-CA", {
      timeZone,
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      hourCycle: "h23",
    })
      .formatToParts(new Date(ms))
      .map((p) => [p.type, p.value]),
  );
  return `${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute} ${timeZone}`;
}

function asBigInt(value: unknown): bigint | undefined {
  if (typeof value === "bigint") return value;
  if (typeof value === "number" && Number.isSafeInteger(value)) return BigInt(value);
  if (typeof value === "string" && /^(0|[1-9][0-9]*|0x[0-9a-fA-F]+)$/.test(value))
    return BigInt(value);
  return undefined;
}

function shortAddress(address: string): string {
  return `${address.slice(0, 6)}…${address.slice(-4)}`;
}

interface Formatter {
  address(value: string): string;
  time(value: bigint): string;
}

function formatValue(field: string, type: string | undefined, raw: unknown, f: Formatter): string {
  if ((type === "address" || type === undefined) && typeof raw === "string" && isAddress(raw)) {
    return f.address(raw);
  }
  const n = type === undefined || type.startsWith("uint") ? asBigInt(raw) : undefined;
  if (n !== undefined) {
    // a set is a bitmask (`categories`), a single one an index (`category`)
    if (field === "categories")
      return listText(maskLabels(n, CATEGORY_COUNT, CATEGORY_LABELS)) || "no records";
    if (field === "purposes")
      return listText(maskLabels(n, PURPOSE_COUNT, PURPOSE_LABELS)) || "no purpose";
    if (field === "category") return CATEGORY_LABELS[Number(n) as Category] ?? n.toString();
    if (field === "purpose") return PURPOSE_LABELS[Number(n) as Purpose] ?? n.toString();
    if (TIME_FIELD.test(field)) return f.time(n);
    return n.toString();
  }
  return typeof raw === "string"
    ? raw
    : JSON.stringify(raw, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v));
}

function primaryTypeOf(input: ConsentTypedDataInput): string {
  if (input.primaryType !== undefined) return input.primaryType;
  if (input.kind === "grant") return "GrantConsent";
  if (input.kind === "revoke") return "RevokeConsent";
  throw new InvalidConsentInputError("consent typed data", [
    { path: "primaryType", message: "is missing (and no request kind is given)" },
  ]);
}

/**
 * The human summary of consent typed data: a request from {@link buildGrantRequest} /
 * {@link buildRevokeRequest}, a signed one, or an `eth_signTypedData_v4` payload (object or JSON).
 */
export function summarizeConsent(
  input: ConsentTypedDataInput | string,
  options: ConsentSummaryOptions = {},
): ConsentSummary {
  let data: ConsentTypedDataInput;
  try {
    data = typeof input === "string" ? (JSON.parse(input) as ConsentTypedDataInput) : input;
  } catch (err) {
    throw new InvalidConsentInputError(
      "consent typed data",
      [{ path: "", message: "is not valid JSON" }],
      { cause: err },
    );
  }
  if (typeof data?.message !== "object" || data.message === null) {
    throw new InvalidConsentInputError("consent typed data", [
      { path: "message", message: "is missing" },
    ]);
  }
  const primaryType = primaryTypeOf(data);
  const timeZone = options.timeZone ?? "UTC";
  const f: Formatter = {
    address: (a) => {
      const checksummed = getAddress(a);
      const name = options.nameOf?.(checksummed);
      return name === undefined ? checksummed : `${name} (${shortAddress(checksummed)})`;
    },
    time: (t) => formatConsentTime(t, timeZone),
  };
  const message = data.message as Record<string, unknown>;
  const typeFields = data.types?.[primaryType];
  const fields = typeFields ?? Object.keys(message).map((name) => ({ name, type: undefined }));
  const lines = fields.map(({ name, type }) => ({
    field: name,
    label: labelOf(name),
    value: formatValue(name, type, message[name], f),
  }));
  const value = (field: string) => lines.find((l) => l.field === field)?.value;
  const who = value("grantee") ?? "the recipient";
  const whose = message.patient !== undefined ? `${value("patient")}'s` : "the patient's";

  let title: string;
  let text: string;
  if (/revoke/i.test(primaryType)) {
    title = "Stop sharing medical records";
    text = `${who} may no longer read ${whose} records`;
  } else if (/grant/i.test(primaryType)) {
    title = "Share medical records";
    const what = value("categories") ?? "records";
    const why = value("purposes");
    const until = value("expiresAt");
    text = `${who} may read ${what}${why === undefined ? "" : ` for ${why}`}${until === undefined ? "" : ` until ${until}`}`;
  } else {
    title = labelOf(primaryType);
    text = lines.map((l) => `${l.label}: ${l.value}`).join("; ");
  }
  if (value("deadline") !== undefined)
    text += ` (this signature can be used until ${value("deadline")})`;
  return {
    primaryType,
    title,
    text: `${text}.`,
    lines,
    chainId: String(asBigInt(data.domain.chainId) ?? data.domain.chainId),
    verifyingContract: String(data.domain.verifyingContract),
  };
}
