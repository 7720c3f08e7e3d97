/**
 * HL7 FHIR R4 `Consent` ↔ CareLedger grant: round trips both ways, the exact shape of the resource, and one
 * rejection per element a grant cannot represent (listed with its path, never silently dropped).
 */
import { expect } from "chai";
import { dataSlice, getAddress, id } from "ethers";
import { network } from "hardhat";
import {
  CARELEDGER_CATEGORY_SYSTEM,
  type ConsentGrant,
  FHIR_SYSTEMS,
  type FhirR4,
  UnsupportedFhirConsentError,
  accountIdentifier,
  fromFhirConsent,
  parseFhirConsentJson,
  readGrant,
  relayGrant,
  signGrant,
  toFhirConsent,
} from "../../src/consent/index.js";
import { isoTime } from "../../src/sdk/format.js";
import { type SignedConsentFixture, deploySignedConsentFixture, grantRequest } from "./fixtures.js";

const connection = await network.create();
const { networkHelpers } = connection;

const CHAIN_ID = 31337n;
const account = (label: string): string => getAddress(dataSlice(id(label), 12));
const PATIENT = account("fhir.patient");
const DOCTOR = account("fhir.doctor");
const GUARDIAN = account("fhir.guardian");
const T0 = 1_780_000_000n; // 2026-05-28T…Z

type Consent = FhirR4.Consent;

async function signedConsentFixture(): Promise<SignedConsentFixture> {
  return deploySignedConsentFixture(connection);
}

const GRANTS: readonly [string, ConsentGrant][] = [
  [
    "an active grant given by the patient",
    {
      patient: PATIENT,
      grantee: DOCTOR,
      categories: 0x14,
      purposes: 0x01,
      grantedAt: T0,
      expiresAt: T0 + 30n * 86_400n,
      status: "active",
      grantedBy: PATIENT,
    },
  ],
  [
    "an expired grant given by a delegate, every category and purpose",
    {
      patient: PATIENT,
      grantee: DOCTOR,
      categories: 0x1ff,
      purposes: 0x1f,
      grantedAt: T0,
      expiresAt: T0 + 1n,
      status: "inactive",
      grantedBy: GUARDIAN,
    },
  ],
  [
    "a grant read from storage (giver unknown): billing for payment",
    {
      patient: PATIENT,
      grantee: DOCTOR,
      categories: 0x80,
      purposes: 0x02,
      grantedAt: T0,
      expiresAt: T0 + 3600n,
      status: "active",
      grantedBy: undefined,
    },
  ],
];

function baseGrant(): ConsentGrant {
  const grant = GRANTS[0]?.[1];
  if (grant === undefined) throw new Error("no grant");
  return grant;
}

/** A mutable JSON copy of the FHIR consent of the base grant (what a FHIR server would hand over). */
function baseConsentJson(): Record<string, unknown> {
  const consent = toFhirConsent(baseGrant(), { chainId: CHAIN_ID, granteeType: "Practitioner" });
  return JSON.parse(JSON.stringify(consent)) as Record<string, unknown>;
}

function unsupportedOf(consent: unknown): UnsupportedFhirConsentError {
  try {
    fromFhirConsent(consent as Consent, { chainId: CHAIN_ID });
  } catch (err) {
    expect(err).to.be.instanceOf(UnsupportedFhirConsentError);
    return err as UnsupportedFhirConsentError;
  }
  return expect.fail("the consent was accepted");
}

/** What a FHIR consent says, independent of formatting: instants as numbers, identifiers lower-cased, sets sorted. */
function meaning(c: Consent) {
  const instant = (s: string | undefined) => (s === undefined ? undefined : Date.parse(s));
  const ident = (r: FhirR4.Reference | undefined) => r?.identifier?.value?.toLowerCase();
  const codes = (list: FhirR4.Coding[] | undefined) =>
    (list ?? []).map((x) => `${x.system}#${x.code}`).sort();
  const p = c.provision;
  return {
    status: c.status,
    scope: codes(c.scope.coding),
    category: c.category.flatMap((cc) => codes(cc.coding)),
    patient: ident(c.patient),
    dateTime: instant(c.dateTime),
    performer: c.performer?.map((r) => [r.type, ident(r)]),
    type: p?.type,
    start: instant(p?.period?.start ?? c.dateTime),
    end: instant(p?.period?.end),
    actor: p?.actor?.map((a) => [codes(a.role.coding), a.reference.type, ident(a.reference)]),
    action: (p?.action ?? []).flatMap((a) => codes(a.coding)).sort(),
    purpose: codes(p?.purpose),
    class: codes(p?.class),
  };
}

describe("FHIR R4 Consent mapping", function () {
  describe("round trips", function () {
    for (const [name, grant] of GRANTS) {
      it(`grant → Consent → grant is the identity: ${name}`, function () {
        const consent = toFhirConsent(grant, { chainId: CHAIN_ID });
        const back = fromFhirConsent(JSON.parse(JSON.stringify(consent)) as Consent, {
          chainId: CHAIN_ID,
        });
        expect(back.grant).to.deep.equal(grant);
        expect(back.chainId).to.equal(CHAIN_ID);
      });
    }

    it("Consent → grant → Consent returns the same resource for CareLedger's own form", function () {
      const consent = toFhirConsent(baseGrant(), {
        chainId: CHAIN_ID,
        id: "consent-1",
        granteeType: "PractitionerRole",
        recipientRole: "PRCP",
      });
      const mapped = fromFhirConsent(consent, { chainId: CHAIN_ID });
      expect(toFhirConsent(mapped.grant, mapped)).to.deep.equal(consent);
    });

    it("Consent → grant → Consent preserves every supported field of an EHR's consent", function () {
      const identifier = (a: string) => ({
        system: "urn:ietf:rfc:3986",
        value: `eip155:31337:${a.toLowerCase()}`,
      });
      const input: Consent = {
        resourceType: "Consent",
        id: "ehr-77",
        meta: { lastUpdated: "2026-03-01T09:00:05Z" },
        text: {
          status: "generated",
          div: '<div xmlns="http://www.w3.org/1999/xhtml">Consent for Dr X</div>',
        },
        status: "active",
        scope: {
          coding: [{ system: FHIR_SYSTEMS.consentScope, code: "patient-privacy" }],
          text: "Privacy",
        },
        category: [{ coding: [{ system: "http://loinc.org", code: "59284-0" }] }],
        patient: { identifier: identifier(PATIENT) },
        dateTime: "2026-03-01T10:00:00+01:00",
        performer: [{ type: "Patient", identifier: identifier(PATIENT) }],
        provision: {
          type: "permit",
          period: { end: "2026-03-31T23:59:59.000Z" },
          actor: [
            {
              role: { coding: [{ system: FHIR_SYSTEMS.participationType, code: "IRCP" }] },
              reference: { type: "Practitioner", identifier: identifier(DOCTOR), display: "Dr X" },
            },
          ],
          action: ["collect", "correct", "access"].map((code) => ({
            coding: [{ system: FHIR_SYSTEMS.consentAction, code }],
          })),
          purpose: [
            { system: FHIR_SYSTEMS.actReason, code: "ETREAT" },
            { system: FHIR_SYSTEMS.actReason, code: "TREAT" },
          ],
          class: [
            { system: CARELEDGER_CATEGORY_SYSTEM, code: "labs" },
            { system: CARELEDGER_CATEGORY_SYSTEM, code: "allergies" },
          ],
        },
      };
      const mapped = fromFhirConsent(input, { chainId: CHAIN_ID });
      expect(mapped.grant).to.deep.equal({
        patient: PATIENT,
        grantee: DOCTOR,
        categories: (1 << 1) | (1 << 4),
        purposes: (1 << 0) | (1 << 4),
        grantedAt: BigInt(Date.parse("2026-03-01T09:00:00Z") / 1000),
        expiresAt: BigInt(Date.parse("2026-04-01T00:00:00Z") / 1000),
        status: "active",
        grantedBy: PATIENT,
      });
      const back = toFhirConsent(mapped.grant, mapped);
      expect(back.id).to.equal("ehr-77");
      expect(meaning(back)).to.deep.equal(meaning(input));
    });

    it("reads a live grant from chain, given by a guardian by signature, and maps it both ways", async function () {
      const f = await networkHelpers.loadFixture(signedConsentFixture);
      const request = await grantRequest(connection, f.ledger, {
        patient: f.minor.address,
        grantee: f.doctor.address,
        signer: f.guardian.address,
        categories: 0x06,
      });
      await relayGrant(f.ledger.connect(f.relayer), await signGrant(f.guardian, request));
      const grant = await readGrant(
        f.ledger,
        f.minor.address,
        f.doctor.address,
        f.guardian.address,
      );
      if (grant === undefined) throw new Error("no grant on chain");
      expect(grant.status).to.equal("active");
      expect(grant.expiresAt).to.equal(request.message.expiresAt);

      const consent = toFhirConsent(grant, { chainId: f.chainId, granteeType: "Practitioner" });
      expect(consent.performer).to.deep.equal([
        { type: "RelatedPerson", identifier: accountIdentifier(f.chainId, f.guardian.address) },
      ]);
      expect(fromFhirConsent(consent, { chainId: f.chainId }).grant).to.deep.equal(grant);

      await networkHelpers.time.increaseTo(grant.expiresAt);
      expect((await readGrant(f.ledger, f.minor.address, f.doctor.address))?.status).to.equal(
        "inactive",
      );
      expect(await readGrant(f.ledger, f.minor.address, f.nurse.address)).to.equal(undefined);
    });
  });

  describe("the resource", function () {
    it("has every element of the mapping, with an inclusive period end one second before expiry", function () {
      const g = baseGrant();
      const consent = toFhirConsent(g, { chainId: CHAIN_ID, granteeType: "Practitioner" });
      const ref = (type: string, a: string) => ({
        type,
        identifier: accountIdentifier(CHAIN_ID, a),
      });
      expect(consent).to.deep.equal({
        resourceType: "Consent",
        status: "active",
        scope: {
          coding: [
            {
              system: FHIR_SYSTEMS.consentScope,
              code: "patient-privacy",
              display: "Privacy Consent",
            },
          ],
        },
        category: [
          { coding: [{ system: "http://loinc.org", code: "59284-0", display: "Patient Consent" }] },
        ],
        patient: ref("Patient", PATIENT),
        dateTime: isoTime(g.grantedAt),
        performer: [ref("Patient", PATIENT)],
        policyRule: {
          coding: [{ system: FHIR_SYSTEMS.actCode, code: "OPTIN", display: "opt-in" }],
        },
        provision: {
          type: "permit",
          period: { start: isoTime(g.grantedAt), end: isoTime(g.expiresAt - 1n) },
          actor: [
            {
              role: {
                coding: [
                  {
                    system: FHIR_SYSTEMS.participationType,
                    code: "IRCP",
                    display: "information recipient",
                  },
                ],
              },
              reference: ref("Practitioner", DOCTOR),
            },
          ],
          action: [
            { coding: [{ system: FHIR_SYSTEMS.consentAction, code: "access", display: "Access" }] },
            {
              coding: [{ system: FHIR_SYSTEMS.consentAction, code: "collect", display: "Collect" }],
            },
            {
              coding: [
                {
                  system: FHIR_SYSTEMS.consentAction,
                  code: "correct",
                  display: "Access and Correct",
                },
              ],
            },
          ],
          purpose: [{ system: FHIR_SYSTEMS.actReason, code: "TREAT", display: "treatment" }],
          class: [
            { system: CARELEDGER_CATEGORY_SYSTEM, code: "medications", display: "medications" },
            { system: CARELEDGER_CATEGORY_SYSTEM, code: "labs", display: "labs" },
          ],
        },
      });
      expect(accountIdentifier(CHAIN_ID, PATIENT)).to.deep.equal({
        system: "urn:ietf:rfc:3986",
        value: `eip155:31337:${PATIENT}`,
      });
    });

    it("refuses to present an impossible grant", function () {
      for (const bad of [
        { ...baseGrant(), categories: 0 },
        { ...baseGrant(), purposes: 0x20 },
        { ...baseGrant(), expiresAt: baseGrant().grantedAt },
        { ...baseGrant(), grantee: PATIENT },
      ]) {
        expect(() => toFhirConsent(bad, { chainId: CHAIN_ID })).to.throw(/not a valid grant/);
      }
    });
  });

  describe("a Consent a grant cannot represent exactly is refused, element by element", function () {
    type Json = Record<string, unknown>;
    const p = (c: Json) => c["provision"] as Record<string, unknown>;
    const arr = (c: Json, key: "actor" | "action" | "purpose" | "class") => p(c)[key] as unknown[];
    const idOf = (a: string, chain = CHAIN_ID) => ({
      system: "urn:ietf:rfc:3986",
      value: `eip155:${chain}:${a}`,
    });
    const CASES: readonly [string, (c: Json) => void, readonly string[], RegExp][] = [
      [
        "a nested provision",
        (c) => (p(c).provision = [{ type: "deny", class: p(c).class }]),
        ["Consent.provision.provision"],
        /nested/,
      ],
      ["a deny rule", (c) => (p(c).type = "deny"), ["Consent.provision.type"], /deny rules/],
      [
        "no provision type",
        (c) => delete p(c).type,
        ["Consent.provision.type"],
        /required: permit/,
      ],
      [
        "a data reference",
        (c) =>
          (p(c).data = [{ meaning: "instance", reference: { reference: "DocumentReference/1" } }]),
        ["Consent.provision.data"],
        /specific resources/,
      ],
      [
        "a security label",
        (c) => (p(c).securityLabel = [{ system: FHIR_SYSTEMS.actCode, code: "PSY" }]),
        ["Consent.provision.securityLabel"],
        /security labels/,
      ],
      [
        "a data period",
        (c) => (p(c).dataPeriod = { start: "2020-01-01T00:00:00Z" }),
        ["Consent.provision.dataPeriod"],
        /when data was recorded/,
      ],
      [
        "a code rule",
        (c) => (p(c).code = [{ coding: [{ system: "http://loinc.org", code: "1234-5" }] }]),
        ["Consent.provision.code"],
        /specific codes/,
      ],
      [
        "two actors",
        (c) => arr(c, "actor").push(arr(c, "actor")[0]),
        ["Consent.provision.actor[1]"],
        /exactly one recipient/,
      ],
      ["no actor", (c) => delete p(c).actor, ["Consent.provision.actor"], /means anyone/],
      [
        "an actor role other than a recipient",
        (c) =>
          ((arr(c, "actor")[0] as { role: unknown }).role = {
            coding: [{ system: FHIR_SYSTEMS.participationType, code: "CST" }],
          }),
        ["Consent.provision.actor[0].role.coding[0]"],
        /IRCP or/,
      ],
      [
        "the patient as recipient",
        (c) =>
          ((arr(c, "actor")[0] as { reference: unknown }).reference = {
            identifier: idOf(PATIENT),
          }),
        ["Consent.provision.actor[0].reference"],
        /own grant/,
      ],
      [
        "an unknown purpose",
        (c) => arr(c, "purpose").push({ system: FHIR_SYSTEMS.actReason, code: "HMARKT" }),
        ["Consent.provision.purpose[1]"],
        /HMARKT is not a purpose of use/,
      ],
      [
        "a purpose of another code system",
        (c) => arr(c, "purpose").push({ system: "http://example.org/purpose", code: "TREAT" }),
        ["Consent.provision.purpose[1]"],
        /example\.org/,
      ],
      [
        "no purpose",
        (c) => delete p(c).purpose,
        ["Consent.provision.purpose"],
        /every purpose of use/,
      ],
      [
        "an unknown class",
        (c) => arr(c, "class").push({ system: CARELEDGER_CATEGORY_SYSTEM, code: "genomics" }),
        ["Consent.provision.class[2]"],
        /genomics/,
      ],
      [
        "a class of another code system",
        (c) =>
          arr(c, "class").push({
            system: "http://hl7.org/fhir/resource-types",
            code: "Observation",
          }),
        ["Consent.provision.class[2]"],
        /resource-types/,
      ],
      ["no class", (c) => delete p(c).class, ["Consent.provision.class"], /every data class/],
      [
        "no period end",
        (c) => (p(c).period = { start: c["dateTime"] }),
        ["Consent.provision.period.end"],
        /has an end/,
      ],
      ["no period", (c) => delete p(c).period, ["Consent.provision.period"], /has an end/],
      [
        "a period starting later than the consent",
        (c) => ((p(c).period as { start: string }).start = "2030-01-01T00:00:00Z"),
        ["Consent.provision.period.start"],
        /equal Consent.dateTime/,
      ],
      [
        "a period end before the consent",
        (c) => (p(c).period = { end: "2000-01-01T00:00:00Z" }),
        ["Consent.provision.period.end"],
        /before/,
      ],
      [
        "a date-only period end",
        (c) => ((p(c).period as { end: string }).end = "2026-12-31"),
        ["Consent.provision.period.end"],
        /to the second with a time zone/,
      ],
      [
        "a period end with fractions of a second",
        (c) => ((p(c).period as { end: string }).end = "2026-12-31T10:00:00.500Z"),
        ["Consent.provision.period.end"],
        /fractions of a second/,
      ],
      [
        "an impossible date",
        (c) => ((p(c).period as { end: string }).end = "2026-02-30T10:00:00Z"),
        ["Consent.provision.period.end"],
        /not a valid date/,
      ],
      [
        "an action missing (collect)",
        (c) => arr(c, "action").splice(1, 1),
        ["Consent.provision.action"],
        /missing: collect/,
      ],
      [
        "an action beyond the grant (disclose)",
        (c) =>
          arr(c, "action").push({
            coding: [{ system: FHIR_SYSTEMS.consentAction, code: "disclose" }],
          }),
        ["Consent.provision.action[3].coding[0]"],
        /disclose cannot be represented/,
      ],
      ["no action", (c) => delete p(c).action, ["Consent.provision.action"], /every action/],
      [
        "a provision modifier extension",
        (c) => (p(c).modifierExtension = [{ url: "http://example.org/x", valueBoolean: true }]),
        ["Consent.provision.modifierExtension"],
        /modifier extensions/,
      ],
      [
        "status draft",
        (c) => (c["status"] = "draft"),
        ["Consent.status"],
        /draft cannot be represented/,
      ],
      [
        "status proposed",
        (c) => (c["status"] = "proposed"),
        ["Consent.status"],
        /proposed cannot be represented/,
      ],
      [
        "status entered-in-error",
        (c) => (c["status"] = "entered-in-error"),
        ["Consent.status"],
        /active or inactive/,
      ],
      [
        "a research scope",
        (c) => (c["scope"] = { coding: [{ system: FHIR_SYSTEMS.consentScope, code: "research" }] }),
        ["Consent.scope.coding[0]"],
        /research cannot be represented/,
      ],
      [
        "another category",
        (c) => (c["category"] = [{ coding: [{ system: "http://loinc.org", code: "64292-6" }] }]),
        ["Consent.category[0].coding[0]"],
        /64292-6/,
      ],
      [
        "an opt-out policy rule",
        (c) => (c["policyRule"] = { coding: [{ system: FHIR_SYSTEMS.actCode, code: "OPTOUT" }] }),
        ["Consent.policyRule.coding[0]"],
        /OPTOUT/,
      ],
      [
        "a policy",
        (c) => (c["policy"] = [{ uri: "https://hospital.example/policy" }]),
        ["Consent.policy"],
        /opt-in policy only/,
      ],
      [
        "an organization",
        (c) => (c["organization"] = [{ reference: "Organization/1" }]),
        ["Consent.organization"],
        /custodian/,
      ],
      [
        "a verification",
        (c) => (c["verification"] = [{ verified: true }]),
        ["Consent.verification"],
        /verification/,
      ],
      [
        "a source document",
        (c) => (c["sourceReference"] = { reference: "DocumentReference/9" }),
        ["Consent.sourceReference"],
        /source document/,
      ],
      [
        "a business identifier",
        (c) => (c["identifier"] = [{ system: "https://ehr.example", value: "42" }]),
        ["Consent.identifier"],
        /business identifiers/,
      ],
      [
        "an extension",
        (c) => (c["extension"] = [{ url: "http://example.org/x", valueString: "y" }]),
        ["Consent.extension"],
        /extensions cannot/,
      ],
      [
        "implicit rules",
        (c) => (c["implicitRules"] = "https://example.org/rules"),
        ["Consent.implicitRules"],
        /implicit rules/,
      ],
      [
        "a contained resource",
        (c) => (c["contained"] = [{ resourceType: "Patient", id: "p" }]),
        ["Consent.contained"],
        /contained/,
      ],
      [
        "an extension on a primitive",
        (c) => (c["_status"] = { extension: [{ url: "http://example.org/x" }] }),
        ["Consent._status"],
        /primitive/,
      ],
      [
        "a literal patient reference",
        (c) => (c["patient"] = { reference: "Patient/123" }),
        ["Consent.patient.reference", "Consent.patient.identifier"],
        /literal references|required/,
      ],
      [
        "a patient on another chain",
        (c) => (c["patient"] = { type: "Patient", identifier: idOf(PATIENT, 1n) }),
        ["Consent.patient.identifier.value"],
        /chain 1, not 31337/,
      ],
      [
        "an address with a wrong checksum",
        (c) =>
          (c["patient"] = {
            identifier: idOf(
              PATIENT.slice(0, 2) +
                PATIENT.slice(2)
                  .replace(/[a-f]/, (x) => x.toUpperCase())
                  .replace(/[A-F](?=[^A-F]*$)/, (x) => x.toLowerCase()),
            ),
          }),
        ["Consent.patient.identifier.value"],
        /checksum/,
      ],
      [
        "an organization as performer",
        (c) => (c["performer"] = [{ type: "Organization", identifier: idOf(GUARDIAN) }]),
        ["Consent.performer[0].type"],
        /Organization is not allowed/,
      ],
      [
        "two performers",
        (c) => (c["performer"] = [{ identifier: idOf(PATIENT) }, { identifier: idOf(GUARDIAN) }]),
        ["Consent.performer[1]"],
        /one actor/,
      ],
      ["no patient", (c) => delete c["patient"], ["Consent.patient"], /whose consent/],
      [
        "no dateTime",
        (c) => delete c["dateTime"],
        ["Consent.dateTime"],
        /when the consent was given/,
      ],
      ["no provision", (c) => delete c["provision"], ["Consent.provision"], /permit rule/],
      [
        "another resource type",
        (c) => (c["resourceType"] = "Contract"),
        ["Consent.resourceType"],
        /must be Consent/,
      ],
    ];

    for (const [name, mutate, paths, reason] of CASES) {
      it(`${name}: ${paths.join(", ")}`, function () {
        const consent = baseConsentJson();
        expect(() =>
          fromFhirConsent(consent as unknown as Consent, { chainId: CHAIN_ID }),
        ).to.not.throw();
        mutate(consent);
        const err = unsupportedOf(consent);
        expect(err.unsupported.map((u) => u.path)).to.deep.equal(paths);
        expect(err.unsupported.map((u) => u.reason).join(" | ")).to.match(reason);
        for (const path of paths) expect(err.message).to.contain(path);
      });
    }

    it("lists every problem of a consent with several, not just the first", function () {
      const consent = baseConsentJson();
      p(consent).type = "deny";
      p(consent).provision = [{ type: "permit" }];
      p(consent).securityLabel = [{ system: FHIR_SYSTEMS.actCode, code: "PSY" }];
      arr(consent, "purpose").push({ system: FHIR_SYSTEMS.actReason, code: "HMARKT" });
      consent["status"] = "draft";
      const err = unsupportedOf(consent);
      expect(err.unsupported.map((u) => u.path).sort()).to.deep.equal(
        [
          "Consent.status",
          "Consent.provision.securityLabel",
          "Consent.provision.provision",
          "Consent.provision.type",
          "Consent.provision.purpose[1]",
        ].sort(),
      );
      expect(err.message).to.match(/\(5 elements\)/);
    });

    it("accepts and ignores only the housekeeping elements id, meta, text and language", function () {
      const consent = baseConsentJson();
      Object.assign(consent, {
        id: "x",
        meta: { versionId: "3" },
        text: { status: "generated", div: "<div/>" },
        language: "en",
      });
      const mapped = fromFhirConsent(consent as unknown as Consent, { chainId: CHAIN_ID });
      expect(mapped.grant).to.deep.equal(baseGrant());
      expect(mapped.id).to.equal("x");
    });

    it("refuses JSON that is not JSON, and a consent for another chain than the one asked about", function () {
      expect(() => parseFhirConsentJson("{", { chainId: CHAIN_ID })).to.throw(
        UnsupportedFhirConsentError,
        /not valid JSON/,
      );
      const err = (() => {
        try {
          parseFhirConsentJson(JSON.stringify(baseConsentJson()), { chainId: 1n });
        } catch (e) {
          return e as UnsupportedFhirConsentError;
        }
        return expect.fail("accepted");
      })();
      expect(err.unsupported.map((u) => u.path)).to.deep.equal([
        "Consent.patient.identifier.value",
        "Consent.performer[0].identifier.value",
        "Consent.provision.actor[0].reference.identifier.value",
      ]);
    });
  });
});
