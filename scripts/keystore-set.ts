/**
 * `npm run keystore:set -- NAME [--force]`: stores a value in Hardhat's encrypted keystore without
 * a terminal, for provisioning scripts. The value is read from stdin, the keystore password from
 * the CARELEDGER_KEYSTORE_PASSWORD environment variable; neither is printed.
 *
 *   CARELEDGER_KEYSTORE_PASSWORD=… npm run keystore:set -- CARELEDGER_DEPLOYER_KEY < deployer.key
 */
import { text } from "node:stream/consumers";
import { parseArgs } from "node:util";
import { setKeystoreValue } from "./lib/keystore.js";
import { CareLedgerError } from "../src/errors.js";

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: { force: { type: "boolean", default: false } },
});
const name = positionals[0];
const password = process.env["CARELEDGER_KEYSTORE_PASSWORD"];
if (name === undefined || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
  console.error(
    "Error: npm run keystore:set -- NAME: NAME is the configuration variable, e.g. CARELEDGER_DEPLOYER_KEY",
  );
  process.exit(1);
}
if (password === undefined || password === "") {
  console.error(
    "Error: CARELEDGER_KEYSTORE_PASSWORD is not set: export the keystore password (at least 8 characters)",
  );
  process.exit(1);
}
const value = (await text(process.stdin)).trim();
if (value === "") {
  console.error(
    `Error: no value on stdin for ${name}: pipe it in, e.g. < ${name.toLowerCase()}.txt`,
  );
  process.exit(1);
}
try {
  console.log(await setKeystoreValue({ name, value, password, force: values.force }));
} catch (error) {
  if (!(error instanceof CareLedgerError)) throw error;
  console.error(`Error: ${error.message}`);
  process.exit(1);
}
