import type {
  DateEntry, EntryBase, IndexEntries, NumberEntry, QuantityEntry, ReferenceEntry, StringEntry, TokenEntry, UriEntry,
} from '../../search/index-model';
import type { SearchFields } from './documents';
import { key, sortableNumber } from './search-keys';

/**
 * The search fields of a current version (`ix` in its resources document), made from the index entries the
 * extractor produced (src/search/index-model.ts). Every entry becomes one or more search keys, strings that start
 * with the parameter (search-keys.ts, `␁` below), in one string array per kind of test:
 *
 *   t   token            code ␁ system              (system '' when absent; code '' for a text-only concept)
 *   x   token :text      folded display text
 *   i   token :of-type   type code ␁ value ␁ type system   (Identifier.type codings)
 *   s   string           folded value               (starts-with, :contains)
 *   e   string :exact    value as written
 *   dl, dh  date         low, high instant          (aligned: dl[i] and dh[i] are one entry's range)
 *   n   number           value
 *   q, qs, qc  quantity  value; system ␁ code ␁ value (aligned with q); code ␁ value and unit ␁ value
 *   u   uri              uri
 *   r   reference        Type/id                    (literal references, relative or to this server)
 *   ru  reference        url ␁ version              (absolute and canonical URLs; version '' when absent)
 *   ri  reference        identifier value ␁ system  (Reference.identifier, for :identifier)
 *   p   every parameter the resource has a value for (plain codes, for :missing)
 *   c   composites: one element per tuple (item of the composite's expression), `{c0: {<array>: keys}, c1: …}`
 *   c0  the first components' keys of every tuple, `{<array>: keys}`, so an index can find candidates
 *   o   sort keys: `{<param>: {a, d, h: 1}}`, the least (a) and greatest (d) value
 *
 * Values are numbers in sortable hex (sortableNumber) and instants as ISO strings, so ranges compare as text.
 * `_id` and `_lastUpdated` are the document's own `id` and `lastUpdated`. Empty arrays are left out.
 */

/** Answered from the document's `id` and `lastUpdated`, so their entries are not stored. */
const COLUMN_PARAMS: ReadonlySet<string> = new Set(['_id', '_lastUpdated']);

type Keys = Record<string, string[]>;

export type SortValue = string | number;

interface Kind<E extends EntryBase> {
  keys: (e: E, add: (field: string, k: string) => void) => void;
  /** The entry's values for `_sort` (ascending, descending); undefined when it has none. */
  sort: (e: E) => [SortValue, SortValue] | undefined;
}

const tokenKind: Kind<TokenEntry> = {
  keys: (e, add) => {
    add('t', key(e.param, e.code, e.system));
    if (e.text !== undefined) add('x', key(e.param, e.text));
    if (e.typeCode !== undefined) add('i', key(e.param, e.typeCode, e.code, e.typeSystem ?? ''));
  },
  sort: (e) => (e.code === '' ? undefined : [e.code, e.code]),
};
const stringKind: Kind<StringEntry> = {
  keys: (e, add) => {
    add('s', key(e.param, e.value));
    add('e', key(e.param, e.exact));
  },
  sort: (e) => [e.value, e.value],
};
const dateKind: Kind<DateEntry> = {
  keys: (e, add) => {
    add('dl', key(e.param, e.low));
    add('dh', key(e.param, e.high));
  },
  sort: (e) => [e.low, e.high],
};
const numberKind: Kind<NumberEntry> = {
  keys: (e, add) => add('n', key(e.param, sortableNumber(e.value))),
  sort: (e) => [e.value, e.value],
};
const quantityKind: Kind<QuantityEntry> = {
  keys: (e, add) => {
    const n = sortableNumber(e.value);
    add('q', key(e.param, n));
    add('qs', key(e.param, e.system, e.code, n));
    if (e.code !== '') add('qc', key(e.param, e.code, n));
    if (e.unit !== '' && e.unit !== e.code) add('qc', key(e.param, e.unit, n));
  },
  sort: (e) => [e.value, e.value],
};
const uriKind: Kind<UriEntry> = { keys: (e, add) => add('u', key(e.param, e.uri)), sort: (e) => [e.uri, e.uri] };
const referenceKind: Kind<ReferenceEntry> = {
  keys: (e, add) => {
    const target = referenceTarget(e);
    if (target !== undefined) add('r', key(e.param, target));
    if (e.url !== undefined) add('ru', key(e.param, e.url, e.version ?? ''));
    if (e.identifierValue !== undefined) add('ri', key(e.param, e.identifierValue, e.identifierSystem ?? ''));
  },
  sort: (e) => {
    const v = referenceTarget(e) ?? e.url;
    return v === undefined ? undefined : [v, v];
  },
};

/** `Type/id` of a literal reference. */
function referenceTarget(e: ReferenceEntry): string | undefined {
  return e.targetType !== undefined && e.targetId !== undefined ? `${e.targetType}/${e.targetId}` : undefined;
}

/** The `ix` of a resource with these entries. */
export function indexFields(entries: IndexEntries): SearchFields {
  const keys: Keys = {};
  const params = new Set<string>();
  const tuples = new Map<string, Record<string, Keys>>();
  const sorts = new Map<string, [SortValue, SortValue]>();
  const add = <E extends EntryBase>(kind: Kind<E>, list: readonly E[]) => {
    for (const e of list) {
      if (COLUMN_PARAMS.has(e.param)) continue;
      params.add(e.param);
      if (e.component !== undefined) {
        kind.keys(e, (field, k) => push(component(tuples, e), field, k));
        continue;
      }
      kind.keys(e, (field, k) => push(keys, field, k));
      addSort(sorts, e.param, kind.sort(e));
    }
  };
  add(tokenKind, entries.tokens);
  add(stringKind, entries.strings);
  add(dateKind, entries.dates);
  add(numberKind, entries.numbers);
  add(quantityKind, entries.quantities);
  add(uriKind, entries.uris);
  add(referenceKind, entries.references);
  const ix: SearchFields = { ...keys };
  if (params.size > 0) ix.p = [...params];
  if (tuples.size > 0) Object.assign(ix, compositeFields([...tuples.values()]));
  if (sorts.size > 0) ix.o = sortFields(sorts);
  return ix;
}

function push(keys: Keys, field: string, k: string): void {
  (keys[field] ??= []).push(k);
}

/** The keys of one component of one tuple: `tuples[param ␀ tuple][c<component>]`. */
function component(tuples: Map<string, Record<string, Keys>>, e: EntryBase): Keys {
  const id = `${e.param}\u0000${e.tuple ?? 0}`;
  let tuple = tuples.get(id);
  if (!tuple) tuples.set(id, (tuple = {}));
  return (tuple[`c${e.component}`] ??= {});
}

function compositeFields(tuples: Array<Record<string, Keys>>): SearchFields {
  const first: Keys = {};
  for (const tuple of tuples) {
    for (const [field, list] of Object.entries(tuple.c0 ?? {})) for (const k of list) push(first, field, k);
  }
  return { c: tuples, c0: first };
}

function addSort(sorts: Map<string, [SortValue, SortValue]>, param: string, v: [SortValue, SortValue] | undefined): void {
  if (v === undefined) return;
  const seen = sorts.get(param);
  if (!seen) sorts.set(param, v);
  else sorts.set(param, [v[0] < seen[0] ? v[0] : seen[0], v[1] > seen[1] ? v[1] : seen[1]]);
}

function sortFields(sorts: Map<string, [SortValue, SortValue]>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [param, [a, d]] of sorts) out[sortFieldName(param)] = { a, d, h: 1 };
  return out;
}

/**
 * A parameter code as a field name. R4 codes are letters, digits, '-' and '_', which are kept; anything else,
 * '~' included, becomes `~<hex>~`, so that no code can put a '.' or a leading '$' into a field path and two codes
 * never share a name.
 */
export function sortFieldName(param: string): string {
  return param.replace(/[^A-Za-z0-9_-]/gu, (c) => `~${c.codePointAt(0)!.toString(16)}~`);
}
