/**
 * Record ids: a record version is anchored under `keccak256(abi.encode(patient, contentHash))`, where
 * `contentHash` is the blob store's key of its encrypted envelope: keccak256 for a CLE1 envelope, the
 * CLE2 content id for a streamed one. The id belongs to the
 * patient, so no one can anchor another patient's envelope hash first and block the real anchor.
 */
import { AbiCoder, getAddress, keccak256 } from "ethers";
import type { CareLedger } from "../../typechain-types/index.js";
import { normalizeContentHash, type ContentHash } from "../crypto/hash.js";

const coder = AbiCoder.defaultAbiCoder();

/** The on-chain id of `patient`'s record version whose envelope hashes to `contentHash`. */
export function recordIdOf(patient: string, contentHash: string): ContentHash {
  return normalizeContentHash(
    keccak256(coder.encode(["address", "bytes32"], [getAddress(patient), contentHash])),
  );
}

/**
 * The envelope hash record version `recordId` was anchored with, from its `RecordAnchored` event
 * (`undefined` if none). The caller checks `recordIdOf(patient, hash) === recordId` and the blob's hash.
 */
export async function anchoredContentHash(
  ledger: CareLedger,
  recordId: string,
): Promise<ContentHash | undefined> {
  const logs = await ledger.queryFilter(ledger.filters.RecordAnchored(recordId));
  const log = logs[0];
  return log === undefined ? undefined : normalizeContentHash(log.args.contentHash);
}
