/**
 * Writes `clear-signing/eip712-careledger.json`, the ERC-7730 (v1) clear-signing descriptor of
 * CareLedger's EIP-712 consent messages: the schemas are the SDK's typed-data types, the category and
 * purpose bitmasks become labels (one enum entry per mask), times are dates. The display of each field
 * is written here by hand; `test/consent/clear-signing.test.ts` fails when it no longer covers exactly
 * the fields of the types. Usage: `npm run build:clear-signing`.
 */
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import * as prettier from "prettier";
import {
  CONSENT_DOMAIN_NAME,
  CONSENT_DOMAIN_VERSION,
  EIP712_DOMAIN_TYPE,
  GRANT_CONSENT_TYPES,
  REVOKE_CONSENT_TYPES,
} from "../src/consent/typedData.js";
import {
  CATEGORY_COUNT,
  CATEGORY_LABELS,
  PURPOSE_COUNT,
  PURPOSE_LABELS,
} from "../src/sdk/constants.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const outFile = path.join(root, "clear-signing/eip712-careledger.json");

/** Every non-empty mask of `count` bits, labelled "a, b and c". */
function maskEnum(count: number, labels: Readonly<Record<number, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (let mask = 1; mask < 1 << count; mask++) {
    const names: string[] = [];
    for (let i = 0; i < count; i++) if (mask & (1 << i)) names.push(labels[i] ?? `#${i}`);
    out[String(mask)] =
      names.length === 1 ? names[0]! : `${names.slice(0, -1).join(", ")} and ${names.at(-1)!}`;
  }
  return out;
}

const patient = {
  path: "patient",
  label: "Patient",
  format: "addressName",
  params: { types: ["eoa", "wallet"], sources: ["local", "ens"] },
};
const grantee = {
  path: "grantee",
  label: "Who",
  format: "addressName",
  params: { types: ["eoa", "wallet"], sources: ["local", "ens"] },
};
const signer = {
  path: "signer",
  label: "Signed by",
  format: "addressName",
  params: { types: ["eoa", "wallet"], sources: ["local", "ens"] },
};
const deadline = {
  path: "deadline",
  label: "Signature valid until",
  format: "date",
  params: { encoding: "timestamp" },
};

const descriptor = {
  $schema: "https://eips.ethereum.org/assets/eip-7730/erc7730-v1.schema.json",
  context: {
    eip712: {
      domain: { name: CONSENT_DOMAIN_NAME, version: CONSENT_DOMAIN_VERSION },
      schemas: [
        {
          primaryType: "GrantConsent",
          types: { EIP712Domain: EIP712_DOMAIN_TYPE, ...GRANT_CONSENT_TYPES },
        },
        {
          primaryType: "RevokeConsent",
          types: { EIP712Domain: EIP712_DOMAIN_TYPE, ...REVOKE_CONSENT_TYPES },
        },
      ],
    },
  },
  metadata: {
    owner: "CareLedger",
    info: { url: "https://github.com/careledger/careledger" },
    enums: {
      categories: maskEnum(CATEGORY_COUNT, CATEGORY_LABELS),
      purposes: maskEnum(PURPOSE_COUNT, PURPOSE_LABELS),
    },
  },
  display: {
    formats: {
      GrantConsent: {
        intent: "Share medical records",
        fields: [
          grantee,
          {
            path: "categories",
            label: "Records",
            format: "enum",
            params: { $ref: "$.metadata.enums.categories" },
          },
          {
            path: "purposes",
            label: "For",
            format: "enum",
            params: { $ref: "$.metadata.enums.purposes" },
          },
          { path: "expiresAt", label: "Until", format: "date", params: { encoding: "timestamp" } },
          patient,
          signer,
          deadline,
        ],
        required: ["grantee", "categories", "purposes", "expiresAt", "patient", "signer"],
        excluded: ["nonce", "epoch"],
      },
      RevokeConsent: {
        intent: "Stop sharing medical records",
        fields: [grantee, patient, signer, deadline],
        required: ["grantee", "patient", "signer"],
        excluded: ["nonce", "epoch"],
      },
    },
  },
};

const options = (await prettier.resolveConfig(outFile)) ?? {};
await writeFile(
  outFile,
  await prettier.format(JSON.stringify(descriptor), {
    ...options,
    parser: "json",
    filepath: outFile,
  }),
);
console.log(`wrote ${path.relative(root, outFile)}`);
