/**
 * The indexer out of process, on a real node (anvil): `ponder start` on PGlite in a temp directory, killed with
 * SIGKILL mid-backfill and resumed without a gap or a duplicate, following a reorg (snapshot and revert) and a
 * node restart (state dumped and loaded on the same port), recomputing the audit heads equal to the chain's,
 * and answering the queries the SDK asks.
 */
import { expect } from "chai";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { getAddress } from "ethers";
import { startNode, type RunningNode } from "../../scripts/lib/node.js";
import { fetchAuditEntries, foldAuditEntries } from "../../src/sdk/audit.js";
import { careLedgerQueries } from "../../src/sdk/queries.js";
import { AccessPath, Category, Purpose } from "../../src/sdk/constants.js";
import {
  allAuditRows,
  expectContiguous,
  getJson,
  mined,
  killMidBackfillAndResume,
  seedScenario,
  type AuditRowAnswer,
  type HeadsAnswer,
  headOf,
  seedLedger,
  sleep,
  waitCaughtUp,
  type IndexerHealth,
  type RunningIndexer,
  type SeededLedger,
} from "../helpers/indexer.js";
import { skipUnderCoverage } from "../helpers/coverage.js";

async function expectRejects(
  promise: Promise<unknown>,
  name: string,
  message: RegExp,
): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e as Error,
  );
  expect(error?.name).to.equal(name);
  expect(error?.message).to.match(message);
}

describe("indexer: Ponder out of process on anvil (PGlite)", function () {
  skipUnderCoverage();
  before(function () {
    if (process.env.HARDHAT_COVERAGE === "true") this.skip();
  });
  this.timeout(300_000);

  let node: RunningNode;
  let seeded: SeededLedger;
  let dir: string;
  let indexer: RunningIndexer | undefined;
  let audited = 0;
  const OPENS = 6_000;

  const options = () => ({
    rpcUrl: node.url,
    address: seeded.address,
    startBlock: seeded.deploymentBlock,
    pgliteDir: path.join(dir, "pglite"),
  });

  before(async function () {
    dir = await mkdtemp(path.join(tmpdir(), "careledger-indexer-"));
    node = await startNode({ port: 0, chainId: 1337, zeroGas: false });
    seeded = await seedLedger(node.url, { patients: 8 });
    audited = await seedScenario(seeded, OPENS);
  });

  after(async function () {
    await indexer?.stop("SIGKILL");
    await node?.stop();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  it("resumes after kill -9 mid-backfill without a gap or a duplicate", async function () {
    indexer = await killMidBackfillAndResume(options(), audited);
  });

  it("recomputes the global and per-patient audit heads equal to auditHead() and patientAuditHead()", async function () {
    for (const patient of seeded.patients.slice(0, 3)) {
      const heads = await getJson<HeadsAnswer>(indexer!, `/careledger/heads?patient=${patient}`);
      expect(heads.matches, JSON.stringify(heads)).to.equal(true);
      expect(heads.lostEvents).to.equal(false);
      expect(heads.global.onChain).to.equal(
        await seeded.ledger.auditHead({ blockTag: heads.block }),
      );
      expect(heads.patient!.onChain).to.equal(
        await seeded.ledger.patientAuditHead(patient, { blockTag: heads.block }),
      );
      expect(heads.global.entries).to.equal(audited);
    }
  });

  it("answers the patient, clinician and auditor queries", async function () {
    const [p0, p1] = seeded.patients as [string, string];
    const [d0, d1] = seeded.doctorAddresses as [string, string];
    const grants = await getJson<{
      grants: { grantee: string; status: string; categories: number }[];
    }>(indexer!, `/careledger/patients/${p1}/grants`);
    const byGrantee = new Map(grants.grants.map((g) => [g.grantee, g.status]));
    expect(byGrantee.get(d1.toLowerCase())).to.equal("revoked");
    expect(byGrantee.get(d0.toLowerCase())).to.equal("live");
    const expired = await getJson<{ grants: { status: string }[] }>(
      indexer!,
      `/careledger/patients/${p0}/grants?at=${2 ** 39 + 1}`,
    );
    expect(expired.grants.map((g) => g.status)).to.deep.equal([
      "expired",
      "expired",
      "expired",
      "expired",
    ]);

    const records = await getJson<{
      records: { recordId: string; category: number; version: number; status: number }[];
    }>(indexer!, `/careledger/patients/${p0}/records`);
    expect(records.records).to.have.length(1);
    expect(records.records[0]).to.include({
      recordId: seeded.records[0],
      category: Category.Labs,
      version: 1,
      status: 1,
    });

    const opens = await getJson<{ opens: AuditRowAnswer[]; next: number | null }>(
      indexer!,
      `/careledger/patients/${p0}/opens?limit=5`,
    );
    expect(opens.opens[0]).to.include({
      actor: (await seeded.responder.getAddress()).toLowerCase(),
      path: AccessPath.BreakGlass,
      flagged: true,
      category: Category.Labs,
    });
    expect(
      opens.opens
        .slice(1)
        .every((o) => o.path === AccessPath.Consent && !o.flagged && o.actorRole === 2),
    ).to.equal(true);
    expect(opens.next).to.be.a("number");

    const labPatients = await getJson<{ patients: { patient: string }[] }>(
      indexer!,
      `/careledger/grantees/${d1}/patients?category=${Category.Labs}`,
    );
    expect(labPatients.patients.map((p) => p.patient)).to.not.include(p1.toLowerCase());
    expect(labPatients.patients).to.have.length(seeded.patients.length - 1);
    const imaging = await getJson<{ patients: unknown[] }>(
      indexer!,
      `/careledger/grantees/${d0}/patients?category=${Category.Imaging}`,
    );
    expect(imaging.patients).to.have.length(0);

    const pending = await getJson<{
      incidents: { incidentId: string; verdict: number; flaggedOpens: number }[];
    }>(indexer!, "/careledger/incidents?pending=1");
    expect(pending.incidents).to.deep.equal([
      { ...pending.incidents[0]!, incidentId: "1", verdict: 0, flaggedOpens: 1 },
    ]);

    const hospital = await getJson<{ entries: AuditRowAnswer[] }>(
      indexer!,
      `/careledger/audit?org=1&patient=${p0}&limit=1000`,
    );
    expect(hospital.entries.length).to.be.greaterThan(0);
    expect(
      hospital.entries.every((e) => e.actorOrg === 1 && e.patient === p0.toLowerCase()),
    ).to.equal(true);
    const last = hospital.entries[hospital.entries.length - 1]!;
    const window = await getJson<{ entries: AuditRowAnswer[] }>(
      indexer!,
      `/careledger/audit?from=${last.time}&to=${last.time}`,
    );
    expect(window.entries.every((e) => e.time === last.time)).to.equal(true);

    const bad = await fetch(`${indexer!.url}/careledger/audit?limit=0`);
    expect(bad.status).to.equal(400);
    expect(await bad.json()).to.deep.include({ field: "limit" });
  });

  it("the SDK answers the same from the indexer as from the log scan (patient topic filter)", async function () {
    const viaIndexer = careLedgerQueries({ contract: seeded.ledger, indexerUrl: indexer!.url });
    const viaLogs = careLedgerQueries({
      contract: seeded.ledger,
      fromBlock: seeded.deploymentBlock,
    });
    expect([viaIndexer.source, viaLogs.source]).to.deep.equal(["indexer", "logs"]);
    const pick = <T extends object>(rows: readonly T[], keys: readonly (keyof T)[]) =>
      rows.map((row) => Object.fromEntries(keys.map((k) => [k, row[k]])));
    const [p0, p1] = seeded.patients as [string, string];
    const at = Math.floor(Date.now() / 1000);
    const grantKeys = [
      "patient",
      "grantee",
      "categories",
      "purposes",
      "expiresAt",
      "status",
    ] as const;
    const openKeys = [
      "patient",
      "actor",
      "actorOrg",
      "actorRole",
      "recordId",
      "category",
      "purpose",
      "path",
      "flagged",
      "time",
      "block",
      "txHash",
    ] as const;
    for (const patient of [p0, p1]) {
      expect(pick(await viaIndexer.grantsOf(patient, at), grantKeys)).to.deep.equal(
        pick(await viaLogs.grantsOf(patient, at), grantKeys),
      );
      const recordKeys = [
        "recordId",
        "patient",
        "author",
        "category",
        "supersedes",
        "status",
      ] as const;
      expect(pick(await viaIndexer.recordsOf(patient), recordKeys)).to.deep.equal(
        pick(await viaLogs.recordsOf(patient), recordKeys),
      );
      const opens = await viaIndexer.whoOpenedMyRecords(patient, 20);
      expect(opens).to.have.length(20);
      expect(pick(opens, openKeys)).to.deep.equal(
        pick(await viaLogs.whoOpenedMyRecords(patient, 20), openKeys),
      );
    }
    const grantee = seeded.doctorAddresses[1]!;
    expect(
      pick(await viaIndexer.patientsOfGrantee(grantee, Category.Labs, at), grantKeys),
    ).to.deep.equal(pick(await viaLogs.patientsOfGrantee(grantee, Category.Labs, at), grantKeys));
    const incidentKeys = [
      "incidentId",
      "patient",
      "responder",
      "openedAt",
      "expiresAt",
      "verdict",
    ] as const;
    expect(pick(await viaIndexer.pendingBreakGlassReviews(), incidentKeys)).to.deep.equal(
      pick(await viaLogs.pendingBreakGlassReviews(), incidentKeys),
    );
    const page = await viaIndexer.auditTrail({ patient: p0, org: 2, limit: 7 });
    expect(page.entries).to.have.length(7);
    expect(page.entries.every((e) => e.actorOrg === 2)).to.equal(true);
    expect(pick(page.entries, openKeys)).to.deep.equal(
      pick((await viaLogs.auditTrail({ patient: p0, org: 2, limit: 7 })).entries, openKeys),
    );
    // The log scan with the patient topic filter returns only that patient's trail, which folds to their head.
    const trail = await fetchAuditEntries(seeded.ledger, {
      fromBlock: seeded.deploymentBlock,
      patient: p0,
    });
    expect(trail.every((e) => e.patient === getAddress(p0))).to.equal(true);
    expect(foldAuditEntries(trail).patientHeads[getAddress(p0)]).to.equal(
      await seeded.ledger.patientAuditHead(p0),
    );
    await expectRejects(viaIndexer.auditTrail({ limit: 0 }), "IndexerQueryError", /400/);
  });

  it("follows a reorg: a reverted open leaves the index, the replacing one enters it", async function () {
    const [p2] = seeded.patients.slice(2) as [string];
    const snapshot = (await seeded.provider.send("evm_snapshot", [])) as string;
    await mined(
      seeded.ledger.connect(seeded.doctors[0]!).openRecord(seeded.records[2]!, Purpose.Treatment),
    );
    const before = await waitCaughtUp(indexer!);
    let heads = await getJson<HeadsAnswer>(indexer!, `/careledger/heads?patient=${p2}`);
    expect(heads.global.entries).to.equal(audited + 1);
    await seeded.provider.send("evm_revert", [snapshot]);
    // The replacing branch: another doctor's open, and more blocks than were reverted.
    await mined(
      seeded.ledger.connect(seeded.doctors[2]!).openRecord(seeded.records[2]!, Purpose.Treatment),
    );
    await seeded.provider.send("anvil_mine", ["0x3"]);
    const after: IndexerHealth = await waitCaughtUp(indexer!);
    expect(after.chainHead).to.be.greaterThan(before.chainHead);
    heads = await getJson<HeadsAnswer>(indexer!, `/careledger/heads?patient=${p2}`);
    expect(heads.matches, JSON.stringify(heads)).to.equal(true);
    expect(heads.global.entries).to.equal(audited + 1);
    const opens = await getJson<{ opens: AuditRowAnswer[] }>(
      indexer!,
      `/careledger/patients/${p2}/opens?limit=1`,
    );
    expect(opens.opens[0]!.actor).to.equal(seeded.doctorAddresses[2]!.toLowerCase());
    audited += 1;
    expect(indexer!.output()).to.match(/reorg/i);
  });

  it("survives a node restart: health answers 503 while the node is down, lag 0 once caught up", async function () {
    const state = (await seeded.provider.send("anvil_dumpState", [])) as string;
    const port = node.port;
    await node.stop();
    await sleep(1_500);
    const down = await fetch(`${indexer!.url}/careledger/health`);
    expect(down.status, "health answers an error while the node is down").to.be.greaterThanOrEqual(
      500,
    );
    node = await startNode({ port, chainId: 1337, zeroGas: false });
    await seeded.provider.send("anvil_loadState", [state]);
    expect(await headOf(node.url)).to.be.greaterThan(0);
    await mined(
      seeded.ledger.connect(seeded.doctors[3]!).openRecord(seeded.records[3]!, Purpose.Treatment),
    );
    audited += 1;
    const health = await waitCaughtUp(indexer!);
    expect(health.lagBlocks).to.equal(0);
    const heads = await getJson<HeadsAnswer>(
      indexer!,
      `/careledger/heads?patient=${seeded.patients[3]}`,
    );
    expect(heads.matches, JSON.stringify(heads)).to.equal(true);
    expectContiguous(await allAuditRows(indexer!), audited);
  });
});
