/**
 * The proof of a signed grant carried in its FHIR `Consent`: the EIP-712 typed data exactly as the wallet
 * signed it (`eth_signTypedData_v4` payload), the signature, the signer and the hash of the transaction
 * that relayed it, as a JSON `Consent.sourceAttachment`; and the verification of that proof from the
 * resource alone.
 *
 * The typed data is written and read with the SDK's own typed-data functions
 * (`toEthSignTypedDataV4Payload`, `parseEthSignTypedDataV4`, `consentDigest`), so the proof follows the
 * signed struct whatever its fields are.
 */
import {
  Interface,
  type Provider,
  decodeBase64,
  encodeBase64,
  getAddress,
  isAddress,
  isHexString,
  recoverAddress,
  toUtf8Bytes,
  toUtf8String,
} from "ethers";
import { ConsentProofError } from "./errors.js";
import { ERC1271_MAGIC_VALUE } from "./verify.js";
import type { Attachment } from "./fhir-r4.js";
import {
  type SignedGrant,
  consentDigest,
  parseEthSignTypedDataV4,
  toEthSignTypedDataV4Payload,
} from "./typedData.js";

/** MIME type of the proof attachment. */
export const PROOF_CONTENT_TYPE = "application/json";
/** Title of the proof attachment (how a reader recognises it). */
export const PROOF_TITLE = "CareLedger EIP-712 signed consent";

/** How a grant was proven: the signed request and the transaction that relayed it. */
export interface ConsentProof {
  /** The typed data (domain and message), the signer and the signature. */
  readonly signed: SignedGrant;
  /** Hash of the transaction that relayed the signature (`grantWithSig`). */
  readonly transactionHash?: string | undefined;
}

/** The `Consent.sourceAttachment` carrying a proof. */
export function proofAttachment(proof: ConsentProof): Attachment {
  const body = {
    typedData: toEthSignTypedDataV4Payload(proof.signed),
    signer: proof.signed.signer,
    signature: proof.signed.signature,
    ...(proof.transactionHash === undefined ? {} : { transactionHash: proof.transactionHash }),
  };
  return {
    contentType: PROOF_CONTENT_TYPE,
    title: PROOF_TITLE,
    data: encodeBase64(toUtf8Bytes(JSON.stringify(body))),
  };
}

/** Whether an attachment claims to be a CareLedger proof (by its title and type). */
export function isProofAttachment(a: unknown): boolean {
  if (typeof a !== "object" || a === null) return false;
  const r = a as Record<string, unknown>;
  return r["title"] === PROOF_TITLE && r["contentType"] === PROOF_CONTENT_TYPE;
}

/**
 * The proof in a `sourceAttachment`; throws {@link ConsentProofError} naming what is malformed. Checks the
 * form only (see {@link verifyConsentProof} for the signature).
 */
export function readProofAttachment(attachment: unknown): ConsentProof {
  if (!isProofAttachment(attachment))
    throw new ConsentProofError(
      `not a proof: needs title "${PROOF_TITLE}" and ${PROOF_CONTENT_TYPE}`,
    );
  const data = (attachment as Record<string, unknown>)["data"];
  if (typeof data !== "string") throw new ConsentProofError("the attachment has no data");
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(toUtf8String(decodeBase64(data))) as Record<string, unknown>;
  } catch (err) {
    throw new ConsentProofError("the attachment data is not base64 JSON", { cause: err });
  }
  if (typeof body !== "object" || body === null)
    throw new ConsentProofError("the attachment data is not a JSON object");
  const request = parseEthSignTypedDataV4(body["typedData"]);
  if (request.kind !== "grant")
    throw new ConsentProofError("the typed data is not a grant (GrantConsent)");
  const { signer, signature, transactionHash } = body;
  if (typeof signer !== "string" || !isAddress(signer))
    throw new ConsentProofError("signer is not an address");
  if (typeof signature !== "string" || !isHexString(signature))
    throw new ConsentProofError("signature is not hex");
  if (transactionHash !== undefined && !isHexString(transactionHash, 32))
    throw new ConsentProofError("transactionHash is not a 32-byte hex hash");
  return {
    signed: { ...request, signer: getAddress(signer), signature },
    transactionHash: transactionHash,
  };
}

const ERC1271 = new Interface([
  "function isValidSignature(bytes32 hash, bytes signature) view returns (bytes4)",
]);

/** What {@link verifyConsentProof} established. */
export interface VerifiedProof {
  /** The EIP-712 digest that was signed. */
  readonly digest: string;
  readonly signer: string;
  /** ECDSA recovery to the signer, or the signer contract's ERC-1271 answer. */
  readonly signerKind: "eoa" | "erc1271";
}

/**
 * Verify the signature of a proof: ECDSA recovery to the signer offline; for a smart-account signer
 * (ERC-1271), its `isValidSignature` through `provider` (a smart account's validity lives on chain).
 * Throws {@link ConsentProofError} when the signature is not the signer's.
 */
export async function verifyConsentProof(
  proof: ConsentProof,
  options: { readonly provider?: Pick<Provider, "call"> } = {},
): Promise<VerifiedProof> {
  const digest = consentDigest(proof.signed);
  const signer = proof.signed.signer;
  let recovered: string | undefined;
  try {
    recovered = recoverAddress(digest, proof.signed.signature);
  } catch {
    recovered = undefined;
  }
  if (recovered === signer) return { digest, signer, signerKind: "eoa" };
  if (options.provider === undefined) {
    throw new ConsentProofError(
      `the signature does not recover to the signer ${signer}` +
        (recovered === undefined ? "" : ` (it recovers to ${recovered})`) +
        "; if the signer is a smart account (ERC-1271), pass a provider to ask it",
    );
  }
  let answer: string;
  try {
    const data = ERC1271.encodeFunctionData("isValidSignature", [digest, proof.signed.signature]);
    const result = await options.provider.call({ to: signer, data });
    answer = String(ERC1271.decodeFunctionResult("isValidSignature", result)[0]);
  } catch (err) {
    throw new ConsentProofError(`the signer ${signer} did not answer ERC-1271 isValidSignature`, {
      cause: err,
    });
  }
  if (answer !== ERC1271_MAGIC_VALUE)
    throw new ConsentProofError(`the smart account ${signer} refused the signature`);
  return { digest, signer, signerKind: "erc1271" };
}
