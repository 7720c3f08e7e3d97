/**
 * Consent a patient can read: the human summary of any consent typed data, the ERC-7730 descriptor
 * (its field paths are checked against the SDK's typed-data types, so a struct change fails here), the
 * `eth_signTypedData_v4` chainId form, and viem computing the same EIP-712 digest as the SDK.
 */
import { expect } from "chai";
import { Wallet } from "ethers";
import { readFile } from "node:fs/promises";
import { hashTypedData, recoverTypedDataAddress } from "viem";
import {
  buildGrantRequest,
  buildRevokeRequest,
  consentDigest,
  consentDomain,
  consentPrimaryType,
  consentTypes,
  EIP712_DOMAIN_TYPE,
  signGrant,
  toEthSignTypedDataV4Json,
  toEthSignTypedDataV4Payload,
  type ConsentRequest,
} from "../../src/consent/typedData.js";
import { summarizeConsent } from "../../src/consent/summary.js";
import { InvalidConsentInputError } from "../../src/consent/errors.js";
import {
  CATEGORY_LABELS,
  Category,
  PURPOSE_LABELS,
  Purpose,
  categoriesInMask,
  categoryMask,
  purposeMask,
  purposesInMask,
} from "../../src/sdk/constants.js";

const CONTRACT = "0x5FbDB2315678afecb367f032d93F642f64180aa3";
const PATIENT = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";
const DOCTOR = "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC";
const MARCH_2027 = BigInt(Date.UTC(2027, 2, 1) / 1000);
const domain = consentDomain(1337n, CONTRACT);

const grant = buildGrantRequest(domain, {
  patient: PATIENT,
  grantee: DOCTOR,
  categories: categoryMask(Category.Labs, Category.Medications),
  purposes: purposeMask(Purpose.Treatment),
  expiresAt: MARCH_2027,
  deadline: MARCH_2027 - 86_400n * 30n,
  signer: PATIENT,
  epoch: 0n,
  nonce: 3n,
});
const revoke = buildRevokeRequest(domain, {
  patient: PATIENT,
  grantee: DOCTOR,
  deadline: MARCH_2027,
  signer: PATIENT,
  epoch: 0n,
  nonce: 4n,
});
const names: Record<string, string> = { [DOCTOR]: "Dr X at Org Y", [PATIENT]: "Alice" };
const nameOf = (a: string) => names[a];

describe("readable consent", function () {
  describe("summarizeConsent", function () {
    const cases: { name: string; request: ConsentRequest; text: string }[] = [
      {
        name: "grant",
        request: grant,
        text: "Dr X at Org Y (0x3C44…93BC) may read medications and labs for treatment until 2027-03-01 00:00 UTC (this signature can be used until 2027-01-30 00:00 UTC).",
      },
      {
        name: "revoke",
        request: revoke,
        text: "Dr X at Org Y (0x3C44…93BC) may no longer read Alice (0x7099…79C8)'s records (this signature can be used until 2027-03-01 00:00 UTC).",
      },
    ];
    for (const c of cases) {
      it(`${c.name}: one sentence, the same from the request and from the wallet's v4 JSON`, function () {
        const fromRequest = summarizeConsent(c.request, { nameOf });
        expect(fromRequest.text).to.equal(c.text);
        expect(fromRequest.chainId).to.equal("1337");
        expect(fromRequest.verifyingContract).to.equal(CONTRACT);
        const fromJson = summarizeConsent(toEthSignTypedDataV4Json(c.request), { nameOf });
        expect(fromJson).to.deep.equal(fromRequest);
      });
    }

    it("lists every field of the type, labelled, in type order", function () {
      const s = summarizeConsent(grant);
      expect(s.lines.map((l) => l.field)).to.deep.equal(
        consentTypes("grant")["GrantConsent"]?.map((f) => f.name),
      );
      expect(Object.fromEntries(s.lines.map((l) => [l.label, l.value]))).to.deep.equal({
        Patient: PATIENT,
        Who: DOCTOR,
        Records: "medications and labs",
        For: "treatment",
        Until: "2027-03-01 00:00 UTC",
        "Signed by": PATIENT,
        "Consent version": "0",
        "Signature number": "3",
        "Signature valid until": "2027-01-30 00:00 UTC",
      });
    });

    it("shows fields it does not know (a changed struct) instead of hiding them", function () {
      const payload = toEthSignTypedDataV4Payload(grant);
      const changed = {
        ...payload,
        types: {
          ...payload.types,
          GrantConsent: [
            ...(payload.types["GrantConsent"] ?? []),
            { name: "issuedAt", type: "uint40" },
            { name: "witness", type: "address" },
            { name: "memoHash", type: "bytes32" },
            { name: "purpose", type: "uint8" },
            { name: "format", type: "uint8" },
          ],
        },
        message: {
          ...payload.message,
          issuedAt: String(MARCH_2027 - 86_400n),
          witness: PATIENT,
          memoHash: `0x${"ab".repeat(32)}`,
          purpose: "3",
          format: "2",
        },
      };
      const lines = summarizeConsent(changed, { nameOf, timeZone: "Europe/Berlin" }).lines;
      expect(lines.slice(-5)).to.deep.equal([
        { field: "issuedAt", label: "Signed at", value: "2027-02-28 01:00 Europe/Berlin" },
        { field: "witness", label: "Witness", value: "Alice (0x7099…79C8)" },
        { field: "memoHash", label: "Memo Hash", value: `0x${"ab".repeat(32)}` },
        { field: "purpose", label: "Purpose", value: "research" },
        { field: "format", label: "Format", value: "2" },
      ]);
    });

    it("labels bits outside the defined categories instead of dropping them", function () {
      const payload = toEthSignTypedDataV4Payload(grant);
      const s = summarizeConsent({
        ...payload,
        message: { ...payload.message, categories: "1025" },
      });
      expect(s.lines.find((l) => l.field === "categories")?.value).to.equal(
        "demographics and undefined bits 0x400",
      );
    });

    const bad: { name: string; input: unknown; path: string; message: string }[] = [
      { name: "not JSON", input: "{", path: "", message: "is not valid JSON" },
      {
        name: "no message",
        input: { primaryType: "GrantConsent", domain: {} },
        path: "message",
        message: "is missing",
      },
      {
        name: "no primary type",
        input: { domain: {}, message: {} },
        path: "primaryType",
        message: "is missing (and no request kind is given)",
      },
    ];
    for (const b of bad) {
      it(`refuses ${b.name} with InvalidConsentInputError naming the field`, function () {
        expect(() => summarizeConsent(b.input as string))
          .to.throw(InvalidConsentInputError)
          .with.property("issues")
          .that.deep.equals([{ path: b.path, message: b.message }]);
      });
    }
  });

  describe("eth_signTypedData_v4 JSON", function () {
    it("writes chainId as a number by default and as a decimal string by option", function () {
      const chainIdOf = (json: string): unknown =>
        (JSON.parse(json) as { domain: { chainId: unknown } }).domain.chainId;
      expect(chainIdOf(toEthSignTypedDataV4Json(grant))).to.equal(1337);
      expect(chainIdOf(toEthSignTypedDataV4Json(grant, { chainId: "string" }))).to.equal("1337");
      const huge = buildRevokeRequest(consentDomain(2n ** 60n, CONTRACT), {
        ...revoke.message,
      });
      expect(toEthSignTypedDataV4Payload(huge).domain.chainId).to.equal((2n ** 60n).toString());
    });
  });

  describe("ERC-7730 descriptor (clear-signing/eip712-careledger.json)", function () {
    interface Field {
      path: string;
      format: string;
      params?: { $ref?: string; encoding?: string };
    }
    interface Descriptor {
      context: {
        eip712: {
          domain: { name: string; version: string };
          schemas: {
            primaryType: string;
            types: Record<string, { name: string; type: string }[]>;
          }[];
        };
      };
      metadata: { enums: Record<string, Record<string, string>> };
      display: {
        formats: Record<string, { fields: Field[]; excluded?: string[]; required?: string[] }>;
      };
    }
    let descriptor: Descriptor;
    before(async function () {
      descriptor = JSON.parse(
        await readFile(
          new URL("../../clear-signing/eip712-careledger.json", import.meta.url),
          "utf8",
        ),
      ) as Descriptor;
    });

    for (const kind of ["grant", "revoke"] as const) {
      const primaryType = consentPrimaryType(kind);
      const typeFields = () => consentTypes(kind)[primaryType] ?? [];

      it(`${primaryType}: the schema is the SDK's typed-data types`, function () {
        const schema = descriptor.context.eip712.schemas.find((s) => s.primaryType === primaryType);
        expect(schema?.types).to.deep.equal({
          EIP712Domain: EIP712_DOMAIN_TYPE,
          ...consentTypes(kind),
        });
      });

      it(`${primaryType}: displayed and excluded paths are exactly the type's fields`, function () {
        const format = descriptor.display.formats[primaryType];
        const shown = (format?.fields ?? []).map((f) => f.path);
        const covered = [...shown, ...(format?.excluded ?? [])].sort();
        expect(covered).to.deep.equal(
          typeFields()
            .map((f) => f.name)
            .sort(),
        );
        expect(new Set(shown).size).to.equal(shown.length);
        for (const r of format?.required ?? []) expect(shown).to.include(r);
      });

      it(`${primaryType}: dates are integer fields, enums point at defined enums`, function () {
        for (const f of descriptor.display.formats[primaryType]?.fields ?? []) {
          const type = typeFields().find((t) => t.name === f.path)?.type;
          if (f.format === "date") expect(type, f.path).to.match(/^uint/);
          if (f.format === "addressName") expect(type, f.path).to.equal("address");
          if (f.format === "enum") {
            expect(type, f.path).to.match(/^uint/);
            const ref = f.params?.$ref?.replace("$.metadata.enums.", "") ?? "";
            expect(descriptor.metadata.enums, f.path).to.have.property(ref);
          }
        }
      });
    }

    it("labels every category and purpose bitmask as the SDK does", function () {
      const { categories, purposes } = descriptor.metadata.enums;
      const label = (items: string[]) =>
        items.length === 1 ? items[0] : `${items.slice(0, -1).join(", ")} and ${items.at(-1)}`;
      for (const [mask, text] of Object.entries(categories ?? {})) {
        expect(text).to.equal(label(categoriesInMask(Number(mask)).map((c) => CATEGORY_LABELS[c])));
      }
      for (const [mask, text] of Object.entries(purposes ?? {})) {
        expect(text).to.equal(label(purposesInMask(Number(mask)).map((p) => PURPOSE_LABELS[p])));
      }
      expect(Object.keys(categories ?? {})).to.have.length(511);
      expect(Object.keys(purposes ?? {})).to.have.length(31);
    });
  });

  describe("viem", function () {
    for (const request of [grant, revoke]) {
      it(`hashTypedData equals the SDK's digest (${request.kind}), and recovers the ethers signer`, async function () {
        const payload = toEthSignTypedDataV4Payload(request);
        const typed = {
          domain: {
            ...payload.domain,
            chainId: BigInt(payload.domain.chainId),
            verifyingContract: CONTRACT as `0x${string}`,
          },
          types: consentTypes(request.kind),
          primaryType: consentPrimaryType(request.kind),
          message: payload.message,
        } as const;
        expect(hashTypedData(typed as Parameters<typeof hashTypedData>[0])).to.equal(
          consentDigest(request),
        );
        if (request.kind === "grant") {
          const wallet = Wallet.createRandom();
          const own = buildGrantRequest(domain, { ...request.message, signer: wallet.address });
          const signed = await signGrant(wallet, own);
          const recovered = await recoverTypedDataAddress({
            ...(typed as Parameters<typeof hashTypedData>[0]),
            message: toEthSignTypedDataV4Payload(own).message,
            signature: signed.signature as `0x${string}`,
          });
          expect(recovered).to.equal(wallet.address);
        }
      });
    }
  });
});
