/**
 * Consent requests as JSON: the payload a wallet passes to `eth_signTypedData_v4`, and a transport format
 * for signed requests (decimal strings), both validated on the way in. Part of `typedData.ts`, which
 * re-exports it.
 */
import type { TypedDataField } from "ethers";
import * as z from "zod/mini";
import {
  EIP712_DOMAIN_TYPE,
  consentPrimaryType,
  consentTypes,
  type ConsentDomain,
  type ConsentRequest,
  type SignedConsent,
} from "./typed-data-model.js";
import {
  domainSchema,
  grantMessageSchema,
  parseJson,
  parseWith,
  revokeMessageSchema,
  signedConsentSchema,
} from "./typed-data-schema.js";

/**
 * The typed-data payload of `eth_signTypedData_v4`. Message integers are decimal strings; the domain's
 * `chainId` is a number (wallets such as MetaMask reject a string), or a decimal string by option.
 */
export interface EthSignTypedDataV4Payload {
  readonly types: Record<string, TypedDataField[]>;
  readonly primaryType: "GrantConsent" | "RevokeConsent";
  readonly domain: {
    readonly name: string;
    readonly version: string;
    readonly chainId: number | string;
    readonly verifyingContract: string;
  };
  readonly message: Record<string, string>;
}

/** Options of {@link toEthSignTypedDataV4Payload} / {@link toEthSignTypedDataV4Json}. */
export interface EthSignTypedDataV4Options {
  /**
   * How the domain's `chainId` is written: `"number"` (default; a chain id beyond 2^53 - 1 stays a
   * string) or `"string"` (decimal), for wallets that want either.
   */
  readonly chainId?: "number" | "string";
}

function decimalStrings(message: ConsentRequest["message"]): Record<string, string> {
  return Object.fromEntries(
    Object.entries(message).map(([k, v]) => [k, String(v as string | number | bigint)]),
  );
}

/** The payload object a wallet signs with `eth_signTypedData_v4` (types include `EIP712Domain`). */
export function toEthSignTypedDataV4Payload(
  request: ConsentRequest,
  options: EthSignTypedDataV4Options = {},
): EthSignTypedDataV4Payload {
  const { chainId } = request.domain;
  const asNumber = options.chainId !== "string" && chainId <= BigInt(Number.MAX_SAFE_INTEGER);
  const primaryType = consentPrimaryType(request.kind);
  return {
    types: { EIP712Domain: EIP712_DOMAIN_TYPE, ...consentTypes(request.kind) },
    primaryType,
    domain: {
      name: request.domain.name,
      version: request.domain.version,
      chainId: asNumber ? Number(chainId) : chainId.toString(),
      verifyingContract: request.domain.verifyingContract,
    },
    message: decimalStrings(request.message),
  };
}

/**
 * The JSON string to pass as the second parameter of `eth_signTypedData_v4`:
 * `provider.send("eth_signTypedData_v4", [signerAddress, json])`.
 */
export function toEthSignTypedDataV4Json(
  request: ConsentRequest,
  options: EthSignTypedDataV4Options = {},
): string {
  return JSON.stringify(toEthSignTypedDataV4Payload(request, options));
}

const fieldSchema = z.strictObject({ name: z.string(), type: z.string() });

function sameFields(
  actual: readonly { name: string; type: string }[],
  expected: readonly TypedDataField[],
): boolean {
  return (
    actual.length === expected.length &&
    actual.every((f, i) => f.name === expected[i]?.name && f.type === expected[i]?.type)
  );
}

const v4PayloadSchema = z
  .object({
    types: z.record(z.string(), z.array(fieldSchema)),
    primaryType: z.enum(["GrantConsent", "RevokeConsent"]),
    domain: domainSchema,
    message: z.record(z.string(), z.unknown()),
  })
  .check(
    z.superRefine((p, ctx) => {
      const kind = p.primaryType === "GrantConsent" ? "grant" : "revoke";
      const expected: Record<string, TypedDataField[]> = {
        EIP712Domain: EIP712_DOMAIN_TYPE,
        ...consentTypes(kind),
      };
      const names = Object.keys(p.types).sort();
      if (names.join() !== Object.keys(expected).sort().join()) {
        ctx.addIssue({
          code: "custom",
          path: ["types"],
          message: `must define exactly ${Object.keys(expected).join(", ")}`,
        });
        return;
      }
      for (const [name, fields] of Object.entries(expected)) {
        if (!sameFields(p.types[name] ?? [], fields)) {
          ctx.addIssue({
            code: "custom",
            path: ["types", name],
            message: "does not match CareLedger's type string",
          });
        }
      }
    }),
  );

/**
 * Read an `eth_signTypedData_v4` payload (a JSON string or the parsed object) back into a validated
 * request: the types must be exactly CareLedger's, the domain CareLedger's, the message in range.
 */
export function parseEthSignTypedDataV4(input: unknown): ConsentRequest {
  const what = "eth_signTypedData_v4 payload";
  const p = parseWith(
    v4PayloadSchema,
    typeof input === "string" ? parseJson(input, what) : input,
    what,
  );
  const domain: ConsentDomain = p.domain;
  return p.primaryType === "GrantConsent"
    ? {
        kind: "grant",
        domain,
        message: parseWith(grantMessageSchema, p.message, "GrantConsent message"),
      }
    : {
        kind: "revoke",
        domain,
        message: parseWith(revokeMessageSchema, p.message, "RevokeConsent message"),
      };
}

/** A signed request as JSON for transport to a relayer (integers as decimal strings). */
export function serializeSignedConsent(signed: SignedConsent): string {
  return JSON.stringify({
    kind: signed.kind,
    domain: { ...signed.domain, chainId: signed.domain.chainId.toString() },
    message: decimalStrings(signed.message),
    signer: signed.signer,
    signature: signed.signature,
  });
}

/**
 * Validate a signed request received from outside (a JSON string or parsed object): addresses (EIP-55),
 * masks within the defined categories and purposes, integers in range, hex signature. Throws
 * {@link InvalidConsentInputError} listing every problem.
 */
export function parseSignedConsent(input: unknown): SignedConsent {
  const what = "signed consent";
  return parseWith(
    signedConsentSchema,
    typeof input === "string" ? parseJson(input, what) : input,
    what,
  );
}
