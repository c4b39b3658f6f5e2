import { isResourceType } from '../fhir/definitions';
import { FhirError, invalid } from '../fhir/errors';
import type { Include, SearchQuery, SortKey } from './model';
import { MAX_OR_VALUES, tooCostly, typesText } from './parse-filter';
import { shown, splitOr } from './parse-values';
import type { SearchParameters } from './parameters';

/**
 * The parameters that shape the result rather than select it (https://hl7.org/fhir/R4/search.html#return), and
 * `_type`, which picks the types a system-level search covers (https://hl7.org/fhir/R4/search.html#all).
 */

export const DEFAULT_COUNT = 20;
export const MAX_COUNT = 1000;

/** `_count`: a non-negative integer; 0 asks for the total only; above MAX_COUNT is served as MAX_COUNT. */
export function parseCount(raw: string): number {
  if (!/^\d+$/.test(raw)) throw invalid(`_count must be a non-negative integer, got '${shown(raw)}'`, ['_count']);
  return Math.min(Number(raw), MAX_COUNT);
}

export function parseTotal(raw: string): SearchQuery['total'] {
  if (raw === 'none' || raw === 'estimate' || raw === 'accurate') return raw;
  throw invalid(`_total must be none, estimate or accurate, got '${shown(raw)}'`, ['_total']);
}

/** `_sort=a,-b`: each key a parameter sortable on every searched type: https://hl7.org/fhir/R4/search.html#sort */
export function parseSort(raw: string, types: string[], parameters: SearchParameters): SortKey[] {
  const keys = listOf(raw, '_sort');
  return keys.map((key) => {
    const descending = key.startsWith('-');
    const param = descending ? key.slice(1) : key;
    const supports = types.map((t) => parameters.support(t, param));
    const [first] = supports;
    const sortable = first !== undefined && supports.every((s) => s?.sortable && s.type === first.type);
    if (!sortable) throw invalid(`Cannot sort by '${shown(param)}' on ${typesText(types)}`, ['_sort']);
    return { param, type: first.type, descending };
  });
}

/**
 * `_type=A,B` narrows the searched types to those listed; unknown types and an empty intersection are 400s.
 * https://hl7.org/fhir/R4/search.html#all
 */
export function narrowTypes(types: string[], name: string, raw: string): string[] {
  if (name !== '_type') throw invalid(`_type takes no modifier, got '${shown(name)}'`, [name]);
  const listed = listOf(raw, '_type');
  const unknown = listed.find((t) => !isResourceType(t));
  if (unknown !== undefined) throw invalid(`'${shown(unknown)}' in _type is not a resource type`, ['_type']);
  const narrowed = types.filter((t) => listed.includes(t));
  if (narrowed.length === 0) throw invalid(`_type=${shown(raw)} excludes every type searched here (${typesText(types)})`, ['_type']);
  return narrowed;
}

function listOf(raw: string, name: string): string[] {
  const items = splitOr(raw);
  if (items.length > MAX_OR_VALUES) throw tooCostly(`At most ${MAX_OR_VALUES} values in ${name}, got ${items.length}`, name);
  if (items.some((i) => i === '')) throw invalid(`Empty value in ${name}=${shown(raw)}`, [name]);
  return items;
}

/**
 * `_include[:iterate]=Source:param[:Target]` (or `*`, or `Source:*`); `_revinclude` alike. `:recurse` is the R3
 * spelling of `:iterate`, still sent by R4 clients. A non-iterating `_include` must start from a searched type;
 * `:iterate` starts from included resources, so any type may be the source; so may any type for `_revinclude`.
 * `_revinclude=Source:*` is expanded here into Source's reference parameters, so that the reverse lookup (a search
 * by one parameter) never meets a wildcard. https://hl7.org/fhir/R4/search.html#include
 */
export function parseInclude(name: string, raw: string, types: string[], parameters: SearchParameters): { reverse: boolean; includes: Include[] } {
  const [base, modifier, extra] = name.split(':');
  const reverse = base === '_revinclude';
  if (extra !== undefined || (modifier !== undefined && modifier !== 'iterate' && modifier !== 'recurse')) {
    throw invalid(`${base} takes only the :iterate modifier, got '${shown(name)}'`, [name]);
  }
  const iterate = modifier !== undefined;
  if (raw === '*') {
    if (reverse) throw new FhirError('not-supported', { diagnostics: '_revinclude=* is not supported; name Type:param or Type:*', expression: [name] });
    return { reverse, includes: types.map((sourceType) => ({ sourceType, param: '*', iterate })) };
  }
  const include = includeOf(name, raw, { types, reverse, iterate, parameters });
  return { reverse, includes: reverse && include.param === '*' ? expandWildcard(include, parameters) : [include] };
}

function includeOf(name: string, raw: string, at: { types: string[]; reverse: boolean; iterate: boolean; parameters: SearchParameters }): Include {
  const parts = raw.split(':');
  if (parts.length < 2 || parts.length > 3) {
    throw invalid(`'${shown(raw)}' is not a valid ${name} value (expected Type:param, Type:param:TargetType or *)`, [name]);
  }
  const [sourceType, param, targetType] = parts;
  if (!isResourceType(sourceType)) throw invalid(`'${shown(sourceType)}' in ${name} is not a resource type`, [name]);
  if (!at.reverse && !at.iterate && !at.types.includes(sourceType)) {
    throw invalid(`${name}=${shown(raw)} starts from ${sourceType}, which is not searched here (use :iterate)`, [name]);
  }
  const targets = param === '*' ? undefined : referenceTargets(name, sourceType, param, at.parameters);
  if (targetType !== undefined) checkTarget(name, targetType, targets);
  const include: Include = { sourceType, param, iterate: at.iterate };
  if (targetType !== undefined) include.targetType = targetType;
  return include;
}

/** Every reference parameter of the source type that can point at the target type (any, when none is named). */
function expandWildcard(include: Include, parameters: SearchParameters): Include[] {
  return parameters.supported(include.sourceType)
    .filter(({ support }) => support.type === 'reference')
    .filter(({ support }) => !include.targetType || !support.targets?.length || support.targets.includes(include.targetType))
    .map(({ code }) => ({ ...include, param: code }));
}

function referenceTargets(name: string, sourceType: string, param: string, parameters: SearchParameters): readonly string[] {
  const support = parameters.support(sourceType, param);
  if (support?.type !== 'reference') throw invalid(`'${shown(param)}' is not a reference parameter of ${sourceType}, in ${name}`, [name]);
  return support.targets ?? [];
}

function checkTarget(name: string, targetType: string, targets: readonly string[] | undefined): void {
  if (!isResourceType(targetType)) throw invalid(`'${shown(targetType)}' in ${name} is not a resource type`, [name]);
  if (targets && targets.length > 0 && !targets.includes(targetType)) {
    throw invalid(`${name} cannot reach ${targetType}; the parameter refers to ${typesText(targets)}`, [name]);
  }
}
