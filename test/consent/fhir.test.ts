/**
 * HL7 FHIR R4 `Consent` ↔ CareLedger grant: round trips both ways, the exact shape of the resource, one
 * refusal per element a grant cannot represent (listed with its path, never silently dropped), times,
 * identifiers, revocation from the event history, and the EIP-712 proof carried in the resource and
 * verified from it alone (on a chain: a patient's key, a guardian, a smart-account patient).
 */
import { expect } from "chai";
import { dataSlice, getAddress, id } from "ethers";
import { network } from "hardhat";
import {
  CARELEDGER_CATEGORY_SYSTEM,
  CARELEDGER_GRANT_ID_SYSTEM,
  CARELEDGER_POLICY_URI,
  ConsentProofError,
  type ConsentGrant,
  FHIR_SYSTEMS,
  type FhirR4,
  GRANT_CONSENT_TYPES,
  UnsupportedFhirConsentError,
  accountIdentifier,
  fromFhirConsent,
  grantIdentifier,
  parseFhirConsentJson,
  proofAttachment,
  readGrant,
  readGrantHistory,
  relayGrant,
  relayRevoke,
  signGrant,
  signRevoke,
  toFhirConsent,
  verifyFhirConsentSignature,
} from "../../src/consent/index.js";
import { isoTime } from "../../src/sdk/format.js";
import { fhirValidationIssues } from "../helpers/fhir-validator.js";
import {
  type SignedConsentFixture,
  deploySignedConsentFixture,
  grantRequest,
  revokeRequest,
} from "../helpers/index.js";

const connection = await network.create();
const { networkHelpers } = connection;

const CHAIN_ID = 31337n;
const account = (label: string): string => getAddress(dataSlice(id(label), 12));
const PATIENT = account("fhir.patient");
const DOCTOR = account("fhir.doctor");
const GUARDIAN = account("fhir.guardian");
const LEDGER = account("fhir.ledger");
const T0 = 1_780_000_000n; // 2026-05-28T20:26:40Z
/** The time the mapped consents are checked at: just after T0. */
const NOW = T0 + 1n;

type Consent = FhirR4.Consent;
type Json = Record<string, unknown>;

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
  [
    "mental health only, for research",
    {
      patient: PATIENT,
      grantee: DOCTOR,
      categories: 0x100,
      purposes: 0x08,
      grantedAt: T0,
      expiresAt: T0 + 3600n,
      status: "active",
      grantedBy: PATIENT,
    },
  ],
];

function baseGrant(): ConsentGrant {
  const grant = GRANTS[0]?.[1];
  if (grant === undefined) throw new Error("no grant");
  return grant;
}

/** A mutable JSON copy of the FHIR consent of the base grant (what a FHIR server would hand over). */
function baseConsentJson(): Json {
  const consent = toFhirConsent(baseGrant(), { chainId: CHAIN_ID, granteeType: "Practitioner" });
  return JSON.parse(JSON.stringify(consent)) as Json;
}

function unsupportedOf(consent: unknown, now = NOW): UnsupportedFhirConsentError {
  try {
    fromFhirConsent(consent as Consent, { chainId: CHAIN_ID, now });
  } catch (err) {
    expect(err).to.be.instanceOf(UnsupportedFhirConsentError);
    return err as UnsupportedFhirConsentError;
  }
  return expect.fail("the consent was accepted");
}

const p = (c: Json) => c["provision"] as Json;
const arr = (c: Json, key: "actor" | "action" | "purpose" | "class") => p(c)[key] as unknown[];
const nested = (c: Json) => p(c)["provision"] as unknown[];

describe("FHIR R4 Consent mapping", function () {
  describe("round trips", function () {
    for (const [name, grant] of GRANTS) {
      it(`grant → Consent → grant is the identity: ${name}`, function () {
        const consent = toFhirConsent(grant, { chainId: CHAIN_ID });
        const back = fromFhirConsent(JSON.parse(JSON.stringify(consent)) as Consent, {
          chainId: CHAIN_ID,
          now: NOW,
        });
        expect(back.grant).to.deep.equal(grant);
        expect(back.chainId).to.equal(CHAIN_ID);
      });
    }

    it("Consent → grant → Consent returns the same resource for CareLedger's own form and options", function () {
      const TABLE = [
        { id: "consent-1", granteeType: "PractitionerRole", recipientRole: "PRCP" },
        { ledger: LEDGER, identifiers: [{ system: "https://ehr.example/id", value: "7" }] },
        { form: "ihe-pcf", organization: { display: "St Elsewhere" }, ledger: LEDGER },
      ] as const;
      for (const options of TABLE) {
        for (const [name, grant] of GRANTS) {
          // The IHE PCF form needs to know who gave the grant.
          if ("form" in options && grant.grantedBy === undefined) continue;
          const consent = toFhirConsent(grant, { chainId: CHAIN_ID, ...options });
          const mapped = fromFhirConsent(consent, { chainId: CHAIN_ID, now: NOW });
          expect(toFhirConsent(mapped.grant, mapped), name).to.deep.equal(consent);
        }
      }
    });

    it("a delegate performer may be a RelatedPerson, a Practitioner or an Organization", function () {
      const grant = { ...baseGrant(), grantedBy: GUARDIAN };
      for (const delegateType of ["RelatedPerson", "Practitioner", "Organization"] as const) {
        const consent = toFhirConsent(grant, { chainId: CHAIN_ID, delegateType });
        expect(consent.performer).to.deep.equal([
          { type: delegateType, identifier: accountIdentifier(CHAIN_ID, GUARDIAN) },
        ]);
        const mapped = fromFhirConsent(consent, { chainId: CHAIN_ID, now: NOW });
        expect(mapped.grant).to.deep.equal(grant);
        expect(mapped.delegateType).to.equal(delegateType);
      }
    });
  });

  describe("the resource", function () {
    it("has every element of the mapping, with an inclusive period end one second before expiry", function () {
      const g = baseGrant();
      const consent = toFhirConsent(g, {
        chainId: CHAIN_ID,
        granteeType: "Practitioner",
        ledger: LEDGER,
      });
      const ref = (type: string, a: string) => ({
        type,
        identifier: accountIdentifier(CHAIN_ID, a),
      });
      const code = (system: string, c: string, display: string) => ({ system, code: c, display });
      const treat = code(FHIR_SYSTEMS.actReason, "TREAT", "treatment");
      expect(consent.text?.status).to.equal("generated");
      expect(consent.text?.div).to.equal(
        '<div xmlns="http://www.w3.org/1999/xhtml">' +
          `<p>Patient ${PATIENT} permits ${DOCTOR} to read their medications and labs records for treatment, and to add and amend such records.</p>` +
          `<p>From ${isoTime(T0)} until before ${isoTime(g.expiresAt)}; status active.</p>` +
          "<p>Treatment does not include emergency treatment: emergency treatment is not permitted.</p></div>",
      );
      expect({ ...consent, text: undefined }).to.deep.equal({
        resourceType: "Consent",
        text: undefined,
        identifier: [
          {
            use: "official",
            system: CARELEDGER_GRANT_ID_SYSTEM,
            value: `eip155:31337:${LEDGER}/${PATIENT}/${DOCTOR}/${T0}`,
          },
        ],
        status: "active",
        scope: { coding: [code(FHIR_SYSTEMS.consentScope, "patient-privacy", "Privacy Consent")] },
        category: [{ coding: [code("http://loinc.org", "59284-0", "Patient Consent")] }],
        patient: ref("Patient", PATIENT),
        dateTime: isoTime(g.grantedAt),
        performer: [ref("Patient", PATIENT)],
        policyRule: { coding: [code(FHIR_SYSTEMS.actCode, "OPTIN", "opt-in")] },
        provision: {
          type: "permit",
          period: { start: isoTime(g.grantedAt), end: isoTime(g.expiresAt - 1n) },
          actor: [
            {
              role: {
                coding: [code(FHIR_SYSTEMS.participationType, "IRCP", "information recipient")],
              },
              reference: ref("Practitioner", DOCTOR),
            },
          ],
          action: [{ coding: [code(FHIR_SYSTEMS.consentAction, "use", "Use")] }],
          purpose: [treat],
          class: [
            code(FHIR_SYSTEMS.category, "medications", "medications"),
            code(FHIR_SYSTEMS.category, "labs", "labs"),
          ],
          provision: [
            {
              type: "permit",
              action: [
                { coding: [code(FHIR_SYSTEMS.consentAction, "correct", "Access and Correct")] },
                { coding: [code(FHIR_SYSTEMS.action, "author", "Author")] },
              ],
              purpose: [treat],
            },
            {
              type: "deny",
              securityLabel: [
                code(FHIR_SYSTEMS.actCode, "PSY", "psychiatry disorder information sensitivity"),
              ],
            },
            {
              type: "deny",
              purpose: [code(FHIR_SYSTEMS.actReason, "ETREAT", "Emergency Treatment")],
            },
          ],
        },
      });
    });

    it("the IHE PCF form has policy.uri and an organization instead of policyRule", function () {
      const organization = { display: "St Elsewhere Hospital" };
      const consent = toFhirConsent(baseGrant(), {
        chainId: CHAIN_ID,
        form: "ihe-pcf",
        organization,
      });
      expect(consent.policy).to.deep.equal([{ uri: CARELEDGER_POLICY_URI }]);
      expect(consent.policyRule).to.equal(undefined);
      expect(consent.organization).to.deep.equal([organization]);
      expect(() => toFhirConsent(baseGrant(), { chainId: CHAIN_ID, form: "ihe-pcf" })).to.throw(
        /needs an organization/,
      );
      expect(() =>
        toFhirConsent(
          { ...baseGrant(), grantedBy: undefined },
          { chainId: CHAIN_ID, form: "ihe-pcf", organization },
        ),
      ).to.throw(/grantedBy/);
    });

    it("refuses to present an impossible grant", function () {
      for (const bad of [
        { ...baseGrant(), categories: 0 },
        { ...baseGrant(), purposes: 0x20 },
        { ...baseGrant(), expiresAt: baseGrant().grantedAt },
        { ...baseGrant(), grantee: PATIENT },
        { ...baseGrant(), revokedAt: T0 + 5n },
        { ...baseGrant(), status: "inactive" as const, revokedAt: T0 },
      ]) {
        expect(() => toFhirConsent(bad, { chainId: CHAIN_ID })).to.throw(/not a valid grant/);
      }
    });
  });

  describe("times", function () {
    it("maps sub-second input times exactly to whole-second block times", function () {
      // [dateTime (= period.start), period.end, grantedAt, expiresAt]
      const TABLE: [string, string, bigint, bigint][] = [
        ["2026-05-28T20:26:40Z", "2026-05-28T21:26:39Z", T0, T0 + 3600n],
        ["2026-05-28T20:26:40.000Z", "2026-05-28T21:26:39.999Z", T0, T0 + 3600n],
        ["2026-05-28T20:26:39.001Z", "2026-05-28T21:26:39.5Z", T0, T0 + 3600n],
        ["2026-05-28T22:26:39.9999+02:00", "2026-05-28T23:26:39.123456+02:00", T0, T0 + 3600n],
        ["2026-05-28T20:26:40.0001Z", "2026-05-28T21:26:40Z", T0 + 1n, T0 + 3601n],
      ];
      for (const [start, end, grantedAt, expiresAt] of TABLE) {
        const c = baseConsentJson();
        c["dateTime"] = start;
        p(c)["period"] = { start, end };
        const mapped = fromFhirConsent(c as unknown as Consent, {
          chainId: CHAIN_ID,
          now: grantedAt,
        });
        expect([mapped.grant.grantedAt, mapped.grant.expiresAt], start).to.deep.equal([
          grantedAt,
          expiresAt,
        ]);
      }
    });

    it("a revoked grant is inactive and ends at its revocation", function () {
      const revoked = { ...baseGrant(), status: "inactive" as const, revokedAt: T0 + 600n };
      const consent = toFhirConsent(revoked, { chainId: CHAIN_ID });
      expect(consent.status).to.equal("inactive");
      expect(consent.provision?.period?.end).to.equal(isoTime(T0 + 599n));
      expect(consent.text?.div).to.contain(`revoked at ${isoTime(T0 + 600n)}`);
      const back = fromFhirConsent(consent, { chainId: CHAIN_ID, now: T0 + 600n });
      expect(back.grant.expiresAt).to.equal(T0 + 600n);
      expect(back.grant.status).to.equal("inactive");
    });
  });

  describe("a Consent a grant cannot represent exactly is refused, element by element", function () {
    const idOf = (a: string, chain = CHAIN_ID) => ({
      system: "urn:ietf:rfc:3986",
      value: `eip155:${chain}:${a}`,
    });
    const CASES: readonly [string, (c: Json) => void, readonly string[], RegExp][] = [
      [
        "a nested provision of another form",
        (c) => nested(c).push({ type: "deny", class: p(c).class }),
        ["Consent.provision.provision[3]"],
        /nested provisions cannot be represented/,
      ],
      [
        "a deny root rule",
        (c) => (p(c).type = "deny"),
        ["Consent.provision.type"],
        /deny root rule/,
      ],
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
        /narrows the classes/,
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
        ["Consent.provision.period.end", "Consent.status"],
        /before Consent.dateTime.*past/,
      ],
      [
        "a date-only period end",
        (c) => ((p(c).period as { end: string }).end = "2026-12-31"),
        ["Consent.provision.period.end"],
        /to the second with a time zone/,
      ],
      [
        "an impossible date",
        (c) => ((p(c).period as { end: string }).end = "2026-02-30T10:00:00Z"),
        ["Consent.provision.period.end"],
        /not a valid date/,
      ],
      [
        "access (view only) instead of use",
        (c) =>
          (arr(c, "action")[0] = {
            coding: [{ system: FHIR_SYSTEMS.consentAction, code: "access" }],
          }),
        ["Consent.provision.action[0]"],
        /view-only/,
      ],
      [
        "collect in the root rule (for every purpose)",
        (c) =>
          arr(c, "action").push({
            coding: [{ system: FHIR_SYSTEMS.consentAction, code: "collect" }],
          }),
        ["Consent.provision.action[1]"],
        /writes are permitted only under TREAT, HPAYMT, HOPERAT/,
      ],
      [
        "an action beyond the grant (disclose)",
        (c) =>
          arr(c, "action").push({
            coding: [{ system: FHIR_SYSTEMS.consentAction, code: "disclose" }],
          }),
        ["Consent.provision.action[1]"],
        /disclose cannot be represented/,
      ],
      [
        "no writes although treatment is granted",
        (c) => nested(c).splice(0, 1),
        ["Consent.provision.provision"],
        /also lets the grantee write/,
      ],
      [
        "writes for research",
        (c) =>
          ((nested(c)[0] as Json)["purpose"] = [
            { system: FHIR_SYSTEMS.actReason, code: "HRESCH" },
          ]),
        ["Consent.provision.provision[0].purpose"],
        /exactly for the granted purposes/,
      ],
      [
        "writes without author",
        (c) => ((nested(c)[0] as Json)["action"] as unknown[]).splice(1, 1),
        ["Consent.provision.provision[0].action"],
        /exactly .*correct and .*author/,
      ],
      [
        "psychiatric data not stated",
        (c) => nested(c).splice(1, 1),
        ["Consent.provision.provision"],
        /psychiatric data/,
      ],
      [
        "another sensitivity label (ETH)",
        (c) =>
          ((nested(c)[1] as Json)["securityLabel"] = [
            { system: FHIR_SYSTEMS.actCode, code: "ETH" },
          ]),
        ["Consent.provision.provision[1].securityLabel", "Consent.provision.provision"],
        /only .*PSY/,
      ],
      [
        "TREAT without the ETREAT exclusion",
        (c) => nested(c).splice(2, 1),
        ["Consent.provision.provision"],
        /ETREAT a child of TREAT/,
      ],
      [
        "a deny of another purpose",
        (c) =>
          ((nested(c)[2] as Json)["purpose"] = [
            { system: FHIR_SYSTEMS.actReason, code: "HPAYMT" },
          ]),
        ["Consent.provision.provision[2].purpose", "Consent.provision.provision"],
        /list the granted purposes/,
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
        "another policy",
        (c) => (c["policy"] = [{ uri: "https://hospital.example/policy" }]),
        ["Consent.policyRule", "Consent.policy[0]", "Consent.organization"],
        /not both.*one policy.*PCF/,
      ],
      [
        "two organizations",
        (c) => (c["organization"] = [{ display: "A" }, { display: "B" }]),
        ["Consent.organization"],
        /custodian/,
      ],
      [
        "a verification without a proof",
        (c) => (c["verification"] = [{ verified: true }]),
        ["Consent.verification[0]"],
        /EIP-712 proof/,
      ],
      [
        "a source document that is not a proof",
        (c) => (c["sourceAttachment"] = { title: "scan", url: "https://ehr.example/scan.pdf" }),
        ["Consent.sourceAttachment"],
        /source document/,
      ],
      [
        "active after its end",
        (c) => ((p(c).period as { end: string }).end = isoTime(T0)),
        ["Consent.status"],
        /active, but/,
      ],
      [
        "inactive before its end",
        (c) => (c["status"] = "inactive"),
        ["Consent.status"],
        /revoked consent ends its period/,
      ],
      [
        "a narrative contradicting the codes",
        (c) =>
          (c["text"] = {
            status: "additional",
            div: '<div xmlns="http://www.w3.org/1999/xhtml">Dr X may see all records, including mental health.</div>',
          }),
        ["Consent.text.div"],
        /contradicts.*mental health/,
      ],
      [
        "a CareLedger identifier naming another grant",
        (c) =>
          (c["identifier"] = [
            grantIdentifier(CHAIN_ID, LEDGER, { ...baseGrant(), grantedAt: T0 - 1n }),
          ]),
        ["Consent.identifier[0].value"],
        /another grant/,
      ],
      [
        "a malformed CareLedger identifier",
        (c) => (c["identifier"] = [{ system: CARELEDGER_GRANT_ID_SYSTEM, value: "42" }]),
        ["Consent.identifier[0].value"],
        /eip155:<chainId>:<ledger>/,
      ],
      [
        "a source document",
        (c) => (c["sourceReference"] = { reference: "DocumentReference/9" }),
        ["Consent.sourceReference"],
        /source document/,
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
        "a device as performer",
        (c) => (c["performer"] = [{ type: "Device", identifier: idOf(GUARDIAN) }]),
        ["Consent.performer[0].type"],
        /Device is not allowed/,
      ],
      [
        "the patient as a RelatedPerson",
        (c) => (c["performer"] = [{ type: "RelatedPerson", identifier: idOf(PATIENT) }]),
        ["Consent.performer[0]"],
        /the patient is a Patient/,
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
          fromFhirConsent(consent as unknown as Consent, { chainId: CHAIN_ID, now: NOW }),
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
      p(consent)["type"] = "deny";
      nested(consent).push({ type: "permit" });
      p(consent)["securityLabel"] = [{ system: FHIR_SYSTEMS.actCode, code: "PSY" }];
      arr(consent, "purpose").push({ system: FHIR_SYSTEMS.actReason, code: "HMARKT" });
      consent["status"] = "draft";
      const err = unsupportedOf(consent);
      expect(err.unsupported.map((u) => u.path).sort()).to.deep.equal(
        [
          "Consent.status",
          "Consent.provision.securityLabel",
          "Consent.provision.provision[3]",
          "Consent.provision.type",
          "Consent.provision.purpose[1]",
        ].sort(),
      );
      expect(err.message).to.match(/\(5 elements\)/);
      expect(err.name).to.equal("UnsupportedFhirConsentError");
    });

    it("accepts the housekeeping elements an EHR adds, and carries back id, identifiers and organization", function () {
      const consent = baseConsentJson();
      const identifier = [
        { system: "https://ehr.example/consents", value: "42" },
        grantIdentifier(CHAIN_ID, LEDGER, baseGrant()),
      ];
      Object.assign(consent, {
        id: "x",
        meta: { versionId: "3" },
        language: "en",
        identifier,
        organization: [{ reference: "Organization/1", display: "St Elsewhere" }],
      });
      const mapped = fromFhirConsent(consent as unknown as Consent, {
        chainId: CHAIN_ID,
        now: NOW,
      });
      expect(mapped.grant).to.deep.equal(baseGrant());
      expect(mapped.id).to.equal("x");
      expect(mapped.ledger).to.equal(LEDGER);
      expect(mapped.identifiers).to.deep.equal([identifier[0]]);
      expect(mapped.organization).to.deep.equal({
        reference: "Organization/1",
        display: "St Elsewhere",
      });
    });

    it("refuses JSON that is not JSON, and a consent for another chain than the one asked about", function () {
      expect(() => parseFhirConsentJson("{", { chainId: CHAIN_ID })).to.throw(
        UnsupportedFhirConsentError,
        /not valid JSON/,
      );
      const err = (() => {
        try {
          parseFhirConsentJson(JSON.stringify(baseConsentJson()), { chainId: 1n, now: NOW });
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

  describe("on chain: signed grants carry their proof, revocations come from the event history", function () {
    it("a guardian's signed grant carries its EIP-712 proof, read back and verified from the resource alone", async function () {
      const f = await networkHelpers.loadFixture(signedConsentFixture);
      // A struct that binds the signer names the guardian; one that does not, does not.
      const bindsSigner = GRANT_CONSENT_TYPES.GrantConsent.some((x) => x.name === "signer");
      const request = await grantRequest(connection, f.ledger, {
        patient: f.minor.address,
        grantee: f.doctor.address,
        categories: 0x06,
        ...(bindsSigner ? { signer: f.guardian.address } : {}),
      });
      const signed = await signGrant(f.guardian, request);
      const relayed = await relayGrant(f.ledger.connect(f.relayer), signed);
      const ledger = await f.ledger.getAddress();
      const grant = await readGrantHistory(f.ledger, f.minor.address, f.doctor.address);
      if (grant === undefined) throw new Error("no grant on chain");
      expect(grant).to.deep.equal(
        await readGrant(f.ledger, f.minor.address, f.doctor.address, f.guardian.address),
      );

      const consent = toFhirConsent(grant, {
        chainId: f.chainId,
        ledger,
        granteeType: "Practitioner",
        proof: { signed, transactionHash: relayed.hash },
      });
      expect(fhirValidationIssues(consent)).to.deep.equal([]);
      expect(consent.verification).to.deep.equal([
        {
          verified: true,
          verifiedWith: {
            type: "RelatedPerson",
            identifier: accountIdentifier(f.chainId, f.guardian.address),
          },
          verificationDate: isoTime(grant.grantedAt),
        },
      ]);
      const json = JSON.parse(JSON.stringify(consent)) as Consent;
      const now = grant.grantedAt + 1n;
      const mapped = fromFhirConsent(json, { chainId: f.chainId, now });
      expect(mapped.grant).to.deep.equal(grant);
      expect(mapped.proof).to.deep.equal({ signed, transactionHash: relayed.hash });
      expect(mapped.ledger).to.equal(ledger);

      const verified = await verifyFhirConsentSignature(json, { now });
      expect(verified).to.include({ signer: f.guardian.address, signerKind: "eoa" });
      expect(verified.mapping.grant).to.deep.equal(grant);

      // Tampering with the coded permissions, or with the signed typed data, is caught.
      const widened = JSON.parse(JSON.stringify(consent)) as Consent;
      widened.provision!.class!.push({ system: FHIR_SYSTEMS.category, code: "billing" });
      expect(unsupportedOf(widened, now).unsupported.map((u) => u.path)).to.deep.equal([
        "Consent.sourceAttachment.data",
      ]);
      const forged = JSON.parse(JSON.stringify(consent)) as Consent;
      const otherSigned = {
        ...signed,
        message: { ...signed.message, nonce: signed.message.nonce + 1n },
      };
      forged.sourceAttachment = proofAttachment({ signed: otherSigned });
      let error: unknown;
      await verifyFhirConsentSignature(forged, { now }).catch((e: unknown) => (error = e));
      expect(error).to.be.instanceOf(ConsentProofError);
      expect((error as ConsentProofError).message).to.match(/does not recover to the signer/);
      expect((error as ConsentProofError).code).to.equal("CONSENT_PROOF_INVALID");
    });

    it("the event history follows narrowing and extension, and matches storage", async function () {
      const f = await networkHelpers.loadFixture(signedConsentFixture);
      const now = BigInt(await networkHelpers.time.latest());
      const asPatient = f.ledger.connect(f.patient);
      await asPatient.grantConsent(f.doctor.address, 0x1ff, 0x1f, now + 3600n);
      await asPatient.narrowConsent(f.doctor.address, 0x06, 0x09);
      await asPatient.extendConsent(f.doctor.address, now + 7200n);
      const history = await readGrantHistory(f.ledger, f.patient.address, f.doctor.address);
      expect(history).to.deep.include({ categories: 0x06, purposes: 0x09, expiresAt: now + 7200n });
      expect(history).to.deep.equal(
        await readGrant(f.ledger, f.patient.address, f.doctor.address, f.patient.address),
      );
    });

    it("a smart-account patient's proof is verified through the wallet (ERC-1271); its revocation maps as inactive with the revoke time", async function () {
      const f = await networkHelpers.loadFixture(signedConsentFixture);
      const wallet = await f.smartWallet.getAddress();
      const request = await grantRequest(connection, f.ledger, {
        patient: wallet,
        grantee: f.doctor.address,
      });
      const signed = await signGrant(f.walletOwner, request, { signerAddress: wallet });
      const relayed = await relayGrant(f.ledger.connect(f.relayer), signed);
      const granted = await readGrantHistory(f.ledger, wallet, f.doctor.address);
      if (granted === undefined) throw new Error("no grant on chain");
      const proof = { signed, transactionHash: relayed.hash };
      const consent = toFhirConsent(granted, { chainId: f.chainId, proof });
      const now = granted.grantedAt + 1n;
      let offline: unknown;
      await verifyFhirConsentSignature(consent, { now }).catch((e: unknown) => (offline = e));
      expect(offline).to.be.instanceOf(ConsentProofError);
      expect((offline as Error).message).to.match(/smart account .*pass a provider/);
      const verified = await verifyFhirConsentSignature(consent, {
        now,
        provider: connection.ethers.provider,
      });
      expect(verified).to.include({ signer: wallet, signerKind: "erc1271" });
      await f.smartWallet.connect(f.walletOwner).setRejecting(true);
      let refused: unknown;
      await verifyFhirConsentSignature(consent, {
        now,
        provider: connection.ethers.provider,
      }).catch((e: unknown) => (refused = e));
      expect(refused).to.be.instanceOf(ConsentProofError);
      expect((refused as Error).message).to.match(/refused the signature|did not answer/);
      await f.smartWallet.connect(f.walletOwner).setRejecting(false);

      await networkHelpers.time.increase(600);
      const revoke = await signRevoke(
        f.walletOwner,
        await revokeRequest(connection, f.ledger, { patient: wallet, grantee: f.doctor.address }),
        { signerAddress: wallet },
      );
      await relayRevoke(f.ledger.connect(f.relayer), revoke);
      const revokedAt = BigInt(await networkHelpers.time.latest());
      expect(await readGrant(f.ledger, wallet, f.doctor.address)).to.equal(undefined);
      const revoked = await readGrantHistory(f.ledger, wallet, f.doctor.address);
      expect(revoked).to.deep.equal({ ...granted, status: "inactive", revokedAt });
      const after = toFhirConsent(revoked!, { chainId: f.chainId, proof });
      expect(fhirValidationIssues(after)).to.deep.equal([]);
      expect(after.status).to.equal("inactive");
      expect(after.provision?.period?.end).to.equal(isoTime(revokedAt - 1n));
      const back = fromFhirConsent(after, { chainId: f.chainId, now: revokedAt });
      expect(back.grant).to.deep.equal({
        ...granted,
        status: "inactive",
        expiresAt: revokedAt,
      });
      expect(await readGrantHistory(f.ledger, wallet, f.nurse.address)).to.equal(undefined);
    });
  });
});
