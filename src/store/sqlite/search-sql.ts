import type { HasFilter, SearchQuery } from '../../search/model';
import { SqlBuilder, subjectTypeSql, type FilterSql, type SqlValue, type Subject } from './search-sql-builder';
import { mergeDateRanges, type DateStatsOf } from './search-sql-date-range';
import { filterSql } from './search-sql-filters';
import { decodeCursor, encodeCursor, keysetSql, type CursorValue } from './search-sql-keyset';
import { orderBySql, orderKeys, type OrderKey } from './search-sql-sort';
import { walkPageSql, walkPlan } from './search-sql-walk';

/**
 * SearchQuery → SQL over the resources and idx_* tables (docs/search.md walks through examples). Every value is a
 * bound parameter; the SQL text depends only on the query's shape, so statements are cached by their text.
 * The parts: search-sql-filters.ts (one filter per parameter type), search-sql-values.ts and -ranges.ts (value
 * tests), search-sql-chains.ts (chains, _has), search-sql-sort.ts (_sort) and search-sql-keyset.ts (paging).
 */

export interface CompiledSql {
  sql: string;
  params: Record<string, SqlValue>;
}

/** The resources columns a page row carries; `seq` joins it with its version's JSON once the page is chosen. */
const ROW_COLUMNS = 'r.rid, r.type, r.id, r.version, r.last_updated, r.deleted, r.seq';

/**
 * One page: the matches after the query's cursor in its order, at most `limit` of them. The page is chosen first
 * and only its rows are joined with `versions`, so that the JSON of the other matches is never read or sorted.
 * `nowMs` anchors the `ap` date prefix.
 */
/**
 * What the store knows of its data that changes a plan but not an answer: date parameters' value counts and spans
 * (search-sql-date-range.ts), and whether a `_has` filter's sources are many (search-sql-chains.ts).
 */
export interface PlanHints {
  dateStats?: DateStatsOf;
  manySources?: (f: HasFilter) => boolean;
}

export function compileSearch(query: SearchQuery, limit: number, nowMs: number, hints: PlanHints = {}): CompiledSql {
  const { b, page, keys } = pageSql(query, limit, nowMs, hints);
  const sortColumns = keys.map((_, i) => `p.sort${i}`).join(', ');
  const sql = `${page.with}SELECT p.rid, p.type, p.id, p.version, p.last_updated, p.deleted, v.json, ${sortColumns} FROM (${page.select}) p JOIN versions v ON v.seq = p.seq ORDER BY ${orderBySql(keys)}`;
  return { sql, params: b.params };
}

/** How many resources match, counting no further than `limit` and reading no JSON: a probe of a filter's reach. */
export function compileCountUpTo(query: SearchQuery, limit: number, nowMs: number, hints: PlanHints = {}): CompiledSql {
  const { b, page } = pageSql(query, limit, nowMs, hints);
  return { sql: `${page.with}SELECT count(*) AS n FROM (${page.select})`, params: b.params };
}

/** The page's rows (resources columns and sort values), before their JSON is joined. */
function pageSql(query: SearchQuery, limit: number, nowMs: number, hints: PlanHints): { b: SqlBuilder; page: PageSql; keys: OrderKey[] } {
  const b = builder(query, nowMs, hints);
  const r: Subject = { alias: 'r', types: query.types };
  const walk = walkPlan(query);
  // A walk (search-sql-walk.ts) has neither filters nor sort expressions: those parts are built on a scratch
  // builder, so that the statement binds only the values it uses.
  const filters = compileFilters(query, r, walk ? new SqlBuilder(nowMs) : b, hints.dateStats);
  const keys = orderKeys(query.sort, r, walk ? new SqlBuilder(nowMs) : b);
  const last = query.cursor ? decodeCursor(query.cursor, keys.length) : undefined;
  const single = query.sort.length === 0 && filters.length === 1 ? filters[0].rids : undefined;
  let page: PageSql;
  if (walk) page = { with: '', select: walkPageSql(walk, ROW_COLUMNS, last, limit, b) };
  else if (single) page = indexPage(single, last, limit, b);
  else {
    const where = whereSql(filters, r, b);
    page = keys.some((k) => k.nullable) ? computedPage(where, keys, last, limit, b) : directPage(where, keys, last, limit, b);
  }
  return { b, page, keys };
}

interface PageSql {
  with: string;
  select: string;
}

/**
 * One filter that is one index scan, in the default order: the page's rids straight from that scan, which yields
 * them in rid order when the scan is an equality on every index column before rid (`system|code`, `Type/id`), so
 * SQLite stops after `limit` of them instead of first listing every match. DISTINCT because a resource may have
 * several matching entries; the scan lists current resources only, so the page needs no further test.
 */
function indexPage(rids: string, last: CursorValue[] | undefined, limit: number, b: SqlBuilder): PageSql {
  const after = last ? ` WHERE i.rid > ${b.bind(last[0])}` : '';
  const page = `SELECT DISTINCT i.rid FROM (${rids}) i${after} ORDER BY i.rid LIMIT ${b.bind(limit)}`;
  return { with: '', select: `SELECT ${ROW_COLUMNS}, r.rid AS sort0 FROM (${page}) d CROSS JOIN resources r ON r.rid = d.rid` };
}

/** Sorting by columns of `resources` only: one query, which can walk an index in order and stop at the limit. */
function directPage(where: string[], keys: OrderKey[], last: CursorValue[] | undefined, limit: number, b: SqlBuilder): PageSql {
  if (last) where.push(keysetSql(keys, last, b));
  const columns = [ROW_COLUMNS, ...keys.map((k, i) => `${k.expr} AS sort${i}`)].join(', ');
  return { with: '', select: `SELECT ${columns} FROM resources r WHERE ${where.join(' AND ')} ORDER BY ${orderBySql(keys)} LIMIT ${b.bind(limit)}` };
}

/**
 * Sorting by parameter values: every match with its sort values, computed once (MATERIALIZED keeps SQLite from
 * copying the subqueries into the keyset test and the ORDER BY), then the page from those.
 */
function computedPage(where: string[], keys: OrderKey[], last: CursorValue[] | undefined, limit: number, b: SqlBuilder): PageSql {
  const columns = [ROW_COLUMNS, ...keys.map((k, i) => `${k.expr} AS sort${i}`)].join(', ');
  const matches = `WITH matches AS MATERIALIZED (SELECT ${columns} FROM resources r WHERE ${where.join(' AND ')}) `;
  const named = keys.map((k, i) => ({ ...k, expr: `sort${i}` }));
  const after = last ? ` WHERE ${keysetSql(named, last, b)}` : '';
  return { with: matches, select: `SELECT * FROM matches${after} ORDER BY ${orderBySql(keys)} LIMIT ${b.bind(limit)}` };
}

/** How many resources match, for `_total`. */
export function compileCount(query: SearchQuery, nowMs: number, hints: PlanHints = {}): CompiledSql {
  const b = builder(query, nowMs, hints);
  const r: Subject = { alias: 'r', types: query.types };
  const where = whereSql(compileFilters(query, r, b, hints.dateStats), r, b);
  return { sql: `SELECT count(*) AS n FROM resources r WHERE ${where.join(' AND ')}`, params: b.params };
}

/** Top-level `_has` filters over many sources are tested per candidate; nested ones keep their list. */
function builder(query: SearchQuery, nowMs: number, hints: PlanHints): SqlBuilder {
  const b = new SqlBuilder(nowMs);
  const many = hints.manySources;
  if (many) b.commonHas = new Set(query.filters.filter((f): f is HasFilter => f.kind === 'has' && many(f)));
  return b;
}

function compileFilters(query: SearchQuery, r: Subject, b: SqlBuilder, dateStats: DateStatsOf | undefined): FilterSql[] {
  const { rest, merged } = mergeDateRanges(query.filters, r, dateStats, b);
  return [...rest.map((f) => filterSql(f, r, b)), ...merged];
}

function whereSql(compiled: FilterSql[], r: Subject, b: SqlBuilder): string[] {
  return ['r.deleted = 0', ...subjectTypeSql(r, compiled, b), ...compiled.map((c) => c.sql)];
}

/** The cursor that continues after `row`, a row of a compiled search for `query`. */
export function cursorAfter(query: SearchQuery, row: Record<string, unknown>): string {
  const values: CursorValue[] = [];
  for (let i = 0; i <= query.sort.length; i++) values.push(row[`sort${i}`] as CursorValue);
  return encodeCursor(values);
}
