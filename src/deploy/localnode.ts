/**
 * The local out-of-process node that `npm run node` starts and the `localnode` network in
 * `hardhat.config.ts` points at. One place for its defaults, so the script, the config and the
 * tests agree.
 */
export const LOCALNODE = {
  /** Network name in `hardhat.config.ts`. */
  network: "localnode",
  /** Loopback only: a development node must never listen on a public interface. */
  host: "127.0.0.1",
  port: 8545,
  /** A custom chain id (not 31337), like a consortium network has its own. */
  chainId: 1337,
  /** Configuration variable that overrides the URL (e.g. a node on another port). */
  urlVariable: "LOCALNODE_RPC_URL",
} as const;

/** `http://127.0.0.1:8545`. */
export const LOCALNODE_URL = `http://${LOCALNODE.host}:${LOCALNODE.port}`;
