/**
 * A CareLedger grant → an HL7 FHIR R4 `Consent` (the reverse, exact or refused, is in `fhir-read.ts`; the
 * codes in `fhir-codes.ts`; the carried signature in `fhir-proof.ts`; the narrative in
 * `fhir-narrative.ts`). docs/fhir-consent.md has the full mapping table, the profile claims and what is
 * not supported.
 *
 * ## The mapping, in short
 * - `status` `active` while live; `inactive` once expired or revoked (a revoked grant ends at its
 *   revocation time, which the event history supplies: {@link readGrantHistory}).
 * - `identifier` CareLedger's business identifier (chain, contract, patient, grantee, `grantedAt`) when
 *   the contract address is known; `scope` patient-privacy; `category` LOINC 59284-0; `policyRule` OPTIN
 *   (or, in the IHE PCF form, `policy.uri`).
 * - `patient`, `performer` (the patient, or a delegate as RelatedPerson, Practitioner or Organization)
 *   and the grantee (`provision.actor`, IRCP/PRCP) are logical references by CAIP-10 account id.
 * - `dateTime` = `provision.period.start` = `grantedAt`; `provision.period.end` = `expiresAt − 1 s`
 *   (FHIR period ends are inclusive; the grant is live while block time < `expiresAt`).
 * - Actions follow what the contract enforces: the root rule permits consentaction#use (reading a
 *   record to act on it) for every granted purpose; a nested permit adds consentaction#correct and
 *   CareLedger#author (amending and anchoring records) for the granted purposes among treatment, payment
 *   and operations, the only ones under which the contract lets a grantee write.
 * - `provision.class`: resource types where one stands for a category (Patient, AllergyIntolerance,
 *   ImagingStudy), CareLedger codes otherwise; mental health is the security label v3-ActCode#PSY: the
 *   root rule's `securityLabel` when it is the only category, a nested permit when granted with others,
 *   and a nested deny when not granted.
 * - A grant with TREAT but not ETREAT carries a nested deny for purpose ETREAT: v3-ActReason makes
 *   ETREAT a child of TREAT, but the contract never lets a treatment grant cover an emergency read.
 * - A signed grant carries its proof: `sourceAttachment` (typed data, signature, signer, relaying
 *   transaction) and `verification` (verified, by whom, when).
 * - `text` is a generated narrative (dom-6).
 *
 * Nested rules in this mapping apply within their parent's actor, period and purposes and change one
 * thing: the actions (writes), the data (PSY) or the purpose (ETREAT).
 */
import { type BigNumberish, getAddress, getBigInt } from "ethers";
import type { CareLedger } from "../../typechain-types/index.js";
import {
  ALL_CATEGORIES,
  ALL_PURPOSES,
  type Category,
  Purpose,
  categoriesInMask,
  purposesInMask,
} from "../sdk/constants.js";
import { InvalidArgumentError } from "../errors.js";
import { isoTime } from "../sdk/format.js";
import { FhirDateOutOfRangeError } from "./errors.js";
import {
  CARELEDGER_GRANT_ID_SYSTEM,
  CARELEDGER_POLICY_URI,
  CATEGORY_CLASSES,
  CONSENT_CATEGORY,
  type DelegateResourceType,
  FHIR_SYSTEMS,
  type GranteeResourceType,
  MENTAL_HEALTH,
  MENTAL_HEALTH_LABEL,
  POLICY_RULE,
  READ_ACTION,
  RECIPIENT_DISPLAYS,
  type RecipientRole,
  SCOPE,
  WRITE_ACTIONS,
  WRITE_PURPOSES,
  coding,
  concept,
  purposeCoding,
} from "./fhir-codes.js";
import { consentNarrativeDiv } from "./fhir-narrative.js";
import { type ConsentProof, proofAttachment } from "./fhir-proof.js";
import type { Consent, ConsentProvision, Identifier, Reference } from "./fhir-r4.js";

// ---------------------------------------------------------------------------------------------
// The grant
// ---------------------------------------------------------------------------------------------

/** A CareLedger grant as the chain holds it, plus who gave it and, once revoked, when. */
export interface ConsentGrant {
  /** Checksummed address of the patient. */
  readonly patient: string;
  /** Checksummed address of the grantee. */
  readonly grantee: string;
  /** Category bitmask. */
  readonly categories: number;
  /** Purpose-of-use bitmask. */
  readonly purposes: number;
  /** When the grant was given (block time, unix seconds). */
  readonly grantedAt: bigint;
  /** End of the grant (unix seconds, exclusive: live while block time < expiresAt). */
  readonly expiresAt: bigint;
  /** `active` while live, `inactive` once expired or revoked. */
  readonly status: "active" | "inactive";
  /** Who gave it (the `actor` of `ConsentGranted`): the patient or a delegate; unknown from storage alone. */
  readonly grantedBy?: string | undefined;
  /** When it was revoked (block time of `ConsentRevoked`); revocation is in the event history only. */
  readonly revokedAt?: bigint | undefined;
}

/** The latest FHIR dateTime, 9999-12-31T23:59:59Z, in unix seconds. */
export const MAX_FHIR_SECONDS = 253_402_300_799n;

/**
 * The stored grant of `patient` to `grantee`, with its status at the latest block; undefined when there is
 * none (never granted, or revoked: see {@link readGrantHistory}).
 */
export async function readGrant(
  ledger: CareLedger,
  patient: string,
  grantee: string,
  grantedBy?: string,
): Promise<ConsentGrant | undefined> {
  const provider = ledger.runner?.provider;
  const [g, block] = await Promise.all([
    ledger.consentOf(patient, grantee),
    provider?.getBlock("latest"),
  ]);
  if (g.expiresAt === 0n) return undefined;
  const now = BigInt(block?.timestamp ?? Math.floor(Date.now() / 1000));
  return {
    patient: getAddress(patient),
    grantee: getAddress(grantee),
    categories: Number(g.categories),
    purposes: Number(g.purposes),
    grantedAt: g.grantedAt,
    expiresAt: g.expiresAt,
    status: g.expiresAt > now ? "active" : "inactive",
    grantedBy: grantedBy === undefined ? undefined : getAddress(grantedBy),
  };
}

/**
 * The latest grant of `patient` to `grantee` from the event history (`ConsentGranted`, `…Narrowed`,
 * `…Extended`, `…Revoked`), including who gave it and, if it was revoked, when; undefined when there was
 * never one. Reads the logs from `fromBlock` (default 0): an indexer is the place for this at scale.
 */
export async function readGrantHistory(
  ledger: CareLedger,
  patient: string,
  grantee: string,
  options: { readonly fromBlock?: number } = {},
): Promise<ConsentGrant | undefined> {
  const provider = ledger.runner?.provider;
  if (provider == null) throw new InvalidArgumentError("the ledger has no provider to read logs");
  const from = options.fromBlock ?? 0;
  const f = ledger.filters;
  const [granted, narrowed, extended, revoked, latest] = await Promise.all([
    ledger.queryFilter(f.ConsentGranted(patient, grantee), from),
    ledger.queryFilter(f.ConsentNarrowed(patient, grantee), from),
    ledger.queryFilter(f.ConsentExtended(patient, grantee), from),
    ledger.queryFilter(f.ConsentRevoked(patient, grantee), from),
    provider.getBlock("latest"),
  ]);
  const last = granted.at(-1);
  if (last === undefined) return undefined;
  const order = (e: { blockNumber: number; index: number }) => e.blockNumber * 1e6 + e.index;
  const after = <E extends { blockNumber: number; index: number }>(list: E[]) =>
    list.filter((e) => order(e) > order(last));
  let categories = Number(last.args.categories);
  let purposes = Number(last.args.purposes);
  let expiresAt = last.args.expiresAt;
  for (const e of after(narrowed)) {
    categories = Number(e.args.categories);
    purposes = Number(e.args.purposes);
  }
  for (const e of after(extended)) expiresAt = e.args.expiresAt;
  const revoke = after(revoked)[0];
  const time = async (blockNumber: number) =>
    BigInt((await provider.getBlock(blockNumber))?.timestamp ?? 0);
  const grantedAt = await time(last.blockNumber);
  const revokedAt = revoke === undefined ? undefined : await time(revoke.blockNumber);
  const now = BigInt(latest?.timestamp ?? 0);
  return {
    patient: getAddress(patient),
    grantee: getAddress(grantee),
    categories,
    purposes,
    grantedAt,
    expiresAt,
    status: revokedAt === undefined && expiresAt > now ? "active" : "inactive",
    grantedBy: getAddress(last.args.actor),
    ...(revokedAt === undefined ? {} : { revokedAt }),
  };
}

// ---------------------------------------------------------------------------------------------
// Grant → Consent
// ---------------------------------------------------------------------------------------------

/** How to present a grant as FHIR: what the chain does not record. */
export interface ToFhirOptions {
  /** Chain of the accounts (part of every account identifier). */
  readonly chainId: BigNumberish;
  /** Address of the CareLedger contract; with it the Consent carries CareLedger's business identifier. */
  readonly ledger?: string | undefined;
  /** `Consent.id`. */
  readonly id?: string | undefined;
  /** More business identifiers (e.g. an EHR's own), emitted after CareLedger's. */
  readonly identifiers?: readonly Identifier[] | undefined;
  /** `type` of the grantee reference; omitted when undefined (the chain does not know it). */
  readonly granteeType?: GranteeResourceType | undefined;
  /** Role of the grantee; default IRCP. */
  readonly recipientRole?: RecipientRole | undefined;
  /** `type` of a delegate performer (a grant given by someone else than the patient); default RelatedPerson. */
  readonly delegateType?: DelegateResourceType | undefined;
  /** The EIP-712 proof of a signed grant, carried in `sourceAttachment` and `verification`. */
  readonly proof?: ConsentProof | undefined;
  /**
   * `careledger` (default): `policyRule` OPTIN. `ihe-pcf`: the IHE PCF form, `policy.uri` instead of
   * `policyRule` (PCF forbids it), with the `organization` and `performer` PCF requires (give
   * {@link organization} and a grant whose `grantedBy` is known).
   */
  readonly form?: "careledger" | "ihe-pcf" | undefined;
  /** `Consent.organization` (the custodian; the chain does not record one), required by the IHE PCF form. */
  readonly organization?: Reference | undefined;
}

/** The identifier of account `address` on chain `chainId`: CAIP-10 under `urn:ietf:rfc:3986`. */
export function accountIdentifier(
  chainId: BigNumberish,
  address: string,
): { system: string; value: string } {
  return { system: FHIR_SYSTEMS.uri, value: `eip155:${getBigInt(chainId)}:${getAddress(address)}` };
}

/**
 * CareLedger's business identifier of the grant `patient` → `grantee` given at `grantedAt` on the contract
 * `ledger`: `eip155:<chainId>:<ledger>/<patient>/<grantee>/<grantedAt>` (narrowing or extending keeps it;
 * a new grant gets a new one).
 */
export function grantIdentifier(
  chainId: BigNumberish,
  ledger: string,
  grant: Pick<ConsentGrant, "patient" | "grantee" | "grantedAt">,
): Identifier {
  return {
    use: "official",
    system: CARELEDGER_GRANT_ID_SYSTEM,
    value: `eip155:${getBigInt(chainId)}:${getAddress(ledger)}/${getAddress(grant.patient)}/${getAddress(grant.grantee)}/${grant.grantedAt}`,
  };
}

function accountReference(chainId: bigint, address: string, type: string | undefined): Reference {
  const identifier = accountIdentifier(chainId, address);
  return type === undefined ? { identifier } : { type, identifier };
}

/** A block time as a FHIR instant; a typed error past the last FHIR dateTime. */
function fhirInstant(seconds: bigint, field: string): string {
  if (seconds > MAX_FHIR_SECONDS || seconds < 0n) throw new FhirDateOutOfRangeError(field, seconds);
  return isoTime(seconds);
}

function checkGrant(grant: ConsentGrant): void {
  const problems: string[] = [];
  if (grant.categories === 0 || (grant.categories & ~ALL_CATEGORIES) !== 0)
    problems.push("categories");
  if (grant.purposes === 0 || (grant.purposes & ~ALL_PURPOSES) !== 0) problems.push("purposes");
  if (grant.expiresAt <= grant.grantedAt) problems.push("expiresAt (not after grantedAt)");
  if (getAddress(grant.patient) === getAddress(grant.grantee))
    problems.push("grantee (the patient)");
  if (grant.revokedAt !== undefined) {
    if (grant.status !== "inactive") problems.push("status (a revoked grant is inactive)");
    if (grant.revokedAt <= grant.grantedAt) problems.push("revokedAt (not after grantedAt)");
  }
  if (problems.length > 0)
    throw new InvalidArgumentError(`not a valid grant: ${problems.join(", ")}`);
}

/** The exclusive end of a grant: its expiry, or its revocation if earlier. */
export function grantEnd(grant: ConsentGrant): bigint {
  return grant.revokedAt !== undefined && grant.revokedAt < grant.expiresAt
    ? grant.revokedAt
    : grant.expiresAt;
}

/** Whether a grant lets its grantee write (anchor, amend): a purpose among treatment, payment, operations. */
export function grantWrites(purposes: number): boolean {
  return (purposes & WRITE_PURPOSES) !== 0;
}

/** The provision (rules) of a grant. */
function provisionOf(
  grant: ConsentGrant,
  chainId: bigint,
  role: RecipientRole,
  granteeType: string | undefined,
): ConsentProvision {
  const categories = categoriesInMask(grant.categories);
  const classes = categories
    .filter((c): c is Exclude<Category, 8> => c !== MENTAL_HEALTH)
    .map((c) => coding(CATEGORY_CLASSES[c]));
  const mentalHealth = categories.includes(MENTAL_HEALTH);
  const nested: ConsentProvision[] = [];
  const writePurposes = grant.purposes & WRITE_PURPOSES;
  if (writePurposes !== 0) {
    nested.push({
      type: "permit",
      action: WRITE_ACTIONS.map(concept),
      purpose: purposesInMask(writePurposes).map(purposeCoding),
    });
  }
  if (classes.length > 0) {
    nested.push({
      type: mentalHealth ? "permit" : "deny",
      securityLabel: [coding(MENTAL_HEALTH_LABEL)],
    });
  }
  const treatment = 1 << Purpose.Treatment;
  const emergency = 1 << Purpose.Emergency;
  if ((grant.purposes & treatment) !== 0 && (grant.purposes & emergency) === 0)
    nested.push({ type: "deny", purpose: [purposeCoding(Purpose.Emergency)] });

  return {
    type: "permit",
    period: {
      start: fhirInstant(grant.grantedAt, "grantedAt"),
      end: fhirInstant(
        grantEnd(grant) - 1n,
        grant.revokedAt === undefined ? "expiresAt" : "revokedAt",
      ),
    },
    actor: [
      {
        role: concept({
          system: FHIR_SYSTEMS.participationType,
          code: role,
          display: RECIPIENT_DISPLAYS[role],
        }),
        reference: accountReference(chainId, grant.grantee, granteeType),
      },
    ],
    action: [concept(READ_ACTION)],
    ...(classes.length === 0 ? { securityLabel: [coding(MENTAL_HEALTH_LABEL)] } : {}),
    purpose: purposesInMask(grant.purposes).map(purposeCoding),
    ...(classes.length === 0 ? {} : { class: classes }),
    ...(nested.length === 0 ? {} : { provision: nested }),
  };
}

/** The FHIR R4 `Consent` of a grant (see the module comment and docs/fhir-consent.md for the mapping). */
export function toFhirConsent(grant: ConsentGrant, options: ToFhirOptions): Consent {
  checkGrant(grant);
  const chainId = getBigInt(options.chainId);
  const patient = getAddress(grant.patient);
  const role = options.recipientRole ?? "IRCP";
  const pcf = options.form === "ihe-pcf";
  if (pcf && (options.organization === undefined || grant.grantedBy === undefined))
    throw new InvalidArgumentError(
      "the IHE PCF form needs an organization (Consent.organization) and who gave the grant (grantedBy, Consent.performer)",
    );
  const by = grant.grantedBy === undefined ? undefined : getAddress(grant.grantedBy);
  const performerType = by === patient ? "Patient" : (options.delegateType ?? "RelatedPerson");
  const proof = options.proof;
  const identifiers = [
    ...(options.ledger === undefined ? [] : [grantIdentifier(chainId, options.ledger, grant)]),
    ...(options.identifiers ?? []),
  ];
  const end = grantEnd(grant);
  const provision = provisionOf(grant, chainId, role, options.granteeType);
  const consent: Consent = {
    resourceType: "Consent",
    ...(options.id === undefined ? {} : { id: options.id }),
    text: {
      status: "generated",
      div: consentNarrativeDiv({
        patient,
        grantee: getAddress(grant.grantee),
        grantedBy: by,
        categories: grant.categories,
        purposes: grant.purposes,
        writes: grantWrites(grant.purposes),
        grantedAt: grant.grantedAt,
        end,
        status: grant.status,
        revokedAt: grant.revokedAt,
        signed: proof !== undefined,
      }),
    },
    ...(identifiers.length === 0 ? {} : { identifier: identifiers }),
    status: grant.status,
    scope: concept(SCOPE),
    category: [concept(CONSENT_CATEGORY)],
    patient: accountReference(chainId, patient, "Patient"),
    dateTime: fhirInstant(grant.grantedAt, "grantedAt"),
    ...(by === undefined ? {} : { performer: [accountReference(chainId, by, performerType)] }),
    ...(options.organization === undefined ? {} : { organization: [options.organization] }),
    ...(proof === undefined ? {} : { sourceAttachment: proofAttachment(proof) }),
    ...(pcf ? { policy: [{ uri: CARELEDGER_POLICY_URI }] } : { policyRule: concept(POLICY_RULE) }),
  };
  if (proof !== undefined) {
    const signer = getAddress(proof.signed.signer);
    const signerType = signer === patient ? "Patient" : performerType;
    consent.verification = [
      {
        verified: true,
        // R4 allows Reference(Patient | RelatedPerson) here.
        ...(signerType === "Patient" || signerType === "RelatedPerson"
          ? { verifiedWith: accountReference(chainId, signer, signerType) }
          : {}),
        verificationDate: fhirInstant(grant.grantedAt, "grantedAt"),
      },
    ];
  }
  consent.provision = provision;
  return consent;
}
