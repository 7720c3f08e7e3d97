/**
 * Deploy the `CareLedger` contract with the TypeChain factory, from any ethers v6 signer. Used by the
 * demo and the tests; production deployments go through the Ignition modules.
 */
import type { Signer, TransactionReceipt } from "ethers";
import { ZeroAddress } from "ethers";
import type { CareLedger } from "../../typechain-types/index.js";
import { CareLedger__factory } from "../../typechain-types/index.js";
import { CareLedgerError } from "../errors.js";
import { withDecodedErrors } from "./errors.js";

/** Default delay before a new governance admin may accept the role: 2 days. */
export const DEFAULT_ADMIN_TRANSFER_DELAY = 2 * 24 * 60 * 60;
/** Default longest break-glass window: 4 hours. */
export const DEFAULT_BREAK_GLASS_MAX_DURATION = 4 * 60 * 60;

/** Constructor parameters of `CareLedger`. */
export interface DeployCareLedgerOptions {
  /** The governance admin (sets policy, pauses, grants registrars). Default: the deploying signer. */
  readonly admin?: string;
  /** Seconds a new admin must wait before accepting the role. Default {@link DEFAULT_ADMIN_TRANSFER_DELAY}. */
  readonly adminTransferDelay?: number;
  /** A first registrar, or none. Default: none. */
  readonly registrar?: string;
  /** Longest break-glass window in seconds, 1 .. 24 h. Default {@link DEFAULT_BREAK_GLASS_MAX_DURATION}. */
  readonly breakGlassMaxDuration?: number;
}

/** A deployed `CareLedger`. */
export interface CareLedgerDeployment {
  /** The contract, connected to the deploying signer. */
  readonly contract: CareLedger;
  readonly address: string;
  /** The block it was deployed in: the `fromBlock` for {@link verifyAuditTrail}. */
  readonly deploymentBlock: number;
  readonly transactionHash: string;
  readonly gasUsed: bigint;
}

/**
 * A deployment of `CareLedger` could not be made or completed: its transaction produced no receipt, or
 * a Hardhat deployment (`careledger/deploy`) cannot start or resume (no such network or build profile,
 * an in-process network, an Ignition journal without the creation).
 */
export class DeploymentError extends CareLedgerError {
  override readonly name: string = "DeploymentError";

  constructor(message: string, options: { readonly cause?: unknown } = {}) {
    super(message, "DEPLOYMENT", options);
  }
}

/**
 * Deploy `CareLedger(admin, adminTransferDelay, registrar, breakGlassMaxDuration)` from `signer` and
 * wait for it to be mined. Reverts are rethrown decoded (e.g. `BreakGlassCapExceeded`).
 */
export async function deployCareLedgerWithSigner(
  signer: Signer,
  options: DeployCareLedgerOptions = {},
): Promise<CareLedgerDeployment> {
  const admin = options.admin ?? (await signer.getAddress());
  const adminTransferDelay = options.adminTransferDelay ?? DEFAULT_ADMIN_TRANSFER_DELAY;
  const registrar = options.registrar ?? ZeroAddress;
  const breakGlassMaxDuration = options.breakGlassMaxDuration ?? DEFAULT_BREAK_GLASS_MAX_DURATION;

  const contract = await withDecodedErrors(
    new CareLedger__factory(signer).deploy(
      admin,
      adminTransferDelay,
      registrar,
      breakGlassMaxDuration,
    ),
  );
  const tx = contract.deploymentTransaction();
  const receipt: TransactionReceipt | null =
    tx === null ? null : await withDecodedErrors(tx.wait());
  if (receipt === null)
    throw new DeploymentError("the CareLedger deployment transaction has no receipt");
  return {
    contract,
    address: await contract.getAddress(),
    deploymentBlock: receipt.blockNumber,
    transactionHash: receipt.hash,
    gasUsed: receipt.gasUsed,
  };
}
