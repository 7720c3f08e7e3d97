/**
 * The whole app stack on one machine, for `npm run app` and the browser tests (test/app/): anvil, CareLedger
 * deployed and seeded with demo members, key files and one encrypted record, the relay and blob gateway,
 * and the built app served by `vite preview` with the service behind `/api` on the same origin.
 */
import { mkdtemp, mkdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { HDNodeWallet, JsonRpcProvider, Mnemonic, NonceManager, type Signer } from "ethers";
import { build, preview, type PreviewServer } from "vite";
import { freePort, startNode, type RunningNode } from "../lib/node.js";
import {
  Category,
  categoryMask,
  ClinicianClient,
  encryptionKeyHex,
  encryptKeyFile,
  generateMemberKeyPair,
  Purpose,
  purposeMask,
  Role,
  serializeKeyFile,
  type MemberKeyPair,
} from "../../src/browser.js";
import { FsBlobStore } from "../../src/store/index.js";
import { LAB_RESULT_BODY } from "../../examples/demo/index.js";
import { CareLedger__factory, type CareLedger } from "../../typechain-types/index.js";
import { appViteConfig, type AppConfig } from "../../app/vite.config.js";
import { startService } from "../../service/index.js";
import { startAppIndexer } from "./indexer.js";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
/** The development mnemonic anvil and Hardhat fund (public: never use it for anything real). */
export const DEV_MNEMONIC = "test test test test test test test test test test test junk";
/** Passphrase of the demo key files (demo only). */
export const DEMO_PASSPHRASE = "careledger-demo";
/** Chain id of the local app chain. */
export const APP_CHAIN_ID = 1337;

/** A demo account: its dev wallet index, role and organisation. */
export interface DemoMemberSpec {
  readonly name: string;
  readonly label: string;
  readonly index: number;
  readonly role: Role;
  readonly org: number;
}

export const HOSPITAL = 1;
export const CLINIC = 2;

/** The seeded members (dev account 0 deploys and registers, dev account 9 relays). */
export const DEMO_MEMBERS = [
  { name: "doctor", label: "Dr. Ada Doctor", index: 1, role: Role.Doctor, org: HOSPITAL },
  {
    name: "responder",
    label: "Rex Responder",
    index: 2,
    role: Role.EmergencyResponder,
    org: HOSPITAL,
  },
  { name: "auditor", label: "Ann Auditor", index: 3, role: Role.Auditor, org: HOSPITAL },
  { name: "patient", label: "Pat Patient", index: 4, role: Role.Patient, org: 0 },
  { name: "guardian", label: "Gail Guardian", index: 5, role: Role.Patient, org: 0 },
  { name: "minor", label: "Max Minor", index: 6, role: Role.Patient, org: 0 },
  { name: "labdoctor", label: "Dr. Lab Clinic", index: 7, role: Role.Doctor, org: CLINIC },
] as const satisfies readonly DemoMemberSpec[];

export type DemoMemberName = (typeof DEMO_MEMBERS)[number]["name"];
const RELAYER_INDEX = 9;

/** A seeded member with its dev key (public test key) and key file. */
export interface DemoMember extends DemoMemberSpec {
  readonly address: string;
  readonly privateKey: string;
  readonly keyFilePath: string;
  readonly keyFileJson: string;
}

/** Options of {@link startAppStack}. */
export interface AppStackOptions {
  /** Anvil port: 0 for a free one; a taken port falls back to a free one. Default 0. */
  readonly nodePort?: number;
  /** App port: 0 for a free one; a taken port falls back to a free one. Default 0. */
  readonly appPort?: number;
  /** How long the app waits for the wallet before it says the wallet hangs (ms). */
  readonly walletTimeoutMs?: number;
  /** Start the indexer (`indexer/`) and take the lists from it; default false (the log scan). */
  readonly indexer?: boolean;
  readonly log?: (line: string) => void;
}

/** The running stack. */
export interface AppStack {
  readonly node: RunningNode;
  readonly provider: JsonRpcProvider;
  readonly ledger: CareLedger;
  readonly config: AppConfig;
  readonly appUrl: string;
  readonly serviceUrl: string;
  readonly members: Readonly<Record<DemoMemberName, DemoMember>>;
  /** The seeded lab result (patient's, by the clinic doctor). */
  readonly seededRecordId: string;
  readonly workDir: string;
  stop(): Promise<void>;
}

/** The dev wallet of `index` from {@link DEV_MNEMONIC}. */
export function devWallet(index: number): HDNodeWallet {
  return HDNodeWallet.fromMnemonic(Mnemonic.fromPhrase(DEV_MNEMONIC), `m/44'/60'/0'/0/${index}`);
}

async function portOrFree(port: number): Promise<number> {
  if (port === 0) return freePort();
  const { createServer } = await import("node:net");
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once("error", () => void freePort().then(resolve));
    probe.listen(port, "127.0.0.1", () => probe.close(() => resolve(port)));
  });
}

async function mined(sent: Promise<{ wait(): Promise<unknown> }>): Promise<void> {
  await (await sent).wait();
}

/** Start anvil, deploy, seed, start the service and serve the built app. */
export async function startAppStack(options: AppStackOptions = {}): Promise<AppStack> {
  const log = options.log ?? (() => undefined);
  const cleanups: (() => Promise<void>)[] = [];
  const stop = async (): Promise<void> => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
  };
  try {
    const workDir = await mkdtemp(path.join(tmpdir(), "careledger-app-"));
    cleanups.push(() => rm(workDir, { recursive: true, force: true }));
    const node = await startNode({
      engine: "anvil",
      port: await portOrFree(options.nodePort ?? 0),
      chainId: APP_CHAIN_ID,
      zeroGas: true,
      cwd: ROOT,
    });
    cleanups.push(() => node.stop());
    log(`anvil pid ${node.pid} at ${node.url}, chain ${node.chainId}`);

    const provider = new JsonRpcProvider(node.url, APP_CHAIN_ID, { staticNetwork: true });
    provider.pollingInterval = 50;
    cleanups.push(() => Promise.resolve(provider.destroy()));
    const admin = new NonceManager(devWallet(0).connect(provider));
    const adminAddress = await admin.getAddress();
    const deployed = await new CareLedger__factory(admin).deploy(
      adminAddress,
      3600,
      adminAddress,
      4 * 3600,
    );
    await deployed.waitForDeployment();
    const deployTx = deployed.deploymentTransaction();
    const receipt = deployTx === null ? null : await deployTx.wait();
    const address = await deployed.getAddress();
    const ledger = deployed.connect(admin);
    const fromBlock = receipt?.blockNumber ?? 0;
    log(`CareLedger at ${address} (block ${fromBlock})`);

    const keysDir = path.join(workDir, "keys");
    await mkdir(keysDir);
    await mined(ledger.registerOrganization(HOSPITAL));
    await mined(ledger.registerOrganization(CLINIC));
    const pairs = new Map<DemoMemberName, MemberKeyPair>();
    const members = {} as Record<DemoMemberName, DemoMember>;
    for (const spec of DEMO_MEMBERS) {
      const wallet = devWallet(spec.index);
      const pair = generateMemberKeyPair();
      pairs.set(spec.name, pair);
      await mined(
        ledger.onboardMember(wallet.address, spec.role, spec.org, encryptionKeyHex(pair.publicKey)),
      );
      // Demo key files use a lighter scrypt cost than DEFAULT_SCRYPT_PARAMS so they unlock fast.
      const keyFile = await encryptKeyFile(pair.privateKey, DEMO_PASSPHRASE, {
        scrypt: { N: 2 ** 14, r: 8, p: 1 },
        label: `${spec.label} ${wallet.address}`,
      });
      const keyFileJson = serializeKeyFile(keyFile);
      const keyFilePath = path.join(keysDir, `${spec.name}.json`);
      await writeFile(keyFilePath, keyFileJson);
      members[spec.name] = {
        ...spec,
        address: wallet.address,
        privateKey: wallet.privateKey,
        keyFilePath,
        keyFileJson,
      };
    }
    // Break-glass needs standing older than the warm-up: move the clock past it.
    const limits = await ledger.limits();
    await provider.send("evm_increaseTime", [Number(limits.breakGlassWarmup) + 1]);
    await provider.send("evm_mine", []);

    const signerOf = (name: DemoMemberName): Signer =>
      new NonceManager(devWallet(members[name].index).connect(provider));
    const head = await provider.getBlock("latest");
    const now = head?.timestamp ?? Math.floor(Date.now() / 1000);
    // The minor appoints the guardian for every category, for 180 days.
    await mined(
      ledger
        .connect(signerOf("minor"))
        .appointDelegate(
          members.guardian.address,
          categoryMask(...Object.values(Category)),
          now + 180 * 86_400,
        ),
    );
    // The patient lets the clinic doctor write and read labs; the clinic doctor anchors a lab result.
    await mined(
      ledger
        .connect(signerOf("patient"))
        .grantConsent(
          members.labdoctor.address,
          categoryMask(Category.Labs),
          purposeMask(Purpose.Treatment),
          now + 30 * 86_400,
        ),
    );
    const store = new FsBlobStore(path.join(workDir, "blobs"));
    const labDoctor = await ClinicianClient.connect({
      ledger,
      signer: signerOf("labdoctor"),
      store,
      keys: pairs.get("labdoctor")!,
      fromBlock,
    });
    const seeded = await labDoctor.createRecord(
      members.patient.address,
      Category.Labs,
      LAB_RESULT_BODY,
    );
    log(`seeded lab result ${seeded.recordId}`);

    const relayer = new NonceManager(devWallet(RELAYER_INDEX).connect(provider));
    const service = await startService({
      provider,
      contractAddress: address,
      relayer,
      blobStore: store,
      fromBlock,
    });
    cleanups.push(() => service.close());
    const serviceUrl = service.url ?? "";
    log(`relay and blob gateway at ${serviceUrl}`);

    let indexerUrl: string | undefined;
    if (options.indexer === true) {
      try {
        const indexer = await startAppIndexer({
          root: ROOT,
          rpcUrl: node.url,
          chainId: APP_CHAIN_ID,
          address,
          startBlock: fromBlock,
          dataDir: path.join(workDir, "pglite"),
        });
        cleanups.push(() => indexer.stop());
        indexerUrl = indexer.url;
        log(`indexer at ${indexer.url}`);
      } catch (error) {
        log(`indexer not started, lists come from the node's logs: ${String(error).slice(0, 300)}`);
      }
    }

    const outDir = path.join(workDir, "app");
    const config: AppConfig = {
      chainId: APP_CHAIN_ID,
      chainName: "CareLedger local",
      rpcUrl: node.url,
      contract: address,
      fromBlock,
      serviceUrl: "/api",
      walletTimeoutMs: options.walletTimeoutMs ?? 120_000,
      ...(indexerUrl === undefined ? {} : { indexerUrl: "/indexer" }),
    };
    const vite = appViteConfig({ outDir, serviceUrl, indexerUrl });
    await build({ ...vite, logLevel: "warn" });
    await writeFile(path.join(outDir, "config.json"), JSON.stringify(config, null, 2));
    const appPort = await portOrFree(options.appPort ?? 0);
    const server: PreviewServer = await preview({
      ...vite,
      logLevel: "warn",
      preview: { ...vite.preview, port: appPort, strictPort: true, host: "127.0.0.1" },
    });
    cleanups.push(() => server.close());
    const appUrl = `http://127.0.0.1:${appPort}/`;
    log(`app at ${appUrl}`);
    return {
      node,
      provider,
      ledger,
      config,
      appUrl,
      serviceUrl,
      members,
      seededRecordId: seeded.recordId,
      workDir,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
