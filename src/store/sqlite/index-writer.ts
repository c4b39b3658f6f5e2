import type Database from 'better-sqlite3';
import type { EntryBase, IndexEntries } from '../../search/index-model';
import type { DateStats } from './date-stats';
import { INDEX_TABLE_NAMES } from './schema';

/**
 * Writes a resource's search entries (src/search/index-model.ts) into the idx_* tables, one row per entry, with
 * statements prepared once. The caller runs it inside the transaction that writes the version, so a search never
 * sees a version with another version's entries.
 */

/**
 * Answered from columns of `resources`, so their entries are not stored: writing them would cost two more rows and
 * index inserts per version for nothing.
 */
const COLUMN_PARAMS: ReadonlySet<string> = new Set(['_id', '_lastUpdated']);

type Statement = Database.Statement;

export class IndexWriter {
  private readonly deletes: Statement[];
  private readonly insert: Record<keyof IndexEntries, Statement>;

  /** `dateStats`: told of every resource's date entries, so date range bounds stay true (date-stats.ts). */
  constructor(db: Database.Database, private readonly dateStats?: DateStats) {
    this.deletes = INDEX_TABLE_NAMES.map((table) => db.prepare(`DELETE FROM ${table} WHERE rid = ?`));
    this.insert = prepareInserts(db);
  }

  /**
   * Replaces the entries of `rid` (a resource of `type`) with `entries`; undefined for a delete. `fresh`: the rid
   * was just created and has no entries yet, which saves a delete per table on every create.
   */
  replace(rid: number, type: string, entries: IndexEntries | undefined, fresh: boolean): void {
    if (!fresh) for (const statement of this.deletes) statement.run(rid);
    if (!entries) return;
    this.add(rid, type, entries);
    this.dateStats?.observe(type, entries.dates);
  }

  /** One row per entry; arguments are passed one by one, so no array is built and spread per row. */
  private add(rid: number, type: string, e: IndexEntries): void {
    const ins = this.insert;
    let n = 0;
    for (const s of e.strings) {
      if (stored(s)) ins.strings.run(rid, n++, type, s.param, s.component ?? null, s.tuple ?? null, s.value, s.exact);
    }
    for (const t of e.tokens) {
      if (!stored(t)) continue;
      ins.tokens.run(rid, n++, type, t.param, t.component ?? null, t.tuple ?? null, t.system, t.code, t.text ?? null, t.typeSystem ?? null, t.typeCode ?? null);
    }
    for (const d of e.dates) {
      if (stored(d)) ins.dates.run(rid, n++, type, d.param, d.component ?? null, d.tuple ?? null, d.low, d.high);
    }
    for (const x of e.numbers) {
      if (stored(x)) ins.numbers.run(rid, n++, type, x.param, x.component ?? null, x.tuple ?? null, x.value, x.low, x.high);
    }
    for (const q of e.quantities) {
      if (!stored(q)) continue;
      ins.quantities.run(rid, n++, type, q.param, q.component ?? null, q.tuple ?? null, q.value, q.low, q.high, q.system, q.code, q.unit);
    }
    for (const u of e.uris) {
      if (stored(u)) ins.uris.run(rid, n++, type, u.param, u.component ?? null, u.tuple ?? null, u.uri);
    }
    for (const r of e.references) {
      if (!stored(r)) continue;
      ins.references.run(
        rid, n++, type, r.param, r.component ?? null, r.tuple ?? null, r.targetType ?? null, r.targetId ?? null, r.version ?? null,
        r.url ?? null, r.identifierSystem ?? null, r.identifierValue ?? null,
      );
    }
  }
}

function stored(entry: EntryBase): boolean {
  return !COLUMN_PARAMS.has(entry.param);
}

/** `n` numbers a resource's rows; one counter over all tables keeps it unique within each. */
const COMMON = 'rid, n, type, param, component, tuple';

function prepareInserts(db: Database.Database): Record<keyof IndexEntries, Statement> {
  const insert = (table: string, columns: string[]) => {
    const placeholders = new Array(6 + columns.length).fill('?').join(', ');
    return db.prepare(`INSERT INTO ${table} (${COMMON}, ${columns.join(', ')}) VALUES (${placeholders})`);
  };
  return {
    strings: insert('idx_string', ['value', 'exact']),
    tokens: insert('idx_token', ['system', 'code', 'text', 'type_system', 'type_code']),
    dates: insert('idx_date', ['low', 'high']),
    numbers: insert('idx_number', ['value', 'low', 'high']),
    quantities: insert('idx_quantity', ['value', 'low', 'high', 'system', 'code', 'unit']),
    uris: insert('idx_uri', ['uri']),
    references: insert('idx_reference', ['target_type', 'target_id', 'version', 'url', 'identifier_system', 'identifier_value']),
  };
}

/**
 * Re-extracts every current resource into freshly created index tables (after a schema change, see openSchema),
 * in pages by rid so that no statement is left open while rows are written.
 */
export function reindexAll(
  db: Database.Database, writer: IndexWriter, extract: (json: string) => IndexEntries,
): number {
  const page = db.prepare(
    'SELECT r.rid, r.type, v.json FROM resources r JOIN versions v ON v.seq = r.seq WHERE r.rid > ? AND r.deleted = 0 ORDER BY r.rid LIMIT 500',
  );
  let after = 0;
  let count = 0;
  db.transaction(() => {
    for (;;) {
      const rows = page.all(after) as Array<{ rid: number; type: string; json: string }>;
      if (rows.length === 0) break;
      for (const row of rows) writer.replace(row.rid, row.type, extract(row.json), true);
      after = rows[rows.length - 1].rid;
      count += rows.length;
    }
  })();
  return count;
}
