/**
 * EIP-712 typed data of CareLedger's signed consent (`grantWithSig` / `revokeWithSig`, see
 * contracts/interfaces/ISignedConsent.sol): the domain, the two struct types, building requests from the
 * chain, signing them with an ethers signer, the JSON a wallet passes to `eth_signTypedData_v4`, and a
 * transport format for signed requests (decimal strings, validated with zod on the way in; `zod/mini`,
 * whose unused checks a bundler drops).
 *
 * A patient signs off chain and pays no gas; a clinic or any relayer submits the signature.
 */
import {
  type BigNumberish,
  type Signer,
  type TypedDataDomain,
  type TypedDataField,
  TypedDataEncoder,
  getAddress,
  getBigInt,
  isAddress,
  ZeroAddress,
} from "ethers";
import * as z from "zod/mini";
import type { CareLedger } from "../../typechain-types/index.js";
import { ALL_CATEGORIES, ALL_PURPOSES } from "../sdk/constants.js";
import { InvalidConsentInputError, DomainMismatchError } from "./errors.js";

/** EIP-712 domain name of every CareLedger deployment. */
export const CONSENT_DOMAIN_NAME = "CareLedger";
/** EIP-712 domain version. */
export const CONSENT_DOMAIN_VERSION = "1";

/** The EIP-712 domain of one CareLedger deployment on one chain. */
export interface ConsentDomain {
  readonly name: string;
  readonly version: string;
  readonly chainId: bigint;
  readonly verifyingContract: string;
}

/** `GrantConsent(address patient,address signer,address grantee,uint16 categories,uint8 purposes,uint40 expiresAt,uint32 epoch,uint256 nonce,uint256 deadline)` */
export const GRANT_CONSENT_TYPES: Record<"GrantConsent", TypedDataField[]> = {
  GrantConsent: [
    { name: "patient", type: "address" },
    { name: "signer", type: "address" },
    { name: "grantee", type: "address" },
    { name: "categories", type: "uint16" },
    { name: "purposes", type: "uint8" },
    { name: "expiresAt", type: "uint40" },
    { name: "epoch", type: "uint32" },
    { name: "nonce", type: "uint256" },
    { name: "deadline", type: "uint256" },
  ],
};

/** `RevokeConsent(address patient,address signer,address grantee,uint32 epoch,uint256 nonce,uint256 deadline)` */
export const REVOKE_CONSENT_TYPES: Record<"RevokeConsent", TypedDataField[]> = {
  RevokeConsent: [
    { name: "patient", type: "address" },
    { name: "signer", type: "address" },
    { name: "grantee", type: "address" },
    { name: "epoch", type: "uint32" },
    { name: "nonce", type: "uint256" },
    { name: "deadline", type: "uint256" },
  ],
};

/** The `EIP712Domain` type of the domain CareLedger uses (no salt). */
export const EIP712_DOMAIN_TYPE: TypedDataField[] = [
  { name: "name", type: "string" },
  { name: "version", type: "string" },
  { name: "chainId", type: "uint256" },
  { name: "verifyingContract", type: "address" },
];

/** A grant as signed: the fields of `GrantConsent`. Addresses are checksummed. */
export interface GrantConsentMessage {
  readonly patient: string;
  /** Who signs: the patient or a delegate (an EOA or an ERC-1271 account); bound into the signature. */
  readonly signer: string;
  readonly grantee: string;
  /** Category bitmask (`uint16`, bit i = category index i). */
  readonly categories: number;
  /** Purpose-of-use bitmask (`uint8`). */
  readonly purposes: number;
  /** End of the grant, unix seconds, exclusive (`uint40`). */
  readonly expiresAt: bigint;
  /** The grant's epoch when signed (`consentOf(patient, grantee).epoch`); a direct change voids the signature. */
  readonly epoch: number;
  /** The nonce this signature uses in the signer's lane (`nonces(patient, signer, key)` when signed). */
  readonly nonce: bigint;
  /** Last second (block time) the signature may be relayed. */
  readonly deadline: bigint;
}

/** A revocation as signed: the fields of `RevokeConsent`. */
export interface RevokeConsentMessage {
  readonly patient: string;
  readonly signer: string;
  readonly grantee: string;
  readonly epoch: number;
  readonly nonce: bigint;
  readonly deadline: bigint;
}

/** A grant ready to be signed. */
export interface GrantRequest {
  readonly kind: "grant";
  readonly domain: ConsentDomain;
  readonly message: GrantConsentMessage;
}

/** A revocation ready to be signed. */
export interface RevokeRequest {
  readonly kind: "revoke";
  readonly domain: ConsentDomain;
  readonly message: RevokeConsentMessage;
}

export type ConsentRequest = GrantRequest | RevokeRequest;

/** Who signed and the signature, for a request. */
export interface ConsentSignature {
  /** The account the signature is for: the patient or a delegate, an EOA or an ERC-1271 contract. */
  readonly signer: string;
  /** The signature bytes, hex (65 bytes r‖s‖v for an EOA; whatever the smart account accepts otherwise). */
  readonly signature: string;
}

export interface SignedGrant extends GrantRequest, ConsentSignature {}
export interface SignedRevoke extends RevokeRequest, ConsentSignature {}
export type SignedConsent = SignedGrant | SignedRevoke;

/** What signs: an ethers `Signer` (a `Wallet`, a browser wallet's `JsonRpcSigner`, a Hardhat signer). */
export type TypedDataSigner = Pick<Signer, "signTypedData" | "getAddress">;

// ---------------------------------------------------------------------------------------------
// Validation of untrusted input (zod)
// ---------------------------------------------------------------------------------------------

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

const domainSchema = z.strictObject({
  name: z.literal(CONSENT_DOMAIN_NAME),
  version: z.literal(CONSENT_DOMAIN_VERSION),
  chainId: uintSchema(256),
  verifyingContract: addressSchema,
});

const grantMessageSchema = z
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

const revokeMessageSchema = z.strictObject({
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

const signedConsentSchema = z.discriminatedUnion("kind", [
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

function parseWith<S extends z.ZodMiniType>(schema: S, input: unknown, what: string): z.output<S> {
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

function parseJson(json: string, what: string): unknown {
  try {
    return JSON.parse(json) as unknown;
  } catch (err) {
    throw new InvalidConsentInputError(what, [{ path: "", message: "is not valid JSON" }], {
      cause: err,
    });
  }
}

// ---------------------------------------------------------------------------------------------
// Domain and requests
// ---------------------------------------------------------------------------------------------

/** The domain of the CareLedger deployment at `verifyingContract` on chain `chainId`. */
export function consentDomain(chainId: BigNumberish, verifyingContract: string): ConsentDomain {
  return parseWith(
    domainSchema,
    {
      name: CONSENT_DOMAIN_NAME,
      version: CONSENT_DOMAIN_VERSION,
      chainId: getBigInt(chainId),
      verifyingContract,
    },
    "EIP-712 domain",
  );
}

/**
 * The domain as the deployed contract reports it (ERC-5267 `eip712Domain()`), so a request is built
 * for the chain and contract it will be relayed to.
 */
export async function readConsentDomain(ledger: CareLedger): Promise<ConsentDomain> {
  const d = await ledger.eip712Domain();
  if (d.name !== CONSENT_DOMAIN_NAME)
    throw new DomainMismatchError("name", CONSENT_DOMAIN_NAME, d.name);
  if (d.version !== CONSENT_DOMAIN_VERSION) {
    throw new DomainMismatchError("version", CONSENT_DOMAIN_VERSION, d.version);
  }
  return consentDomain(d.chainId, d.verifyingContract);
}

/** Fields of a grant to sign; numbers may be bigints, safe integers or decimal strings. */
export interface GrantParams {
  readonly patient: string;
  readonly grantee: string;
  readonly categories: BigNumberish;
  readonly purposes: BigNumberish;
  readonly expiresAt: BigNumberish;
  readonly deadline: BigNumberish;
  /** Who will sign: the patient (the default) or a delegate, an EOA or an ERC-1271 account. */
  readonly signer?: string;
  /** The grant's epoch; `prepareGrant` reads `consentOf(patient, grantee).epoch` when omitted. */
  readonly epoch?: BigNumberish;
  /**
   * The signer's nonce; `prepareGrant` reads `nonces(patient, signer, grantee)` (the lane keyed by the
   * grantee, so signatures for different grantees never collide) when omitted.
   */
  readonly nonce?: BigNumberish;
}

/** Fields of a revocation to sign. */
export interface RevokeParams {
  readonly patient: string;
  readonly grantee: string;
  readonly deadline: BigNumberish;
  /** Who will sign: the patient (the default) or a delegate. */
  readonly signer?: string;
  /** The grant's epoch; read from chain when omitted. */
  readonly epoch?: BigNumberish;
  /** The signer's nonce; read from the grantee's lane when omitted. */
  readonly nonce?: BigNumberish;
}

type WithNonce<P> = Omit<P, "signer" | "epoch" | "nonce"> & {
  readonly signer: string;
  readonly epoch: BigNumberish;
  readonly nonce: BigNumberish;
};

/** The nonce lane the SDK uses for a grantee: its address as a `uint192` key. */
export function nonceKeyFor(grantee: string): bigint {
  return BigInt(getAddress(grantee));
}

/** Signer (default: the patient), epoch and nonce of a request, read from `ledger` where not given. */
async function chainFields(
  ledger: CareLedger,
  params: GrantParams | RevokeParams,
): Promise<{ signer: string; epoch: BigNumberish; nonce: BigNumberish }> {
  const signer = params.signer ?? params.patient;
  const [epoch, nonce] = await Promise.all([
    params.epoch ?? ledger.consentOf(params.patient, params.grantee).then((g) => g.epoch),
    params.nonce ?? ledger.nonces(params.patient, signer, nonceKeyFor(params.grantee)),
  ]);
  return { signer, epoch, nonce };
}

/** A validated grant request for `domain` (throws {@link InvalidConsentInputError} on bad input). */
export function buildGrantRequest(
  domain: ConsentDomain,
  params: WithNonce<GrantParams>,
): GrantRequest {
  const message = parseWith(grantMessageSchema, { ...params }, "GrantConsent message");
  return {
    kind: "grant",
    domain: parseWith(domainSchema, { ...domain }, "EIP-712 domain"),
    message,
  };
}

/** A validated revocation request for `domain`. */
export function buildRevokeRequest(
  domain: ConsentDomain,
  params: WithNonce<RevokeParams>,
): RevokeRequest {
  const message = parseWith(revokeMessageSchema, { ...params }, "RevokeConsent message");
  return {
    kind: "revoke",
    domain: parseWith(domainSchema, { ...domain }, "EIP-712 domain"),
    message,
  };
}

/** A grant request for `ledger`: its domain and (unless given) the patient's current nonce, read from chain. */
export async function prepareGrant(ledger: CareLedger, params: GrantParams): Promise<GrantRequest> {
  const [domain, fields] = await Promise.all([
    readConsentDomain(ledger),
    chainFields(ledger, params),
  ]);
  return buildGrantRequest(domain, { ...params, ...fields });
}

/** A revocation request for `ledger`, like {@link prepareGrant}. */
export async function prepareRevoke(
  ledger: CareLedger,
  params: RevokeParams,
): Promise<RevokeRequest> {
  const [domain, fields] = await Promise.all([
    readConsentDomain(ledger),
    chainFields(ledger, params),
  ]);
  return buildRevokeRequest(domain, { ...params, ...fields });
}

/** The EIP-712 struct types of a request kind. */
export function consentTypes(kind: ConsentRequest["kind"]): Record<string, TypedDataField[]> {
  return kind === "grant" ? GRANT_CONSENT_TYPES : REVOKE_CONSENT_TYPES;
}

/** The EIP-712 primary type of a request kind. */
export function consentPrimaryType(kind: ConsentRequest["kind"]): "GrantConsent" | "RevokeConsent" {
  return kind === "grant" ? "GrantConsent" : "RevokeConsent";
}

/** The domain as ethers takes it. */
export function toTypedDataDomain(domain: ConsentDomain): TypedDataDomain {
  return {
    name: domain.name,
    version: domain.version,
    chainId: domain.chainId,
    verifyingContract: domain.verifyingContract,
  };
}

/** The message as ethers takes it (a plain record). */
function messageRecord(request: ConsentRequest): Record<string, unknown> {
  return { ...request.message };
}

/** The EIP-712 digest the contract checks the signature against (`_hashTypedDataV4(structHash)`). */
export function consentDigest(request: ConsentRequest): string {
  return TypedDataEncoder.hash(
    toTypedDataDomain(request.domain),
    consentTypes(request.kind),
    messageRecord(request),
  );
}

/** The arguments of `grantWithSig` for a signed grant, in ABI order. */
export function grantWithSigArgs(signed: SignedGrant) {
  const m = signed.message;
  return [
    m.patient,
    m.grantee,
    m.categories,
    m.purposes,
    m.expiresAt,
    m.epoch,
    m.nonce,
    m.deadline,
    signed.signer,
    signed.signature,
  ] as const;
}

/** The arguments of `revokeWithSig` for a signed revocation, in ABI order. */
export function revokeWithSigArgs(signed: SignedRevoke) {
  const m = signed.message;
  return [
    m.patient,
    m.grantee,
    m.epoch,
    m.nonce,
    m.deadline,
    signed.signer,
    signed.signature,
  ] as const;
}

// ---------------------------------------------------------------------------------------------
// Signing
// ---------------------------------------------------------------------------------------------

/** Options of {@link signGrant} / {@link signRevoke}. */
export interface SignOptions {
  /**
   * The account the signature is for, when it is not the signing key's own address: an ERC-1271 smart
   * account (the patient's wallet contract) whose owner signs.
   */
  readonly signerAddress?: string;
}

async function signRequest<R extends ConsentRequest>(
  signer: TypedDataSigner,
  request: R,
  options: SignOptions,
): Promise<R & ConsentSignature> {
  const signature = await signer.signTypedData(
    toTypedDataDomain(request.domain),
    consentTypes(request.kind),
    messageRecord(request),
  );
  const account = getAddress(options.signerAddress ?? (await signer.getAddress()));
  if (account !== request.message.signer) {
    // The signer is part of what is signed: a request prepared for another account cannot be signed here.
    throw new InvalidConsentInputError("consent signature", [
      {
        path: "message.signer",
        message: `the request names signer ${request.message.signer}, but ${account} is signing`,
      },
    ]);
  }
  return { ...request, signer: account, signature };
}

/** Sign a grant (EIP-712 `eth_signTypedData_v4`) with `signer`, the patient or a delegate. */
export function signGrant(
  signer: TypedDataSigner,
  request: GrantRequest,
  options: SignOptions = {},
): Promise<SignedGrant> {
  return signRequest(signer, request, options);
}

/** Sign a revocation with `signer`, the patient or a delegate. */
export function signRevoke(
  signer: TypedDataSigner,
  request: RevokeRequest,
  options: SignOptions = {},
): Promise<SignedRevoke> {
  return signRequest(signer, request, options);
}

// ---------------------------------------------------------------------------------------------
// JSON for wallets and for transport
// ---------------------------------------------------------------------------------------------

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
