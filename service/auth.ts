/**
 * Signed blob requests: an EIP-191 `personal_sign` over `blobRequestMessage` (method, hash, chain id,
 * contract, timestamp), carried in the `x-careledger-*` headers, accepted from an active member of an
 * active organisation (patients belong to none) within ±5 minutes of the service's clock.
 */
import { getAddress, isAddress, verifyMessage } from "ethers";
import {
  BLOB_REQUEST_HEADERS,
  BLOB_REQUEST_MAX_SKEW_SECONDS,
  Role,
  blobRequestMessage,
  type BlobRequestMethod,
  type CareLedger,
} from "../src/node.js";
import { ServiceRequestError } from "./errors.js";

/** What a verified signed request established. */
export interface SignedBlobRequest {
  readonly signer: string;
  readonly role: Role;
  readonly orgId: number;
}

/** Where the chain facts of a signed request come from. */
export interface ChainContext {
  readonly ledger: CareLedger;
  readonly chainId: bigint;
  readonly contract: string;
}

type Headers = Readonly<Record<string, string | string[] | undefined>>;

function header(headers: Headers, name: string): string {
  const value = headers[name];
  if (typeof value !== "string" || value === "") {
    throw new ServiceRequestError(401, "UNSIGNED_REQUEST", `missing header ${name}`, {
      field: `header.${name}`,
    });
  }
  return value;
}

/**
 * Check the signed request in `headers` for `method` on `hash`: signature, clock window, then the chain
 * (an active member; staff of an active organisation). Throws a 401/403 {@link ServiceRequestError}.
 */
export async function verifyBlobRequest(
  context: ChainContext,
  method: BlobRequestMethod,
  hash: string,
  headers: Headers,
  nowSeconds: number = Math.floor(Date.now() / 1000),
): Promise<SignedBlobRequest> {
  const claimed = header(headers, BLOB_REQUEST_HEADERS.signer);
  const timestampText = header(headers, BLOB_REQUEST_HEADERS.timestamp);
  const signature = header(headers, BLOB_REQUEST_HEADERS.signature);
  if (!isAddress(claimed)) {
    throw new ServiceRequestError(
      400,
      "INVALID_SIGNER",
      `${BLOB_REQUEST_HEADERS.signer} is not a 20-byte hex address`,
      {
        field: `header.${BLOB_REQUEST_HEADERS.signer}`,
      },
    );
  }
  if (!/^[0-9]{1,12}$/.test(timestampText)) {
    throw new ServiceRequestError(400, "INVALID_TIMESTAMP", "timestamp must be unix seconds", {
      field: `header.${BLOB_REQUEST_HEADERS.timestamp}`,
    });
  }
  const timestamp = Number(timestampText);
  if (Math.abs(nowSeconds - timestamp) > BLOB_REQUEST_MAX_SKEW_SECONDS) {
    throw new ServiceRequestError(
      401,
      "STALE_REQUEST",
      `timestamp ${timestampText} is more than ${String(BLOB_REQUEST_MAX_SKEW_SECONDS)} s from the service's clock (${String(nowSeconds)})`,
      { field: `header.${BLOB_REQUEST_HEADERS.timestamp}` },
    );
  }
  const message = blobRequestMessage({
    method,
    hash,
    chainId: context.chainId,
    contract: context.contract,
    timestamp,
  });
  let recovered: string;
  try {
    recovered = verifyMessage(message, signature);
  } catch {
    throw new ServiceRequestError(401, "INVALID_SIGNATURE", "the signature is malformed", {
      field: `header.${BLOB_REQUEST_HEADERS.signature}`,
    });
  }
  const signer = getAddress(claimed);
  if (recovered !== signer) {
    throw new ServiceRequestError(
      401,
      "INVALID_SIGNATURE",
      `the signature is not ${signer}'s over this ${method} of ${hash} on chain ${String(context.chainId)} at ${context.contract}`,
      { field: `header.${BLOB_REQUEST_HEADERS.signature}` },
    );
  }
  const [member] = await context.ledger.memberOf(signer);
  const role = Number(member.role) as Role;
  const orgId = Number(member.orgId);
  if (role === Role.None) {
    throw new ServiceRequestError(403, "NOT_A_MEMBER", `${signer} is not a CareLedger member`);
  }
  if (!member.active) {
    throw new ServiceRequestError(403, "MEMBER_INACTIVE", `member ${signer} is suspended`);
  }
  if (role !== Role.Patient) {
    const org = await context.ledger.organizationOf(orgId);
    if (!org.active) {
      throw new ServiceRequestError(
        403,
        "ORGANIZATION_SUSPENDED",
        `organisation ${String(orgId)} of ${signer} is suspended`,
      );
    }
  }
  return { signer, role, orgId };
}
