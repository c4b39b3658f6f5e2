import type Database from 'better-sqlite3';
import type { DateEntry } from '../../search/index-model';

/**
 * What a date range search needs to know of one parameter of one type: whether a resource ever holds more than one
 * value for it, and the widest [low, high] of any value. With one value per resource, `date=geX&date=ltY` asks for a
 * single value in the range, which one scan of the low index can answer, bounded below by X less the widest span
 * (search-sql-ranges.ts, mergedDateRange). Computed from the index on first use, kept up to date by every write
 * after that; a delete never narrows them, which only makes a bound looser, never wrong.
 */
export interface DateParamStats {
  multiValued: boolean;
  /** The largest high − low of any value, in milliseconds. */
  maxSpanMs: number;
}

export class DateStats {
  private readonly known = new Map<string, DateParamStats>();
  private readonly compute: Database.Statement;

  constructor(db: Database.Database) {
    this.compute = db.prepare(
      `SELECT coalesce(max(n), 0) AS n, coalesce(max(span), 0) AS span FROM (
         SELECT count(*) AS n, max((julianday(high) - julianday(low)) * 86400000.0) AS span
         FROM idx_date WHERE type = ? AND param = ? AND component IS NULL GROUP BY rid)`,
    );
  }

  get(type: string, param: string): DateParamStats {
    const key = `${type}\u0000${param}`;
    let stats = this.known.get(key);
    if (!stats) {
      const row = this.compute.get(type, param) as { n: number; span: number };
      // julianday() keeps about a millisecond of precision over these spans: a second of margin covers it.
      stats = { multiValued: row.n > 1, maxSpanMs: Math.ceil(row.span) + 1000 };
      this.known.set(key, stats);
    }
    return stats;
  }

  /** A resource of `type` was indexed with these date entries. */
  observe(type: string, dates: readonly DateEntry[]): void {
    if (this.known.size === 0 || dates.length === 0) return;
    const seen = new Set<string>();
    for (const d of dates) {
      if (d.component !== undefined) continue;
      const stats = this.known.get(`${type}\u0000${d.param}`);
      if (!stats) continue;
      if (seen.has(d.param)) stats.multiValued = true;
      seen.add(d.param);
      const span = Date.parse(d.high) - Date.parse(d.low) + 1000;
      if (span > stats.maxSpanMs) stats.maxSpanMs = span;
    }
  }
}
