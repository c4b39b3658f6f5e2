import type { DateValue, Filter, ParamFilter } from '../../search/model';
import { entryTypeSql, paramIs, type FilterSql, type SqlBuilder, type Subject } from './search-sql-builder';
import type { DateParamStats } from './date-stats';
import { mergedDateRange } from './search-sql-ranges';

/**
 * `date=ge2019-01&date=lt2019-02`: two filters on one date parameter, one bound below and one above. Apart, each is
 * a one-sided scan over most of the index (everything after X, everything before Y) and their intersection is built
 * from both. When every resource of the type holds at most one value of the parameter, "some value ≥ X and some
 * value < Y" is "one value in [X, Y)", and one bounded scan answers it (date-stats.ts, mergedDateRange). A parameter
 * with several values per resource keeps the two scans, so the answer is the spec's either way.
 */
export type DateStatsOf = (type: string, param: string) => DateParamStats;

export interface MergedRanges {
  /** The filters left to compile one by one. */
  rest: Filter[];
  merged: FilterSql[];
}

export function mergeDateRanges(filters: Filter[], subject: Subject, stats: DateStatsOf | undefined, b: SqlBuilder): MergedRanges {
  if (!stats || subject.types.length !== 1) return { rest: filters, merged: [] };
  const byParam = new Map<string, ParamFilter[]>();
  for (const f of filters) {
    if (!isOneDate(f)) continue;
    byParam.set(f.param, [...(byParam.get(f.param) ?? []), f]);
  }
  const used = new Set<Filter>();
  const merged: FilterSql[] = [];
  for (const [param, pair] of byParam) {
    if (pair.length !== 2) continue;
    const s = stats(subject.types[0], param);
    if (s.multiValued) continue;
    const x = b.alias('x');
    const range = mergedDateRange(x, dateOf(pair[0]), dateOf(pair[1]), s.maxSpanMs, b);
    if (!range) continue;
    const rids = `SELECT ${x}.rid FROM idx_date ${x} WHERE ${[...entryTypeSql(x, subject, b), paramIs(x, subject, param, b), range].join(' AND ')}`;
    merged.push({ sql: `${subject.alias}.rid IN (${rids})`, drives: 'rid', rids });
    pair.forEach((f) => used.add(f));
  }
  return { rest: filters.filter((f) => !used.has(f)), merged };
}

function isOneDate(f: Filter): f is ParamFilter {
  return f.kind === 'param' && f.type === 'date' && f.modifier === undefined && f.param !== '_lastUpdated'
    && f.values.length === 1 && f.values[0].kind === 'date';
}

function dateOf(f: ParamFilter): DateValue {
  return (f.values[0] as { kind: 'date'; value: DateValue }).value;
}
