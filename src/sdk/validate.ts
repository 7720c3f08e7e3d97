/**
 * Validation at the SDK boundary (zod): every public client function checks its arguments before it
 * talks to the node, so bad input fails with an {@link InvalidFieldError} naming the function and the
 * field, as a rejected promise, and no transaction is sent. Numbers must be numbers (never numeric
 * strings), integers in the range of their Solidity type, and categories, purposes and roles known.
 */
import { getAddress, isAddress } from "ethers";
import * as z from "zod/mini";
import type { ContentHash } from "../crypto/hash.js";
import {
  CATEGORY_COUNT,
  PURPOSE_COUNT,
  type Category,
  type Purpose,
  type Role,
} from "./constants.js";
import { InvalidFieldError } from "./errors.js";

const uint = (bits: number) =>
  z
    .number({ error: "must be a number" })
    .check(
      z.int({ error: "must be an integer" }),
      z.minimum(0, { error: "must not be negative" }),
      z.maximum(2 ** bits - 1, { error: `must fit in uint${bits} (at most ${2 ** bits - 1})` }),
    );

const hex32 = () =>
  z
    .string({ error: "must be a 0x-prefixed 32-byte hex string" })
    .check(z.regex(/^0x[0-9a-fA-F]{64}$/, { error: "must be a 0x-prefixed 32-byte hex string" }));

/** An EVM address (any case), returned checksummed. */
export const addressSchema = z.pipe(
  z
    .string({ error: "must be an address string" })
    .check(z.refine((v) => isAddress(v), { error: "must be a 20-byte hex address" })),
  z.transform((v: string) => getAddress(v)),
);

/** A 32-byte hash (record id), returned lower-case; zero is refused. */
export const recordIdSchema = z.pipe(
  hex32().check(z.refine((v) => /[1-9a-fA-F]/.test(v.slice(2)), { error: "must not be zero" })),
  z.transform((v: string) => v.toLowerCase() as ContentHash),
);

/** Any bytes32 (a justification or notes hash). */
export const bytes32Schema = hex32();

export const categorySchema = z.pipe(
  uint(8).check(
    z.maximum(CATEGORY_COUNT - 1, { error: `must be a known category (0-${CATEGORY_COUNT - 1})` }),
  ),
  z.transform((v: number) => v as Category),
);
export const purposeSchema = z.pipe(
  uint(8).check(
    z.maximum(PURPOSE_COUNT - 1, { error: `must be a known purpose (0-${PURPOSE_COUNT - 1})` }),
  ),
  z.transform((v: number) => v as Purpose),
);
/** A member role (patient to emergency responder). */
export const roleSchema = z.pipe(
  uint(8).check(
    z.minimum(1, { error: "must be a role (1-6)" }),
    z.maximum(6, { error: "must be a role (1-6)" }),
  ),
  z.transform((v: number) => v as Role),
);
export const uint16Schema = uint(16);
export const uint32Schema = uint(32);
export const uint40Schema = uint(40);
export const uint64Schema = z.union(
  [
    uint(53),
    z.bigint().check(
      // zod's English defaults, spelled out: zod/mini loads no locale
      z.minimum(0n, { error: "Too small: expected bigint to be >=0" }),
      z.maximum(2n ** 64n - 1n, {
        error: `Too big: expected bigint to be <=${2n ** 64n - 1n}`,
      }),
    ),
  ],
  {
    error: "must be an integer (number or bigint) fitting in uint64",
  },
);
/** A positive duration in seconds (uint32). */
export const durationSchema = uint(32).check(z.minimum(1, { error: "must be at least 1 second" }));
export const booleanSchema = z.boolean({ error: "must be a boolean" });

/** A non-empty list of distinct-or-not `item`s, at most `max` long (checked before any element). */
export function listSchema<T extends z.ZodMiniType>(item: T, max: number) {
  return z.pipe(
    z
      .custom<unknown[]>((v) => Array.isArray(v), { error: "must be an array" })
      .check(
        z.refine((v) => v.length <= max, { error: `must have at most ${max} entries` }),
        z.refine((v) => v.length > 0, { error: "must not be empty" }),
      ),
    z.array(item),
  );
}

export const categoriesSchema = listSchema(categorySchema, CATEGORY_COUNT);
export const purposesSchema = listSchema(purposeSchema, PURPOSE_COUNT);

/** Options every call takes (`timeoutMs`, `signal`, `deadline`); unknown keys are allowed. */
export const callOptionsSchema = z.looseObject({
  timeoutMs: z.optional(
    z
      .number({ error: "must be a number of milliseconds" })
      .check(z.positive({ error: "must be positive" })),
  ),
  signal: z.optional(z.instanceof(AbortSignal, { error: "must be an AbortSignal" })),
});

function problemOf(error: z.core.$ZodError): { path: string; message: string } {
  const issue = error.issues[0];
  return {
    path: issue === undefined ? "" : issue.path.map(String).join("."),
    message: issue?.message ?? "is invalid",
  };
}

/** `value` parsed by `schema`, or an {@link InvalidFieldError} naming `functionName` and `field`. */
export function parseArg<T extends z.ZodMiniType>(
  functionName: string,
  field: string,
  schema: T,
  value: unknown,
): z.output<T> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const { path, message } = problemOf(result.error);
  throw new InvalidFieldError(functionName, path === "" ? field : `${field}.${path}`, message);
}

type Fields = Readonly<Record<string, readonly [z.ZodMiniType, unknown]>>;

/** Every `[schema, value]` of `fields` parsed, in order; the first failure names its field. */
export function parseArgs<F extends Fields>(
  functionName: string,
  fields: F,
): { [K in keyof F]: z.output<F[K][0]> } {
  const out: Record<string, unknown> = {};
  for (const [field, [schema, value]] of Object.entries(fields)) {
    out[field] = parseArg(functionName, field, schema, value);
  }
  return out as { [K in keyof F]: z.output<F[K][0]> };
}

/** Check the call options of `functionName` (timeoutMs, signal). */
export function parseCallOptions<T>(functionName: string, options: T): T {
  parseArg(functionName, "options", callOptionsSchema, options);
  return options;
}

/** A record body: bytes or text, at most 64 MiB. */
export const bodySchema = z.union(
  [
    z.instanceof(Uint8Array).check(
      z.refine((b) => b.length <= 64 * 1024 * 1024, {
        error: "must be at most 64 MiB",
      }),
    ),
    z.string().check(z.maxLength(64 * 1024 * 1024, { error: "must be at most 64 MiB" })),
  ],
  { error: "must be a Uint8Array or a string" },
);

/** Options of a write: call options, `context` bytes and an `idempotencyKey` string. */
export const writeOptionsSchema = z.extend(callOptionsSchema, {
  context: z.optional(z.instanceof(Uint8Array, { error: "must be a Uint8Array" })),
  idempotencyKey: z.optional(
    z
      .string({ error: "must be a string" })
      .check(
        z.minLength(1, { error: "must not be empty" }),
        z.maxLength(256, { error: "must be at most 256 characters" }),
      ),
  ),
});

/** What a grant allows: known categories and purposes, an expiry in uint40 seconds. */
export const consentTermsSchema = z.object(
  {
    categories: categoriesSchema,
    purposes: purposesSchema,
    expiresAt: uint40Schema.check(z.minimum(1, { error: "must be a unix time in seconds" })),
  },
  { error: "must be an object { categories, purposes, expiresAt }" },
);

/** An organisation id (uint32; 0 means none, for patients). */
export const orgIdSchema = uint32Schema;

/** A member to onboard (the public key is checked by `encryptionKeyHex`). */
export const newMemberSchema = z.looseObject(
  { account: addressSchema, role: roleSchema, orgId: orgIdSchema },
  { error: "must be an object { account, role, orgId, publicKey }" },
);

const categoryMask = () =>
  uint16Schema.check(
    z.maximum(2 ** CATEGORY_COUNT - 1, { error: "must be a mask of known categories" }),
  );

/** A role policy: three category bitmasks within the nine known categories. */
export const rolePolicySchema = z.object(
  { read: categoryMask(), write: categoryMask(), emergencyRead: categoryMask() },
  { error: "must be an object { read, write, emergencyRead }" },
);

/** An auditor's verdict: justified (1) or unjustified (2). */
export const verdictSchema = z.union([z.literal(1), z.literal(2)], {
  error: "must be ReviewVerdict.Justified (1) or ReviewVerdict.Unjustified (2)",
});
