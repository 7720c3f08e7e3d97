/**
 * Assertions shared by the TypeScript tests of CareLedger.
 */
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";
import { expect } from "chai";
import type { NetworkConnection } from "hardhat/types/network";
import type { CareLedger } from "../../typechain-types/index.js";
import type { AccessPathIndex } from "./constants.js";

/**
 * `reader` opens `recordId` for `purpose`: assert that `openRecord` returns `path` and emits exactly
 * `RecordOpened(recordId, patient, reader, purpose, path, openedAt)`. The block time is pinned to `at`
 * (default: one second after the latest block). Returns the block time of the open.
 */
export async function expectOpened(
  connection: NetworkConnection,
  ledger: CareLedger,
  reader: HardhatEthersSigner,
  recordId: string,
  purpose: number,
  path: AccessPathIndex,
  at?: number,
): Promise<number> {
  const openedAt = at ?? (await connection.networkHelpers.time.latest()) + 1;
  const [record] = await ledger.recordOf(recordId);
  await connection.networkHelpers.time.setNextBlockTimestamp(openedAt);
  expect(await ledger.connect(reader).openRecord.staticCall(recordId, purpose)).to.equal(path);
  await expect(ledger.connect(reader).openRecord(recordId, purpose))
    .to.emit(ledger, "RecordOpened")
    .withArgs(recordId, record.patient, reader.address, purpose, path, openedAt);
  return openedAt;
}
