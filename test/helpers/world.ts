/**
 * The one world builder of the TypeScript tests and the bench: deploy CareLedger, then set it up in a
 * fixed order from options, on any ethers signer set (Hardhat's in-process network or an out-of-process
 * node):
 *
 *   deploy → limits → organisations → members (in `members` key order) → deactivations
 *   → break-glass warm-up → consents → records
 *
 * Every transaction is waited for and must succeed, so the same options give the same chain state (same
 * accounts, same deployment address, same member ids, same record ids) on every run.
 *
 * Presets built on it: `deployCareLedgerFixture` and `deployConsentedRecordsFixture` (fixtures.ts, the
 * core tests), `deploySignedConsentFixture` (signed-consent.ts), `deploySdkWorld` and
 * `deployClientsWorld` (sdk-world.ts), and `setUpBench` (bench/lib/fixture.ts).
 */
import type { ContractTransactionResponse, Signer, TransactionReceipt } from "ethers";
import { deployCareLedgerWithSigner, recordIdOf } from "../../src/sdk/index.js";
import type { CareLedger } from "../../typechain-types/index.js";
import { ADMIN_TRANSFER_DELAY, BREAK_GLASS_MAX_DURATION, BREAK_GLASS_WARMUP } from "./constants.js";

/** How the world onboards a member: role, organisation (0: none) and whether it ends up deactivated. */
export interface MemberSpec {
  readonly role: number;
  readonly orgId: number;
  /** Default true; false: onboarded, then deactivated. */
  readonly active?: boolean;
}

/** A direct grant the world gives (`grantConsent` sent by `patient`). */
export interface ConsentSpec<A extends string> {
  readonly patient: A;
  readonly grantee: A;
  readonly categories: number;
  readonly purposes: number;
  readonly expiresAt: number;
}

/** A record the world anchors (`anchorRecord` sent by `author`, default the patient). */
export interface RecordSpec<A extends string> {
  readonly patient: A;
  readonly category: number;
  readonly hash: string;
  readonly author?: A;
}

/** `setLimits(maxConsentDuration, maxSignatureLifetime, breakGlassWarmup)`, sent by the admin after deploy. */
export interface LimitsSpec {
  readonly maxConsentDuration: number;
  readonly maxSignatureLifetime: number;
  readonly breakGlassWarmup: number;
}

export interface WorldOptions<A extends string> {
  /** Account names in signer order: the i-th signer plays the i-th name. */
  readonly actors: readonly A[];
  /** Deploys CareLedger and holds `DEFAULT_ADMIN_ROLE`. */
  readonly admin: A;
  /** Holds `REGISTRAR_ROLE` from the constructor; registers the organisations and onboards the members. */
  readonly registrar: A;
  /** Default `ADMIN_TRANSFER_DELAY` (2 days). */
  readonly adminTransferDelay?: number;
  /** Default `BREAK_GLASS_MAX_DURATION` (4 hours). */
  readonly breakGlassMaxDuration?: number;
  readonly limits?: LimitsSpec;
  readonly orgs?: readonly number[];
  /** The members, onboarded in key order (so member ids are 1, 2, 3, … in this order). */
  readonly members?: Readonly<Partial<Record<A, MemberSpec>>>;
  /** The X25519 public key (bytes32 hex) a member publishes; `index` is its place in `members`. */
  readonly publicKey?: (name: A, index: number) => string;
  /** Moves the clock forward (`networkHelpers.time.increase`): given, the world waits out the warm-up. */
  readonly increaseTime?: (seconds: number) => Promise<unknown>;
  /** The grants to give, from the block time after the warm-up. */
  readonly consents?: (now: number) => readonly ConsentSpec<A>[];
  readonly records?: readonly RecordSpec<A>[];
}

export interface World<A extends string, S extends Signer> {
  readonly ledger: CareLedger;
  readonly deploymentBlock: number;
  /** Every named account by name. */
  readonly signers: Readonly<Record<A, S>>;
  readonly addresses: Readonly<Record<A, string>>;
  /** Funded accounts the world did not name. */
  readonly spare: readonly S[];
  /** The ids of `options.records`, in the same order. */
  readonly recordIds: readonly string[];
}

/** A setup transaction of the world was not mined or reverted. */
export class WorldTransactionError extends Error {
  override readonly name: string = "WorldTransactionError";

  constructor(readonly what: string) {
    super(`setup transaction failed: ${what}`);
  }
}

/** Wait for `tx` and return its receipt, or throw if it reverted. */
export async function mined(
  what: string,
  tx: Promise<ContractTransactionResponse>,
): Promise<TransactionReceipt> {
  const receipt = await (await tx).wait();
  if (receipt === null || receipt.status !== 1) throw new WorldTransactionError(what);
  return receipt;
}

/** Deploy CareLedger from `options.admin` and set it up as `options` says (see the file comment). */
export async function buildWorld<A extends string, S extends Signer>(
  all: readonly S[],
  options: WorldOptions<A>,
): Promise<World<A, S>> {
  const { actors } = options;
  if (all.length < actors.length) throw new RangeError(`the world needs ${actors.length} signers`);
  const signers = Object.fromEntries(actors.map((name, i) => [name, all[i]])) as Record<A, S>;
  const addresses = Object.fromEntries(
    await Promise.all(actors.map(async (name) => [name, await signers[name].getAddress()])),
  ) as Record<A, string>;

  const deployment = await deployCareLedgerWithSigner(signers[options.admin], {
    admin: addresses[options.admin],
    adminTransferDelay: options.adminTransferDelay ?? ADMIN_TRANSFER_DELAY,
    registrar: addresses[options.registrar],
    breakGlassMaxDuration: options.breakGlassMaxDuration ?? BREAK_GLASS_MAX_DURATION,
  });
  const ledger = deployment.contract;
  if (options.limits !== undefined) {
    const l = options.limits;
    await mined(
      "setLimits",
      ledger.setLimits(l.maxConsentDuration, l.maxSignatureLifetime, l.breakGlassWarmup),
    );
  }

  const asRegistrar = ledger.connect(signers[options.registrar]);
  for (const org of options.orgs ?? []) {
    await mined(`registerOrganization(${org})`, asRegistrar.registerOrganization(org));
  }
  const members = Object.entries(options.members ?? {}) as [A, MemberSpec][];
  const publicKey =
    options.publicKey ??
    ((): never => {
      throw new RangeError("members need a publicKey option");
    });
  for (const [i, [name, spec]] of members.entries()) {
    await mined(
      `onboardMember(${name})`,
      asRegistrar.onboardMember(addresses[name], spec.role, spec.orgId, publicKey(name, i)),
    );
  }
  for (const [name, spec] of members) {
    if (spec.active === false) {
      await mined(
        `setMemberActive(${name}, false)`,
        asRegistrar.setMemberActive(addresses[name], false),
      );
    }
  }
  // Past the break-glass warm-up of every member onboarded above.
  if (options.increaseTime !== undefined) await options.increaseTime(BREAK_GLASS_WARMUP);

  if (options.consents !== undefined) {
    const block = await ledger.runner?.provider?.getBlock("latest");
    if (block == null) throw new RangeError("the world's signers have no provider");
    for (const c of options.consents(block.timestamp)) {
      await mined(
        `grantConsent(${c.patient} → ${c.grantee})`,
        ledger
          .connect(signers[c.patient])
          .grantConsent(addresses[c.grantee], c.categories, c.purposes, c.expiresAt),
      );
    }
  }
  const recordIds: string[] = [];
  for (const r of options.records ?? []) {
    await mined(
      `anchorRecord(${r.patient}, ${r.category})`,
      ledger
        .connect(signers[r.author ?? r.patient])
        .anchorRecord(addresses[r.patient], r.category, r.hash),
    );
    recordIds.push(recordIdOf(addresses[r.patient], r.hash));
  }

  return {
    ledger,
    deploymentBlock: deployment.deploymentBlock,
    signers,
    addresses,
    spare: all.slice(actors.length),
    recordIds,
  };
}
