/**
 * The deployment's files and settings, without a chain: parameters files, network variables from
 * the environment, the manifest format, and the Besu permissions file.
 */
import { expect } from "chai";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { getAddress, ZeroAddress } from "ethers";
import { CareLedger__factory } from "../../typechain-types/index.js";
import {
  abiHash,
  connectCareLedger,
  loadManifest,
  ManifestError,
  MANIFEST_FORMAT,
  parseManifest,
  readManifest,
  writeManifest,
  type DeploymentManifest,
} from "../../src/deploy/manifest.js";
import {
  localNodeNetwork,
  NetworkConfigError,
  parseChainId,
  parseGasPrice,
  privateNetwork,
} from "../../src/deploy/networks.js";
import {
  ParametersError,
  parseCareLedgerParameters,
  readCareLedgerParameters,
} from "../../src/deploy/parameters.js";
import {
  diffAllowlist,
  parseAccountsAllowlist,
  renderPermissionsToml,
} from "../../src/deploy/permissioning.js";
import { planWiring } from "../../src/deploy/deploy.js";
import { redactUrl } from "../../src/deploy/jsonrpc.js";
import { PROJECT_ROOT } from "../helpers/deploy/cli.js";

const A = getAddress("0x00000000000000000000000000000000000000a1");
const B = getAddress("0x00000000000000000000000000000000000000b2");
const C = getAddress("0x00000000000000000000000000000000000000c3");

describe("deploy: parameters files", function () {
  const valid = { admin: A, initialRegistrar: B, registrars: [C] };

  it("fills the defaults and checksums addresses", function () {
    const params = parseCareLedgerParameters("p.json", {
      CareLedger: { admin: A.toLowerCase(), registrars: [C.toLowerCase()] },
    });
    expect(params).to.deep.equal({
      admin: A,
      adminTransferDelay: 3 * 24 * 3600,
      initialRegistrar: ZeroAddress,
      breakGlassMaxDuration: 4 * 3600,
      registrars: [C],
      rolePolicies: [],
    });
  });

  it("accepts role policies by name or number and drops $comment", function () {
    const params = parseCareLedgerParameters("p.json", {
      CareLedger: {
        ...valid,
        $comment: "notes",
        rolePolicies: [
          { role: "Nurse", read: 30, write: 12, emergencyRead: 0 },
          { role: 6, read: 0, write: 0, emergencyRead: 0x7f },
        ],
      },
    });
    expect(params.rolePolicies.map((p) => p.role)).to.deep.equal([3, 6]);
    expect(params).to.not.have.property("$comment");
  });

  const bad: readonly [string, Record<string, unknown>, RegExp][] = [
    ["a zero admin", { admin: ZeroAddress }, /CareLedger\.admin the zero address/],
    [
      "a malformed admin",
      { admin: "0x1234" },
      /CareLedger\.admin must be a 0x-prefixed 20-byte address/,
    ],
    [
      "a break-glass cap above 24 h",
      { ...valid, breakGlassMaxDuration: 86_401 },
      /breakGlassMaxDuration must be at most 86400/,
    ],
    [
      "a zero break-glass cap",
      { ...valid, breakGlassMaxDuration: 0 },
      /breakGlassMaxDuration must be at least 1/,
    ],
    ["a delay above uint48", { ...valid, adminTransferDelay: 2 ** 48 }, /adminTransferDelay/],
    [
      "a duplicated registrar",
      { ...valid, registrars: [C, C.toLowerCase()] },
      /registrars lists an address twice/,
    ],
    [
      "a zero registrar",
      { ...valid, registrars: [ZeroAddress] },
      /registrars\.0 a registrar cannot be the zero address/,
    ],
    [
      "a policy for patients",
      { ...valid, rolePolicies: [{ role: "Patient", read: 1, write: 0, emergencyRead: 0 }] },
      /rolePolicies\.0\.role must be a staff role/,
    ],
    [
      "a policy mask out of range",
      { ...valid, rolePolicies: [{ role: 2, read: 0x200, write: 0, emergencyRead: 0 }] },
      /rolePolicies\.0\.read must be a category bitmask/,
    ],
    [
      "the same role twice",
      {
        ...valid,
        rolePolicies: [
          { role: 2, read: 1, write: 1, emergencyRead: 0 },
          { role: "Doctor", read: 2, write: 2, emergencyRead: 0 },
        ],
      },
      /sets the same role twice/,
    ],
    ["an unknown key", { ...valid, admins: [A] }, /CareLedger/],
  ];
  for (const [what, params, message] of bad) {
    it(`refuses ${what} with a one-line message naming the field`, function () {
      let caught: unknown;
      try {
        parseCareLedgerParameters("ignition/parameters/x.json", { CareLedger: params });
      } catch (error) {
        caught = error;
      }
      expect(caught).to.be.instanceOf(ParametersError);
      const text = (caught as Error).message;
      expect(text).to.match(/^ignition\/parameters\/x\.json: /);
      expect(text).to.match(message);
      expect(text).to.not.include("\n");
    });
  }

  it("refuses a file without a CareLedger object, and a missing file", async function () {
    expect(() => parseCareLedgerParameters("p.json", { Other: {} })).to.throw(
      ParametersError,
      /no "CareLedger" object/,
    );
    await readCareLedgerParameters("/nonexistent/careledger.json").then(
      () => expect.fail("should throw"),
      (error: unknown) =>
        expect(error)
          .to.be.instanceOf(ParametersError)
          .with.property("message")
          .that.matches(/cannot be read/),
    );
  });

  it("ships a localnode file that validates and a consortium template that refuses to deploy", async function () {
    const local = await readCareLedgerParameters(
      path.join(PROJECT_ROOT, "ignition/parameters/localnode.json"),
    );
    expect(local.admin).to.equal("0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266");
    await readCareLedgerParameters(
      path.join(PROJECT_ROOT, "ignition/parameters/careledger.json"),
    ).then(
      () => expect.fail("the template must not deploy with a zero admin"),
      (error: unknown) =>
        expect((error as Error).message).to.match(/CareLedger\.admin the zero address/),
    );
  });

  it("hands the admin role over only when there is wiring and the admin is not the deployer", function () {
    const base = parseCareLedgerParameters("p.json", { CareLedger: { admin: A } });
    const wired = parseCareLedgerParameters("p.json", {
      CareLedger: { admin: A, registrars: [C] },
    });
    expect(planWiring(base, B).handOverAdmin).to.equal(false); // constructor sets the admin
    expect(planWiring(wired, A).handOverAdmin).to.equal(false); // the deployer is the admin
    expect(planWiring(wired, B).handOverAdmin).to.equal(true);
  });
});

describe("deploy: network variables", function () {
  const table: readonly [string | undefined, number | undefined][] = [
    [undefined, undefined],
    ["", undefined],
    ["2025", 2025],
    ["0x7e9", 2025],
  ];
  for (const [raw, expected] of table) {
    it(`reads chain id ${JSON.stringify(raw)} as ${String(expected)}`, function () {
      expect(parseChainId(raw, "X_CHAIN_ID")).to.equal(expected);
    });
  }
  for (const raw of ["abc", "-1", "0", "1.5", "2025x"]) {
    it(`refuses chain id ${JSON.stringify(raw)}`, function () {
      expect(() => parseChainId(raw, "X_CHAIN_ID")).to.throw(
        NetworkConfigError,
        /X_CHAIN_ID=.* is not a chain id/,
      );
    });
  }
  it("reads the gas price: 0 by default, auto, or wei", function () {
    expect(parseGasPrice(undefined, "G")).to.equal(0n);
    expect(parseGasPrice("auto", "G")).to.equal("auto");
    expect(parseGasPrice("1000000000", "G")).to.equal(1_000_000_000n);
    expect(() => parseGasPrice("1 gwei", "G")).to.throw(
      NetworkConfigError,
      /G="1 gwei" is not a gas price/,
    );
  });
  it("builds a private network whose URL and key are configuration variables", function () {
    const config = privateNetwork("HOSPITALNET", { HOSPITALNET_CHAIN_ID: "2025" });
    expect(config.chainId).to.equal(2025);
    expect(config.gasPrice).to.equal(0n);
    expect(config.url).to.deep.include({ name: "HOSPITALNET_RPC_URL" });
    expect(config.accounts).to.be.an("array").with.length(1);
    expect((config.accounts as unknown[])[0]).to.deep.include({
      _type: "ConfigurationVariable",
      name: "HOSPITALNET_DEPLOYER_KEY",
    });
    expect(
      JSON.stringify(config, (_k, v: unknown) => (typeof v === "bigint" ? String(v) : v)),
    ).to.not.match(/0x[0-9a-f]{64}/i);
  });
  it("lets the local node's chain id and gas price be overridden like a private network's", function () {
    expect(localNodeNetwork({})).to.deep.include({
      chainId: 1337,
      gasPrice: 0n,
      accounts: "remote",
    });
    expect(
      localNodeNetwork({ LOCALNODE_CHAIN_ID: "4242", LOCALNODE_GAS_PRICE: "auto" }),
    ).to.deep.include({ chainId: 4242, gasPrice: "auto" });
  });
  it("never prints secrets of an RPC URL", function () {
    expect(redactUrl("https://user:pw@rpc.example.org:8545/v3/SECRETKEY?token=x")).to.equal(
      "https://rpc.example.org:8545/…",
    );
    expect(redactUrl("http://127.0.0.1:8545")).to.equal("http://127.0.0.1:8545");
  });
});

describe("deploy: manifest", function () {
  const address = getAddress("0x5fbdb2315678afecb367f032d93f642f64180aa3");
  const manifest: DeploymentManifest = {
    format: MANIFEST_FORMAT,
    chainId: 1337,
    network: "localnode",
    deploymentId: "chain-1337",
    deployer: A,
    deployedAt: "2026-01-01T00:00:00.000Z",
    contracts: {
      CareLedger: {
        address,
        deploymentBlock: 1,
        deploymentTxHash: `0x${"ab".repeat(32)}`,
        artifact: "contracts/CareLedger.sol:CareLedger",
        abiPath: "artifacts/contracts/CareLedger.sol/CareLedger.json",
        typechainFactory: "CareLedger__factory",
        abiHash: abiHash(CareLedger__factory.abi),
      },
    },
    parameters: { admin: A },
    transactions: [
      {
        type: "DEPLOYMENT_EXECUTION_STATE",
        name: "CareLedger",
        hash: `0x${"ab".repeat(32)}`,
        from: A,
        to: address,
        blockNumber: 1,
        status: "SUCCESS",
      },
    ],
  };

  it("round-trips through a file and loads by chain id", async function () {
    const dir = await mkdtemp(path.join(tmpdir(), "careledger-manifest-"));
    const file = await writeManifest(manifest, dir);
    expect(file).to.equal(path.join(dir, "1337.json"));
    expect(await readManifest(file)).to.deep.equal(manifest);
    expect(await loadManifest(1337, dir)).to.deep.equal(manifest);
    await loadManifest(1, dir).then(
      () => expect.fail("no manifest for chain 1"),
      (error: unknown) =>
        expect(error)
          .to.be.instanceOf(ManifestError)
          .with.property("message")
          .that.matches(/No deployment manifest at .*1\.json/),
    );
  });

  it("gives a typed contract, and refuses an ABI that differs from the deployed one", function () {
    const careLedger = connectCareLedger(manifest, null);
    expect(careLedger.target).to.equal(address);
    expect(careLedger.interface.getFunction("openRecord")).to.not.equal(null);
    const other = {
      ...manifest,
      contracts: {
        CareLedger: { ...manifest.contracts.CareLedger, abiHash: `0x${"00".repeat(32)}` },
      },
    };
    expect(() => connectCareLedger(other, null)).to.throw(ManifestError, /ABI .* differs/);
  });

  it("refuses files that are not manifests", async function () {
    expect(() => parseManifest({ ...manifest, format: "other/1" })).to.throw(
      ManifestError,
      /format/,
    );
    expect(() => parseManifest({ ...manifest, chainId: "1337" })).to.throw(
      ManifestError,
      /chainId/,
    );
    const dir = await mkdtemp(path.join(tmpdir(), "careledger-manifest-"));
    await writeFile(path.join(dir, "5.json"), "{ not json");
    await loadManifest(5, dir).then(
      () => expect.fail("invalid JSON"),
      (error: unknown) => expect((error as Error).message).to.match(/5\.json is not valid JSON/),
    );
  });
});

describe("deploy: Besu permissions file and diff", function () {
  const entries = [
    { address: A, reasons: ["governance admin"] },
    { address: B, reasons: ["doctor"] },
  ];
  const context = { contract: C, chainId: 2025, blockNumber: 7 };

  it("renders accounts-allowlist in lower case and parses back", function () {
    const toml = renderPermissionsToml(entries, context);
    expect(toml).to.include(
      `accounts-allowlist=[\n  "${A.toLowerCase()}",\n  "${B.toLowerCase()}"\n]`,
    );
    expect(toml).to.include(`chain 2025 at block 7`);
    expect(parseAccountsAllowlist(toml)).to.deep.equal([A, B]);
  });

  it("replaces only the accounts allowlist of an existing file, keeping nodes-allowlist", function () {
    const existing = `nodes-allowlist=["enode://${"ab".repeat(64)}@10.0.0.1:30303"]\naccounts-allowlist=["${C.toLowerCase()}"]\n`;
    const first = renderPermissionsToml(entries, context, existing);
    const again = renderPermissionsToml(entries, context, first);
    for (const toml of [first, again]) {
      expect(toml).to.include("nodes-allowlist=[");
      expect(parseAccountsAllowlist(toml)).to.deep.equal([A, B]);
      expect(toml.match(/accounts-allowlist=/g)).to.have.length(1);
    }
    expect(again).to.equal(first); // regenerating is stable
  });

  it("diffs case-insensitively", function () {
    const diff = diffAllowlist([A.toLowerCase(), C], [A, B]);
    expect(diff).to.deep.equal({ add: [B], remove: [C], unchanged: [A] });
    expect(diffAllowlist([A, B], [B.toLowerCase(), A])).to.deep.equal({
      add: [],
      remove: [],
      unchanged: [A, B],
    });
  });
});
