/**
 * The scale path: the indexer on a real PostgreSQL server (Debian's `postgresql`, a throwaway cluster on a
 * free port), killed with SIGKILL mid-backfill and resumed without a gap or a duplicate, heads equal to the
 * chain's; then one audit row deleted behind the indexer's back, which the heads check reports as a lost event.
 */
import { expect } from "chai";
import { startNode, type RunningNode } from "../../scripts/lib/node.js";
import {
  getJson,
  killMidBackfillAndResume,
  seedLedger,
  seedScenario,
  type HeadsAnswer,
  type RunningIndexer,
  type SeededLedger,
} from "../helpers/indexer.js";
import { postgresBinDir, startPostgres, type RunningPostgres } from "../helpers/postgres.js";
import { skipUnderCoverage } from "../helpers/coverage.js";

describe("indexer: on a PostgreSQL server", function () {
  skipUnderCoverage();
  before(function () {
    if (process.env.HARDHAT_COVERAGE === "true") this.skip();
    if (postgresBinDir() === undefined && process.env.CARELEDGER_REQUIRE_POSTGRES !== "1") {
      console.log(
        "      PostgreSQL is not installed: skipped (.ci/run installs it and requires this test)",
      );
      this.skip();
    }
  });
  this.timeout(300_000);

  let node: RunningNode;
  let pg: RunningPostgres;
  let seeded: SeededLedger;
  let indexer: RunningIndexer | undefined;
  let audited = 0;

  before(async function () {
    [node, pg] = await Promise.all([
      startNode({ port: 0, chainId: 1337, zeroGas: false }),
      startPostgres(),
    ]);
    seeded = await seedLedger(node.url, { patients: 8 });
    audited = await seedScenario(seeded, 6_000);
  });

  after(async function () {
    await indexer?.stop("SIGKILL");
    await node?.stop();
    await pg?.stop();
  });

  const options = () => ({
    rpcUrl: node.url,
    address: seeded.address,
    startBlock: seeded.deploymentBlock,
    databaseUrl: pg.url,
    schema: "careledger_test",
  });

  it("resumes after kill -9 mid-backfill without a gap or a duplicate", async function () {
    indexer = await killMidBackfillAndResume(options(), audited);
    const heads = await getJson<HeadsAnswer>(
      indexer,
      `/careledger/heads?patient=${seeded.patients[0]}`,
    );
    expect(heads.matches, JSON.stringify(heads)).to.equal(true);
    expect(pg.psql("SELECT count(*) FROM careledger_test.audit_entry").trim()).to.equal(
      String(audited),
    );
  });

  it("reports a lost event: heads recomputed from the index differ from the chain's", async function () {
    const patient = seeded.patients[1]!.toLowerCase();
    pg.psql(
      // Ponder's live-query trigger needs its session table; a replica-role session skips the triggers.
      `SET session_replication_role = replica; DELETE FROM careledger_test.audit_entry WHERE seq = (SELECT min(seq) FROM careledger_test.audit_entry WHERE patient = '${patient}')`,
    );
    const heads = await getJson<HeadsAnswer>(indexer!, `/careledger/heads?patient=${patient}`);
    expect(heads.lostEvents).to.equal(true);
    expect(heads.global.matches).to.equal(false);
    expect(heads.patient!.matches).to.equal(false);
    expect(heads.patient!.recomputed).to.not.equal(heads.patient!.onChain);
    const other = await getJson<HeadsAnswer>(
      indexer!,
      `/careledger/heads?patient=${seeded.patients[2]}`,
    );
    expect(other.patient!.matches, "another patient's trail is intact").to.equal(true);
  });
});
