/**
 * Validation of untrusted consent input with `zod/mini` (whose unused checks a bundler drops): domains,
 * messages and signed requests, each refused whole with an {@link InvalidConsentInputError} listing
 * every field at fault. Used by `typedData.ts` and `typed-data-json.ts`.
 */
import { getAddress, isAddress, ZeroAddress } from "ethers";
import * as z from "zod/mini";
import { ALL_CATEGORIES, ALL_PURPOSES } from "../sdk/constants.js";
import { InvalidConsentInputError } from "./errors.js";
import { CONSENT_DOMAIN_NAME, CONSENT_DOMAIN_VERSION } from "./typed-data-model.js";

const UINT = /^(0|[1-9][0-9]*|0x[0-9a-fA-F]+)$/;

/** An unsigned integer of `bits` bits, given as a bigint, a safe integer or a decimal (or 0x) string. */
function uintSchema(bits: number) {
  const max = (1n << BigInt(bits)) - 1n;
  return z
    .pipe(
      z.union([
        z.bigint(),
        z.int().check(z.nonnegative()),
        z.string().check(z.regex(UINT, "must be an unsigned integer as a decimal string")),
      ]),
      z.transform((v) => BigInt(v)),
    )
    .check(z.refine((v) => v >= 0n && v <= max, `must fit in uint${bits}`));
}

const addressSchema = z.pipe(
  z.string().check(
    z.regex(/^0x[0-9a-fA-F]{40}$/, "must be a 20-byte hex address"),
    z.refine((s) => isAddress(s), "has a wrong EIP-55 checksum"),
  ),
  z.transform((s) => getAddress(s)),
);

const maskSchema = (bits: number, all: number, what: string) =>
  z
    .pipe(
      uintSchema(bits),
      z.transform((v) => Number(v)),
    )
    .check(
      z.refine((v) => v !== 0, `${what} must not be empty`),
      z.refine((v) => (v & ~all) === 0, `${what} has bits outside the defined ${what}`),
    );

const hexSchema = z
  .string()
  .check(z.regex(/^0x([0-9a-fA-F]{2})*$/, "must be 0x-prefixed hex bytes"));

export const domainSchema = z.strictObject({
  name: z.literal(CONSENT_DOMAIN_NAME),
  version: z.literal(CONSENT_DOMAIN_VERSION),
  chainId: uintSchema(256),
  verifyingContract: addressSchema,
});

export const grantMessageSchema = z
  .strictObject({
    patient: addressSchema,
    signer: addressSchema,
    grantee: addressSchema,
    categories: maskSchema(16, ALL_CATEGORIES, "categories"),
    purposes: maskSchema(8, ALL_PURPOSES, "purposes"),
    expiresAt: uintSchema(40).check(z.refine((v) => v > 0n, "must be a time")),
    epoch: z.pipe(
      uintSchema(32),
      z.transform((v) => Number(v)),
    ),
    nonce: uintSchema(256),
    deadline: uintSchema(256),
  })
  .check(
    z.refine((m) => m.grantee !== ZeroAddress && m.grantee !== m.patient, {
      message: "grantee must be neither the zero address nor the patient",
      path: ["grantee"],
    }),
  );

export const revokeMessageSchema = z.strictObject({
  patient: addressSchema,
  signer: addressSchema,
  grantee: addressSchema,
  epoch: z.pipe(
    uintSchema(32),
    z.transform((v) => Number(v)),
  ),
  nonce: uintSchema(256),
  deadline: uintSchema(256),
});

const signatureFields = { signer: addressSchema, signature: hexSchema };

export const signedConsentSchema = z.discriminatedUnion("kind", [
  z.strictObject({
    kind: z.literal("grant"),
    domain: domainSchema,
    message: grantMessageSchema,
    ...signatureFields,
  }),
  z.strictObject({
    kind: z.literal("revoke"),
    domain: domainSchema,
    message: revokeMessageSchema,
    ...signatureFields,
  }),
]);

export function parseWith<S extends z.ZodMiniType>(
  schema: S,
  input: unknown,
  what: string,
): z.output<S> {
  const result = schema.safeParse(input);
  if (!result.success) {
    throw new InvalidConsentInputError(
      what,
      result.error.issues.map((issue) => ({
        path: issue.path.map(String).join("."),
        message: issue.message,
      })),
    );
  }
  return result.data;
}

export function parseJson(json: string, what: string): unknown {
  try {
    return JSON.parse(json) as unknown;
  } catch (err) {
    throw new InvalidConsentInputError(what, [{ path: "", message: "is not valid JSON" }], {
      cause: err,
    });
  }
}
