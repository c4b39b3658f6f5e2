import type { SearchParameter } from 'fhir/r4';
import { isResourceType, resourceTypes } from '../fhir/definitions';
import { isUnionParam } from './aliases';
import type { IndexExtractor } from './extract';
import { SearchParameters, type CustomParameter } from './parameters';

/**
 * Which SearchParameter resources stored on the server can become searchable, and on which resource types: the
 * checks `$reindex` makes before it activates them (https://hl7.org/fhir/R4/searchparameter.html). A parameter that
 * fails a check is reported and left out; the others are activated.
 */

export interface Rejection {
  /** `SearchParameter/<id>` */
  reference: string;
  reason: string;
}

export interface CustomSelection {
  activated: CustomParameter[];
  rejected: Rejection[];
}

/** Types a custom parameter may have: those the index stores (not `special`). */
const INDEXED_TYPES = new Set(['number', 'date', 'string', 'token', 'reference', 'composite', 'quantity', 'uri']);

/**
 * A code must survive the query grammar: no `.` (chains), `:` (modifiers), `,` `$` `|` (values), and no leading `_`,
 * which the spec keeps for its own parameters: https://hl7.org/fhir/R4/search.html#standard
 */
const CODE = /^[A-Za-z0-9][A-Za-z0-9-]{0,63}$/;

/**
 * The custom parameters among `stored` (every SearchParameter resource on the server) that apply to `types`
 * ('all': every type their base names), checked against the official set and each other.
 */
export function selectCustomParameters(
  stored: ReadonlyArray<SearchParameter & { id: string }>,
  types: readonly string[] | 'all',
  extractor: IndexExtractor,
): CustomSelection {
  const rejected: Rejection[] = [];
  const candidates: CustomParameter[] = [];
  const taken = new Map<string, string>();
  for (const sp of [...stored].sort((a, b) => a.id.localeCompare(b.id))) {
    const reference = `SearchParameter/${sp.id}`;
    if (sp.status !== 'active') continue;
    const problem = definitionProblem(sp);
    if (problem) {
      rejected.push({ reference, reason: problem });
      continue;
    }
    for (const type of baseTypes(sp).filter((t) => types === 'all' || types.includes(t))) {
      const key = `${type}.${sp.code}`;
      const holder = taken.get(key);
      if (holder) rejected.push({ reference, reason: `${holder} already defines '${sp.code}' on ${type}` });
      else if (isUnionParam(type, sp.code)) rejected.push({ reference, reason: `'${sp.code}' on ${type} is the union of two official parameters and cannot be redefined` });
      else {
        taken.set(key, reference);
        candidates.push({ type, parameter: sp });
      }
    }
  }
  // Composite components may name other custom parameters, so expressions are checked against the whole selection.
  const within = new SearchParameters(candidates);
  const activated: CustomParameter[] = [];
  for (const candidate of candidates) {
    const problem = extractor.problemWith(candidate.parameter, candidate.type, within) ?? componentProblem(candidate, within);
    if (problem) rejected.push({ reference: `SearchParameter/${(candidate.parameter as { id: string }).id}`, reason: `on ${candidate.type}: ${problem}` });
    else activated.push(candidate);
  }
  return { activated, rejected };
}

function definitionProblem(sp: SearchParameter): string | undefined {
  if (typeof sp.code !== 'string' || !CODE.test(sp.code)) {
    return `code '${String(sp.code)}' must be letters, digits and '-' (at most 64, not starting with '-' or '_')`;
  }
  if (!INDEXED_TYPES.has(sp.type)) return `type '${sp.type}' cannot be indexed`;
  if (typeof sp.expression !== 'string' || sp.expression.trim() === '') return 'it has no expression to extract values with';
  const bases = sp.base ?? [];
  const unknown = bases.find((b) => b !== 'Resource' && b !== 'DomainResource' && !isResourceType(b));
  if (bases.length === 0 || unknown !== undefined) return `base must name resource types${unknown ? `; '${unknown}' is not one` : ''}`;
  if (sp.type === 'composite' && (sp.component ?? []).length < 2) return 'a composite parameter needs at least two components';
  return undefined;
}

function baseTypes(sp: SearchParameter): string[] {
  const out = new Set<string>();
  for (const base of sp.base ?? []) {
    if (base === 'Resource') resourceTypes().forEach((t) => out.add(t));
    else if (base === 'DomainResource') resourceTypes().filter((t) => t !== 'Bundle' && t !== 'Binary' && t !== 'Parameters').forEach((t) => out.add(t));
    else out.add(base);
  }
  return [...out];
}

function componentProblem(candidate: CustomParameter, within: SearchParameters): string | undefined {
  for (const component of candidate.parameter.component ?? []) {
    const def = within.definition(component.definition);
    if (!def) return `component definition '${component.definition}' is not a known SearchParameter`;
    if (def.type === 'composite' || def.type === 'special') return `component '${component.definition}' is ${def.type}; components must be simple`;
  }
  return undefined;
}
