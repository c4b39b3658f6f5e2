import { instantRange } from '../fhir/instants';
import { FhirError, invalid } from '../fhir/errors';
import type { Filter, FilterValue, Prefix, SearchQuery, SortKey, TokenValue } from './model';
import { searchParamSupport } from './support';

/**
 * Query string → SearchQuery. Parameters that control the result rather than select it are left to the caller
 * (RESULT_PARAMS); unknown or unsupported selection parameters are reported in `ignored` (lenient handling) or
 * rejected (strict), per https://hl7.org/fhir/R4/search.html#errors
 */

export const DEFAULT_COUNT = 20;
export const MAX_COUNT = 1000;

/** Parameters consumed by the interaction layer (formatting, paging, summary), never filters. */
const RESULT_PARAMS = new Set([
  '_format', '_pretty', '_summary', '_elements', '_count', '_sort', '_total', '_cursor', '_include', '_revinclude',
  '_contained', '_containedType',
]);

export interface ParsedSearch {
  query: SearchQuery;
  /** Parameters ignored under lenient handling, to report in an OperationOutcome and leave out of links. */
  ignored: string[];
  /** The parameters actually applied, in order, for the self link. */
  applied: Array<[string, string]>;
}

export function parseSearch(types: string[], params: Array<[string, string]>, strict: boolean): ParsedSearch {
  const query: SearchQuery = { types, filters: [], sort: [], count: DEFAULT_COUNT, total: 'none' };
  const ignored: string[] = [];
  const applied: Array<[string, string]> = [];
  for (const [name, raw] of params) {
    if (RESULT_PARAMS.has(name)) {
      applyResultParam(query, name, raw, types);
      if (name !== '_cursor' && name !== '_format' && name !== '_pretty') applied.push([name, raw]);
      continue;
    }
    const filter = parseFilter(types, name, raw);
    if (filter) {
      query.filters.push(filter);
      applied.push([name, raw]);
    } else if (strict) {
      throw invalid(`Unknown or unsupported search parameter '${name}' for ${types.join(',')}`);
    } else {
      ignored.push(name);
    }
  }
  return { query, ignored, applied };
}

function applyResultParam(query: SearchQuery, name: string, raw: string, types: string[]): void {
  if (name === '_count') query.count = parseCount(raw);
  else if (name === '_cursor') query.cursor = raw;
  else if (name === '_total') query.total = parseTotal(raw);
  else if (name === '_sort') query.sort = parseSort(raw, types);
}

function parseCount(raw: string): number {
  if (!/^\d+$/.test(raw)) throw invalid(`_count must be a non-negative integer, got '${raw}'`, ['_count']);
  return Math.min(Number(raw), MAX_COUNT);
}

function parseTotal(raw: string): SearchQuery['total'] {
  if (raw === 'none' || raw === 'estimate' || raw === 'accurate') return raw;
  throw invalid(`_total must be none, estimate or accurate, got '${raw}'`, ['_total']);
}

function parseSort(raw: string, types: string[]): SortKey[] {
  return raw.split(',').map((key) => {
    const descending = key.startsWith('-');
    const param = descending ? key.slice(1) : key;
    if (!types.every((t) => searchParamSupport(t, param)?.sortable)) {
      throw invalid(`Cannot sort by '${param}'`, ['_sort']);
    }
    return { param, descending };
  });
}

function parseFilter(types: string[], name: string, raw: string): Filter | undefined {
  const [param, modifier] = name.split(':', 2);
  const support = types.map((t) => searchParamSupport(t, param));
  if (types.length === 0 || support.some((s) => !s)) return undefined;
  const type = support[0]!.type;
  if (modifier !== undefined && !support[0]!.modifiers.includes(modifier)) {
    throw new FhirError('not-supported', { diagnostics: `Modifier ':${modifier}' is not supported on '${param}'`, expression: [name] });
  }
  const values = splitOr(raw).map((v) => parseValue(type, name, v));
  return { kind: 'param', param, type, modifier, values };
}

function parseValue(type: string, name: string, raw: string): FilterValue {
  if (type === 'special' || name === '_id') return { kind: 'id', value: raw };
  if (type === 'date') return { kind: 'date', value: parseDate(name, raw) };
  return { kind: 'token', value: parseToken(raw) };
}

const PREFIXES: Prefix[] = ['eq', 'ne', 'gt', 'lt', 'ge', 'le', 'sa', 'eb', 'ap'];

function parseDate(name: string, raw: string) {
  const maybe = raw.slice(0, 2) as Prefix;
  const prefix: Prefix = PREFIXES.includes(maybe) && /^[a-z]{2}\d/.test(raw) ? maybe : 'eq';
  const text = prefix === 'eq' && !raw.startsWith('eq') ? raw : raw.slice(2);
  const range = instantRange(text);
  if (!range) throw invalid(`'${raw}' is not a valid date for '${name}'`, [name]);
  return { prefix, low: range.low, high: range.high };
}

/** Splits a token value at its first unescaped `|`: https://hl7.org/fhir/R4/search.html#token */
function parseToken(raw: string): TokenValue {
  const parts = splitUnescaped(raw, '|');
  if (parts.length === 1) return { code: unescape(parts[0]) };
  const [system, code] = [unescape(parts[0]), unescape(parts.slice(1).join('|'))];
  return { system, code: code === '' ? undefined : code };
}

/** OR-separated values; `\,` is a literal comma: https://hl7.org/fhir/R4/search.html#escaping */
export function splitOr(raw: string): string[] {
  return splitUnescaped(raw, ',');
}

function splitUnescaped(raw: string, separator: string): string[] {
  const out: string[] = [];
  let current = '';
  for (let i = 0; i < raw.length; i++) {
    const ch = raw[i];
    if (ch === '\\' && i + 1 < raw.length) {
      current += ch + raw[++i];
    } else if (ch === separator) {
      out.push(current);
      current = '';
    } else {
      current += ch;
    }
  }
  out.push(current);
  return out;
}

function unescape(value: string): string {
  return value.replace(/\\([\\,$|])/g, '$1');
}
