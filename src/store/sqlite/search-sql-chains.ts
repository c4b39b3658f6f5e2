import type { ChainFilter, Filter, HasFilter } from '../../search/model';
import { entryTypeSql, subjectTypeSql, type FilterSql, type SqlBuilder, type Subject } from './search-sql-builder';

/**
 * Chained (`subject:Patient.name=x`) and reverse-chained (`_has:Observation:patient:code=x`) search:
 * https://hl7.org/fhir/R4/search.html#chaining, #has. Both are a join through idx_reference inside an
 * uncorrelated `rid IN (…)` subquery, with the inner filter compiled recursively on the joined resource, so they
 * nest to any depth and SQLite builds each level's list of rids once, from the most selective side: a chain starts
 * from the targets that match and follows references back to their sources (idx_reference_target); a `_has`
 * starts from the sources that match and follows their references forward (idx_reference_by_rid).
 */

/** Compiles the filter inside a chain or `_has` on its own subject. */
export type NestedFilter = (f: Filter, subject: Subject, b: SqlBuilder) => FilterSql;

/** Subjects whose reference `param` points at a current `targetTypes` resource matching the inner filter. */
export function chainSql(f: ChainFilter, subject: Subject, b: SqlBuilder, nested: NestedFilter): FilterSql {
  const t = b.alias('t');
  const x = b.alias('x');
  const target: Subject = { alias: t, types: f.targetTypes };
  const inner = nested(f.filter, target, b);
  const where = [
    ...subjectTypeSql(target, [inner], b), `${t}.deleted = 0`, inner.sql,
    ...entryTypeSql(x, subject, b), `${x}.param = ${b.bind(f.param)}`,
  ];
  const from = `resources ${t} CROSS JOIN idx_reference ${x} ON ${x}.target_id = ${t}.id AND ${x}.target_type = ${t}.type`;
  return { sql: `${subject.alias}.rid IN (SELECT ${x}.rid FROM ${from} WHERE ${where.join(' AND ')})`, drives: 'rid' };
}

/** Subjects that a current `type` resource matching the inner filter refers to through its `param`. */
export function hasSql(f: HasFilter, subject: Subject, b: SqlBuilder, nested: NestedFilter): FilterSql {
  if (b.commonHas.has(f)) return hasExistsSql(f, subject, b, nested);
  const h = b.alias('h');
  const x = b.alias('x');
  const t = b.alias('t');
  const source: Subject = { alias: h, types: [f.type] };
  const inner = nested(f.filter, source, b);
  // When the inner filter is one index scan, its rids are current sources already: no need to read them.
  const where = inner.rids ? [] : [...subjectTypeSql(source, [inner], b), `${h}.deleted = 0`, inner.sql];
  where.push(`${x}.param = ${b.bind(f.param)}`);
  if (subject.types.length > 0) where.push(`${x}.target_type IN (${b.list(subject.types)})`);
  const from = [
    inner.rids ? `(${inner.rids}) ${h}` : `resources ${h}`,
    `CROSS JOIN idx_reference ${x} ON ${x}.rid = ${h}.rid`,
    `CROSS JOIN resources ${t} ON ${t}.type = ${x}.target_type AND ${t}.id = ${x}.target_id`,
  ].join(' ');
  return { sql: `${subject.alias}.rid IN (SELECT ${t}.rid FROM ${from} WHERE ${where.join(' AND ')})`, drives: 'rid' };
}

/**
 * The same `_has` for an inner filter that matches many sources (a common code): listing every referenced subject
 * first would follow all of them before a page of 20 is taken. Instead each candidate subject, in page order, is
 * tested for a reference from the sources, whose rids are listed once (SQLite keeps the list as a temporary index);
 * with many sources the first candidates mostly match and the page stops early.
 */
function hasExistsSql(f: HasFilter, subject: Subject, b: SqlBuilder, nested: NestedFilter): FilterSql {
  const h = b.alias('h');
  const x = b.alias('x');
  const source: Subject = { alias: h, types: [f.type] };
  const inner = nested(f.filter, source, b);
  const sources = inner.rids ?? `SELECT ${h}.rid FROM resources ${h} WHERE ${[...subjectTypeSql(source, [inner], b), `${h}.deleted = 0`, inner.sql].join(' AND ')}`;
  const s = subject.alias;
  const where = [
    `${x}.target_id = ${s}.id`, `${x}.target_type = ${s}.type`, `${x}.type = ${b.bind(f.type)}`, `${x}.param = ${b.bind(f.param)}`,
    `${x}.rid IN (${sources})`,
  ];
  return { sql: `EXISTS (SELECT 1 FROM idx_reference ${x} WHERE ${where.join(' AND ')})`, drives: 'none' };
}
