/**
 * Deployment parameters per network, in `ignition/parameters/<network>.json` (the Ignition
 * parameters file format: `{ "CareLedger": { ... } }`). The scalar constructor arguments are read
 * by the module through `m.getParameter`; the lists (extra registrars, role-policy overrides) shape
 * the module itself, so they are validated here and passed to `buildCareLedgerModule`.
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import { getAddress, ZeroAddress } from "ethers";
import { z } from "zod";
import { CareLedgerError, type CareLedgerErrorOptions } from "../errors.js";
import { ALL_CATEGORIES, MAX_BREAK_GLASS_DURATION, Role, STAFF_ROLES } from "../sdk/constants.js";
import type { RoleName } from "../sdk/constants.js";

/** Ignition module id, and the key of the parameters object in the file. */
export const CARELEDGER_MODULE_ID = "CareLedger";

/** Defaults for omitted scalars (the module uses the same values). */
export const PARAMETER_DEFAULTS = {
  /** Three days between `beginDefaultAdminTransfer` and `acceptDefaultAdminTransfer`. */
  adminTransferDelay: 3 * 24 * 60 * 60,
  /** No registrar at construction. */
  initialRegistrar: ZeroAddress,
  /** Four hours. */
  breakGlassMaxDuration: 4 * 60 * 60,
} as const;

/** One role-policy override: the category bitmasks a staff role gets instead of the default. */
export interface RolePolicyOverride {
  /** A staff role (`Role.Doctor` … `Role.EmergencyResponder`). */
  readonly role: Role;
  readonly read: number;
  readonly write: number;
  readonly emergencyRead: number;
}

/** The validated contents of a parameters file. */
export interface CareLedgerParameters {
  /** Governance admin (checksummed), never zero. */
  readonly admin: string;
  /** Seconds, uint48. */
  readonly adminTransferDelay: number;
  /** Checksummed, or the zero address for none. */
  readonly initialRegistrar: string;
  /** Seconds, 1 .. 86400. */
  readonly breakGlassMaxDuration: number;
  /** Extra registrars granted `REGISTRAR_ROLE` after deployment (checksummed, unique). */
  readonly registrars: readonly string[];
  /** Role policies set after deployment, at most one per role. */
  readonly rolePolicies: readonly RolePolicyOverride[];
}

/** A parameters file is missing, unreadable or invalid; the message names the file and the field. */
export class ParametersError extends CareLedgerError {
  override readonly name: string = "ParametersError";

  /** The parameters file. */
  readonly file: string;
  constructor(file: string, message: string, options: CareLedgerErrorOptions = {}) {
    super(`${file}: ${message}`, "PARAMETERS", options);
    this.file = file;
  }
}

const address = z
  .string()
  .regex(/^0x[0-9a-fA-F]{40}$/, "must be a 0x-prefixed 20-byte address")
  .transform((value) => getAddress(value.toLowerCase()));

const mask = z
  .number()
  .int()
  .min(0)
  .max(ALL_CATEGORIES, `must be a category bitmask within 0x${ALL_CATEGORIES.toString(16)}`);

const staffRoleNames = STAFF_ROLES.map((r) => roleName(r));
const role = z.union([z.number().int(), z.string()]).transform((value, ctx): Role => {
  const resolved =
    typeof value === "number"
      ? (STAFF_ROLES.find((r) => r === value) ?? undefined)
      : (Role as Readonly<Record<string, Role>>)[value];
  if (resolved === undefined || !STAFF_ROLES.includes(resolved)) {
    ctx.addIssue({
      code: "custom",
      message: `must be a staff role: one of ${staffRoleNames.join(", ")} (or 2..6)`,
    });
    return z.NEVER;
  }
  return resolved;
});

const schema = z
  .object({
    /** Free text for the humans who edit the file; ignored. */
    $comment: z.string().optional(),
    admin: address.refine(
      (a) => a !== ZeroAddress,
      "the zero address cannot be the governance admin",
    ),
    adminTransferDelay: z
      .number()
      .int()
      .min(0)
      .max(2 ** 48 - 1)
      .default(PARAMETER_DEFAULTS.adminTransferDelay),
    initialRegistrar: address.default(PARAMETER_DEFAULTS.initialRegistrar),
    breakGlassMaxDuration: z
      .number()
      .int()
      .min(1, "must be at least 1 second")
      .max(MAX_BREAK_GLASS_DURATION, `must be at most ${MAX_BREAK_GLASS_DURATION} s (24 h)`)
      .default(PARAMETER_DEFAULTS.breakGlassMaxDuration),
    registrars: z
      .array(address.refine((a) => a !== ZeroAddress, "a registrar cannot be the zero address"))
      .default([])
      .refine((list) => new Set(list).size === list.length, "lists an address twice"),
    rolePolicies: z
      .array(z.object({ role, read: mask, write: mask, emergencyRead: mask }).strict())
      .default([])
      .refine(
        (list) => new Set(list.map((p) => p.role)).size === list.length,
        "sets the same role twice",
      ),
  })
  .strict();

/** Validates the parameters object of a file (the value under `"CareLedger"`). */
export function parseCareLedgerParameters(file: string, json: unknown): CareLedgerParameters {
  if (typeof json !== "object" || json === null || !(CARELEDGER_MODULE_ID in json)) {
    throw new ParametersError(
      file,
      `has no "${CARELEDGER_MODULE_ID}" object: see ignition/parameters/localnode.json`,
    );
  }
  const result = schema.safeParse((json as Record<string, unknown>)[CARELEDGER_MODULE_ID]);
  if (!result.success) {
    const issue = result.error.issues[0];
    const where = [CARELEDGER_MODULE_ID, ...(issue?.path ?? [])].join(".");
    throw new ParametersError(file, `${where} ${issue?.message ?? "is invalid"}`);
  }
  const { $comment: _comment, ...parameters } = result.data;
  return parameters;
}

/** The default parameters file of `network`: `ignition/parameters/<network>.json`. */
export function parametersFileFor(ignitionDir: string, network: string): string {
  return path.join(ignitionDir, "parameters", `${network}.json`);
}

/** Reads and validates a parameters file. */
export async function readCareLedgerParameters(file: string): Promise<CareLedgerParameters> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    throw new ParametersError(
      file,
      "cannot be read: create it (copy ignition/parameters/localnode.json) or pass --parameters",
      { cause: error },
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ParametersError(file, `is not valid JSON: ${jsonErrorText(error)}`, { cause: error });
  }
  return parseCareLedgerParameters(file, json);
}

/** The scalar parameters in Ignition's `DeploymentParameters` shape. */
export function ignitionParameters(
  params: CareLedgerParameters,
): Record<string, Record<string, string | number>> {
  return {
    [CARELEDGER_MODULE_ID]: {
      admin: params.admin,
      adminTransferDelay: params.adminTransferDelay,
      initialRegistrar: params.initialRegistrar,
      breakGlassMaxDuration: params.breakGlassMaxDuration,
    },
  };
}

/** The `Role` key of a role value, e.g. `"Nurse"`. */
export function roleName(role: Role): RoleName {
  const entry = Object.entries(Role).find(([, value]) => value === role);
  if (entry === undefined) throw new RangeError(`unknown role ${role}`);
  return entry[0] as RoleName;
}

/** A JSON.parse error as one line, with its position (`… at position 42 (line 3 column 5)`). */
function jsonErrorText(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).replace(/\s*\n\s*/g, " ");
}
