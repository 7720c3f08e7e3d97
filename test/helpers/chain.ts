/**
 * Small chain helpers shared by the TypeScript tests: pinned block times, same-block transactions and the
 * revert data of a mined, failed transaction.
 */
import type { ContractTransactionResponse, TransactionReceipt } from "ethers";
import type { NetworkConnection } from "hardhat/types/network";

/** Pin the timestamp of the next block to one second after the latest, and return it. */
export async function pinNextTimestamp(connection: NetworkConnection, offset = 1): Promise<number> {
  const t = (await connection.networkHelpers.time.latest()) + offset;
  await connection.networkHelpers.time.setNextBlockTimestamp(t);
  return t;
}

/**
 * Run `send` with automine off, so every transaction it sends lands in ONE block, mined afterwards.
 * Transactions must carry an explicit `gasLimit` (gas estimation would run them against the old state).
 * Returns the receipts in sending order (failed ones included, with `status` 0).
 */
export async function inOneBlock(
  connection: NetworkConnection,
  send: () => Promise<readonly ContractTransactionResponse[]>,
): Promise<TransactionReceipt[]> {
  const provider = connection.ethers.provider;
  await provider.send("evm_setAutomine", [false]);
  let sent: readonly ContractTransactionResponse[];
  try {
    sent = await send();
    await connection.networkHelpers.mine();
  } finally {
    await provider.send("evm_setAutomine", [true]);
  }
  const receipts: TransactionReceipt[] = [];
  for (const tx of sent) {
    const receipt = await provider.getTransactionReceipt(tx.hash);
    if (receipt === null) throw new Error(`transaction ${tx.hash} was not mined`);
    receipts.push(receipt);
  }
  return receipts;
}

interface TraceResult {
  readonly failed: boolean;
  readonly returnValue: string;
}

/** The revert data of mined transaction `txHash` (`0x` if it did not revert with data). */
export async function revertDataOf(connection: NetworkConnection, txHash: string): Promise<string> {
  const trace = (await connection.ethers.provider.send("debug_traceTransaction", [
    txHash,
    { disableStorage: true, disableMemory: true, disableStack: true },
  ])) as TraceResult;
  if (!trace.failed) return "0x";
  return trace.returnValue.startsWith("0x") ? trace.returnValue : `0x${trace.returnValue}`;
}
