import type Database from 'better-sqlite3';
import type { IndexEntries } from '../../search/index-model';
import type { IndexWriter } from './index-writer';

/**
 * Online re-indexing: the entries of every current resource of some types are extracted again and replaced, a batch
 * per transaction, with the event loop free between batches so that requests go on. Each batch reads the resource
 * as it is when the batch runs, and every write since the caller switched the extractor already indexes with the
 * new parameters, so no resource is left with stale entries whatever is written meanwhile.
 */
export async function rebuildEntries(
  db: Database.Database,
  writer: IndexWriter,
  extract: (json: string) => IndexEntries,
  scope: { types?: readonly string[]; batchSize: number },
): Promise<number> {
  const typeFilter = scope.types ? `AND r.type IN (SELECT value FROM json_each(?))` : '';
  const page = db.prepare(
    `SELECT r.rid, r.type, v.json FROM resources r JOIN versions v ON v.seq = r.seq
     WHERE r.rid > ? AND r.deleted = 0 ${typeFilter} ORDER BY r.rid LIMIT ${Math.max(1, Math.floor(scope.batchSize))}`,
  );
  const types = scope.types ? JSON.stringify(scope.types) : undefined;
  const batch = db.transaction((after: number) => {
    const rows = (types ? page.all(after, types) : page.all(after)) as Array<{ rid: number; type: string; json: string }>;
    for (const row of rows) writer.replace(row.rid, row.type, extract(row.json), false);
    return rows;
  });
  let after = 0;
  let count = 0;
  for (;;) {
    const rows = batch(after);
    if (rows.length === 0) return count;
    after = rows[rows.length - 1].rid;
    count += rows.length;
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}
