/**
 * A service world: anvil out of process (loopback, port 0), a deployed CareLedger with a registrar,
 * organisation 1, two doctors, a suspended nurse, an outsider and `patients` onboarded patients, and
 * the real service (relay and blob gateway over a file-system store in a scratch directory) on port 0.
 * Used by test/service/*.test.ts and the service section of `npm run bench`.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { HDNodeWallet, JsonRpcProvider, Network, Wallet, keccak256, toUtf8Bytes } from "ethers";
import { generateMemberKeyPair } from "../../src/crypto/index.js";
import { deployCareLedgerWithSigner } from "../../src/deploy/index.js";
import { ALL_PURPOSES, AdminClient, CLINICAL_CATEGORIES, Role } from "../../src/sdk/index.js";
import { prepareGrant, signGrant, type SignedGrant } from "../../src/consent/index.js";
import type { CareLedger } from "../../typechain-types/index.js";
import { startService, type Service, type ServiceOptions } from "../../service/index.js";
import { startAnvil, type Anvil } from "./faulty-node.js";

const MNEMONIC = "test test test test test test test test test test test junk";

/** The funded anvil account `i`, connected to `provider`. */
export function devWallet(i: number, provider: JsonRpcProvider): Wallet {
  return HDNodeWallet.fromPhrase(MNEMONIC, undefined, `m/44'/60'/0'/0/${i}`).connect(
    provider,
  ) as unknown as Wallet;
}

/** Deterministic unfunded key `label` (patients sign, they never pay). */
export function keyWallet(label: string, provider: JsonRpcProvider): Wallet {
  return new Wallet(keccak256(toUtf8Bytes(`careledger-service-test:${label}`)), provider);
}

export interface ServiceWorld {
  readonly anvil: Anvil;
  readonly provider: JsonRpcProvider;
  readonly ledger: CareLedger;
  readonly fromBlock: number;
  readonly registrar: AdminClient;
  readonly relayer: Wallet;
  readonly doctor: Wallet;
  /** A second doctor (the grantee of reference grants in the bench). */
  readonly colleague: Wallet;
  /** Staff whose membership is suspended. */
  readonly suspended: Wallet;
  /** Not a member. */
  readonly outsider: Wallet;
  readonly patients: readonly Wallet[];
  readonly service: Service & { readonly url: string };
  readonly blobDir: string;
  /** Sign a 30-day grant of the clinical categories and every purpose from `patient` to `grantee`. */
  signGrant(patient: Wallet, grantee?: string, categories?: number): Promise<SignedGrant>;
  /** Stop the service, anvil and remove the scratch directory. */
  close(): Promise<void>;
}

export interface ServiceWorldOptions {
  readonly patients: number;
  readonly service?: Partial<ServiceOptions>;
}

/** Start anvil, deploy, onboard the members and start the service. */
export async function startServiceWorld(options: ServiceWorldOptions): Promise<ServiceWorld> {
  const scratch = await mkdtemp(join(tmpdir(), "careledger-service-"));
  const anvil = await startAnvil();
  const provider = new JsonRpcProvider(anvil.url, Network.from(1337), {
    staticNetwork: true,
    cacheTimeout: -1,
  });
  provider.pollingInterval = 50;
  try {
    const admin = devWallet(0, provider);
    const registrarWallet = devWallet(1, provider);
    const relayer = devWallet(2, provider);
    const doctor = devWallet(3, provider);
    const suspended = devWallet(4, provider);
    const outsider = devWallet(5, provider);
    const colleague = devWallet(6, provider);
    const deployment = await deployCareLedgerWithSigner(admin, {
      registrar: registrarWallet.address,
    });
    const ledger = deployment.contract;
    const fromBlock = deployment.deploymentBlock;
    const registrar = await AdminClient.connect({ ledger, signer: registrarWallet, fromBlock });
    await registrar.registerOrganization(1);
    const member = (account: string, role: Role, orgId: number) =>
      registrar.onboardMember({
        account,
        role,
        orgId,
        publicKey: generateMemberKeyPair().publicKey,
      });
    await member(doctor.address, Role.Doctor, 1);
    await member(colleague.address, Role.Doctor, 1);
    await member(suspended.address, Role.Nurse, 1);
    await registrar.deactivateMember(suspended.address);
    const patients = Array.from({ length: options.patients }, (_, i) =>
      keyWallet(`patient-${String(i)}`, provider),
    );
    // The registrar's sender assigns consecutive nonces: onboard concurrently.
    await Promise.all(patients.map((p) => member(p.address, Role.Patient, 0)));
    const blobDir = join(scratch, "blobs");
    const service = await startService({
      provider,
      contractAddress: await ledger.getAddress(),
      relayer,
      blobDir,
      fromBlock,
      ...options.service,
    });
    return {
      anvil,
      provider,
      ledger,
      fromBlock,
      registrar,
      relayer,
      doctor,
      colleague,
      suspended,
      outsider,
      patients,
      service,
      blobDir,
      async signGrant(patient, grantee = doctor.address, categories = CLINICAL_CATEGORIES) {
        const block = await provider.getBlock("latest");
        const now = BigInt(block?.timestamp ?? 0);
        const request = await prepareGrant(ledger, {
          patient: patient.address,
          grantee,
          categories,
          purposes: ALL_PURPOSES,
          expiresAt: now + 30n * 86_400n,
          deadline: now + 3_600n,
        });
        return signGrant(patient, request);
      },
      async close() {
        await service.close();
        provider.destroy();
        await anvil.stop();
        await rm(scratch, { recursive: true, force: true });
      },
    };
  } catch (error) {
    provider.destroy();
    await anvil.stop();
    await rm(scratch, { recursive: true, force: true });
    throw error;
  }
}
