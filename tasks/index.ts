/**
 * CareLedger deployment tasks, registered in `hardhat.config.ts` (`tasks: careLedgerTasks`).
 * Each action lives in its own file and is loaded only when the task runs.
 */
import { emptyTask, task } from "hardhat/config";
import { ArgumentType } from "hardhat/types/arguments";

const manifestOption = {
  name: "manifest",
  description: "Deployment manifest (default: deployments/<chainId>.json of the network)",
  type: ArgumentType.FILE_WITHOUT_DEFAULT,
  defaultValue: undefined,
} as const;

const keepOption = {
  name: "keep",
  description: "Comma-separated accounts to keep on the allowlist whatever the registry says",
  type: ArgumentType.STRING,
  defaultValue: "",
} as const;

const evmOption = {
  name: "evm",
  description:
    "Deploy the build for this EVM (paris for GoQuorum or a London network; default: the cancun build)",
  type: ArgumentType.STRING_WITHOUT_DEFAULT,
  defaultValue: undefined,
} as const;

export const careLedgerTasks = [
  task("deploy", "Deploy CareLedger with Ignition (preflight, resumable) and write the manifest")
    .addOption({
      name: "parameters",
      description: "Parameters file (default: ignition/parameters/<network>.json)",
      type: ArgumentType.FILE_WITHOUT_DEFAULT,
      defaultValue: undefined,
    })
    .addOption({
      name: "deploymentId",
      description: "Ignition deployment id (default: chain-<chainId>); re-use it to resume",
      type: ArgumentType.STRING_WITHOUT_DEFAULT,
      defaultValue: undefined,
    })
    .addOption({
      name: "manifestDir",
      description: "Directory of the manifests",
      type: ArgumentType.STRING,
      defaultValue: "deployments",
    })
    .addOption(evmOption)
    .addOption({
      name: "syncNodes",
      description:
        "After the deploy, sync these nodes' allowlists (comma-separated PERM URLs): the first step of the bootstrap",
      type: ArgumentType.STRING,
      defaultValue: "",
    })
    .addFlag({ name: "quiet", description: "Do not show Ignition's progress" })
    .addFlag({ name: "skipBuild", description: "Use the artifacts as they are (no build check)" })
    .setAction(() => import("./deploy.js"))
    .build(),

  task("preflight", "Dry run of the deploy: every check, nothing sent, one line per finding")
    .addOption(evmOption)
    .setAction(() => import("./preflight.js"))
    .build(),

  task("build-evm", "Build CareLedger for an older EVM into artifacts-evm/<evm>/ (size-checked)")
    .addOption({
      name: "evm",
      description: "Build profile of hardhat.config.ts named after the EVM",
      type: ArgumentType.STRING,
      defaultValue: "paris",
    })
    .setAction(() => import("./build-evm.js"))
    .build(),

  emptyTask("allowlist", "Besu account allowlist kept in step with the member registry").build(),

  task(["allowlist", "export"], "Write the registry's accounts as a Besu permissions_config.toml")
    .addOption(manifestOption)
    .addOption(keepOption)
    .addOption({
      name: "out",
      description: "File to write (its other settings are kept); default: print it",
      type: ArgumentType.FILE_WITHOUT_DEFAULT,
      defaultValue: undefined,
    })
    .setAction(() => import("./allowlist-export.js"))
    .build(),

  task(
    ["allowlist", "sync"],
    "Sync Besu nodes' account allowlists through perm_* (dry run unless --apply)",
  )
    .addOption(manifestOption)
    .addOption(keepOption)
    .addOption({
      name: "nodes",
      description: "Comma-separated JSON-RPC URLs with the PERM API (default: the network's URL)",
      type: ArgumentType.STRING,
      defaultValue: "",
    })
    .addFlag({ name: "apply", description: "Send the changes (default: dry run)" })
    .setAction(() => import("./allowlist-sync.js"))
    .build(),
];
