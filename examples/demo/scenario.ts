/**
 * The CareLedger demo scenario, as a function so `scripts/demo.ts` prints it and a test runs it against
 * a fresh in-process network. Records are real: FHIR-like JSON sealed in CLE1 envelopes for their
 * readers, kept in a filesystem blob store, anchored by hash, opened through the audited transaction and
 * decrypted by the SDK clients, re-keyed when the patient revokes, and read in an emergency by a
 * break-glass responder whose key the emergency key custodian releases because of the audited open.
 * It throws a {@link DemoExpectationError} the moment anything differs from the story: a call that
 * should pass reverts, a refusal that should happen does not, a decrypted body differs from the one
 * sealed, or the audit trail recomputed from the events differs from the heads on chain.
 *
 * The acts are in `acts.ts`, one function each; this file casts the parties and plays them in order.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Signer } from "ethers";
import { FsBlobStore, type BlobStore } from "../../src/store/index.js";
import {
  PARTIES,
  PARTY_NAMES,
  auditAct,
  billingRefusedAct,
  breakGlassAct,
  deployAct,
  doctorLabAct,
  grantDoctorAct,
  nurseMedicationAct,
  onboardAct,
  revokeDoctorAct,
  signedConsentAct,
  summaryAct,
  type DemoCast,
  type Party,
} from "./acts.js";
import { DemoRun } from "./run.js";
import {
  DemoExpectationError,
  SIGNERS_NEEDED,
  standInSeal,
  type DemoOptions,
  type DemoResult,
} from "./types.js";

/**
 * Run the scenario and return what happened; throws {@link DemoExpectationError} on any deviation.
 * The default blob store's temporary directory is removed afterwards, whatever happens.
 */
export async function runDemo(options: DemoOptions): Promise<DemoResult> {
  if (options.store !== undefined) return runScenario(options, options.store);
  const dir = await mkdtemp(join(tmpdir(), "careledger-demo-"));
  try {
    return await runScenario(options, new FsBlobStore(dir, { fsync: false }));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function runScenario(options: DemoOptions, backing: BlobStore): Promise<DemoResult> {
  const cast = await castOf(options, backing);
  const { run } = cast;
  const deployed = await deployAct(cast);
  const clients = await onboardAct(cast, deployed);
  await grantDoctorAct(cast, deployed, clients);
  const lab = await doctorLabAct(cast, deployed, clients);
  const med = await nurseMedicationAct(cast, deployed, clients);
  let fetchesByRefusedOpens = await billingRefusedAct(cast, deployed, clients, lab);
  fetchesByRefusedOpens += await revokeDoctorAct(cast, deployed, clients, lab);
  const incidentId = await breakGlassAct(cast, deployed, clients, lab);
  const { audit, keyReleases } = await auditAct(cast, deployed, clients);
  const signedConsent = await signedConsentAct(cast, deployed, clients);
  summaryAct(cast);
  return {
    address: deployed.deployment.address,
    deploymentBlock: deployed.deployment.deploymentBlock,
    steps: run.steps,
    refusals: run.refusals,
    labRecordId: lab.recordId,
    medicationRecordId: med.recordId,
    incidentId,
    audit,
    encrypted: cast.encrypted,
    records: run.records,
    keyReleases,
    fetchesByRefusedOpens,
    signedConsent,
  };
}

/** The parties from the signers, the run's log, and how records are sealed; prints the title. */
async function castOf(options: DemoOptions, backing: BlobStore): Promise<DemoCast> {
  const log = options.log ?? ((line: string) => console.log(line));
  if (options.signers.length < SIGNERS_NEEDED) {
    throw new DemoExpectationError(
      `the demo needs ${SIGNERS_NEEDED} signers, got ${options.signers.length}`,
    );
  }
  const signer = Object.fromEntries(
    PARTIES.map((party, i) => [party, options.signers[i] as Signer]),
  ) as Record<Party, Signer>;
  const addr = Object.fromEntries(
    await Promise.all(PARTIES.map(async (party) => [party, await signer[party].getAddress()])),
  ) as Record<Party, string>;
  const run = new DemoRun(log, new Map(PARTIES.map((party) => [addr[party], PARTY_NAMES[party]])));
  const provider = signer.admin.provider;
  const chainId = provider === null ? "?" : (await provider.getNetwork()).chainId.toString();
  log(
    `CareLedger demo: one hospital, two patients, encrypted records, consent, refusals, break-glass and audit (chain ${chainId})`,
  );
  return {
    run,
    signer,
    addr,
    encrypted: options.seal === undefined,
    seal: options.seal ?? standInSeal,
    showProgress: options.progress ?? (options.log === undefined && process.stderr.isTTY),
    backing,
  };
}
