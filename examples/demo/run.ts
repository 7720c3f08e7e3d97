/**
 * The demo's bookkeeping: the log, the section headings, the steps and refusals it reports, and the
 * checks that turn any deviation from the story into a {@link DemoExpectationError}.
 */
import type { ContractTransactionResponse, TransactionReceipt } from "ethers";
import { NotAReaderError, openEnvelope } from "../../src/crypto/index.js";
import {
  AccessDeniedError,
  AccessPath,
  accessPathLabel,
  decodeContractError,
  purposeLabel,
  recordIdOf,
  shortHex,
  type AnchoredRecord,
  type ContractErrorName,
  type Purpose,
  type RecordReader,
  type SentTransaction,
} from "../../src/sdk/index.js";
import type { BlobStore } from "../../src/store/index.js";
import {
  DemoExpectationError,
  type AnchoredSealedRecord,
  type DemoEncryptedRecord,
  type DemoRecord,
  type DemoRefusal,
  type DemoStep,
  type SealRecord,
} from "./types.js";

/** One run of the demo: what it printed and recorded so far. */
export class DemoRun {
  readonly steps: DemoStep[] = [];
  readonly refusals: DemoRefusal[] = [];
  readonly records: DemoEncryptedRecord[] = [];
  #section = "";

  constructor(
    readonly log: (line: string) => void,
    /** Account → the name the demo prints for it. */
    readonly names: ReadonlyMap<string, string>,
  ) {}

  nameOf(account: string): string {
    return this.names.get(account) ?? shortHex(account);
  }

  namesOf(accounts: readonly (string | undefined)[]): string {
    return accounts.map((a) => (a === undefined ? "?" : this.nameOf(a))).join(", ");
  }

  readerNames(readers: readonly RecordReader[]): string {
    return readers
      .map((r) => (r.role === "custodian" ? "custodian" : this.nameOf(r.account ?? "?")))
      .join(", ");
  }

  heading(title: string): void {
    this.#section = title;
    this.log("");
    this.log(`== ${title} ==`);
  }

  /** Record and print a transaction that succeeded. */
  done(label: string, functionName: string, gasUsed: bigint): void {
    this.steps.push({ section: this.#section, label, functionName, gasUsed });
    this.log(`  ✓ ${label.padEnd(62)} ${gasText(gasUsed)}`);
  }

  note(line: string): void {
    this.log(`    ${line}`);
  }

  /** Send a transaction that must succeed; returns its receipt. */
  async send(
    label: string,
    functionName: string,
    action: () => Promise<ContractTransactionResponse>,
  ): Promise<TransactionReceipt> {
    let receipt: TransactionReceipt | null;
    try {
      receipt = await (await action()).wait();
    } catch (err) {
      throw failure(label, functionName, err);
    }
    if (receipt === null) throw new DemoExpectationError(`"${label}" produced no receipt`);
    this.done(label, functionName, receipt.gasUsed);
    return receipt;
  }

  /** Run an SDK client call that must succeed (its transactions are logged by the caller). */
  async attempt<T>(what: string, functionName: string, action: () => Promise<T>): Promise<T> {
    try {
      return await action();
    } catch (err) {
      throw failure(what, functionName, err);
    }
  }

  /** An SDK client call whose one transaction must succeed; logs it as a step. */
  async sendVia(label: string, action: () => Promise<SentTransaction>): Promise<SentTransaction> {
    const tx = await this.attempt(label, "", action);
    this.done(label, tx.functionName, tx.gasUsed);
    return tx;
  }

  /** Something that must be refused with `expected`; returns the decoded refusal. */
  async expectRefusal(
    label: string,
    who: string,
    functionName: string,
    expected: ContractErrorName,
    action: () => Promise<unknown>,
  ): Promise<AccessDeniedError> {
    const decoded = await expectDenied(label, expected, functionName, action);
    this.refusals.push({ who, errorName: decoded.errorName, message: decoded.message });
    this.log(`  ✗ ${label}: refused, as expected`);
    this.note(`${decoded.errorName}: ${decoded.message}`);
    const known = [...this.names].filter(([account]) =>
      decoded.message.includes(shortHex(account)),
    );
    if (known.length > 0)
      this.note(`(${known.map(([account, name]) => `${shortHex(account)} = ${name}`).join(", ")})`);
    return decoded;
  }

  /** Report an encrypted record the demo stored and read back. */
  storedRecord(label: string, anchored: AnchoredRecord, decryptedMatches: boolean): void {
    this.records.push({
      label,
      recordId: anchored.recordId,
      contentHash: anchored.contentHash,
      supersedes: anchored.supersedes,
      envelopeSize: anchored.envelopeSize,
      readers: anchored.readers.filter((r) => r.role !== "custodian").map((r) => r.account ?? "?"),
      custodian: anchored.readers.some((r) => r.role === "custodian"),
      decryptedMatches,
    });
  }
}

/** A blob store that counts reads, to show refused opens fetch nothing. */
export class CountingStore implements BlobStore {
  gets = 0;
  constructor(private readonly inner: BlobStore) {}
  put(bytes: Uint8Array): Promise<`0x${string}`> {
    return this.inner.put(bytes);
  }
  get(hash: string): Promise<Uint8Array> {
    this.gets++;
    return this.inner.get(hash);
  }
  has(hash: string): Promise<boolean> {
    return this.inner.has(hash);
  }
}

function gasText(gas: bigint): string {
  return `gas ${gas.toLocaleString("en-US").padStart(9)}`;
}

function failure(label: string, functionName: string, err: unknown): DemoExpectationError {
  const decoded = decodeContractError(err, undefined, { functionName });
  return new DemoExpectationError(
    `"${label}" should succeed but failed: ${(decoded ?? asError(err)).message}`,
    { cause: decoded ?? err },
  );
}

/**
 * Run `action`, a transaction that must be refused with access-denial `expected`; returns the decoded
 * refusal, or throws {@link DemoExpectationError} if it succeeds or fails any other way.
 */
export async function expectAccessDenied(
  label: string,
  expected: ContractErrorName,
  functionName: string,
  action: () => Promise<ContractTransactionResponse>,
): Promise<AccessDeniedError> {
  return expectDenied(label, expected, functionName, async () => (await action()).wait());
}

/** {@link expectAccessDenied} for any call (a transaction, an SDK client method). */
async function expectDenied(
  label: string,
  expected: ContractErrorName,
  functionName: string,
  action: () => Promise<unknown>,
): Promise<AccessDeniedError> {
  let outcome: unknown;
  try {
    await action();
  } catch (err) {
    outcome = err;
  }
  if (outcome === undefined)
    throw new DemoExpectationError(`"${label}" should be refused, but it succeeded`);
  const decoded = decodeContractError(outcome, undefined, { functionName });
  if (!(decoded instanceof AccessDeniedError) || decoded.errorName !== expected) {
    const got =
      decoded === undefined ? asError(outcome).message : `${decoded.name}: ${decoded.message}`;
    throw new DemoExpectationError(`"${label}" should be refused with ${expected}, got ${got}`, {
      cause: decoded ?? outcome,
    });
  }
  return decoded;
}

/** Check a decrypted body against the one sealed. */
export function expectBody(what: string, actual: string, expected: string): void {
  if (actual !== expected) {
    throw new DemoExpectationError(`${what} decrypted to a different body than the one sealed`);
  }
}

/**
 * Seal a record of `patient` (stand-in or real envelope encryption), check the result has the right
 * shape, and derive the id it is anchored under.
 */
export async function sealStep(
  seal: SealRecord,
  record: DemoRecord,
  patient: string,
): Promise<AnchoredSealedRecord> {
  const sealed = await seal(record);
  if (!/^0x[0-9a-fA-F]{64}$/.test(sealed.contentHash) || BigInt(sealed.contentHash) === 0n) {
    throw new DemoExpectationError(
      `sealing produced an invalid content hash ${sealed.contentHash}`,
    );
  }
  return { ...sealed, recordId: recordIdOf(patient, sealed.contentHash) };
}

export function expectPath(
  path: AccessPath,
  purpose: Purpose,
  expected: AccessPath,
  what: string,
): void {
  if (path !== expected) {
    throw new DemoExpectationError(
      `${what} should take path ${accessPathLabel(expected)}, took ${accessPathLabel(path)} (purpose ${purposeLabel(purpose)})`,
    );
  }
}

/** Whether `privateKey` holds a wrapped key in `envelope` (and it opens). */
export function opensWith(envelope: Uint8Array, privateKey: Uint8Array): boolean {
  try {
    openEnvelope(envelope, privateKey).body.fill(0);
    return true;
  } catch (err) {
    if (err instanceof NotAReaderError) return false;
    throw err;
  }
}

/** "Glucose [Mass/volume] in Serum (LOINC 2345-7) = 95 mg/dL" from a decrypted Observation. */
export function describeObservation(text: string): string {
  const o = JSON.parse(text) as {
    code?: { coding?: { code?: string; display?: string }[] };
    valueQuantity?: { value?: number; unit?: string };
  };
  const coding = o.code?.coding?.[0];
  const value = o.valueQuantity;
  return `${coding?.display ?? "?"} (LOINC ${coding?.code ?? "?"}) = ${value?.value ?? "?"} ${value?.unit ?? ""}`.trim();
}

/** One row per contract function: calls and gas (a range when calls differ). */
export function gasByFunction(steps: readonly DemoStep[]): string[][] {
  const byFunction = new Map<string, bigint[]>();
  for (const step of steps)
    byFunction.set(step.functionName, [...(byFunction.get(step.functionName) ?? []), step.gasUsed]);
  return [...byFunction].map(([fn, gas]) => {
    const min = gas.reduce((x, y) => (y < x ? y : x));
    const max = gas.reduce((x, y) => (y > x ? y : x));
    const fmt = (g: bigint): string => g.toLocaleString("en-US");
    return [fn, String(gas.length), min === max ? fmt(min) : `${fmt(min)} – ${fmt(max)}`];
  });
}

export function indent(text: string): string {
  return text
    .split("\n")
    .map((l) => `  ${l}`)
    .join("\n");
}

function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}
