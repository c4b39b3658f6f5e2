import { FhirError } from '../../fhir/errors';
import { storedParams } from '../../search/aliases';

/**
 * The pieces every part of the SearchQuery → SQL compiler shares. Values only ever enter SQL as named parameters
 * (`@p1`, `@p2`, …) bound through `bind`; the SQL text is built from fixed table and column names and from aliases
 * this builder makes up, so no input ever becomes SQL text. Named rather than positional parameters let a fragment
 * be built in any order and a placeholder be used more than once (a sort expression appears in the select list,
 * the keyset condition and the ORDER BY).
 */

export type SqlValue = string | number | null;

/** One statement being compiled: its bound values and a counter for fresh aliases. */
export class SqlBuilder {
  readonly params: Record<string, SqlValue> = {};
  private values = 0;
  private aliases = 0;

  /**
   * `_has` filters whose sources are many (search-sql-chains.ts): tested per candidate instead of listed, so that a
   * page can stop early.
   */
  commonHas: ReadonlySet<unknown> = new Set();

  /** `nowMs`: the instant `ap` (approximately) date searches measure their tolerance from. */
  constructor(readonly nowMs: number) {}

  /** A placeholder bound to `value`. */
  bind(value: SqlValue): string {
    const name = `p${++this.values}`;
    this.params[name] = value;
    return `@${name}`;
  }

  /** Placeholders for a list, for `IN (…)`. */
  list(values: readonly SqlValue[]): string {
    return values.map((v) => this.bind(v)).join(', ');
  }

  /** A table alias not used anywhere else in the statement: `t3`, `x4`. */
  alias(prefix: string): string {
    return `${prefix}${++this.aliases}`;
  }
}

/**
 * A resource row that filters apply to: the searched resources (`r`), a chain's targets or a `_has` source.
 * `types` empty means any type.
 */
export interface Subject {
  alias: string;
  types: string[];
}

/**
 * A compiled filter: a condition on its subject, and what can find the subject's rows fastest.
 * - 'rid': the condition is `subject.rid IN (a subquery that does not depend on the subject)`, which SQLite can
 *   evaluate once and then look the rows up by primary key;
 * - 'id': `subject.id IN (…)`, looked up through UNIQUE (type, id);
 * - 'none': a check on each candidate row (negations, `:missing`, `_lastUpdated`).
 */
export interface FilterSql {
  sql: string;
  drives: 'rid' | 'id' | 'none';
  /**
   * When `sql` is `subject.rid IN (rids)` and `rids` is one scan of an index table, that SELECT (its column is
   * `rid`): the rids of current resources only, since a deleted or replaced version leaves no index rows.
   */
  rids?: string;
}

/**
 * The subject's type restriction. When a filter can supply the rows by rid, the type test is written `+alias.type`,
 * which keeps SQLite from preferring the (type, …) indexes: without statistics it takes `type = ?` for selective
 * and would otherwise walk every resource of the type, testing each against the filter's subquery.
 */
export function subjectTypeSql(subject: Subject, filters: FilterSql[], b: SqlBuilder): string[] {
  if (subject.types.length === 0) return [];
  const byRid = filters.some((f) => f.drives === 'rid') && !filters.some((f) => f.drives === 'id');
  return [`${byRid ? '+' : ''}${subject.alias}.type IN (${b.list(subject.types)})`];
}

/** The type restriction on an index table row of the subject's resources (`x.type IN (…)`), if any. */
export function entryTypeSql(entry: string, subject: Subject, b: SqlBuilder): string[] {
  return subject.types.length === 0 ? [] : [`${entry}.type IN (${b.list(subject.types)})`];
}

export function notSupported(diagnostics: string, param: string): FhirError {
  return new FhirError('not-supported', { diagnostics, expression: [param] });
}

export function invalidValue(param: string, what: string): FhirError {
  return new FhirError('invalid', { diagnostics: `'${param}' cannot be searched with ${what}`, expression: [param] });
}

/** `(a) OR (b)`, the one condition alone, or false for none. */
export function anyOf(conditions: string[]): string {
  if (conditions.length === 0) return '0';
  return conditions.length === 1 ? conditions[0] : conditions.map((c) => `(${c})`).join(' OR ');
}

/** `entry.param = ?`, or `IN (…)` for a union parameter searched through its stored parts (src/search/aliases.ts). */
export function paramIs(entry: string, subject: Subject, param: string, b: SqlBuilder): string {
  const stored = storedParams(subject.types, param);
  return stored.length === 1 ? `${entry}.param = ${b.bind(stored[0])}` : `${entry}.param IN (${b.list(stored)})`;
}
