/**
 * The FHIR R4 `Consent` of a grant, checked by an independent validator (`@medplum/core` on the official
 * R4 definitions) and against the official code systems; CareLedger's published CodeSystems; and three
 * Consents as an EHR would write them, each accepted exactly or refused with its list of elements.
 */
import { expect } from "chai";
import { Wallet, dataSlice, getAddress, id } from "ethers";
import {
  CARELEDGER_ACTION_SYSTEM,
  CARELEDGER_CATEGORY_SYSTEM,
  type ConsentGrant,
  FHIR_SYSTEMS,
  FhirDateOutOfRangeError,
  GRANT_CONSENT_TYPES,
  type FhirR4,
  MAX_FHIR_SECONDS,
  type ToFhirOptions,
  UnsupportedFhirConsentError,
  buildGrantRequest,
  careLedgerCodeSystems,
  consentDomain,
  fromFhirConsent,
  narrativeContradictions,
  signGrant,
  toFhirConsent,
} from "../../src/consent/index.js";
import {
  codeSystems,
  codingsIn,
  fhirValidationIssues,
  terminologyIssues,
} from "../helpers/fhir-validator.js";
import { readFileSync } from "node:fs";

type Consent = FhirR4.Consent;

const CHAIN_ID = 31337n;
const account = (label: string): string => getAddress(dataSlice(id(label), 12));
const PATIENT_KEY = new Wallet(id("fhir.conformance.patient"));
const PATIENT = PATIENT_KEY.address;
const DOCTOR = account("fhir.doctor");
const GUARDIAN = account("fhir.guardian");
const LEDGER = account("fhir.ledger");
const T0 = 1_780_000_000n;
const DAY = 86_400n;

const grant = (over: Partial<ConsentGrant> = {}): ConsentGrant => ({
  patient: PATIENT,
  grantee: DOCTOR,
  categories: 0x14,
  purposes: 0x01,
  grantedAt: T0,
  expiresAt: T0 + 30n * DAY,
  status: "active",
  grantedBy: PATIENT,
  ...over,
});

/** A grant signed by the patient's key (offline) and the options that carry its proof. */
async function signedShape(): Promise<[ConsentGrant, Partial<ToFhirOptions>]> {
  const g = grant({ categories: 0x1ff, purposes: 0x09 });
  // The message is built from the SDK's own struct type, field by field, so this shape follows the
  // signed struct whatever its fields are (addresses not named here are the signer, numbers are 0).
  const known: Record<string, unknown> = {
    patient: g.patient,
    grantee: g.grantee,
    categories: g.categories,
    purposes: g.purposes,
    expiresAt: g.expiresAt,
    deadline: T0 + 3600n,
  };
  const params = Object.fromEntries(
    GRANT_CONSENT_TYPES.GrantConsent.map((f) => [
      f.name,
      known[f.name] ?? (f.type === "address" ? PATIENT : 0n),
    ]),
  );
  const request = buildGrantRequest(
    consentDomain(CHAIN_ID, LEDGER),
    params as unknown as Parameters<typeof buildGrantRequest>[1],
  );
  const signed = await signGrant(PATIENT_KEY, request);
  return [g, { ledger: LEDGER, proof: { signed, transactionHash: id("relay tx") } }];
}

/** Every shape the mapping writes: name, grant, options. */
async function shapes(): Promise<[string, ConsentGrant, Partial<ToFhirOptions>][]> {
  const [signed, signedOptions] = await signedShape();
  return [
    ["all categories, all purposes", grant({ categories: 0x1ff, purposes: 0x1f }), {}],
    ["one category, one purpose", grant({ categories: 0x02, purposes: 0x01 }), {}],
    ["mental health only", grant({ categories: 0x100, purposes: 0x01 }), {}],
    ["several purposes (treatment and research)", grant({ purposes: 0x09 }), {}],
    ["research only (reads, no writes)", grant({ purposes: 0x08 }), {}],
    ["emergency only", grant({ purposes: 0x10 }), {}],
    ["expired", grant({ expiresAt: T0 + 1n, status: "inactive" }), {}],
    [
      "revoked",
      grant({ status: "inactive", revokedAt: T0 + DAY }),
      { ledger: LEDGER, granteeType: "Practitioner" },
    ],
    ["delegate RelatedPerson", grant({ grantedBy: GUARDIAN }), {}],
    ["delegate Practitioner", grant({ grantedBy: GUARDIAN }), { delegateType: "Practitioner" }],
    ["delegate Organization", grant({ grantedBy: GUARDIAN }), { delegateType: "Organization" }],
    ["giver unknown (read from storage)", grant({ grantedBy: undefined }), {}],
    ["signed, with its proof", signed, signedOptions],
    ["maximum expiry (9999-12-31T23:59:59Z)", grant({ expiresAt: MAX_FHIR_SECONDS + 1n }), {}],
    [
      "with business identifiers, id, role PRCP and grantee type",
      grant(),
      {
        ledger: LEDGER,
        id: "c-1",
        identifiers: [{ system: "urn:oid:2.16.840.1.113883.19.5", value: "42" }],
        recipientRole: "PRCP",
        granteeType: "PractitionerRole",
      },
    ],
    [
      "the IHE PCF form",
      grant(),
      { form: "ihe-pcf", organization: { display: "St Elsewhere Hospital" }, ledger: LEDGER },
    ],
  ];
}

const NOW = T0 + 2n;

describe("FHIR R4 Consent conformance", function () {
  describe("every generated shape passes the independent validator and the code systems", function () {
    it("validates each shape with zero issues, with a narrative, and maps it back", async function () {
      for (const [name, g, options] of await shapes()) {
        const consent = toFhirConsent(g, { chainId: CHAIN_ID, ...options });
        const json = JSON.parse(JSON.stringify(consent)) as Consent;
        expect(fhirValidationIssues(json), name).to.deep.equal([]);
        expect(terminologyIssues(json), name).to.deep.equal([]);
        expect(json.text?.div, name).to.match(/^<div xmlns="http:\/\/www\.w3\.org\/1999\/xhtml">/);
        // A revoked grant comes back as one that ended at its revocation.
        const { revokedAt, ...rest } = g;
        const ended = { ...rest, expiresAt: revokedAt ?? g.expiresAt };
        const now = g.status === "active" ? NOW : ended.expiresAt;
        const back = fromFhirConsent(json, { chainId: CHAIN_ID, now });
        expect(back.grant, name).to.deep.equal(ended);
        expect(toFhirConsent(back.grant, back).provision, name).to.deep.equal(
          toFhirConsent(ended, { chainId: CHAIN_ID, ...options }).provision,
        );
        if (revokedAt === undefined)
          expect(toFhirConsent(back.grant, back), name).to.deep.equal(consent);
      }
    });

    it("the validator is live: it reports the defects the mapping avoids", function () {
      const consent = toFhirConsent(grant(), { chainId: CHAIN_ID }) as unknown as Record<
        string,
        unknown
      >;
      const broken: Record<string, unknown> = { ...consent, dateTime: "+036812-02-20T00:36:14Z" };
      delete broken["policyRule"];
      const issues = fhirValidationIssues(broken).join("\n");
      expect(issues).to.match(/ppc-1/);
      expect(issues).to.match(/Invalid dateTime/);
      const wrongCode = JSON.parse(JSON.stringify(consent)) as Consent;
      wrongCode.provision!.purpose![0]!.code = "TREATMENT";
      expect(terminologyIssues(wrongCode)).to.deep.equal([
        "provision.purpose[0]: http://terminology.hl7.org/CodeSystem/v3-ActReason#TREATMENT not in the code system",
      ]);
    });

    it("refuses a grant past the last FHIR dateTime with a typed error (uint40 max, year 36812)", function () {
      for (const expiresAt of [(1n << 40n) - 1n, MAX_FHIR_SECONDS + 2n]) {
        expect(() => toFhirConsent(grant({ expiresAt }), { chainId: CHAIN_ID }))
          .to.throw(FhirDateOutOfRangeError)
          .with.property("code", "FHIR_DATE_OUT_OF_RANGE");
      }
      const err = new FhirDateOutOfRangeError("expiresAt", 1n);
      expect(err.name).to.equal("FhirDateOutOfRangeError");
    });
  });

  describe("codes", function () {
    const consentOf = (g: ConsentGrant) => toFhirConsent(g, { chainId: CHAIN_ID });
    const all = consentOf(grant({ categories: 0x1ff, purposes: 0x1f }));
    const systemsOf = (value: unknown) => codingsIn(value).map((c) => `${c.system}#${c.code}`);

    it("class: standard resource types where one fits, CareLedger codes otherwise; mental health is a PSY security label", function () {
      expect(systemsOf(all.provision?.class)).to.deep.equal([
        "http://hl7.org/fhir/resource-types#Patient",
        "http://hl7.org/fhir/resource-types#AllergyIntolerance",
        `${CARELEDGER_CATEGORY_SYSTEM}#medications`,
        `${CARELEDGER_CATEGORY_SYSTEM}#vitals`,
        `${CARELEDGER_CATEGORY_SYSTEM}#labs`,
        "http://hl7.org/fhir/resource-types#ImagingStudy",
        `${CARELEDGER_CATEGORY_SYSTEM}#clinical-notes`,
        `${CARELEDGER_CATEGORY_SYSTEM}#billing`,
      ]);
      expect(systemsOf(all.provision?.provision?.[1])).to.deep.equal([
        `${FHIR_SYSTEMS.actCode}#PSY`,
      ]);
      expect(all.provision?.provision?.[1]?.type).to.equal("permit");
      const mh = consentOf(grant({ categories: 0x100 }));
      expect(systemsOf(mh.provision?.securityLabel)).to.deep.equal([`${FHIR_SYSTEMS.actCode}#PSY`]);
      expect(mh.provision?.class).to.equal(undefined);
      const noMh = consentOf(grant({ categories: 0x02 }));
      expect(noMh.provision?.provision?.find((p) => p.securityLabel !== undefined)?.type).to.equal(
        "deny",
      );
      const cs = codeSystems();
      expect(cs.get("http://hl7.org/fhir/resource-types")?.has("ImagingStudy")).to.equal(true);
      expect(cs.get(FHIR_SYSTEMS.actCode)?.get("PSY")?.parent).to.equal("SPI");
    });

    it("actions follow the chain: use for every purpose; correct and author only under treatment, payment and operations", function () {
      const actions = (c: Consent) => ({
        root: systemsOf(c.provision?.action),
        writes: c.provision?.provision
          ?.filter((p) => p.action !== undefined)
          .map((p) => [systemsOf(p.action), systemsOf(p.purpose)]),
      });
      const use = `${FHIR_SYSTEMS.consentAction}#use`;
      const writes = [
        `${FHIR_SYSTEMS.consentAction}#correct`,
        `${CARELEDGER_ACTION_SYSTEM}#author`,
      ];
      const reason = (code: string) => `${FHIR_SYSTEMS.actReason}#${code}`;
      const TABLE: [string, number, ReturnType<typeof actions>][] = [
        ["research only", 0x08, { root: [use], writes: [] }],
        ["emergency only", 0x10, { root: [use], writes: [] }],
        ["research and emergency", 0x18, { root: [use], writes: [] }],
        ["treatment", 0x01, { root: [use], writes: [[writes, [reason("TREAT")]]] }],
        ["payment", 0x02, { root: [use], writes: [[writes, [reason("HPAYMT")]]] }],
        ["operations", 0x04, { root: [use], writes: [[writes, [reason("HOPERAT")]]] }],
        ["treatment and research", 0x09, { root: [use], writes: [[writes, [reason("TREAT")]]] }],
        [
          "every purpose",
          0x1f,
          { root: [use], writes: [[writes, ["TREAT", "HPAYMT", "HOPERAT"].map(reason)]] },
        ],
      ];
      for (const [name, purposes, expected] of TABLE)
        expect(actions(consentOf(grant({ purposes }))), name).to.deep.equal(expected);
      expect(codeSystems().get(FHIR_SYSTEMS.consentAction)?.get("use")?.display).to.equal("Use");
    });

    it("purposes: v3-ActReason, with ETREAT (a child of TREAT in the code system) denied when only TREAT is granted", function () {
      const reasons = codeSystems().get(FHIR_SYSTEMS.actReason);
      expect(reasons?.get("ETREAT")?.parent).to.equal("TREAT");
      for (const code of ["TREAT", "HPAYMT", "HOPERAT", "HRESCH"])
        expect(reasons?.get(code)?.parent, code).to.equal("PurposeOfUse");
      const denyEtreat = (purposes: number) =>
        consentOf(grant({ purposes })).provision?.provision?.some(
          (p) =>
            p.type === "deny" && systemsOf(p.purpose).join() === `${FHIR_SYSTEMS.actReason}#ETREAT`,
        ) ?? false;
      expect(denyEtreat(0x01)).to.equal(true);
      expect(denyEtreat(0x11)).to.equal(false);
      expect(denyEtreat(0x08)).to.equal(false);
      expect(systemsOf(all.provision?.purpose)).to.deep.equal(
        ["TREAT", "HPAYMT", "HOPERAT", "HRESCH", "ETREAT"].map(
          (c) => `${FHIR_SYSTEMS.actReason}#${c}`,
        ),
      );
    });

    it("role, scope, category and policy rule are the standard codes", function () {
      expect(systemsOf(all.provision?.actor?.[0]?.role)).to.deep.equal([
        `${FHIR_SYSTEMS.participationType}#IRCP`,
      ]);
      expect(codeSystems().get(FHIR_SYSTEMS.participationType)?.get("PRCP")?.parent).to.equal(
        "IRCP",
      );
      expect(systemsOf(all.scope)).to.deep.equal([`${FHIR_SYSTEMS.consentScope}#patient-privacy`]);
      expect(systemsOf(all.category)).to.deep.equal(["http://loinc.org#59284-0"]);
      expect(systemsOf(all.policyRule)).to.deep.equal([`${FHIR_SYSTEMS.actCode}#OPTIN`]);
    });

    it("the published CodeSystem files are the generated ones, valid, and cover every custom code used", function () {
      for (const cs of careLedgerCodeSystems()) {
        const file = JSON.parse(
          readFileSync(
            new URL(`../../src/consent/codesystems/${cs.id}.json`, import.meta.url),
            "utf8",
          ),
        ) as unknown;
        expect(
          file,
          `${cs.id}.json is stale: npx tsx scripts/write-fhir-codesystems.ts`,
        ).to.deep.equal(JSON.parse(JSON.stringify(cs)));
        expect(fhirValidationIssues(file as object), cs.id).to.deep.equal([]);
      }
      const custom = codingsIn(all).filter((c) => c.system.startsWith("https://careledger.dev/"));
      expect(custom.map((c) => c.code).sort()).to.deep.equal([
        "author",
        "billing",
        "clinical-notes",
        "labs",
        "medications",
        "vitals",
      ]);
    });
  });

  describe("Consents written by an EHR", function () {
    const caip = (a: string) => ({ system: "urn:ietf:rfc:3986", value: `eip155:${CHAIN_ID}:${a}` });
    const unsupported = (consent: object, now = NOW) => {
      try {
        fromFhirConsent(consent as Consent, { chainId: CHAIN_ID, now });
      } catch (err) {
        expect(err).to.be.instanceOf(UnsupportedFhirConsentError);
        return (err as UnsupportedFhirConsentError).unsupported.map((u) => u.path);
      }
      return expect.fail("accepted");
    };

    it("the basic opt-in of the R4 examples (consent-example-basic) is refused with its element list", function () {
      const basic = {
        resourceType: "Consent",
        id: "consent-example-basic",
        text: {
          status: "generated",
          div: '<div xmlns="http://www.w3.org/1999/xhtml"><p>Authorize Normal access for Treatment</p><p>Patient &quot;P. van de Heuvel&quot; wishes to have all of the PHI collected at the Good Health Psychiatric Hospital available for normal treatment use.</p></div>',
        },
        status: "active",
        scope: { coding: [{ system: FHIR_SYSTEMS.consentScope, code: "patient-privacy" }] },
        category: [{ coding: [{ system: "http://loinc.org", code: "59284-0" }] }],
        patient: { reference: "Patient/f001", display: "P. van de Heuvel" },
        dateTime: "2018-12-28",
        organization: [{ reference: "Organization/f001" }],
        sourceAttachment: { title: "The terms of the consent in lawyer speak." },
        policyRule: { coding: [{ system: FHIR_SYSTEMS.actCode, code: "OPTIN" }] },
        provision: { period: { start: "1964-01-01", end: "2019-01-01" } },
      };
      expect(fhirValidationIssues(basic)).to.deep.equal([]);
      expect(unsupported(basic)).to.deep.equal([
        "Consent.patient.reference",
        "Consent.patient.identifier",
        "Consent.dateTime",
        "Consent.provision.type",
        "Consent.provision.period.end",
        "Consent.provision.period.start",
        "Consent.provision.actor",
        "Consent.provision.action",
        "Consent.provision.purpose",
        "Consent.provision.class",
        "Consent.sourceAttachment",
      ]);
    });

    const treatmentWithPsyDeny = () => ({
      resourceType: "Consent",
      status: "active",
      scope: { coding: [{ system: FHIR_SYSTEMS.consentScope, code: "patient-privacy" }] },
      category: [{ coding: [{ system: "http://loinc.org", code: "59284-0" }] }],
      patient: { type: "Patient", identifier: caip(PATIENT) },
      dateTime: "2026-05-28T22:26:40+02:00",
      performer: [{ type: "Patient", identifier: caip(PATIENT) }],
      policyRule: { coding: [{ system: FHIR_SYSTEMS.actCode, code: "OPTIN" }] },
      provision: {
        type: "permit",
        period: { start: "2026-05-28T22:26:40+02:00", end: "2027-05-28T22:26:39+02:00" },
        actor: [
          {
            role: { coding: [{ system: FHIR_SYSTEMS.participationType, code: "IRCP" }] },
            reference: { type: "Practitioner", identifier: caip(DOCTOR), display: "Dr A. Jansen" },
          },
        ],
        action: [{ coding: [{ system: FHIR_SYSTEMS.consentAction, code: "access" }] }],
        purpose: [{ system: FHIR_SYSTEMS.actReason, code: "TREAT" }],
        class: [
          { system: FHIR_SYSTEMS.resourceTypes, code: "AllergyIntolerance" },
          { system: FHIR_SYSTEMS.resourceTypes, code: "MedicationStatement" },
          { system: FHIR_SYSTEMS.resourceTypes, code: "Observation" },
        ] as { system: string; code: string }[],
        provision: [
          { type: "deny", securityLabel: [{ system: FHIR_SYSTEMS.actCode, code: "PSY" }] },
        ],
      },
    });

    it("a treatment permit with a nested deny of psychiatric data is refused with its element list", function () {
      const consent = treatmentWithPsyDeny();
      expect(fhirValidationIssues(consent)).to.deep.equal([]);
      expect(unsupported(consent)).to.deep.equal([
        "Consent.provision.action[0]",
        "Consent.provision.class[1]",
        "Consent.provision.class[2]",
        "Consent.provision.provision",
        "Consent.provision.provision",
      ]);
    });

    it("the same permit, stated as the chain enforces it, is accepted exactly", function () {
      const consent = treatmentWithPsyDeny();
      consent.provision.action = [
        { coding: [{ system: FHIR_SYSTEMS.consentAction, code: "use" }] },
      ];
      consent.provision.class = [
        { system: FHIR_SYSTEMS.resourceTypes, code: "AllergyIntolerance" },
        { system: CARELEDGER_CATEGORY_SYSTEM, code: "medications" },
      ];
      consent.provision.provision.push(
        {
          type: "permit",
          action: [
            { coding: [{ system: FHIR_SYSTEMS.consentAction, code: "correct" }] },
            { coding: [{ system: CARELEDGER_ACTION_SYSTEM, code: "author" }] },
          ],
          purpose: [{ system: FHIR_SYSTEMS.actReason, code: "TREAT" }],
        } as never,
        { type: "deny", purpose: [{ system: FHIR_SYSTEMS.actReason, code: "ETREAT" }] } as never,
      );
      expect(fhirValidationIssues(consent)).to.deep.equal([]);
      const mapped = fromFhirConsent(consent as Consent, { chainId: CHAIN_ID, now: NOW });
      expect(mapped.grant).to.deep.equal(
        grant({ categories: 0x06, purposes: 0x01, expiresAt: T0 + 365n * DAY }),
      );
    });

    const ehrHabits = () => ({
      resourceType: "Consent",
      id: "ehr-consent-20261102-0042",
      meta: { versionId: "3", lastUpdated: "2026-05-28T20:27:03.221Z", source: "#ehr" },
      language: "en-GB",
      text: {
        status: "additional",
        div: '<div xmlns="http://www.w3.org/1999/xhtml"><p>Research consent: the patient&apos;s mother allows the cardiology registry to use lab results and vital signs for the registry study.</p><p>Psychiatric records are excluded.</p></div>',
      },
      identifier: [
        { use: "usual", system: "urn:oid:2.16.840.1.113883.19.5.99999.1", value: "CNS-0042" },
      ],
      status: "active",
      scope: {
        coding: [
          {
            system: FHIR_SYSTEMS.consentScope,
            code: "patient-privacy",
            display: "Privacy Consent",
          },
        ],
        text: "Privacy",
      },
      category: [
        {
          coding: [{ system: "http://loinc.org", code: "59284-0", display: "Patient Consent" }],
          text: "Consent",
        },
      ],
      patient: { type: "Patient", identifier: caip(PATIENT), display: "J. Doe" },
      dateTime: "2026-05-28T22:26:39.250+02:00",
      performer: [
        { type: "RelatedPerson", identifier: caip(GUARDIAN), display: "M. Doe (mother)" },
      ],
      organization: [{ display: "St Elsewhere Hospital" }],
      policyRule: { coding: [{ system: FHIR_SYSTEMS.actCode, code: "OPTIN", display: "opt-in" }] },
      provision: {
        type: "permit",
        period: { start: "2026-05-28T22:26:39.250+02:00", end: "2026-06-27T20:26:39.999Z" },
        actor: [
          {
            role: { coding: [{ system: FHIR_SYSTEMS.participationType, code: "IRCP" }] },
            reference: {
              type: "Organization",
              identifier: caip(DOCTOR),
              display: "Cardiology Registry",
            },
          },
        ],
        action: [{ coding: [{ system: FHIR_SYSTEMS.consentAction, code: "use", display: "Use" }] }],
        purpose: [
          { system: FHIR_SYSTEMS.actReason, code: "HRESCH", display: "healthcare research" },
        ],
        class: [
          { system: CARELEDGER_CATEGORY_SYSTEM, code: "labs", display: "labs" },
          { system: CARELEDGER_CATEGORY_SYSTEM, code: "vitals" },
        ],
        provision: [
          { type: "deny", securityLabel: [{ system: FHIR_SYSTEMS.actCode, code: "PSY" }] },
        ],
      },
    });

    it("a consent written with EHR habits (ids, meta, offsets, milliseconds, a guardian, a narrative) is accepted exactly", function () {
      const consent = ehrHabits();
      expect(fhirValidationIssues(consent)).to.deep.equal([]);
      const mapped = fromFhirConsent(consent as Consent, { chainId: CHAIN_ID, now: NOW });
      // 20:26:39.250Z starts at the first whole second after it; an inclusive end at .999 is live
      // through its second.
      expect(mapped.grant).to.deep.equal(
        grant({ categories: 0x18, purposes: 0x08, grantedBy: GUARDIAN, expiresAt: T0 + 30n * DAY }),
      );
      expect(mapped).to.include({
        id: "ehr-consent-20261102-0042",
        granteeType: "Organization",
        delegateType: "RelatedPerson",
        recipientRole: "IRCP",
        form: "careledger",
      });
      expect(mapped.identifiers).to.deep.equal(consent.identifier);
      expect(mapped.organization).to.deep.equal({ display: "St Elsewhere Hospital" });
      const back = toFhirConsent(mapped.grant, mapped);
      expect(fhirValidationIssues(back)).to.deep.equal([]);
      expect(back.identifier).to.deep.equal(consent.identifier);
      expect(back.organization).to.deep.equal(consent.organization);
      expect(fromFhirConsent(back, { chainId: CHAIN_ID, now: NOW }).grant).to.deep.equal(
        mapped.grant,
      );
    });

    it("flags a narrative that contradicts the coded permissions instead of dropping it", function () {
      const TABLE: [string, string][] = [
        ["claims a category not coded", "The registry may also read psychiatric notes."],
        ["claims a purpose not coded", "Data may be used for payment."],
        ["denies a granted category", "Lab results are never shared."],
      ];
      for (const [name, sentence] of TABLE) {
        const consent = ehrHabits();
        consent.text.div = `<div xmlns="http://www.w3.org/1999/xhtml"><p>${sentence}</p></div>`;
        expect(unsupported(consent), name).to.deep.equal(["Consent.text.div"]);
      }
      // Medications for treatment: sentences that agree with the codes, or name nothing, pass.
      const coded = { categories: 0x04, purposes: 0x01 };
      for (const sentence of [
        "Security labels and the hospital policy apply.",
        "Psychiatric records are excluded.",
        "Emergency treatment is not permitted.",
        "Dr Jansen may use the patient's medication list for treatment.",
        "Billing data is never shared.",
      ])
        expect(
          narrativeContradictions(`<div><p>${sentence}</p></div>`, coded),
          sentence,
        ).to.deep.equal([]);
    });
  });
});
