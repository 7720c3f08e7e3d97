/**
 * Reading untrusted FHIR JSON element by element for the Consent mapping: every element that a CareLedger
 * grant cannot represent is collected with its path and reason (never only the first), and the FHIR data
 * types the mapping uses (Coding, CodeableConcept, logical references by CAIP-10 account id, dateTime
 * instants) are read strictly.
 */
import { getAddress, isAddress } from "ethers";
import type { UnsupportedElement } from "./errors.js";
import { FHIR_SYSTEMS } from "./fhir-codes.js";

export type Json = Readonly<Record<string, unknown>>;

const GENERIC_REASONS: Readonly<Record<string, string>> = {
  extension: "extensions cannot be represented in a CareLedger grant",
  modifierExtension:
    "modifier extensions change the meaning of the consent and cannot be represented",
};

/** Collects every unsupported element instead of stopping at the first. */
export class ConsentReader {
  readonly unsupported: UnsupportedElement[] = [];

  constructor(readonly chainId: bigint) {}

  flag(path: string, reason: string): undefined {
    this.unsupported.push({ path, reason });
    return undefined;
  }

  object(value: unknown, path: string): Json | undefined {
    if (typeof value !== "object" || value === null || Array.isArray(value))
      return this.flag(path, "must be an object");
    return value as Json;
  }

  array(value: unknown, path: string): readonly unknown[] | undefined {
    if (!Array.isArray(value)) return this.flag(path, "must be an array");
    return value as unknown[];
  }

  string(value: unknown, path: string): string | undefined {
    if (typeof value !== "string") return this.flag(path, "must be a string");
    return value;
  }

  /** Flag every key of `obj` that is not in `allowed`, with its reason. */
  onlyKeys(
    obj: Json,
    path: string,
    allowed: readonly string[],
    reasons: Readonly<Record<string, string>> = {},
  ): void {
    for (const key of Object.keys(obj)) {
      if (allowed.includes(key)) continue;
      const reason =
        reasons[key] ??
        GENERIC_REASONS[key] ??
        (key.startsWith("_")
          ? "extensions on primitive values cannot be represented in a CareLedger grant"
          : "is not an element CareLedger can represent");
      this.flag(`${path}.${key}`, reason);
    }
  }

  coding(value: unknown, path: string): { system: string; code: string } | undefined {
    const c = this.object(value, path);
    if (c === undefined) return undefined;
    this.onlyKeys(c, path, ["id", "system", "version", "code", "display", "userSelected"]);
    const system = this.string(c["system"], `${path}.system`);
    const code = this.string(c["code"], `${path}.code`);
    return system === undefined || code === undefined ? undefined : { system, code };
  }

  /** The codings of a CodeableConcept (its `text` is accepted as a label). */
  codings(value: unknown, path: string): { system: string; code: string }[] | undefined {
    const cc = this.object(value, path);
    if (cc === undefined) return undefined;
    this.onlyKeys(cc, path, ["id", "coding", "text"]);
    const list = cc["coding"] === undefined ? [] : this.array(cc["coding"], `${path}.coding`);
    if (list === undefined) return undefined;
    const out: { system: string; code: string }[] = [];
    list.forEach((item, i) => {
      const c = this.coding(item, `${path}.coding[${i}]`);
      if (c !== undefined) out.push(c);
    });
    return out;
  }

  /** A CodeableConcept that must be exactly one of `allowed` (one coding). */
  fixedConcept<C extends string>(
    value: unknown,
    path: string,
    system: string,
    allowed: readonly C[],
    what: string,
  ): C | undefined {
    const codings = this.codings(value, path);
    if (codings === undefined) return undefined;
    const want = `${allowed.map((c) => `${system}#${c}`).join(" or ")} (${what})`;
    if (codings.length !== 1) return this.flag(path, `must have exactly one coding: ${want}`);
    const [c] = codings as [{ system: string; code: string }];
    if (c.system !== system || !(allowed as readonly string[]).includes(c.code)) {
      return this.flag(
        `${path}.coding[0]`,
        `${c.system}#${c.code} cannot be represented; expected ${want}`,
      );
    }
    return c.code as C;
  }

  /** `system#code` of each Coding of a list (a missing or empty list is flagged as required). */
  codingList(value: unknown, path: string, what: string): (string | undefined)[] | undefined {
    if (value === undefined)
      return this.flag(path, `required: an absent ${what} means every ${what}`);
    const list = this.array(value, path);
    if (list === undefined) return undefined;
    if (list.length === 0) return this.flag(path, `must list at least one ${what}`);
    return list.map((item, i) => {
      const c = this.coding(item, `${path}[${i}]`);
      return c === undefined ? undefined : `${c.system}#${c.code}`;
    });
  }

  /** The bitmask of a list of Codings; `bits` maps `system#code` to its bit. */
  codingMask(
    value: unknown,
    path: string,
    bits: ReadonlyMap<string, number>,
    what: string,
  ): number | undefined {
    const codes = this.codingList(value, path, what);
    if (codes === undefined) return undefined;
    let mask = 0;
    codes.forEach((code, i) => {
      if (code === undefined) return;
      const bit = bits.get(code);
      if (bit === undefined)
        this.flag(`${path}[${i}]`, `${code} is not a ${what} CareLedger knows`);
      else mask |= 1 << bit;
    });
    return mask;
  }

  /** `system#code` of each CodeableConcept of a list (one coding each). */
  conceptList(value: unknown, path: string, what: string): (string | undefined)[] | undefined {
    if (value === undefined)
      return this.flag(path, `required: an absent ${what} means every ${what}`);
    const list = this.array(value, path);
    if (list === undefined) return undefined;
    return list.map((item, i) => {
      const codings = this.codings(item, `${path}[${i}]`);
      if (codings === undefined) return undefined;
      if (codings.length !== 1) return this.flag(`${path}[${i}]`, "must have exactly one coding");
      const [c] = codings as [{ system: string; code: string }];
      return `${c.system}#${c.code}`;
    });
  }

  /** An account, from a logical reference with a CAIP-10 identifier on this chain. */
  account(
    value: unknown,
    path: string,
    types: readonly string[],
  ): { address: string; type?: string } | undefined {
    const ref = this.object(value, path);
    if (ref === undefined) return undefined;
    const expected = `identifier { system: "${FHIR_SYSTEMS.uri}", value: "eip155:${this.chainId}:<address>" }`;
    this.onlyKeys(ref, path, ["id", "type", "identifier", "display"], {
      reference: `literal references cannot be resolved to an on-chain account; use a logical reference with ${expected}`,
    });
    let type: string | undefined;
    if (ref["type"] !== undefined) {
      type = this.string(ref["type"], `${path}.type`);
      if (type !== undefined && !types.includes(type)) {
        this.flag(`${path}.type`, `${type} is not allowed here (${types.join(", ")})`);
      }
    }
    if (ref["identifier"] === undefined)
      return this.flag(`${path}.identifier`, `required: ${expected}`);
    const id = this.object(ref["identifier"], `${path}.identifier`);
    if (id === undefined) return undefined;
    this.onlyKeys(id, `${path}.identifier`, ["id", "use", "system", "value"]);
    if (id["system"] !== FHIR_SYSTEMS.uri)
      return this.flag(`${path}.identifier.system`, `must be ${FHIR_SYSTEMS.uri}`);
    const address = this.caipAddress(id["value"], `${path}.identifier.value`);
    if (address === undefined) return undefined;
    return type === undefined ? { address } : { address, type };
  }

  /** The address of a CAIP-10 account id on this chain. */
  caipAddress(value: unknown, path: string): string | undefined {
    const caip = /^eip155:([0-9]+):(0x[0-9a-fA-F]{40})$/.exec(String(value));
    if (caip === null)
      return this.flag(path, "must be a CAIP-10 account id eip155:<chainId>:<address>");
    const [, chain, address] = caip as unknown as [string, string, string];
    if (BigInt(chain) !== this.chainId)
      return this.flag(path, `names an account on chain ${chain}, not ${this.chainId}`);
    if (!isAddress(address)) return this.flag(path, "has a wrong EIP-55 checksum");
    return getAddress(address);
  }

  /**
   * Milliseconds since the epoch of a dateTime given at least to the second with a time zone (a date
   * alone, or a time without zone, does not name an instant).
   */
  instantMs(value: unknown, path: string): bigint | undefined {
    const s = this.string(value, path);
    if (s === undefined) return undefined;
    const m =
      /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:\d{2})$/.exec(s);
    if (m === null) {
      return this.flag(
        path,
        `${s}: needs a date and time to the second with a time zone (the chain stores instants)`,
      );
    }
    const [, y, mo, d, h, mi, sec, frac, zone] = m as unknown as string[];
    const fields = [y, mo, d, h, mi, sec].map(Number) as [
      number,
      number,
      number,
      number,
      number,
      number,
    ];
    const utc = Date.UTC(fields[0], fields[1] - 1, fields[2], fields[3], fields[4], fields[5]);
    const back = new Date(utc);
    const valid =
      fields[0] >= 1 &&
      back.getUTCFullYear() === fields[0] &&
      back.getUTCMonth() === fields[1] - 1 &&
      back.getUTCDate() === fields[2] &&
      back.getUTCHours() === fields[3] &&
      back.getUTCMinutes() === fields[4] &&
      back.getUTCSeconds() === fields[5];
    if (!valid) return this.flag(path, `${s}: not a valid date and time`);
    let offsetMinutes = 0;
    if (zone !== undefined && zone !== "Z") {
      const sign = zone.startsWith("-") ? -1 : 1;
      offsetMinutes = sign * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(4, 6)));
    }
    // Fractions beyond milliseconds only matter for their sign: any non-zero rest rounds up below.
    const digits = (frac ?? "").padEnd(3, "0");
    const ms = BigInt(digits.slice(0, 3)) + (/[1-9]/.test(digits.slice(3)) ? 1n : 0n);
    const total = BigInt(utc) - BigInt(offsetMinutes * 60_000) + ms;
    if (total < 0n || total >= (1n << 40n) * 1000n)
      return this.flag(path, `${s}: outside the range the chain stores`);
    return total;
  }

  /** The first whole second at or after a dateTime (when a permission starts, in block time). */
  startSecond(value: unknown, path: string): bigint | undefined {
    const ms = this.instantMs(value, path);
    return ms === undefined ? undefined : (ms + 999n) / 1000n;
  }
}

/** Whether `value` is one of `list`. */
export function includes<T extends string>(
  list: readonly T[],
  value: string | undefined,
): value is T {
  return (list as readonly string[]).includes(value ?? "");
}
