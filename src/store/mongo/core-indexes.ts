import type { Collection } from 'mongodb';
import type { JournalDoc, ResourceDoc, VersionDoc } from './documents';
import { ensureIndexes } from './ensure-indexes';

/** The indexes reads, history and commits need (search adds its own); creates the missing ones at every start. */
export async function ensureCoreIndexes(c: {
  resources: Collection<ResourceDoc>;
  versions: Collection<VersionDoc>;
  journal: Collection<JournalDoc>;
}): Promise<void> {
  await ensureIndexes(c.resources, [
    // A rid is a resource's permanent key in keysets and search indexes: never two resources with one.
    { key: { rid: 1 }, name: 'rid', unique: true },
  ]);
  await ensureIndexes(c.versions, [
    { key: { seq: -1 }, name: 'history_system' },
    { key: { type: 1, seq: -1 }, name: 'history_type' },
    { key: { type: 1, id: 1, seq: -1 }, name: 'history_instance' },
  ]);
  await ensureIndexes(c.journal, [{ key: { txn: 1 }, name: 'journal_txn' }]);
}
