/**
 * `npm run app`: anvil (port 8545, or a free one when it is taken), CareLedger deployed and seeded with
 * demo members and a record, the relay and blob gateway, the indexer (`--no-indexer`: lists from the
 * node's logs instead), and the app on http://127.0.0.1:5173 (or a free port). Prints how to add the
 * demo accounts to a wallet. Ctrl-C stops everything it started.
 */
import { DEMO_PASSPHRASE, startAppStack } from "./app/stack.js";

const stack = await startAppStack({
  nodePort: 8545,
  appPort: 5173,
  indexer: !process.argv.includes("--no-indexer"),
  log: (line) => console.log(`  ${line}`),
});
const m = stack.members;
console.log(`
CareLedger app: ${stack.appUrl}

Add the network to your wallet (the app also offers it when you connect):
  network name  ${stack.config.chainName}
  RPC URL       ${stack.config.rpcUrl}
  chain id      ${stack.config.chainId}
  currency      ETH (gas is free on this chain)

Import a demo account into the wallet with its private key (public development keys: never use them
for anything real), then unlock its key file in the app with the passphrase "${DEMO_PASSPHRASE}":
`);
for (const member of Object.values(m)) {
  console.log(`  ${member.label.padEnd(16)} ${member.address}`);
  console.log(`    private key ${member.privateKey}`);
  console.log(`    key file    ${member.keyFilePath}`);
}
console.log(`
Try: as ${m.patient.label}, grant ${m.doctor.label} (${m.doctor.address}) labs for treatment by signature;
as the doctor, create and open a lab result of the patient; back as the patient, see the open in
"Who opened my records". ${m.guardian.label} acts for ${m.minor.label}; ${m.responder.label} can break the glass;
${m.auditor.label} verifies the trail and reviews incidents. Ctrl-C stops everything.
`);

let stopping = false;
const shutdown = (signal: string): void => {
  if (stopping) return;
  stopping = true;
  console.log(`${signal}: stopping`);
  void stack.stop().then(() => process.exit(0));
};
process.on("SIGINT", () => shutdown("SIGINT"));
process.on("SIGTERM", () => shutdown("SIGTERM"));
