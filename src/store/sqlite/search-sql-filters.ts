import type { Filter, FilterValue, HasFilter, ParamFilter, ParamType } from '../../search/model';
import { INDEX_TABLE_NAMES } from './schema';
import {
  anyOf, entryTypeSql, invalidValue, notSupported, type FilterSql, type SqlBuilder, type Subject,
} from './search-sql-builder';
import { chainSql, hasSql } from './search-sql-chains';
import { paramIs } from './search-sql-builder';
import { compartmentSql } from './search-sql-compartment';
import { dateArms, dateValueArms, numberValueArms, quantityValueArms } from './search-sql-ranges';
import { ofTypeArm, referenceArms, stringArms, tokenArms, uriArms, type Arms } from './search-sql-values';

/**
 * One Filter of the search model as a condition on its subject (https://hl7.org/fhir/R4/search.html). A plain
 * parameter becomes `subject.rid IN (SELECT rid FROM idx_<type> … UNION ALL …)`, one branch per value (or per arm
 * of a value), so each branch is one range scan of the table's (type, param, value…) index and the list of rids is
 * built once, not once per candidate resource. `:not` and `:missing` test each candidate instead.
 */

interface EntryKind {
  table: string;
  arms: Arms;
}

const KINDS: Partial<Record<ParamType, EntryKind>> = {
  token: { table: 'idx_token', arms: tokenArms },
  string: { table: 'idx_string', arms: stringArms },
  date: { table: 'idx_date', arms: dateValueArms },
  number: { table: 'idx_number', arms: numberValueArms },
  quantity: { table: 'idx_quantity', arms: quantityValueArms },
  uri: { table: 'idx_uri', arms: uriArms },
  reference: { table: 'idx_reference', arms: referenceArms },
};

export function filterSql(f: Filter, subject: Subject, b: SqlBuilder): FilterSql {
  switch (f.kind) {
    case 'param':
      return paramSql(f, subject, b);
    case 'chain':
      return chainSql(f, subject, b, filterSql);
    case 'has':
      return hasSql(f, subject, b, filterSql);
    case 'compartment':
      return compartmentSql(f, subject, b);
    case 'all': {
      const parts = f.filters.map((inner) => filterSql(inner, subject, b));
      if (parts.length === 0) return { sql: '1', drives: 'none' };
      return { sql: parts.map((p) => `(${p.sql})`).join(' AND '), drives: parts[0].drives };
    }
  }
}

function paramSql(f: ParamFilter, subject: Subject, b: SqlBuilder): FilterSql {
  if (f.values.some((v) => v.kind === 'missing')) return missingSql(f, subject, b);
  if (f.param === '_id') return idSql(f, subject, b);
  if (f.param === '_lastUpdated') return lastUpdatedSql(f, subject, b);
  if (f.param === '_list') return hasSql(listFilter(f), subject, b, filterSql);
  if (f.modifier === 'of-type') return entrySql(f, subject, b, 'idx_token', (v, x) => [ofTypeArm(f.param, v, x, b)]);
  if (f.type === 'composite') return compositeSql(f, subject, b);
  const kind = KINDS[f.type];
  if (!kind) throw notSupported(`Parameters of type ${f.type} are not supported`, f.param);
  return entrySql(f, subject, b, kind.table, (v, x) => kind.arms(f.param, f.modifier, v, x, b));
}

/**
 * `subject.rid [NOT] IN (SELECT x.rid FROM table x WHERE x.type IN (…) AND x.param = ? AND (arm) UNION ALL …)`.
 * `:not` (tokens) keeps the resources with no matching entry, including those without the parameter at all:
 * https://hl7.org/fhir/R4/search.html#modifiers
 */
function entrySql(
  f: ParamFilter, subject: Subject, b: SqlBuilder, table: string, arms: (v: FilterValue, x: string) => string[],
): FilterSql {
  const x = b.alias('x');
  const head = [...entryTypeSql(x, subject, b), paramIs(x, subject, f.param, b)].join(' AND ');
  const branches = f.values.flatMap((v) => arms(v, x)).map((arm) => `SELECT ${x}.rid FROM ${table} ${x} WHERE ${head} AND (${arm})`);
  const rids = branches.join(' UNION ALL ');
  if (f.modifier === 'not') return { sql: `${subject.alias}.rid NOT IN (${rids})`, drives: 'none' };
  return { sql: `${subject.alias}.rid IN (${rids})`, drives: 'rid', ...(branches.length === 1 && { rids }) };
}

/** `_id`: the resources column, through UNIQUE (type, id). */
function idSql(f: ParamFilter, subject: Subject, b: SqlBuilder): FilterSql {
  const ids = f.values.map((v) => {
    if (v.kind === 'id' || v.kind === 'string') return v.value;
    if (v.kind === 'token' && v.value.code !== undefined) return v.value.code;
    throw invalidValue('_id', `a ${v.kind} value`);
  });
  const not = f.modifier === 'not';
  return { sql: `${subject.alias}.id ${not ? 'NOT IN' : 'IN'} (${b.list(ids)})`, drives: not ? 'none' : 'id' };
}

/**
 * `_list=id`: the resources a List's `item` parameter (List.entry.item) refers to, i.e.
 * `_has:List:item:_id=id` (https://hl7.org/fhir/R4/search.html#list). Functional lists are refused by the parser.
 */
function listFilter(f: ParamFilter): HasFilter {
  if (f.modifier !== undefined) throw notSupported(`Modifier ':${f.modifier}' is not supported on '_list'`, f.param);
  return { kind: 'has', type: 'List', param: 'item', filter: { kind: 'param', param: '_id', type: 'token', values: f.values } };
}

/** `_lastUpdated`: the resources column, an instant (a range whose ends are equal). */
function lastUpdatedSql(f: ParamFilter, subject: Subject, b: SqlBuilder): FilterSql {
  if (f.modifier !== undefined) throw notSupported(`Modifier ':${f.modifier}' is not supported on '_lastUpdated'`, f.param);
  const column = `${subject.alias}.last_updated`;
  const arms = f.values.flatMap((v) => {
    if (v.kind !== 'date') throw invalidValue('_lastUpdated', `a ${v.kind} value`);
    return dateArms(column, column, v.value, b);
  });
  return { sql: `(${anyOf(arms)})`, drives: 'none' };
}

/**
 * `:missing=true`: the resource has no entry for the parameter; `false`: it has one. Tested per candidate through
 * the (rid, param) index; a composite's entries may sit in any table, so every table is asked.
 */
function missingSql(f: ParamFilter, subject: Subject, b: SqlBuilder): FilterSql {
  const tests = f.values.map((v) => {
    if (v.kind !== 'missing') throw invalidValue(f.param, ':missing mixed with other values');
    if (f.param === '_id' || f.param === '_lastUpdated') return v.value ? '0' : '1';
    const present = anyOf(tablesOf(f).map((table) => existsSql(table, f.param, subject, b)));
    return v.value ? `NOT (${present})` : present;
  });
  return { sql: `(${anyOf(tests)})`, drives: 'none' };
}

function tablesOf(f: ParamFilter): readonly string[] {
  if (f.type === 'composite') return INDEX_TABLE_NAMES;
  const kind = KINDS[f.type];
  if (!kind) throw notSupported(`':missing' is not supported on '${f.param}'`, f.param);
  return [kind.table];
}

function existsSql(table: string, param: string, subject: Subject, b: SqlBuilder): string {
  const m = b.alias('m');
  return `EXISTS (SELECT 1 FROM ${table} ${m} WHERE ${m}.rid = ${subject.alias}.rid AND ${paramIs(m, subject, param, b)})`;
}

/**
 * composite `a$b`: every component matched by an entry of the same tuple (the same item of the composite's
 * expression, e.g. one Observation.component), https://hl7.org/fhir/R4/search.html#composite. The first component
 * is looked up by value; the others are joined to it through the (rid, param) index.
 */
function compositeSql(f: ParamFilter, subject: Subject, b: SqlBuilder): FilterSql {
  const branches = f.values.map((v) => compositeSelect(f.param, v, subject, b));
  return { sql: `${subject.alias}.rid IN (${branches.join(' UNION ALL ')})`, drives: 'rid' };
}

function compositeSelect(code: string, v: FilterValue, subject: Subject, b: SqlBuilder): string {
  if (v.kind !== 'composite' || v.value.length === 0) throw invalidValue(code, `a ${v.kind} value`);
  const parts = v.value.map((component) => ({ alias: b.alias('c'), component }));
  const [first, ...rest] = parts;
  const joins = rest.map(({ alias, component }, i) => {
    const link = `${alias}.rid = ${first.alias}.rid AND ${alias}.param = ${first.alias}.param AND ${alias}.tuple = ${first.alias}.tuple`;
    return `CROSS JOIN ${componentKind(code, component).table} ${alias} ON ${link} AND ${alias}.component = ${i + 1} AND (${componentSql(code, component, alias, b)})`;
  });
  const where = [
    ...entryTypeSql(first.alias, subject, b), paramIs(first.alias, subject, code, b), `${first.alias}.component = 0`,
    `(${componentSql(code, first.component, first.alias, b)})`,
  ];
  const from = [`${componentKind(code, first.component).table} ${first.alias}`, ...joins].join(' ');
  return `SELECT ${first.alias}.rid FROM ${from} WHERE ${where.join(' AND ')}`;
}

const COMPONENT_KINDS: Partial<Record<FilterValue['kind'], ParamType>> = {
  token: 'token', string: 'string', uri: 'uri', reference: 'reference', date: 'date', number: 'number', quantity: 'quantity',
};

function componentKind(code: string, v: FilterValue): EntryKind {
  const type = COMPONENT_KINDS[v.kind];
  const kind = type && KINDS[type];
  if (!kind) throw invalidValue(code, `a ${v.kind} component`);
  return kind;
}

function componentSql(code: string, v: FilterValue, alias: string, b: SqlBuilder): string {
  return anyOf(componentKind(code, v).arms(code, undefined, v, alias, b));
}
