/**
 * Off-chain verification of a signed consent request before it is relayed, mirroring
 * `SignedConsent._verify` and the checks after it, in the contract's order. Each refusal is the very
 * error the chain would revert with, decoded (`InvalidSignatureError` for `SignerMismatch`, …, from
 * `src/sdk/errors.ts`), so a relayer handles a local and an on-chain refusal the same way.
 */
import {
  Interface,
  type Provider,
  ZeroHash,
  getAddress,
  getBytes,
  hexlify,
  verifyTypedData,
  zeroPadBytes,
} from "ethers";
import type { CareLedger } from "../../typechain-types/index.js";
import { Role } from "../sdk/constants.js";
import {
  type ContractErrorArgs,
  type ContractErrorName,
  type ContractRevertError,
  careLedgerInterface,
  contractErrorFrom,
  decodeContractError,
} from "../sdk/errors.js";
import { DomainMismatchError } from "./errors.js";
import {
  type ConsentDomain,
  type SignedConsent,
  consentDigest,
  consentTypes,
  grantWithSigArgs,
  readConsentDomain,
  revokeWithSigArgs,
  toTypedDataDomain,
} from "./typedData.js";

/** Largest `s` ECDSA accepts (`secp256k1n / 2`): a higher one is the malleable twin of a valid signature. */
export const SECP256K1_HALF_ORDER =
  0x7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0n;
/** ERC-1271 `isValidSignature(bytes32,bytes)` magic value. */
export const ERC1271_MAGIC_VALUE = "0x1626ba7e";

const ERC1271 = new Interface([
  "function isValidSignature(bytes32 hash, bytes signature) view returns (bytes4)",
]);

/** Options of {@link verifyLocally}. */
export interface VerifyOptions {
  /** Block time the relayed transaction is assumed to run at; default: the latest block's time + 1. */
  readonly now?: bigint;
  /**
   * Also simulate the relayed call (`staticCall`) once the signature checks pass, so that every other
   * refusal (paused contract, past expiry, unknown grant, …) surfaces before gas is spent. Default true.
   */
  readonly simulate?: boolean;
}

/** What a successful verification established. */
export interface VerifiedConsent {
  /** The EIP-712 digest that was signed. */
  readonly digest: string;
  readonly signer: string;
  /** How the signature was checked: ECDSA recovery, or the smart account's ERC-1271 answer. */
  readonly signerKind: "eoa" | "erc1271";
  /** Whether the signer is the patient or one of the patient's live delegates. */
  readonly actor: "patient" | "delegate";
  /** The patient nonce the signature uses (the current one). */
  readonly nonce: bigint;
}

type FunctionName = "grantWithSig" | "revokeWithSig";

/** The decoded error the contract would revert with (same class, `errorName`, `args` and revert data). */
function refusal<N extends ContractErrorName>(
  errorName: N,
  args: ContractErrorArgs[N],
  functionName: FunctionName,
): ContractRevertError<N> {
  const iface = careLedgerInterface();
  const fragment = iface.getError(errorName);
  if (fragment === null) throw new Error(`CareLedger ABI has no error ${errorName}`);
  const values = fragment.inputs.map((p) => (args as Readonly<Record<string, unknown>>)[p.name]);
  const data = iface.encodeErrorResult(fragment, values);
  return contractErrorFrom({ errorName, args, data, functionName, cause: undefined });
}

function providerOf(ledger: CareLedger): Provider {
  const provider = ledger.runner?.provider;
  if (provider == null) throw new Error("the CareLedger contract is not connected to a provider");
  return provider;
}

function checkDomain(domain: ConsentDomain, expected: ConsentDomain): void {
  if (domain.name !== expected.name)
    throw new DomainMismatchError("name", expected.name, domain.name);
  if (domain.version !== expected.version) {
    throw new DomainMismatchError("version", expected.version, domain.version);
  }
  if (domain.chainId !== expected.chainId) {
    throw new DomainMismatchError("chainId", expected.chainId, domain.chainId);
  }
  if (getAddress(domain.verifyingContract) !== getAddress(expected.verifyingContract)) {
    throw new DomainMismatchError(
      "verifyingContract",
      expected.verifyingContract,
      domain.verifyingContract,
    );
  }
}

/** `ECDSA.recoverCalldata` then the `SignerMismatch` check, with OpenZeppelin's refusals. */
function verifyEoaSignature(signed: SignedConsent, fn: FunctionName): void {
  const bytes = getBytes(signed.signature);
  if (bytes.length !== 65)
    throw refusal("ECDSAInvalidSignatureLength", { length: BigInt(bytes.length) }, fn);
  const s = hexlify(bytes.slice(32, 64));
  if (BigInt(s) > SECP256K1_HALF_ORDER) throw refusal("ECDSAInvalidSignatureS", { s }, fn);
  const v = bytes[64];
  if (v !== 27 && v !== 28) throw refusal("ECDSAInvalidSignature", {}, fn);
  let recovered: string;
  try {
    recovered = verifyTypedData(
      toTypedDataDomain(signed.domain),
      consentTypes(signed.kind),
      { ...signed.message },
      signed.signature,
    );
  } catch {
    // r or s out of range, or no curve point: `ecrecover` returns address(0).
    throw refusal("ECDSAInvalidSignature", {}, fn);
  }
  if (recovered !== getAddress(signed.signer)) {
    throw refusal("SignerMismatch", { signer: getAddress(signed.signer), recovered }, fn);
  }
}

/** `SignatureChecker.isValidERC1271SignatureNowCalldata`: a successful call returning the magic word. */
async function verifyErc1271Signature(
  provider: Provider,
  signed: SignedConsent,
  digest: string,
  fn: FunctionName,
): Promise<void> {
  const data = ERC1271.encodeFunctionData("isValidSignature", [digest, signed.signature]);
  let result: string;
  try {
    result = await provider.call({ to: signed.signer, data });
  } catch {
    throw refusal("ERC1271SignatureRejected", { signer: getAddress(signed.signer) }, fn);
  }
  const word = result.length >= 66 ? result.slice(0, 66).toLowerCase() : ZeroHash;
  if (word !== zeroPadBytes(ERC1271_MAGIC_VALUE, 32)) {
    throw refusal("ERC1271SignatureRejected", { signer: getAddress(signed.signer) }, fn);
  }
}

/** `MemberRegistry._requireActivePatient`. */
async function requireActivePatient(
  ledger: CareLedger,
  patient: string,
  fn: FunctionName,
): Promise<void> {
  const [member] = await ledger.memberOf(patient);
  const role = Number(member.role) as Role;
  if (role === Role.None) throw refusal("NotAMember", { account: patient }, fn);
  if (!member.active) throw refusal("MemberInactive", { account: patient }, fn);
  if (role !== Role.Patient) throw refusal("NotAPatient", { account: patient, role }, fn);
}

/** `DelegateRegistry._requireActor`. */
async function requireActor(
  ledger: CareLedger,
  patient: string,
  actor: string,
  categories: number,
  now: bigint,
  fn: FunctionName,
): Promise<"patient" | "delegate"> {
  if (actor === patient) return "patient";
  const d = await ledger.delegationOf(patient, actor);
  const expiresAt = Number(d.expiresAt);
  const scope = Number(d.scope);
  if (expiresAt === 0) throw refusal("NotPatientOrDelegate", { patient, account: actor }, fn);
  if (d.removed) throw refusal("DelegateWasRemoved", { patient, delegate: actor }, fn);
  if (BigInt(expiresAt) <= now)
    throw refusal("DelegateExpired", { patient, delegate: actor, expiredAt: expiresAt }, fn);
  if ((categories & ~scope) !== 0) {
    throw refusal("DelegateScopeExceeded", { patient, delegate: actor, scope, categories }, fn);
  }
  return "delegate";
}

/** Run the relayed call without sending it; reverts are decoded into the SDK's error classes. */
export async function simulateRelay(ledger: CareLedger, signed: SignedConsent): Promise<void> {
  try {
    if (signed.kind === "grant") await ledger.grantWithSig.staticCall(...grantWithSigArgs(signed));
    else await ledger.revokeWithSig.staticCall(...revokeWithSigArgs(signed));
  } catch (err) {
    throw decodeContractError(err, undefined, { functionName: relayFunction(signed) }) ?? err;
  }
}

/** The contract function that relays `signed`. */
export function relayFunction(signed: SignedConsent): FunctionName {
  return signed.kind === "grant" ? "grantWithSig" : "revokeWithSig";
}

/**
 * Check a signed request against `ledger` before relaying it, in the contract's order:
 * 1. the EIP-712 domain is the contract's own (`eip712Domain()`: name, version, this chain, this contract;
 *    {@link DomainMismatchError} otherwise, where the chain would answer `SignerMismatch`);
 * 2. grants only: the contract is not paused (`EnforcedPause`);
 * 3. the deadline has not passed at `now` (`SignatureExpired`) and lies within the governance limit
 *    (`DeadlineTooFar`);
 * 4. the signature: for an EOA 65 bytes (`ECDSAInvalidSignatureLength`), low s (`ECDSAInvalidSignatureS`),
 *    v 27/28 (`ECDSAInvalidSignature`), recovering to the claimed signer (`SignerMismatch`); for a contract
 *    its ERC-1271 answer (`ERC1271SignatureRejected`);
 * 5. the grant's epoch is the one signed (`StaleConsentEpoch`: a direct change or revocation since), and the
 *    nonce is the current one of the signer's lane (`InvalidAccountNonce`: replayed, reused or skipped);
 * 6. grants only: the patient is an active patient (`NotAMember`, `MemberInactive`, `NotAPatient`);
 * 7. the signer is the patient, or a delegate that is not removed, not expired and whose scope covers the
 *    categories (`NotPatientOrDelegate`, `DelegateWasRemoved`, `DelegateExpired`, `DelegateScopeExceeded`);
 * 8. unless `simulate: false`, a `staticCall` of the relayed function for everything else.
 *
 * @throws the decoded contract error the chain would revert with, or {@link DomainMismatchError}
 */
export async function verifyLocally(
  ledger: CareLedger,
  signed: SignedConsent,
  options: VerifyOptions = {},
): Promise<VerifiedConsent> {
  const fn = relayFunction(signed);
  const provider = providerOf(ledger);
  const [expected, latest] = await Promise.all([
    readConsentDomain(ledger),
    options.now === undefined ? provider.getBlock("latest") : Promise.resolve(null),
  ]);
  checkDomain(signed.domain, expected);

  const { nonce, deadline } = signed.message;
  const patient = getAddress(signed.message.patient);
  if (signed.kind === "grant" && (await ledger.paused())) throw refusal("EnforcedPause", {}, fn);
  const now = options.now ?? BigInt(latest?.timestamp ?? 0) + 1n;
  if (now > deadline) throw refusal("SignatureExpired", { deadline, currentTime: now }, fn);
  const limits = await ledger.limits();
  const latestDeadline = now + BigInt(limits.maxSignatureLifetime);
  if (deadline > latestDeadline)
    throw refusal("DeadlineTooFar", { deadline, latest: latestDeadline }, fn);

  const signer = getAddress(signed.signer);
  // The contract hashes the relayed `signer` into the struct: check the signature against that message.
  const relayed: SignedConsent =
    getAddress(signed.message.signer) === signer
      ? signed
      : ({ ...signed, message: { ...signed.message, signer } } as SignedConsent);
  const digest = consentDigest(relayed);
  const isContract = (await provider.getCode(signer)) !== "0x";
  if (isContract) await verifyErc1271Signature(provider, relayed, digest, fn);
  else verifyEoaSignature(relayed, fn);

  const grant = await ledger.consentOf(patient, signed.message.grantee);
  const currentEpoch = Number(grant.epoch);
  if (signed.message.epoch !== currentEpoch) {
    throw refusal("StaleConsentEpoch", { epoch: signed.message.epoch, currentEpoch }, fn);
  }
  const current = await ledger.nonces(patient, signer, nonce >> 64n);
  if (nonce !== current)
    throw refusal("InvalidAccountNonce", { account: signer, currentNonce: current }, fn);

  let categories = 0;
  if (signed.kind === "grant") {
    await requireActivePatient(ledger, patient, fn);
    categories = signed.message.categories;
  }
  const actor = await requireActor(ledger, patient, signer, categories, now, fn);
  if (signed.kind === "revoke" && actor === "delegate") {
    // `DelegateRegistry._revokeAs`: a delegate removes its own categories; none in scope is refused.
    const scope = Number((await ledger.delegationOf(patient, signer)).scope);
    const held = Number(grant.categories);
    if (held !== 0 && (held & ~scope) === held) {
      throw refusal(
        "DelegateScopeExceeded",
        { patient, delegate: signer, scope, categories: held },
        fn,
      );
    }
  }

  if (options.simulate !== false) await simulateRelay(ledger, signed);
  return { digest, signer, signerKind: isContract ? "erc1271" : "eoa", actor, nonce };
}
