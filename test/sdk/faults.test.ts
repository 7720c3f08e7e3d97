/**
 * The SDK against a real node that fails the way networks do: anvil out of process (restarted with
 * --dump-state / --load-state) behind a loopback proxy the test controls (refuse a request, drop a
 * reply after the node handled it, hold a connection without answering). Clients use a plain
 * `JsonRpcProvider` and `Wallet`s, as an app would. For each fault: what the caller sees (a typed
 * error within the deadline, or success), and what the store and the chain hold afterwards
 * (nothing duplicated, nothing orphaned without a repair). Every wait is bounded.
 */
import { expect } from "chai";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { HDNodeWallet, JsonRpcProvider, Network, type Wallet } from "ethers";
import { generateMemberKeyPair, type MemberKeyPair } from "../../src/crypto/index.js";
import { jsonRpcRequest } from "../../src/deploy/jsonrpc.js";
import { AdminClient } from "../../src/sdk/clients/admin.js";
import { ClinicianClient } from "../../src/sdk/clients/clinician.js";
import { PatientClient } from "../../src/sdk/clients/patient.js";
import { Category, Purpose, Role } from "../../src/sdk/constants.js";
import { deployCareLedgerWithSigner } from "../../src/sdk/deploy.js";
import { recordIdOf } from "../../src/sdk/recordId.js";
import {
  InvalidFieldError,
  NodeUnavailableError,
  OperationAbortedError,
  TransactionTimeoutError,
} from "../../src/sdk/errors.js";
import { CareLedgerError, InvalidArgumentError } from "../../src/errors.js";
import { FsBlobStore } from "../../src/store/index.js";
import type { CareLedger } from "../../typechain-types/index.js";
import {
  on,
  startAnvil,
  startFaultProxy,
  type Anvil,
  type FaultProxy,
} from "../helpers/faulty-node.js";
import { skipUnderCoverage } from "../helpers/coverage.js";
import { rejection } from "../offchain/helpers.js";

const MNEMONIC = "test test test test test test test test test test test junk";
const wallet = (i: number, provider: JsonRpcProvider): Wallet =>
  HDNodeWallet.fromPhrase(MNEMONIC, undefined, `m/44'/60'/0'/0/${i}`).connect(
    provider,
  ) as unknown as Wallet;
/** The deadline the fault tests give a call; every fault must surface within it (plus slack). */
const DEADLINE_MS = 1_500;
const SLACK_MS = 1_500;
const CLINICAL = [0, 1, 2, 3, 4, 5, 6, 8].map((c) => c as Category);

describe("SDK against a faulty real node (anvil out of process, loopback proxy)", function () {
  skipUnderCoverage();
  this.timeout(120_000);

  let scratch: string;
  let stateFile: string;
  let anvil: Anvil;
  let proxy: FaultProxy;
  let provider: JsonRpcProvider;
  let ledger: CareLedger;
  let fromBlock: number;
  let store: FsBlobStore;
  let doctorKeys: MemberKeyPair;
  let doctor: ClinicianClient;
  let patient: PatientClient;
  let patientAddress: string;
  let doctorAddress: string;

  const rpc = (method: string, params: unknown[] = []): Promise<unknown> =>
    jsonRpcRequest(anvil.url, method, params, { timeoutMs: 5_000 });

  async function countEvents(
    kind: "RecordAnchored" | "RecordOpened",
    recordId?: string,
  ): Promise<number> {
    const filter =
      kind === "RecordAnchored"
        ? ledger.filters.RecordAnchored(recordId, undefined, doctorAddress)
        : ledger.filters.RecordOpened(recordId, undefined, doctorAddress);
    const direct = ledger.connect(new JsonRpcProvider(anvil.url, 1337, { staticNetwork: true }));
    return (await direct.queryFilter(filter, fromBlock)).length;
  }

  async function timed<T>(promise: Promise<T>): Promise<{ error: Error; ms: number }> {
    const t0 = Date.now();
    const error = await rejection(promise);
    return { error, ms: Date.now() - t0 };
  }

  before(async function () {
    scratch = await mkdtemp(join(tmpdir(), "careledger-faults-"));
    stateFile = join(scratch, "anvil-state.json");
    anvil = await startAnvil({ stateFile });
    proxy = await startFaultProxy(anvil.url);
    // One request per HTTP call, so that the proxy acts on exactly the method a rule names.
    provider = new JsonRpcProvider(proxy.url, Network.from(1337), {
      staticNetwork: true,
      batchMaxCount: 1,
    });
    provider.pollingInterval = 100;
    const admin = wallet(0, provider);
    const registrar = wallet(1, provider);
    doctorAddress = wallet(2, provider).address;
    patientAddress = wallet(3, provider).address;
    const deployment = await deployCareLedgerWithSigner(admin, { registrar: registrar.address });
    ledger = deployment.contract;
    fromBlock = deployment.deploymentBlock;
    const registrarClient = await AdminClient.connect({ ledger, signer: registrar, fromBlock });
    doctorKeys = generateMemberKeyPair();
    const patientKeys = generateMemberKeyPair();
    await registrarClient.registerOrganization(1);
    await registrarClient.onboardMember({
      account: doctorAddress,
      role: Role.Doctor,
      orgId: 1,
      publicKey: doctorKeys.publicKey,
    });
    await registrarClient.onboardMember({
      account: patientAddress,
      role: Role.Patient,
      orgId: 0,
      publicKey: patientKeys.publicKey,
    });
    store = new FsBlobStore(join(scratch, "store"), { fsync: false });
    doctor = await ClinicianClient.connect({
      ledger,
      signer: wallet(2, provider),
      store,
      keys: doctorKeys,
      fromBlock,
      timeoutMs: 10_000,
    });
    patient = await PatientClient.connect({
      ledger,
      signer: wallet(3, provider),
      store,
      keys: patientKeys,
      fromBlock,
    });
    await grantDoctor();
  });

  async function grantDoctor(): Promise<void> {
    const now = await patient.chainTime();
    await patient.grantConsent(doctorAddress, {
      categories: CLINICAL,
      purposes: [Purpose.Treatment],
      expiresAt: now + 86_400,
    });
  }

  afterEach(function () {
    proxy.rule = () => "pass";
    proxy.releaseHeld();
  });

  after(async function () {
    await proxy?.close();
    await anvil?.stop();
    provider?.destroy();
    if (scratch !== undefined) await rm(scratch, { recursive: true, force: true });
  });

  it("a silent node: the call fails with NodeUnavailableError at its deadline, nothing is sent", async function () {
    const record = await doctor.createRecord(patientAddress, Category.Labs, "silent node");
    const opens = await countEvents("RecordOpened", record.recordId);
    proxy.rule = () => "hold";
    const { error, ms } = await timed(
      doctor.openRecord(record.recordId, Purpose.Treatment, { timeoutMs: DEADLINE_MS }),
    );
    expect(error).to.be.instanceOf(NodeUnavailableError);
    expect(error.name).to.equal("NodeUnavailableError");
    expect(ms).to.be.lessThan(DEADLINE_MS + SLACK_MS);
    proxy.rule = () => "pass";
    expect(await countEvents("RecordOpened", record.recordId)).to.equal(opens);
  });

  it("a gateway answering 502 (node down behind it): NodeUnavailableError keeping the ethers error as cause", async function () {
    proxy.rule = () => "bad-gateway";
    const { error, ms } = await timed(
      doctor.createRecord(patientAddress, Category.Labs, "behind a gateway", {
        timeoutMs: DEADLINE_MS,
      }),
    );
    expect(error).to.be.instanceOf(NodeUnavailableError);
    expect((error as NodeUnavailableError).cause).to.have.property("code", "SERVER_ERROR");
    expect(ms).to.be.lessThan(DEADLINE_MS + SLACK_MS);
    expect(await store.listUnanchored()).to.deep.equal([]);
  });

  it("another sender used the account meanwhile: the nonce is read again and the send goes through", async function () {
    const record = await doctor.createRecord(patientAddress, Category.Labs, "shared account");
    // The same key sends a transaction outside the SDK (another process of the hospital app).
    const other = wallet(2, new JsonRpcProvider(anvil.url, 1337, { staticNetwork: true }));
    await (await other.sendTransaction({ to: other.address, value: 0n })).wait();
    const access = await doctor.auditOpen(record.recordId, Purpose.Treatment);
    expect(access.transaction.nonce).to.equal(
      (await provider.getTransactionCount(doctorAddress, "latest")) - 1,
    );
  });

  it("a silent node and an AbortSignal: the caller's abort ends the call at once", async function () {
    proxy.rule = () => "hold";
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 200);
    const { error, ms } = await timed(
      doctor.createRecord(patientAddress, Category.Labs, "aborted", {
        signal: controller.signal,
        timeoutMs: 60_000,
      }),
    );
    expect(error).to.be.instanceOf(OperationAbortedError);
    expect(ms).to.be.lessThan(200 + SLACK_MS);
  });

  it("the reply to the anchor is lost after it landed: the SDK finds it by hash; one anchor, no orphan", async function () {
    proxy.rule = on("eth_sendRawTransaction", "drop-reply");
    const record = await doctor.createRecord(patientAddress, Category.Labs, "reply lost once");
    proxy.rule = () => "pass";
    expect(await countEvents("RecordAnchored", record.recordId)).to.equal(1);
    expect(await store.listUnanchored()).to.deep.equal([]);
  });

  it("the reply is lost and the node stays silent: typed error with hash and nonce; the same body retried yields one anchor", async function () {
    const body = `retried body ${Date.now()}`;
    const anchoredBefore = await countEvents("RecordAnchored");
    proxy.rule = (methods) =>
      methods.includes("eth_sendRawTransaction")
        ? "drop-reply"
        : methods.includes("eth_getTransactionReceipt")
          ? "hold"
          : "pass";
    const { error, ms } = await timed(
      doctor.createRecord(patientAddress, Category.Labs, body, { timeoutMs: DEADLINE_MS * 2 }),
    );
    expect(error).to.be.instanceOf(CareLedgerError);
    expect(error).to.satisfy(
      (e: Error) => e instanceof NodeUnavailableError || e instanceof TransactionTimeoutError,
    );
    const { transactionHash, nonce } = error as NodeUnavailableError;
    expect(transactionHash).to.match(/^0x[0-9a-f]{64}$/);
    expect(nonce).to.be.a("number");
    expect(ms).to.be.lessThan(DEADLINE_MS * 2 + SLACK_MS);
    // The store holds the envelope, journalled as unanchored; the chain already holds its anchor.
    const [orphan] = await store.listUnanchored();
    expect(orphan?.intent.author).to.equal(doctorAddress);
    proxy.rule = () => "pass";
    proxy.releaseHeld();
    const retried = await doctor.createRecord(patientAddress, Category.Labs, body);
    expect(retried.contentHash).to.equal(orphan?.contentHash);
    expect(retried.recordId).to.equal(recordIdOf(patientAddress, orphan!.contentHash));
    expect(retried.transaction.hash).to.equal(transactionHash);
    expect(await countEvents("RecordAnchored")).to.equal(anchoredBefore + 1);
    expect(await store.listUnanchored()).to.deep.equal([]);
    // The same body written again after a success is a new record.
    const again = await doctor.createRecord(patientAddress, Category.Labs, body);
    expect(again.recordId).not.to.equal(retried.recordId);
  });

  it("the node is down mid-write (the anchor never reaches it): NodeUnavailableError, the blob is listed unanchored, repair anchors it", async function () {
    proxy.rule = on("eth_sendRawTransaction", "refuse");
    const { error } = await timed(
      doctor.createRecord(patientAddress, Category.Vitals, "down mid-write", {
        timeoutMs: DEADLINE_MS,
      }),
    );
    expect(error).to.be.instanceOf(NodeUnavailableError);
    proxy.rule = () => "pass";
    const unanchored = await store.listUnanchored();
    expect(unanchored).to.have.length(1);
    const hash = unanchored[0]!.contentHash;
    const recordId = recordIdOf(patientAddress, hash);
    expect(await store.has(hash)).to.equal(true);
    expect(await doctor.findRecord(recordId)).to.equal(undefined);
    // Within the grace period the repair leaves it alone (a write may be in flight elsewhere).
    expect((await doctor.repairUnanchored()).outcomes.map((o) => o.action)).to.deep.equal([
      "skipped",
    ]);
    const report = await doctor.repairUnanchored({ graceMs: 0 });
    expect(report.outcomes.map((o) => [o.recordId, o.contentHash, o.action])).to.deep.equal([
      [recordId, hash, "anchored"],
    ]);
    expect((await doctor.findRecord(recordId))?.author).to.equal(doctorAddress);
    expect(await countEvents("RecordAnchored", recordId)).to.equal(1);
    expect(await store.listUnanchored()).to.deep.equal([]);
    const opened = await doctor.openRecord(recordId, Purpose.Treatment);
    expect(opened.text()).to.equal("down mid-write");
  });

  it("an orphan the chain now refuses (consent revoked meanwhile) is deleted by the repair", async function () {
    proxy.rule = on("eth_sendRawTransaction", "refuse");
    await rejection(
      doctor.createRecord(patientAddress, Category.Labs, "refused later", {
        timeoutMs: DEADLINE_MS,
      }),
    );
    proxy.rule = () => "pass";
    const [orphan] = await store.listUnanchored();
    await patient.revokeConsent(doctorAddress);
    try {
      const report = await doctor.repairUnanchored({ graceMs: 0 });
      expect(report.outcomes.map((o) => o.action)).to.deep.equal(["deleted"]);
      expect(report.outcomes[0]?.reason).to.contain("consent");
      expect(await store.has(orphan!.contentHash)).to.equal(false);
      expect(await store.listUnanchored()).to.deep.equal([]);
    } finally {
      await grantDoctor();
    }
  });

  it("a dropped transaction: TransactionTimeoutError with hash and nonce; the retry sends it again with the same nonce; one open", async function () {
    const record = await doctor.createRecord(patientAddress, Category.Labs, "dropped tx");
    await rpc("evm_setAutomine", [false]);
    let error: Error;
    try {
      ({ error } = await timed(
        doctor.auditOpen(record.recordId, Purpose.Treatment, { timeoutMs: DEADLINE_MS }),
      ));
    } finally {
      // the node drops it from its pool; blocks come again
      await rpc("evm_setAutomine", [true]).catch(() => undefined);
    }
    expect(error).to.be.instanceOf(TransactionTimeoutError);
    const timeout = error as TransactionTimeoutError;
    expect(timeout.from).to.equal(doctorAddress);
    await rpc("anvil_dropTransaction", [timeout.transactionHash]);
    // On a zero-fee chain a replacement by fee is refused up front.
    expect(await rejection(timeout.replace())).to.be.instanceOf(InvalidArgumentError);
    const access = await doctor.auditOpen(record.recordId, Purpose.Treatment);
    expect(access.transaction.nonce).to.equal(timeout.nonce);
    expect(await countEvents("RecordOpened", record.recordId)).to.equal(1);
  });

  it("a transaction mined late: waitLonger returns its receipt; one open", async function () {
    const record = await doctor.createRecord(patientAddress, Category.Labs, "late tx");
    await rpc("evm_setAutomine", [false]);
    let timeout: TransactionTimeoutError;
    try {
      timeout = (await rejection(
        doctor.auditOpen(record.recordId, Purpose.Treatment, { timeoutMs: DEADLINE_MS }),
      )) as TransactionTimeoutError;
      expect(timeout).to.be.instanceOf(TransactionTimeoutError);
      setTimeout(() => void rpc("evm_mine").catch(() => undefined), 300);
      const mined = (await timeout.waitLonger(5_000)) as { hash: string };
      expect(mined.hash).to.equal(timeout.transactionHash);
    } finally {
      await rpc("evm_setAutomine", [true]);
    }
    expect(await countEvents("RecordOpened", record.recordId)).to.equal(1);
  });

  it("on a chain that charges fees, a stuck transaction is replaced by a no-op with the same nonce and a higher fee", async function () {
    const feeNode = await startAnvil({ zeroGas: false });
    const feeProvider = new JsonRpcProvider(feeNode.url, Network.from(1337), {
      staticNetwork: true,
    });
    try {
      const feeRpc = (method: string, params: unknown[] = []): Promise<unknown> =>
        jsonRpcRequest(feeNode.url, method, params, { timeoutMs: 5_000 });
      const registrar = wallet(1, feeProvider);
      const deployment = await deployCareLedgerWithSigner(wallet(0, feeProvider), {
        registrar: registrar.address,
      });
      const admin = await AdminClient.connect({
        ledger: deployment.contract,
        signer: registrar,
        fromBlock: deployment.deploymentBlock,
      });
      await feeRpc("evm_setAutomine", [false]);
      const stuck = (await rejection(
        admin.registerOrganization(7, { timeoutMs: DEADLINE_MS }),
      )) as TransactionTimeoutError;
      expect(stuck).to.be.instanceOf(TransactionTimeoutError);
      const original = await feeProvider.getTransaction(stuck.transactionHash);
      setTimeout(() => void feeRpc("evm_mine").catch(() => undefined), 500);
      const replaced = (await stuck.replace({ noop: true })) as {
        hash: string;
        nonce: number;
        receipt: { to: string | null };
      };
      expect(replaced.nonce).to.equal(stuck.nonce);
      expect(replaced.hash).not.to.equal(stuck.transactionHash);
      expect(replaced.receipt.to).to.equal(registrar.address);
      const mined = await feeProvider.getTransaction(replaced.hash);
      expect(mined?.maxFeePerGas).to.be.greaterThan(original?.maxFeePerGas ?? 0n);
      expect(await feeProvider.getTransaction(stuck.transactionHash)).to.equal(null);
      expect(
        (await deployment.contract.connect(feeProvider).organizationOf(7)).registered,
      ).to.equal(false);
    } finally {
      feeProvider.destroy();
      await feeNode.stop();
    }
  });

  it("a node restart mid-flow (state dumped and loaded): calls during the outage fail typed within the deadline; afterwards the flow goes on", async function () {
    const record = await doctor.createRecord(patientAddress, Category.Labs, "before restart");
    await anvil.stop();
    const { error, ms } = await timed(
      doctor.openRecord(record.recordId, Purpose.Treatment, { timeoutMs: DEADLINE_MS }),
    );
    expect(error).to.be.instanceOf(NodeUnavailableError);
    expect(ms).to.be.lessThan(DEADLINE_MS + SLACK_MS);
    anvil = await startAnvil({ stateFile, loadState: true });
    proxy.upstream = anvil.url;
    // ethers caches a failed request for 250 ms (its cacheTimeout): let the outage's answers expire.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const opened = await doctor.openRecord(record.recordId, Purpose.Treatment);
    expect(opened.text()).to.equal("before restart");
    const after = await doctor.createRecord(patientAddress, Category.Labs, "after restart");
    expect((await doctor.openRecord(after.recordId, Purpose.Treatment)).text()).to.equal(
      "after restart",
    );
    expect(await store.listUnanchored()).to.deep.equal([]);
  });

  it("50 concurrent opens from one clinician: every one lands once, with consecutive nonces", async function () {
    const record = await doctor.createRecord(patientAddress, Category.Labs, "concurrent");
    const opens = await Promise.all(
      Array.from({ length: 50 }, () => doctor.auditOpen(record.recordId, Purpose.Treatment)),
    );
    const nonces = opens.map((o) => o.transaction.nonce).sort((a, b) => a - b);
    expect(new Set(opens.map((o) => o.transaction.hash)).size).to.equal(50);
    expect(nonces.at(-1)! - nonces[0]!).to.equal(49);
    expect(await countEvents("RecordOpened", record.recordId)).to.equal(50);
  });

  it("bad input is an InvalidFieldError naming the field, as a rejection, and sends nothing", async function () {
    const record = await doctor.createRecord(patientAddress, Category.Labs, "inputs");
    const nonce = await provider.getTransactionCount(doctorAddress, "latest");
    const outsider = wallet(9, provider).address;
    const now = await patient.chainTime();
    const cases: ReadonlyArray<[string, () => Promise<unknown>, string]> = [
      ["a bad patient address", () => doctor.createRecord("0x123", Category.Labs, "x"), "patient"],
      [
        "an unknown category",
        () => doctor.createRecord(patientAddress, 9 as Category, "x"),
        "category",
      ],
      [
        "a string purpose",
        () => doctor.auditOpen(record.recordId, "0" as unknown as Purpose),
        "purpose",
      ],
      ["a malformed record id", () => doctor.openRecord("0x12", Purpose.Treatment), "recordId"],
      [
        "a negative duration",
        () => doctor.breakGlass(patientAddress, record.recordId, -1),
        "durationSeconds",
      ],
      [
        "category 9 in a grant",
        () =>
          patient.grantConsent(doctorAddress, {
            categories: [9 as Category],
            purposes: [0],
            expiresAt: now + 60,
          }),
        "terms.categories.0",
      ],
      [
        "a string expiry",
        () =>
          patient.grantConsent(doctorAddress, {
            categories: [Category.Labs],
            purposes: [Purpose.Treatment],
            expiresAt: String(now + 60) as unknown as number,
          }),
        "terms.expiresAt",
      ],
      [
        "an expiry past uint40",
        () =>
          patient.grantConsent(doctorAddress, {
            categories: [4],
            purposes: [0],
            expiresAt: 2 ** 41,
          }),
        "terms.expiresAt",
      ],
      [
        "a million-entry category list",
        () =>
          patient.grantConsent(doctorAddress, {
            categories: new Array<Category>(1_000_000).fill(Category.Labs),
            purposes: [0],
            expiresAt: now + 60,
          }),
        "terms.categories",
      ],
      [
        "a grantee that is not a member",
        () =>
          patient.grantConsent(outsider, { categories: [4], purposes: [0], expiresAt: now + 60 }),
        "grantee",
      ],
      [
        "a negative timeout",
        () => doctor.auditOpen(record.recordId, 0, { timeoutMs: -1 }),
        "options.timeoutMs",
      ],
    ];
    for (const [what, call, field] of cases) {
      let promise: Promise<unknown> | undefined;
      expect(() => (promise = call()), `${what} must not throw synchronously`).not.to.throw();
      const error = await rejection(promise!);
      expect(error, what).to.be.instanceOf(InvalidFieldError);
      expect((error as InvalidFieldError).field, what).to.equal(field);
    }
    expect(await provider.getTransactionCount(doctorAddress, "latest")).to.equal(nonce);
  });

  it("back to back through a default JsonRpcProvider and a Wallet: 20 sequential registrations all land", async function () {
    const plain = new JsonRpcProvider(anvil.url);
    try {
      const registrar = await AdminClient.connect({
        ledger,
        signer: HDNodeWallet.fromPhrase(MNEMONIC, undefined, `m/44'/60'/0'/0/1`).connect(plain),
        fromBlock,
      });
      const base = 1_000 + Math.floor(Math.random() * 1_000_000);
      const sent = [];
      for (let i = 0; i < 20; i++) sent.push(await registrar.registerOrganization(base + i));
      expect(sent).to.have.length(20);
      expect(new Set(sent.map((s) => s.nonce)).size).to.equal(20);
    } finally {
      plain.destroy();
    }
  });

  it(`a bounded soak: sequential create+open pairs through the default provider, none hangs or fails`, async function () {
    const pairs = Number(process.env.CARELEDGER_SOAK_PAIRS ?? 100);
    const plain = new JsonRpcProvider(anvil.url);
    try {
      const clinician = await ClinicianClient.connect({
        ledger,
        signer: HDNodeWallet.fromPhrase(MNEMONIC, undefined, `m/44'/60'/0'/0/2`).connect(plain),
        store,
        keys: doctorKeys,
        fromBlock,
        timeoutMs: 10_000,
      });
      for (let i = 0; i < pairs; i++) {
        const body = `soak ${i}`;
        const record = await clinician.createRecord(patientAddress, Category.Vitals, body);
        expect((await clinician.openRecord(record.recordId, Purpose.Treatment)).text()).to.equal(
          body,
        );
      }
      expect(await store.listUnanchored()).to.deep.equal([]);
    } finally {
      plain.destroy();
    }
  });
});
