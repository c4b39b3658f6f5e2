import type Database from 'better-sqlite3';
import { invalid } from '../../fhir/errors';
import type { HistoryOptions, Page, StoredVersion } from '../types';
import { toVersion, type VersionRow } from './rows';

/**
 * History queries: newest first, paged by `seq` (the store-wide commit order), so a page link stays valid while
 * new versions arrive: https://hl7.org/fhir/R4/http.html#history
 */
export class SqliteHistory {
  constructor(private readonly db: Database.Database) {}

  page(
    scope: { type?: string; id?: string },
    options: HistoryOptions,
  ): Page<StoredVersion> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (scope.type) {
      where.push('v.type = ?');
      params.push(scope.type);
    }
    if (scope.id !== undefined) {
      where.push('r.id = ?');
      params.push(scope.id);
    }
    if (options.since) {
      where.push('v.last_updated >= ?');
      params.push(options.since);
    }
    if (options.at) {
      // The version current at `at`: written at or before it, with no later version also written by then.
      where.push('v.last_updated <= ? AND NOT EXISTS (SELECT 1 FROM versions w WHERE w.rid = v.rid AND w.version > v.version AND w.last_updated <= ?)');
      params.push(options.at, options.at);
    }
    const filterWhere = [...where];
    const filterParams = [...params];
    if (options.cursor) {
      where.push('v.seq < ?');
      params.push(decodeSeq(options.cursor));
    }
    const sql = `SELECT v.seq, v.rid, v.type, r.id, v.version, v.last_updated, v.deleted, v.json FROM versions v JOIN resources r ON r.rid = v.rid ${
      where.length ? `WHERE ${where.join(' AND ')}` : ''
    } ORDER BY v.seq DESC LIMIT ?`;
    const rows = this.db.prepare(sql).all(...params, options.count + 1) as VersionRow[];
    const page: Page<StoredVersion> = { entries: rows.slice(0, options.count).map(toVersion) };
    if (rows.length > options.count && options.count > 0) page.next = String(rows[options.count - 1].seq!);
    if (scope.id !== undefined) page.total = this.count(filterWhere, filterParams);
    return page;
  }

  private count(where: string[], params: unknown[]): number {
    const sql = `SELECT count(*) AS n FROM versions v JOIN resources r ON r.rid = v.rid WHERE ${where.join(' AND ')}`;
    return (this.db.prepare(sql).get(...params) as { n: number }).n;
  }
}

function decodeSeq(cursor: string): number {
  if (!/^\d{1,15}$/.test(cursor)) throw invalid('The history paging cursor is not valid', ['_cursor']);
  return Number(cursor);
}
