/**
 * `careledger/deploy`: deploying and operating a CareLedger network from a Hardhat 3 project (Node
 * only; needs `hardhat` and `@nomicfoundation/hardhat-ignition`): the Ignition module, the Hardhat
 * tasks, the preflight, private-network config, deployment manifests on disk, Besu permissioning and a
 * local node. The browser-safe manifest part is also in `careledger`.
 */
export * from "./deploy.js";
export * from "./manifest.js";
export * from "./jsonrpc.js";
export * from "./networks.js";
export * from "./localnode.js";
export * from "./parameters.js";
export * from "./permissioning.js";
export * from "./preflight.js";
export {
  DEFAULT_ADMIN_TRANSFER_DELAY,
  DEFAULT_BREAK_GLASS_MAX_DURATION,
  DeploymentError,
  deployCareLedgerWithSigner,
  type CareLedgerDeployment,
  type DeployCareLedgerOptions,
} from "../sdk/deploy.js";
export {
  NO_WIRING,
  buildCareLedgerModule,
  default as careLedgerIgnitionModule,
  type CareLedgerWiring,
} from "../../ignition/modules/CareLedger.js";
export { careLedgerTasks } from "../../tasks/index.js";
