import type { Document } from 'mongodb';
import { invalid } from '../../fhir/errors';
import type { ParamType, SortKey } from '../../search/model';
import { storedParams } from '../../search/aliases';
import type { SearchParameters } from '../../search/parameters';
import { anyOf, every, notSupported, NOTHING } from './search-conditions';
import { sortFieldName } from './search-fields';
import { encodeCursor, type CursorValue } from '../cursor';

/**
 * `_sort` and keyset paging: https://hl7.org/fhir/R4/search.html#sort, https://hl7.org/fhir/R4/http.html#paging
 *
 * A parameter's sort values are kept per resource at write time (`ix.o.<param>`: the least value `a` for
 * ascending order, the greatest `d` for descending; for dates the earliest start and the latest end), so a sort is
 * on plain fields. A resource without a value sorts last in both directions: descending order puts a missing field
 * last already; ascending order first sorts on the presence flag `h`. `rid` always ends the order, which makes it
 * total, so a page boundary is never ambiguous.
 *
 * The cursor holds the sort values and rid of a page's last document; the next page asks for the documents
 * strictly after it, `(k0 after v0) OR (k0 = v0 AND k1 after v1) OR …`. There is never a skip: a deep page costs
 * what the first does, and writes between pages neither repeat nor skip a resource whose sort values did not change.
 */

export interface OrderKey {
  /** The field sorted on, a dotted path. */
  field: string;
  descending: boolean;
  /** Set when a resource may have no value: the field sorted on first (descending) to put those last. */
  presence?: string;
}

export { decodeCursor, type CursorValue } from '../cursor';

/** The keys of a query's order, then rid. */
export function orderKeys(sort: readonly SortKey[], types: readonly string[], parameters: SearchParameters): OrderKey[] {
  return [...sort.map((k) => orderKey(k, types, parameters)), { field: 'rid', descending: false }];
}

function orderKey(k: SortKey, types: readonly string[], parameters: SearchParameters): OrderKey {
  if (k.param === '_id') return { field: 'id', descending: k.descending };
  if (k.param === '_lastUpdated') return { field: 'lastUpdated', descending: k.descending };
  if (!isSortable(k, types, parameters)) throw invalid(`Cannot sort by '${k.param}'`, ['_sort']);
  const stored = storedParams(types, k.param);
  if (stored.length !== 1) throw notSupported(`Sorting by '${k.param}' is not supported; sort by one of ${stored.join(', ')}`, '_sort');
  const base = `ix.o.${sortFieldName(stored[0])}`;
  if (k.descending) return { field: `${base}.d`, descending: true, presence: `${base}.h` };
  return { field: `${base}.a`, descending: false, presence: `${base}.h` };
}

/** The parser's type for the key when it set one (custom parameters), else the official definitions'. */
function isSortable(k: SortKey, types: readonly string[], parameters: SearchParameters): boolean {
  if (k.type !== undefined) return SORTABLE.has(k.type);
  return types.some((t) => parameters.support(t, k.param)?.sortable);
}

const SORTABLE: ReadonlySet<ParamType> = new Set(['string', 'token', 'date', 'number', 'quantity', 'uri', 'reference']);

/** The sort specification, in order. */
export function sortSpec(keys: readonly OrderKey[]): Array<[string, 1 | -1]> {
  return keys.flatMap((k): Array<[string, 1 | -1]> => {
    const direction = k.descending ? -1 : 1;
    return k.presence && !k.descending ? [[k.presence, -1], [k.field, direction]] : [[k.field, direction]];
  });
}

/** The fields a page must return to make the cursor of its last document. */
export function orderProjection(keys: readonly OrderKey[]): Record<string, 1> {
  return Object.fromEntries(keys.map((k) => [k.field, 1]));
}

/** The documents strictly after `last` in the order of `keys`. */
export function keysetCondition(keys: readonly OrderKey[], last: readonly CursorValue[]): Document {
  const branches: Document[] = [];
  keys.forEach((key, i) => {
    const after = afterCondition(key, last[i]);
    if (after) branches.push(every([...keys.slice(0, i).map((k, j) => ({ [k.field]: { $eq: last[j] } })), after]));
  });
  return branches.length === 0 ? NOTHING : anyOf(branches);
}

/**
 * Strictly after a value: greater or smaller by direction, or missing when missing values can occur (they come
 * last). Nothing is after a missing value but other missing ones, which the next key orders. `{$eq: null}` matches
 * a missing field, which is what equality to a missing cursor value needs.
 */
function afterCondition(key: OrderKey, v: CursorValue): Document | undefined {
  if (v === null) return undefined;
  const beyond = { [key.field]: { [key.descending ? '$lt' : '$gt']: v } };
  return key.presence ? { $or: [beyond, { [key.field]: { $eq: null } }] } : beyond;
}

/** The cursor that continues after `doc`, a document of a page in the order of `keys`. */
export function cursorAfter(keys: readonly OrderKey[], doc: Document): string {
  return encodeCursor(keys.map((k) => valueAt(doc, k.field)));
}

function valueAt(doc: Document, path: string): CursorValue {
  let at: unknown = doc;
  for (const part of path.split('.')) at = at !== null && typeof at === 'object' ? (at as Document)[part] : undefined;
  return typeof at === 'string' || typeof at === 'number' ? at : null;
}

