import type { FhirResource } from 'fhir/r4';
import type { IndexExtractor } from '../search/extract';
import type { IndexEntries } from '../search/index-model';
import type { Filter, FilterValue, ParamFilter } from '../search/model';
import { foldString } from '../search/normalize';
import type { Restriction } from './access-policy';

/**
 * Whether a resource that is not stored yet (the body of a create, update or patch) lies inside a caller's reach, so
 * that a restricted caller cannot write outside it. Evaluated on the resource's own search entries, with the
 * subset of the search semantics that restrictions use: compartment membership and v2 scope constraints on
 * token, string, uri, reference and `_id` parameters without modifiers. Anything else is outside, never inside.
 */
export function withinReach(resource: FhirResource, reach: Restriction[], extractor: IndexExtractor): boolean {
  if (reach.some((r) => r.length === 0)) return true;
  const entries = extractor.extract(resource);
  return reach.some((restriction) => restriction.every((f) => matches(f, resource, entries)));
}

function matches(f: Filter, resource: FhirResource, entries: IndexEntries): boolean {
  switch (f.kind) {
    case 'compartment':
      if (resource.resourceType === f.compartmentType && resource.id === f.id) return true;
      return entries.references.some((r) => r.targetType === f.compartmentType && r.targetId === f.id && (f.paramsByType[resource.resourceType] ?? []).includes(r.param));
    case 'all':
      return f.filters.every((inner) => matches(inner, resource, entries));
    case 'param':
      return f.modifier === undefined && f.values.some((v) => valueMatches(f, v, resource, entries));
    default:
      return false;
  }
}

function valueMatches(f: ParamFilter, v: FilterValue, resource: FhirResource, e: IndexEntries): boolean {
  const own = <T extends { param: string; component?: number }>(list: T[]) => list.filter((x) => x.param === f.param && x.component === undefined);
  switch (v.kind) {
    case 'id':
      return f.param === '_id' && resource.id === v.value;
    case 'token':
      return own(e.tokens).some((t) => (v.value.system === undefined || t.system === v.value.system) && (v.value.code === undefined || t.code === v.value.code));
    case 'string': {
      const folded = foldString(v.value);
      return own(e.strings).some((s) => s.value.startsWith(folded));
    }
    case 'uri':
      return own(e.uris).some((u) => u.uri === v.value);
    case 'reference':
      return own(e.references).some((r) => (v.value.url !== undefined
        ? r.url === v.value.url
        : r.targetId === v.value.id && (v.value.type === undefined || r.targetType === v.value.type)));
    default:
      return false;
  }
}
