/**
 * The CareLedger contract from the shipped ABI (`src/abi/careLedger.ts`), typed with the
 * generated bindings but without the TypeChain factory, whose module carries the bytecode.
 */
import { Contract, type ContractRunner, type InterfaceAbi } from "ethers";
import { careLedgerAbi } from "../abi/careLedger.js";
import type { CareLedger } from "../../typechain-types/CareLedger.js";

/** The typed CareLedger at `address`, reading through or sending with `runner`. */
export function careLedgerAt(
  address: string,
  runner: ContractRunner | null,
  abi: readonly unknown[] = careLedgerAbi,
): CareLedger {
  return new Contract(address, abi as InterfaceAbi, runner) as unknown as CareLedger;
}
