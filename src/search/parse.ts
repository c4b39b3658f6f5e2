import { FhirError, invalid } from '../fhir/errors';
import type { SearchQuery } from './model';
import { headCode, MAX_CHAIN_DEPTH, MAX_HAS_DEPTH, MAX_OR_VALUES, parseFilter, tooCostly, typesText } from './parse-filter';
import { DEFAULT_COUNT, narrowTypes, parseCount, parseInclude, parseSort, parseTotal } from './parse-results';
import { shown } from './parse-values';
import { SearchParameters } from './parameters';

/**
 * Query string → SearchQuery: the whole R4 search grammar (https://hl7.org/fhir/R4/search.html), checked against
 * the parameter table in support.ts. Selection parameters become filters (ANDed); result parameters set sort, count,
 * total and includes; formatting and projection parameters are left to the caller. Unknown or unsupported selection
 * parameters are reported in `ignored` (lenient handling) or rejected (strict), per
 * https://hl7.org/fhir/R4/search.html#errors. Every other problem is a FhirError with a 400 status.
 */

export { DEFAULT_COUNT, MAX_COUNT, parseCount } from './parse-results';
export { splitOr } from './parse-values';

/** Bounds on one query, so that no input costs more than a 400 (`too-costly`; `invalid` for an overlong name). */
export const SEARCH_LIMITS = {
  /** name=value pairs in one query (result parameters included). */
  maxParams: 100,
  /** Length of one parameter name (values are bounded per type and by the OR limit). */
  maxNameLength: 256,
  maxOrValues: MAX_OR_VALUES,
  maxChainDepth: MAX_CHAIN_DEPTH,
  maxHasDepth: MAX_HAS_DEPTH,
} as const;

/** Parameters read by the interaction layer (formatting, paging, projection), never filters. */
const PASSED_THROUGH = new Set(['_format', '_pretty', '_summary', '_elements', '_cursor', '_contained', '_containedType']);
/** Not repeated in the self link: they say how to render or which page, not what was searched. */
const NOT_IN_LINKS = new Set(['_cursor', '_format', '_pretty']);

export interface ParsedSearch {
  query: SearchQuery;
  /** Parameters ignored under lenient handling, to report in an OperationOutcome and leave out of links. */
  ignored: string[];
  /** The parameters actually applied, in order, for the self link. */
  applied: Array<[string, string]>;
}

export interface ParseOptions {
  /** This server's base URL, so that absolute references to it match the `Type/id` the index stores. */
  baseUrl?: string;
  /** The parameters in force (the store's, with any custom ones); the official R4 set when omitted. */
  parameters?: SearchParameters;
}

interface Handling {
  strict: boolean;
  baseUrl?: string;
  parameters: SearchParameters;
}

/**
 * `types`: the type searched (type level) or every type (system level); `_type` narrows them. Under system search
 * a parameter must exist, with the same type, on every searched type.
 */
export function parseSearch(types: string[], params: Array<[string, string]>, strict: boolean, options: ParseOptions = {}): ParsedSearch {
  checkSize(params);
  const searched = params.reduce((acc, [name, raw]) => (isTypeParam(name) ? narrowTypes(acc, name, raw) : acc), types);
  const parsed: ParsedSearch = {
    query: { types: searched, filters: [], sort: [], count: DEFAULT_COUNT, total: 'none' },
    ignored: [],
    applied: [],
  };
  const how: Handling = { strict, baseUrl: options.baseUrl, parameters: options.parameters ?? SearchParameters.official() };
  for (const [name, raw] of params) applyParam(parsed, name, raw, how);
  return parsed;
}

function checkSize(params: Array<[string, string]>): void {
  if (params.length > SEARCH_LIMITS.maxParams) {
    throw tooCostly(`At most ${SEARCH_LIMITS.maxParams} search parameters per query, got ${params.length}`, 'query');
  }
  const long = params.find(([name]) => name.length > SEARCH_LIMITS.maxNameLength);
  if (long) throw invalid(`Parameter name '${shown(long[0])}' is longer than ${SEARCH_LIMITS.maxNameLength} characters`);
}

function isTypeParam(name: string): boolean {
  return name === '_type' || name.startsWith('_type:');
}

function applyParam(parsed: ParsedSearch, name: string, raw: string, how: Handling): void {
  const { query } = parsed;
  if (name === '_cursor') query.cursor = raw;
  if (isTypeParam(name) || PASSED_THROUGH.has(name) || applyResultParam(query, name, raw, how.parameters)) {
    if (!NOT_IN_LINKS.has(name)) parsed.applied.push([name, raw]);
    return;
  }
  const filter = parseFilter(query.types, name, raw, how);
  if (filter) {
    query.filters.push(filter);
    parsed.applied.push([name, raw]);
  } else if (how.strict) {
    throw unknownParam(query.types, name, how.parameters);
  } else {
    parsed.ignored.push(name);
  }
}

/** Sets what a result parameter asks for; false when `name` is not one. */
function applyResultParam(query: SearchQuery, name: string, raw: string, parameters: SearchParameters): boolean {
  if (name === '_count') query.count = parseCount(raw);
  else if (name === '_total') query.total = parseTotal(raw);
  else if (name === '_sort') query.sort = parseSort(raw, query.types, parameters);
  else if (/^_(rev)?include(:|$)/.test(name)) addIncludes(query, name, raw, parameters);
  else return false;
  return true;
}

function addIncludes(query: SearchQuery, name: string, raw: string, parameters: SearchParameters): void {
  const { reverse, includes } = parseInclude(name, raw, query.types, parameters);
  if (reverse) query.revincludes = [...(query.revincludes ?? []), ...includes];
  else query.includes = [...(query.includes ?? []), ...includes];
}

/** Strict handling: a parameter the spec defines but we do not evaluate is `not-supported`; any other is `invalid`. */
function unknownParam(types: string[], name: string, parameters: SearchParameters): FhirError {
  const code = headCode(name);
  const reason = types.map((t) => parameters.unsupportedReason(t, code)).find((r) => r !== undefined);
  if (reason) return new FhirError('not-supported', { diagnostics: `Search parameter '${code}': ${reason}`, expression: [name] });
  return invalid(`Unknown or unsupported search parameter '${shown(name)}' for ${typesText(types)}`, [name]);
}
