/**
 * EIP-712 typed data of CareLedger's signed consent (`grantWithSig` / `revokeWithSig`, see
 * contracts/interfaces/ISignedConsent.sol): the domain, the two struct types, building requests from the
 * chain, signing them with an ethers signer, the JSON a wallet passes to `eth_signTypedData_v4`, and a
 * transport format for signed requests (decimal strings, validated with zod on the way in; `zod/mini`,
 * whose unused checks a bundler drops).
 *
 * A patient signs off chain and pays no gas; a clinic or any relayer submits the signature.
 *
 * This file builds and signs requests; the model (domain, types, shapes) is in `typed-data-model.ts`,
 * the validation in `typed-data-schema.ts`, the JSON forms in `typed-data-json.ts`, all re-exported here.
 */
import {
  type BigNumberish,
  type TypedDataDomain,
  TypedDataEncoder,
  getAddress,
  getBigInt,
} from "ethers";
import type { CareLedger } from "../../typechain-types/index.js";
import { InvalidConsentInputError, DomainMismatchError } from "./errors.js";
import {
  domainSchema,
  grantMessageSchema,
  parseWith,
  revokeMessageSchema,
} from "./typed-data-schema.js";
import {
  CONSENT_DOMAIN_NAME,
  CONSENT_DOMAIN_VERSION,
  consentTypes,
  type ConsentDomain,
  type ConsentRequest,
  type ConsentSignature,
  type GrantRequest,
  type RevokeRequest,
  type SignedGrant,
  type SignedRevoke,
  type TypedDataSigner,
} from "./typed-data-model.js";

export * from "./typed-data-model.js";
export * from "./typed-data-json.js";

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
