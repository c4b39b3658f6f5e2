import { randomUUID } from 'node:crypto';
import { BSON, type Collection } from 'mongodb';
import type { CommitWrites, ResourceWrite } from './commit-writes';
import { sendWrites, type WriteCollections } from './commit-send';
import type { JournalDoc, JournalEntry, JournalHeader, JournalWrite, ResourceDoc } from './documents';

export interface JournalCollections extends WriteCollections {
  journal: Collection<JournalDoc>;
}

/** Writes up to this size ride in the commit's header (one insert); larger ones get a document each. */
const MAX_INLINE_BYTES = 8 * 1024 * 1024;

/**
 * Atomic commits on a deployment without multi-document transactions (a standalone mongod, FerretDB).
 *
 * Before a commit's first write, its header and the prior state of every resource it writes go to `journal`; the
 * writes carry the commit's id (`txn`); deleting the header is the commit point. If a write fails, the commit is
 * rolled back from its journal before the error is reported, so success is never reported for a partly applied
 * commit. A header left by a crash, or by a rollback that could not reach the server, is rolled back by `recover()`,
 * which the store runs at start and before the next commit. Readers can see a commit's writes while it is being
 * applied (there is no isolation without transactions); docs/store-mongo.md says what that means.
 *
 * Correct only while commits to the database run one at a time from one process: MongoStore queues its commits,
 * and a standalone deployment must be served by a single server process.
 */
export class Journal {
  constructor(private readonly c: JournalCollections) {}

  /**
   * Applies a commit's writes or none of them. `number` gives the documents their counter values; it runs while the
   * header is written, as neither needs the other.
   */
  async apply(writes: CommitWrites, lastUpdated: string, number: () => Promise<void>): Promise<void> {
    if (writes.versions.length === 0) return;
    const txn = randomUUID();
    const journaled = writes.resources.map(journalWrite);
    const inline = BSON.calculateObjectSize({ writes: journaled }) <= MAX_INLINE_BYTES;
    const header = this.c.journal.insertOne({ _id: txn, kind: 'commit', startedAt: new Date(), ...(inline ? { writes: journaled } : {}) });
    const numbered = number();
    await Promise.allSettled([header, numbered]);
    await header;
    try {
      await numbered;
      if (!inline) await this.c.journal.insertMany(journaled.map((w, n) => ({ _id: `${txn}/${n}`, kind: 'write', txn, ...w })), { ordered: false });
      await sendWrites(this.c, writes, lastUpdated, { txn });
    } catch (err) {
      await this.rollback(txn);
      throw err;
    }
    await this.c.journal.deleteOne({ _id: txn });
    // Entries without a header are inert; recover() removes any this leaves behind.
    if (!inline) await this.c.journal.deleteMany({ txn }).catch(() => undefined);
  }

  /** Rolls back every commit whose header is still there; returns how many. */
  async recover(): Promise<number> {
    const headers = await this.c.journal.find({ kind: 'commit' }, { projection: { _id: 1 } }).toArray();
    for (const h of headers) await this.rollback(h._id);
    await this.c.journal.deleteMany({ kind: 'write' });
    return headers.length;
  }

  /** Undoes what commit `txn` wrote, touching only documents that still carry its id; idempotent. */
  private async rollback(txn: string): Promise<void> {
    const header = (await this.c.journal.findOne({ _id: txn })) as JournalHeader | null;
    const found = header?.writes ?? ((await this.c.journal.find({ kind: 'write', txn }).toArray()) as JournalEntry[]);
    for (const entry of found) {
      await this.c.versions.deleteMany({ _id: { $in: entry.versions }, txn });
      await this.restoreResource(entry.resource, entry.before, txn);
      if (entry.replaced) await this.c.versions.updateOne({ _id: entry.replaced }, { $unset: { until: '' } });
    }
    await this.c.journal.deleteMany({ txn });
    await this.c.journal.deleteOne({ _id: txn });
  }

  private async restoreResource(key: string, before: ResourceDoc | null, txn: string): Promise<void> {
    if (before === null) await this.c.resources.deleteOne({ _id: key, txn });
    else await this.c.resources.replaceOne({ _id: key, txn }, before);
  }
}

function journalWrite(w: ResourceWrite): JournalWrite {
  return { resource: w.key, before: w.before, versions: w.versions.map((v) => v._id), replaced: w.replaced };
}
