import { invalid } from '../../fhir/errors';
import type { ParamType, SortKey } from '../../search/model';
import { searchParamSupport } from '../../search/parameters';
import { paramIs, type SqlBuilder, type Subject } from './search-sql-builder';

/**
 * `_sort` keys as SQL expressions: https://hl7.org/fhir/R4/search.html#sort. A parameter may have several values
 * per resource; ascending order uses the least and descending the greatest (for dates: the earliest start and the
 * latest end). A resource without a value sorts last in both directions. `rid` always ends the list, which makes
 * the order total, so that keyset paging (search-sql-keyset.ts) neither skips nor repeats a row.
 */

export interface OrderKey {
  expr: string;
  descending: boolean;
  /** True when a resource may have no value (it then sorts last). */
  nullable: boolean;
}

interface SortSource {
  table: string;
  /** The value of one index row `m` to aggregate. */
  value: (m: string, descending: boolean) => string;
}

const SOURCES: Partial<Record<ParamType, SortSource>> = {
  string: { table: 'idx_string', value: (m) => `${m}.value` },
  token: { table: 'idx_token', value: (m) => `nullif(${m}.code, '')` }, // '' is a text-only CodeableConcept
  date: { table: 'idx_date', value: (m, descending) => (descending ? `${m}.high` : `${m}.low`) },
  number: { table: 'idx_number', value: (m) => `${m}.value` },
  quantity: { table: 'idx_quantity', value: (m) => `${m}.value` },
  uri: { table: 'idx_uri', value: (m) => `${m}.uri` },
  reference: { table: 'idx_reference', value: (m) => `coalesce(${m}.target_type || '/' || ${m}.target_id, ${m}.url)` },
};

/** The sort keys of a query, then rid. */
export function orderKeys(sort: SortKey[], subject: Subject, b: SqlBuilder): OrderKey[] {
  const keys = sort.map((k) => orderKey(k, subject, b));
  return [...keys, { expr: `${subject.alias}.rid`, descending: false, nullable: false }];
}

function orderKey(k: SortKey, subject: Subject, b: SqlBuilder): OrderKey {
  const { alias } = subject;
  if (k.param === '_id') return { expr: `${alias}.id`, descending: k.descending, nullable: false };
  if (k.param === '_lastUpdated') return { expr: `${alias}.last_updated`, descending: k.descending, nullable: false };
  const source = SOURCES[(k.type ?? sortParamType(subject.types, k.param))!];
  if (!source) throw invalid(`Cannot sort by '${k.param}'`, ['_sort']);
  const m = b.alias('m');
  const aggregate = k.descending ? 'max' : 'min';
  const expr = `(SELECT ${aggregate}(${source.value(m, k.descending)}) FROM ${source.table} ${m} WHERE ${m}.rid = ${alias}.rid AND ${paramIs(m, subject, k.param, b)})`;
  return { expr, descending: k.descending, nullable: true };
}

/** The parameter's type on the first searched type that defines it (the parser checks they agree). */
export function sortParamType(types: string[], param: string): ParamType | undefined {
  for (const type of types) {
    const support = searchParamSupport(type, param);
    if (support) return support.type;
  }
  return undefined;
}

/** `ORDER BY` over the select list's `sort0…sortN` columns; DESC already puts NULL last in SQLite. */
export function orderBySql(keys: OrderKey[]): string {
  return keys
    .map((k, i) => `sort${i} ${k.descending ? 'DESC' : k.nullable ? 'ASC NULLS LAST' : 'ASC'}`)
    .join(', ');
}
