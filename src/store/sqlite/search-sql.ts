import type { Filter, FilterValue, ParamFilter, SearchQuery, SortKey, TokenValue } from '../../search/model';
import { invalid } from '../../fhir/errors';

/**
 * SearchQuery → SQL over the resources and idx_* tables. Every value is a bound parameter: no input ever becomes
 * SQL text. Column names come only from the fixed tables below.
 */

export interface CompiledSql {
  sql: string;
  params: unknown[];
}

const SORT_COLUMNS: Record<string, string> = { _id: 'r.id', _lastUpdated: 'r.last_updated' };

interface Cursor {
  /** Values of the sort keys, then rid, of the last row of the previous page. */
  keys: Array<string | number>;
}

export function compileSearch(query: SearchQuery, limit: number): CompiledSql {
  const where: string[] = ['r.deleted = 0'];
  const params: unknown[] = [];
  where.push(`r.type IN (${query.types.map(() => '?').join(',')})`);
  params.push(...query.types);
  for (const f of query.filters) where.push(filterSql(f, params));
  const order = orderKeys(query.sort);
  if (query.cursor) where.push(keysetSql(order, decodeCursor(query.cursor, order.length), params));
  const orderSql = order.map((o) => `${o.column} ${o.descending ? 'DESC' : 'ASC'}`).join(', ');
  params.push(limit);
  return {
    sql: `SELECT r.rid, r.type, r.id, r.version, r.last_updated, r.deleted, v.json FROM resources r JOIN versions v ON v.seq = r.seq WHERE ${where.join(' AND ')} ORDER BY ${orderSql} LIMIT ?`,
    params,
  };
}

export function compileCount(query: SearchQuery): CompiledSql {
  const where: string[] = ['r.deleted = 0', `r.type IN (${query.types.map(() => '?').join(',')})`];
  const params: unknown[] = [...query.types];
  for (const f of query.filters) where.push(filterSql(f, params));
  return { sql: `SELECT count(*) AS n FROM resources r WHERE ${where.join(' AND ')}`, params };
}

/** Sort columns plus rid as the final tie-breaker, so that keyset paging is total and stable. */
export function orderKeys(sort: SortKey[]): Array<{ column: string; descending: boolean; field: string }> {
  const keys = sort.map((s) => {
    const column = SORT_COLUMNS[s.param];
    if (!column) throw invalid(`Cannot sort by '${s.param}'`, ['_sort']);
    return { column, descending: s.descending, field: column.slice(2) };
  });
  return [...keys, { column: 'r.rid', descending: false, field: 'rid' }];
}

function keysetSql(order: Array<{ column: string; descending: boolean }>, keys: Cursor['keys'], params: unknown[]): string {
  // (a, b, rid) > (x, y, z) expanded by hand, since the direction may differ per key.
  const ors: string[] = [];
  for (let i = 0; i < order.length; i++) {
    const ands = order.slice(0, i).map((o) => `${o.column} = ?`);
    params.push(...keys.slice(0, i));
    ands.push(`${order[i].column} ${order[i].descending ? '<' : '>'} ?`);
    params.push(keys[i]);
    ors.push(`(${ands.join(' AND ')})`);
  }
  return `(${ors.join(' OR ')})`;
}

export function encodeCursor(keys: Cursor['keys']): string {
  return Buffer.from(JSON.stringify(keys)).toString('base64url');
}

function decodeCursor(cursor: string, length: number): Cursor['keys'] {
  try {
    const keys = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(keys) && keys.length === length && keys.every((k) => typeof k === 'string' || typeof k === 'number')) {
      return keys;
    }
  } catch {
    // fall through to the error below
  }
  throw invalid('The paging cursor is not valid for this search', ['_cursor']);
}

function filterSql(f: Filter, params: unknown[]): string {
  if (f.kind !== 'param') throw invalid(`Chained and reverse-chained search is not supported yet`);
  const ors = f.values.map((v) => valueSql(f, v, params));
  return `(${ors.join(' OR ')})`;
}

function valueSql(f: ParamFilter, v: FilterValue, params: unknown[]): string {
  if (v.kind === 'id') {
    params.push(v.value);
    return 'r.id = ?';
  }
  if (v.kind === 'date') return dateSql('r.last_updated', v.value, params);
  if (v.kind === 'token') return tokenSql(f.param, v.value, params);
  throw invalid(`Search on '${f.param}' is not supported yet`);
}

function tokenSql(param: string, t: TokenValue, params: unknown[]): string {
  const conds = ['t.rid = r.rid', 't.type = r.type', 't.param = ?'];
  params.push(param);
  if (t.code !== undefined) {
    conds.push('t.code = ?');
    params.push(t.code);
  }
  if (t.system !== undefined) {
    conds.push('t.system = ?');
    params.push(t.system);
  }
  return `EXISTS (SELECT 1 FROM idx_token t WHERE ${conds.join(' AND ')})`;
}

/** A stored instant compared with a search range under a prefix: https://hl7.org/fhir/R4/search.html#prefix */
function dateSql(column: string, d: { prefix: string; low: string; high: string }, params: unknown[]): string {
  switch (d.prefix) {
    case 'gt':
    case 'sa':
      params.push(d.high);
      return `${column} > ?`;
    case 'lt':
    case 'eb':
      params.push(d.low);
      return `${column} < ?`;
    case 'ge':
      params.push(d.low);
      return `${column} >= ?`;
    case 'le':
      params.push(d.high);
      return `${column} <= ?`;
    case 'ne':
      params.push(d.low, d.high);
      return `(${column} < ? OR ${column} > ?)`;
    default:
      params.push(d.low, d.high);
      return `(${column} >= ? AND ${column} <= ?)`;
  }
}
