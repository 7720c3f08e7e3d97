/**
 * Writes the FHIR `CodeSystem` resources CareLedger publishes to `src/consent/codesystems/<id>.json`
 * from `careLedgerCodeSystems()` (the tests check the files equal it). Run: `npx tsx scripts/write-fhir-codesystems.ts`.
 */
import { writeFileSync } from "node:fs";
import { careLedgerCodeSystems } from "../src/consent/fhir-codes.js";

for (const cs of careLedgerCodeSystems()) {
  const file = new URL(`../src/consent/codesystems/${cs.id}.json`, import.meta.url);
  writeFileSync(file, `${JSON.stringify(cs, null, 2)}\n`);
  console.log(`wrote ${file.pathname}`);
}
