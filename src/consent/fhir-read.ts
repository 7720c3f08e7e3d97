/**
 * An HL7 FHIR R4 `Consent` → the CareLedger grant it describes, exactly, or an
 * {@link UnsupportedFhirConsentError} listing EVERY element a grant cannot represent, with the reason. It
 * never narrows or widens a consent to make it fit: the forms it accepts are the ones `toFhirConsent`
 * writes (see docs/fhir-consent.md), in any order, with or without displays, with EHR housekeeping
 * (`id`, `meta`, `text`, `language`, other business identifiers, `organization`).
 *
 * Times: `dateTime` and `provision.period.start` may carry fractions of a second; the grant starts at the
 * first whole second at or after them (block times are whole seconds). `provision.period.end` is
 * inclusive, so the grant is live through its whole second: `expiresAt = floor(end) + 1`.
 */
import { type BigNumberish, type Provider, getAddress, getBigInt, isAddress } from "ethers";
import { UnsupportedFhirConsentError } from "./errors.js";
import type { ConsentGrant, ToFhirOptions } from "./fhir.js";
import {
  CARELEDGER_GRANT_ID_SYSTEM,
  CARELEDGER_POLICY_URI,
  CONSENT_CATEGORY,
  DELEGATE_RESOURCE_TYPES,
  type DelegateResourceType,
  GRANTEE_RESOURCE_TYPES,
  POLICY_RULE,
  SCOPE,
  type GranteeResourceType,
  type RecipientRole,
} from "./fhir-codes.js";
import { narrativeContradictions } from "./fhir-narrative.js";
import {
  type ConsentProof,
  type VerifiedProof,
  isProofAttachment,
  readProofAttachment,
  verifyConsentProof,
} from "./fhir-proof.js";
import type { Consent, Identifier, Reference } from "./fhir-r4.js";
import { readProvision } from "./fhir-read-provision.js";
import { ConsentReader, type Json, includes } from "./fhir-reader.js";

/** A FHIR consent read as a grant, with what FHIR said that the chain does not record. */
export interface FhirConsentMapping extends ToFhirOptions {
  readonly grant: ConsentGrant;
  readonly chainId: bigint;
  readonly id: string | undefined;
  readonly granteeType: GranteeResourceType | undefined;
  readonly recipientRole: RecipientRole;
  /** The CareLedger contract named by CareLedger's business identifier, when there is one. */
  readonly ledger: string | undefined;
  /** The other business identifiers (an EHR's own), as given. */
  readonly identifiers: readonly Identifier[];
  readonly delegateType: DelegateResourceType | undefined;
  /** The EIP-712 proof carried in `sourceAttachment`, checked against the coded grant (not yet its signature). */
  readonly proof: ConsentProof | undefined;
  readonly form: "careledger" | "ihe-pcf";
  readonly organization: Reference | undefined;
}

/** Options of {@link fromFhirConsent}. */
export interface FromFhirOptions {
  /** Chain the accounts must be on. */
  readonly chainId: BigNumberish;
  /** The time `status` is checked against (unix seconds); default: now. */
  readonly now?: bigint | undefined;
}

const CONSENT_REASONS: Readonly<Record<string, string>> = {
  implicitRules: "implicit rules change how the consent must be read and cannot be represented",
  contained: "contained resources are not supported: accounts are referenced by identifier",
  sourceReference: "the source document is not stored on chain",
};

/**
 * The grant a FHIR R4 `Consent` describes, exactly; otherwise an {@link UnsupportedFhirConsentError}
 * listing every element that cannot be represented. The input is checked element by element at run time,
 * so it may come straight from `JSON.parse`.
 */
export function fromFhirConsent(consent: Consent, options: FromFhirOptions): FhirConsentMapping {
  const r = new ConsentReader(getBigInt(options.chainId));
  const root = r.object(consent, "Consent");
  if (root === undefined) throw new UnsupportedFhirConsentError(r.unsupported);

  r.onlyKeys(
    root,
    "Consent",
    [
      "resourceType",
      "id",
      "meta",
      "text",
      "language",
      "identifier",
      "status",
      "scope",
      "category",
      "patient",
      "dateTime",
      "performer",
      "organization",
      "sourceAttachment",
      "policy",
      "policyRule",
      "verification",
      "provision",
    ],
    CONSENT_REASONS,
  );
  if (root["resourceType"] !== "Consent") r.flag("Consent.resourceType", "must be Consent");
  const id = root["id"] === undefined ? undefined : r.string(root["id"], "Consent.id");

  const status = root["status"];
  if (status !== "active" && status !== "inactive") {
    r.flag(
      "Consent.status",
      `${String(status)} cannot be represented: a grant on chain is active or inactive`,
    );
  }
  r.fixedConcept(root["scope"], "Consent.scope", SCOPE.system, [SCOPE.code], "a privacy consent");

  const categories = r.array(root["category"], "Consent.category");
  if (categories !== undefined) {
    if (categories.length === 0)
      r.flag("Consent.category", `required: ${CONSENT_CATEGORY.system}#${CONSENT_CATEGORY.code}`);
    categories.forEach((c, i) =>
      r.fixedConcept(
        c,
        `Consent.category[${i}]`,
        CONSENT_CATEGORY.system,
        [CONSENT_CATEGORY.code],
        "Patient Consent",
      ),
    );
  }

  const patient =
    root["patient"] === undefined
      ? r.flag("Consent.patient", "required: whose consent it is")
      : r.account(root["patient"], "Consent.patient", ["Patient"]);

  const grantedAt =
    root["dateTime"] === undefined
      ? r.flag("Consent.dateTime", "required: when the consent was given")
      : r.startSecond(root["dateTime"], "Consent.dateTime");

  let grantedBy: string | undefined;
  let delegateType: DelegateResourceType | undefined;
  if (root["performer"] !== undefined) {
    const performers = r.array(root["performer"], "Consent.performer") ?? [];
    performers.forEach((p, i) => {
      const path = `Consent.performer[${i}]`;
      if (i > 0) {
        r.flag(path, "a grant records one actor: the patient or one delegate");
        return;
      }
      const by = r.account(p, path, ["Patient", ...DELEGATE_RESOURCE_TYPES]);
      if (by === undefined || patient === undefined) return;
      const isPatient = by.address === patient.address;
      if (by.type === "Patient" && !isPatient)
        r.flag(path, "a Patient performer must be the patient");
      else if (by.type !== undefined && by.type !== "Patient" && isPatient)
        r.flag(path, `the patient is a Patient, not a ${by.type}`);
      else {
        grantedBy = by.address;
        if (includes(DELEGATE_RESOURCE_TYPES, by.type)) delegateType = by.type;
      }
    });
  }

  const organization = readOrganization(r, root["organization"]);
  const form = readPolicy(r, root);
  if (form === "ihe-pcf" && organization === undefined)
    r.flag("Consent.organization", "required in the IHE PCF form (policy.uri)");

  const mapped = readProvision(r, root["provision"], grantedAt);
  if (patient !== undefined && mapped.grantee?.address === patient.address) {
    r.flag(
      "Consent.provision.actor[0].reference",
      "the patient cannot be the recipient of their own grant",
    );
  }

  const ids = readIdentifiers(r, root["identifier"]);
  if (ids.grant !== undefined) {
    const want = [patient?.address, mapped.grantee?.address, grantedAt?.toString()];
    const got = [ids.grant.patient, ids.grant.grantee, ids.grant.grantedAt];
    if (want.some((w, i) => w !== undefined && w !== got[i]))
      r.flag(
        `Consent.identifier[${ids.grant.index}].value`,
        "names another grant than the coded patient, grantee and dateTime",
      );
  }

  // Status against the period.
  const now = options.now ?? BigInt(Math.floor(Date.now() / 1000));
  if (mapped.expiresAt !== undefined && (status === "active" || status === "inactive")) {
    if (status === "active" && mapped.expiresAt <= now)
      r.flag("Consent.status", "active, but provision.period.end is in the past");
    if (status === "inactive" && mapped.expiresAt > now)
      r.flag(
        "Consent.status",
        "inactive before provision.period.end: a revoked consent ends its period at the revocation",
      );
  }

  const proof = readProof(r, root, {
    patient: patient?.address,
    grantee: mapped.grantee?.address,
    grantedBy,
    categories: mapped.categories,
    purposes: mapped.purposes,
    expiresAt: mapped.expiresAt,
    status,
  });

  if (
    root["text"] !== undefined &&
    mapped.categories !== undefined &&
    mapped.purposes !== undefined
  ) {
    const text = r.object(root["text"], "Consent.text");
    const div = text?.["div"];
    if (typeof div === "string") {
      for (const c of narrativeContradictions(div, {
        categories: mapped.categories,
        purposes: mapped.purposes,
      }))
        r.flag("Consent.text.div", `the narrative contradicts the coded permissions: it ${c}`);
    }
  }

  if (
    r.unsupported.length > 0 ||
    patient === undefined ||
    grantedAt === undefined ||
    mapped.grantee === undefined ||
    mapped.expiresAt === undefined ||
    mapped.categories === undefined ||
    mapped.purposes === undefined ||
    mapped.role === undefined
  ) {
    throw new UnsupportedFhirConsentError(r.unsupported);
  }
  return {
    grant: {
      patient: patient.address,
      grantee: mapped.grantee.address,
      categories: mapped.categories,
      purposes: mapped.purposes,
      grantedAt,
      expiresAt: mapped.expiresAt,
      status: status as "active" | "inactive",
      grantedBy,
    },
    chainId: r.chainId,
    id,
    granteeType: includes(GRANTEE_RESOURCE_TYPES, mapped.grantee.type)
      ? mapped.grantee.type
      : undefined,
    recipientRole: mapped.role,
    ledger: ids.grant?.ledger,
    identifiers: ids.others,
    delegateType,
    proof,
    form,
    organization,
  };
}

function readOrganization(r: ConsentReader, value: unknown): Reference | undefined {
  if (value === undefined) return undefined;
  const list = r.array(value, "Consent.organization");
  if (list === undefined) return undefined;
  if (list.length !== 1)
    return r.flag("Consent.organization", "one custodian organisation at most");
  return r.object(list[0], "Consent.organization[0]");
}

/** `policyRule` OPTIN (CareLedger's form) or `policy` [{uri: CareLedger's policy}] (the IHE PCF form). */
function readPolicy(r: ConsentReader, root: Json): "careledger" | "ihe-pcf" {
  if (root["policy"] === undefined) {
    if (root["policyRule"] !== undefined)
      r.fixedConcept(
        root["policyRule"],
        "Consent.policyRule",
        POLICY_RULE.system,
        [POLICY_RULE.code],
        "opt-in",
      );
    return "careledger";
  }
  if (root["policyRule"] !== undefined)
    r.flag("Consent.policyRule", "give policyRule OPTIN or CareLedger's policy.uri, not both");
  const list = r.array(root["policy"], "Consent.policy") ?? [];
  list.forEach((p, i) => {
    const path = `Consent.policy[${i}]`;
    const policy = r.object(p, path);
    if (policy === undefined) return;
    r.onlyKeys(policy, path, ["id", "uri"]);
    if (i > 0 || policy["uri"] !== CARELEDGER_POLICY_URI)
      r.flag(path, `a grant follows one policy: ${CARELEDGER_POLICY_URI}`);
  });
  return "ihe-pcf";
}

interface GrantIdentifier {
  readonly index: number;
  readonly ledger: string;
  readonly patient: string;
  readonly grantee: string;
  readonly grantedAt: string;
}

function readIdentifiers(
  r: ConsentReader,
  value: unknown,
): { grant: GrantIdentifier | undefined; others: Identifier[] } {
  const out: { grant: GrantIdentifier | undefined; others: Identifier[] } = {
    grant: undefined,
    others: [],
  };
  if (value === undefined) return out;
  const list = r.array(value, "Consent.identifier") ?? [];
  list.forEach((item, i) => {
    const path = `Consent.identifier[${i}]`;
    const ident = r.object(item, path);
    if (ident === undefined) return;
    if (ident["system"] !== CARELEDGER_GRANT_ID_SYSTEM) {
      out.others.push(ident);
      return;
    }
    r.onlyKeys(ident, path, ["id", "use", "system", "value"]);
    const m =
      /^(eip155:[0-9]+:0x[0-9a-fA-F]{40})\/(0x[0-9a-fA-F]{40})\/(0x[0-9a-fA-F]{40})\/([0-9]+)$/.exec(
        String(ident["value"]),
      );
    if (m === null) {
      r.flag(`${path}.value`, "must be eip155:<chainId>:<ledger>/<patient>/<grantee>/<grantedAt>");
      return;
    }
    const [, caip, patient, grantee, grantedAt] = m as unknown as [
      string,
      string,
      string,
      string,
      string,
    ];
    const ledger = r.caipAddress(caip, `${path}.value`);
    if (ledger === undefined) return;
    if (out.grant !== undefined) {
      r.flag(path, "one CareLedger grant identifier at most");
      return;
    }
    if (!isAddress(patient) || !isAddress(grantee)) {
      r.flag(`${path}.value`, "has a wrong EIP-55 checksum");
      return;
    }
    out.grant = {
      index: i,
      ledger,
      patient: getAddress(patient),
      grantee: getAddress(grantee),
      grantedAt,
    };
  });
  return out;
}

interface CodedGrant {
  readonly patient: string | undefined;
  readonly grantee: string | undefined;
  readonly grantedBy: string | undefined;
  readonly categories: number | undefined;
  readonly purposes: number | undefined;
  readonly expiresAt: bigint | undefined;
  readonly status: unknown;
}

/** The EIP-712 proof in `sourceAttachment` (and its `verification`), checked against the coded grant. */
function readProof(r: ConsentReader, root: Json, coded: CodedGrant): ConsentProof | undefined {
  const attachment = root["sourceAttachment"];
  let proof: ConsentProof | undefined;
  if (attachment !== undefined) {
    if (!isProofAttachment(attachment)) {
      r.flag(
        "Consent.sourceAttachment",
        "the source document is not stored on chain; only CareLedger's EIP-712 proof is carried",
      );
    } else {
      try {
        proof = readProofAttachment(attachment);
      } catch (err) {
        r.flag("Consent.sourceAttachment.data", (err as Error).message);
      }
    }
  }
  if (proof !== undefined) {
    const m = proof.signed.message;
    const d = proof.signed.domain;
    // The chain may have narrowed the grant since (a subset) or revoked it (an earlier end, inactive);
    // an extension is not covered by the signature.
    const subset = (signed: number, said: number | undefined) =>
      said === undefined || (said & ~signed) === 0;
    const endCovered =
      coded.expiresAt === undefined ||
      coded.expiresAt === m.expiresAt ||
      (coded.status === "inactive" && coded.expiresAt < m.expiresAt);
    const checks: [string, unknown, unknown, boolean][] = [
      ["domain.chainId", d.chainId, r.chainId, BigInt(d.chainId) === r.chainId],
      ["patient", m.patient, coded.patient, [undefined, m.patient].includes(coded.patient)],
      ["grantee", m.grantee, coded.grantee, [undefined, m.grantee].includes(coded.grantee)],
      ["categories", m.categories, coded.categories, subset(m.categories, coded.categories)],
      ["purposes", m.purposes, coded.purposes, subset(m.purposes, coded.purposes)],
      ["expiresAt", m.expiresAt, coded.expiresAt, endCovered],
      [
        "signer",
        proof.signed.signer,
        coded.grantedBy,
        [undefined, proof.signed.signer].includes(coded.grantedBy),
      ],
    ];
    for (const [field, signed, said, ok] of checks) {
      if (!ok)
        r.flag(
          "Consent.sourceAttachment.data",
          `the signed ${field} (${String(signed)}) does not cover the consent's (${String(said)})`,
        );
    }
  }
  if (root["verification"] !== undefined) {
    const list = r.array(root["verification"], "Consent.verification") ?? [];
    list.forEach((v, i) => {
      const path = `Consent.verification[${i}]`;
      if (proof === undefined || i > 0) {
        r.flag(
          path,
          "verification records are not stored on chain; only CareLedger's EIP-712 proof is",
        );
        return;
      }
      const ver = r.object(v, path);
      if (ver === undefined) return;
      r.onlyKeys(ver, path, ["id", "verified", "verifiedWith", "verificationDate"]);
      if (ver["verified"] !== true) r.flag(`${path}.verified`, "a carried proof is verified: true");
      if (ver["verifiedWith"] !== undefined) {
        const by = r.account(ver["verifiedWith"], `${path}.verifiedWith`, [
          "Patient",
          "RelatedPerson",
        ]);
        if (by !== undefined && by.address !== proof.signed.signer)
          r.flag(`${path}.verifiedWith`, "must be the signer of the proof");
      }
    });
  }
  return proof;
}

/** {@link fromFhirConsent} of a JSON string. */
export function parseFhirConsentJson(json: string, options: FromFhirOptions): FhirConsentMapping {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json) as unknown;
  } catch {
    throw new UnsupportedFhirConsentError([{ path: "Consent", reason: "is not valid JSON" }]);
  }
  return fromFhirConsent(parsed as Consent, options);
}

/**
 * Verify the EIP-712 signature a `Consent` carries, from the resource alone: read the proof from
 * `sourceAttachment`, check that the consent's coded permissions are exactly the signed ones (by
 * {@link fromFhirConsent} on the signed chain), and check the signature (offline for an EOA; a smart-account
 * signer needs `provider`). Throws {@link ConsentProofError} or {@link UnsupportedFhirConsentError}.
 */
export async function verifyFhirConsentSignature(
  consent: Consent,
  options: { readonly provider?: Pick<Provider, "call">; readonly now?: bigint } = {},
): Promise<VerifiedProof & { readonly mapping: FhirConsentMapping }> {
  const proof = readProofAttachment((consent as { sourceAttachment?: unknown }).sourceAttachment);
  const mapping = fromFhirConsent(consent, {
    chainId: proof.signed.domain.chainId,
    now: options.now,
  });
  const verified = await verifyConsentProof(proof, options);
  return { ...verified, mapping };
}
