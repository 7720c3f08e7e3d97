/**
 * Deterministic fresh identifiers for the benchmark.
 *
 * Every measured call must cost the same whenever it runs, so its calldata must not depend on luck:
 * calldata costs 4 gas per zero byte and 16 per non-zero byte, so the ids and addresses handed to
 * measured calls are chosen with no zero byte at all. They are derived from a label and a counter
 * (keccak256, re-salted until no byte is zero), so two runs of the bench send byte-identical calldata.
 */
import { Wallet, getAddress, keccak256, solidityPacked } from "ethers";

function hasZeroByte(hex: string): boolean {
  for (let i = 2; i < hex.length; i += 2) if (hex.slice(i, i + 2) === "00") return true;
  return false;
}

/** `keccak256(label, index, salt)` for the first salt that gives a value accepted by `accept`. */
function derive(label: string, index: number, accept: (hash: string) => boolean): string {
  for (let salt = 0; ; salt++) {
    const hash = keccak256(solidityPacked(["string", "uint256", "uint256"], [label, index, salt]));
    if (accept(hash)) return hash;
  }
}

/** A 32-byte value with no zero byte (a content hash, a justification hash, an encryption key). */
export function freshHash(label: string, index: number): string {
  return derive(label, index, (h) => !hasZeroByte(h));
}

/** An address with no zero byte (a grantee that never signs anything). */
export function freshAddress(label: string, index: number): string {
  return getAddress(
    `0x${derive(label, index, (h) => !hasZeroByte(`0x${h.slice(-40)}`)).slice(-40)}`,
  );
}

/** A local wallet whose address has no zero byte (a patient that signs EIP-712 grants). */
export function freshWallet(label: string, index: number): Wallet {
  for (let salt = 0; ; salt++) {
    const key = keccak256(solidityPacked(["string", "uint256", "uint256"], [label, index, salt]));
    const wallet = new Wallet(key);
    if (!hasZeroByte(wallet.address.toLowerCase())) return wallet;
  }
}

/** 4 gas per zero byte, 16 per non-zero byte (EIP-2028) of `data` (0x-hex). */
export function calldataGas(data: string): number {
  let gas = 0;
  for (let i = 2; i < data.length; i += 2) gas += data.slice(i, i + 2) === "00" ? 4 : 16;
  return gas;
}

/** An address for bulk state (may contain zero bytes). */
export function bulkAddress(label: string, index: number): string {
  return getAddress(
    `0x${keccak256(solidityPacked(["string", "uint256"], [label, index])).slice(-40)}`,
  );
}

/** A 32-byte value for bulk state (may contain zero bytes). */
export function bulkHash(label: string, index: number): string {
  return keccak256(solidityPacked(["string", "uint256"], [label, index]));
}
