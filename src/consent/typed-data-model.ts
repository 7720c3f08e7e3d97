/**
 * The EIP-712 model of CareLedger's signed consent (see contracts/interfaces/ISignedConsent.sol): the
 * domain, the two struct types and the request and signature shapes. Part of `typedData.ts`, which
 * re-exports it.
 */
import type { Signer, TypedDataField } from "ethers";

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

/** The EIP-712 struct types of a request kind. */
export function consentTypes(kind: ConsentRequest["kind"]): Record<string, TypedDataField[]> {
  return kind === "grant" ? GRANT_CONSENT_TYPES : REVOKE_CONSENT_TYPES;
}

/** The EIP-712 primary type of a request kind. */
export function consentPrimaryType(kind: ConsentRequest["kind"]): "GrantConsent" | "RevokeConsent" {
  return kind === "grant" ? "GrantConsent" : "RevokeConsent";
}
