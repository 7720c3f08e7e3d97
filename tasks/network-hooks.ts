/**
 * Network hook of the `careledger-environment` plugin (`hardhat.config.ts`): a connection to a
 * network whose environment was malformed when the config loaded (e.g. `CARELEDGER_CHAIN_ID=twenty`)
 * is refused with the one-line reason, whatever command opens it (`hardhat run`, `ignition deploy`).
 * The CareLedger tasks refuse earlier, before connecting.
 */
import { HardhatPluginError } from "@nomicfoundation/hardhat-errors";
import type { NetworkHooks } from "hardhat/types/hooks";
import { assertNetworkEnvironment, NetworkConfigError } from "../src/deploy/index.js";

/** The plugin id, as printed by Hardhat. */
export const ENVIRONMENT_PLUGIN_ID = "careledger-environment";

export default (): Promise<Partial<NetworkHooks>> =>
  Promise.resolve({
    async newConnection(context, next) {
      const connection = await next(context);
      const config = connection.networkConfig;
      const urlName = config.type === "http" ? (config.url as { name?: unknown }).name : undefined;
      const prefix = typeof urlName === "string" ? /^(.+)_RPC_URL$/.exec(urlName)?.[1] : undefined;
      try {
        if (prefix !== undefined) assertNetworkEnvironment(prefix);
      } catch (error) {
        if (!(error instanceof NetworkConfigError)) throw error;
        await connection.close();
        throw new HardhatPluginError(ENVIRONMENT_PLUGIN_ID, error.message, error);
      }
      return connection;
    },
  });
