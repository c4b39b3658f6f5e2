import type { ParamType, SearchQuery } from '../../search/model';
import { storedParams } from '../../search/aliases';
import type { SqlBuilder } from './search-sql-builder';
import type { CursorValue } from './search-sql-keyset';
import { keysetSql } from './search-sql-keyset';
import { sortParamType } from './search-sql-sort';

/**
 * An unfiltered search sorted by one parameter (`Observation?_sort=-date`), answered by walking the parameter's
 * lookup index in sort order and stopping at the page's end, instead of computing the sort value of every
 * resource of the type and sorting them all.
 *
 * A resource's sort value is its least value ascending and its greatest descending (search-sql-sort.ts). Walking
 * the index in that order, a resource's first row is the one holding that value; its later rows are skipped by
 * keeping only the row the resource's own rows (its `(rid, n)` key) name as the representative. Resources with no
 * value come after every resource with one, in rid order, so they are a second part that SQLite only reaches when
 * the walk has run out before the page is full.
 */

interface WalkSource {
  table: string;
  /** The indexed column that holds the value, by direction (dates: the end of the range descending). */
  column: (descending: boolean) => string;
  /** Rows that hold no sortable value (a text-only token). */
  present?: (m: string) => string;
}

/** Tables whose lookup index is `(type, param, value, …)`, so that it yields one parameter's rows in value order. */
const WALKABLE: Partial<Record<ParamType, WalkSource>> = {
  string: { table: 'idx_string', column: () => 'value' },
  token: { table: 'idx_token', column: () => 'code', present: (m) => `${m}.code <> ''` },
  date: { table: 'idx_date', column: (descending) => (descending ? 'high' : 'low') },
  number: { table: 'idx_number', column: () => 'value' },
  uri: { table: 'idx_uri', column: () => 'uri' },
};

export interface WalkPlan {
  source: WalkSource;
  type: string;
  param: string;
  descending: boolean;
}

/** The walk for `query`, when it has that shape: one type, no filter, one sort key on a walkable parameter. */
export function walkPlan(query: SearchQuery): WalkPlan | undefined {
  if (query.filters.length > 0 || query.sort.length !== 1 || query.types.length !== 1) return undefined;
  const [key] = query.sort;
  if (key.param === '_id' || key.param === '_lastUpdated') return undefined;
  const stored = storedParams(query.types, key.param);
  if (stored.length !== 1) return undefined;
  const paramType = key.type ?? sortParamType(query.types, key.param);
  const source = paramType && WALKABLE[paramType];
  return source ? { source, type: query.types[0], param: stored[0], descending: key.descending } : undefined;
}

/**
 * The page's SELECT, with the same columns as the other page forms: the row columns, `sort0` (the value, NULL for
 * resources without one) and `sort1` (rid), so that its cursors are those of the general sorted form.
 */
export function walkPageSql(plan: WalkPlan, rowColumns: string, last: CursorValue[] | undefined, limit: number, b: SqlBuilder): string {
  const { source, descending } = plan;
  const column = source.column(descending);
  const dir = descending ? 'DESC' : 'ASC';
  const type = b.bind(plan.type);
  const param = b.bind(plan.param);
  const lim = b.bind(limit);
  const present = (m: string) => (source.present ? [source.present(m)] : []);

  const w = 'w';
  const m = 'wm';
  const representative = `(SELECT ${m}.n FROM ${source.table} ${m} WHERE ${m}.rid = ${w}.rid AND ${m}.param = ${param}`
    + `${present(m).map((c) => ` AND ${c}`).join('')} ORDER BY ${m}.${column} ${dir}, ${m}.n LIMIT 1)`;
  const walkWhere = [`${w}.type = ${type}`, `${w}.param = ${param}`, ...present(w), `${w}.n = ${representative}`, 'r.deleted = 0'];
  const valued = last === undefined || last[0] !== null;
  if (last && valued) {
    // The first conjunct bounds the index range; the keyset test then drops the rows of the cursor's own value
    // that are not after it.
    const v = b.bind(last[0]);
    walkWhere.push(`${w}.${column} ${descending ? '<=' : '>='} ${v}`);
    walkWhere.push(keysetSql([
      { expr: `${w}.${column}`, descending, nullable: false },
      { expr: 'r.rid', descending: false, nullable: false },
    ], last, b));
  }
  const walk = `SELECT ${rowColumns}, ${w}.${column} AS sort0, r.rid AS sort1 FROM ${source.table} ${w} `
    + `CROSS JOIN resources r ON r.rid = ${w}.rid WHERE ${walkWhere.join(' AND ')} ORDER BY ${w}.${column} ${dir}, r.rid ASC LIMIT ${lim}`;

  const noneWhere = [`r.type = ${type}`, 'r.deleted = 0',
    `NOT EXISTS (SELECT 1 FROM ${source.table} ${m} WHERE ${m}.rid = r.rid AND ${m}.param = ${param}${present(m).map((c) => ` AND ${c}`).join('')})`];
  if (last && !valued) noneWhere.push(`r.rid > ${b.bind(last[1])}`);
  const none = `SELECT ${rowColumns}, NULL AS sort0, r.rid AS sort1 FROM resources r WHERE ${noneWhere.join(' AND ')} ORDER BY r.rid LIMIT ${lim}`;

  // UNION ALL runs its parts in order and the outer LIMIT stops it as soon as the page is full.
  const parts = valued ? `SELECT * FROM (${walk}) UNION ALL SELECT * FROM (${none})` : `SELECT * FROM (${none})`;
  return `${parts} LIMIT ${lim}`;
}
