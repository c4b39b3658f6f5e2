import { MongoServerError, type AnyBulkWriteOperation, type ClientSession, type Collection } from 'mongodb';
import { FhirError } from '../../fhir/errors';
import type { CommitWrites } from './commit-writes';
import type { ResourceDoc, VersionDoc } from './documents';

export interface WriteCollections {
  resources: Collection<ResourceDoc>;
  versions: Collection<VersionDoc>;
}

export interface SendOptions {
  session?: ClientSession;
  /** The journaled commit these writes belong to (deployments without transactions). */
  txn?: string;
}

/**
 * Sends a commit's documents: the new versions, the current versions, and the `until` of the versions they replace
 * (in that order inside a transaction; together when journaled). Each resource document is replaced only if it is still
 * the version the commit planned against, and created only if it still does not exist, so a concurrent writer in
 * another process makes this commit fail instead of being overwritten.
 */
export async function sendWrites(c: WriteCollections, writes: CommitWrites, lastUpdated: string, options: SendOptions): Promise<void> {
  const { session, txn } = options;
  if (writes.versions.length === 0) return;
  const sends = [
    () => guard(() => c.versions.insertMany(writes.versions.map((v) => (txn ? { ...v, txn } : v)), { session, ordered: true })),
    () => sendResources(c, writes, txn, session),
    () => markReplaced(c, writes, lastUpdated, session),
  ];
  if (session) {
    // Operations of one transaction must not run concurrently on its session.
    for (const send of sends) await send();
    return;
  }
  // Journaled: the journal can undo any subset of these, so they go out together (one round trip, not three).
  const settled = await Promise.allSettled(sends.map((send) => send()));
  const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
}

async function sendResources(c: WriteCollections, writes: CommitWrites, txn: string | undefined, session: ClientSession | undefined): Promise<void> {
  const ops = resourceOps(writes, txn);
  const expected = ops.filter((op) => 'replaceOne' in op).length;
  const result = await guard(() => c.resources.bulkWrite(ops, { session, ordered: true }));
  if (result.matchedCount !== expected) throw concurrentWrite();
}

async function markReplaced(c: WriteCollections, writes: CommitWrites, lastUpdated: string, session: ClientSession | undefined): Promise<void> {
  // One update per _id rather than `_id: {$in}`: FerretDB only uses its _id index for an equality.
  const ops = writes.resources.flatMap((w): AnyBulkWriteOperation<VersionDoc>[] =>
    (w.replaced ? [{ updateOne: { filter: { _id: w.replaced }, update: { $set: { until: lastUpdated } } } }] : []));
  if (ops.length) await c.versions.bulkWrite(ops, { session, ordered: false });
}

function resourceOps(writes: CommitWrites, txn: string | undefined): AnyBulkWriteOperation<ResourceDoc>[] {
  return writes.resources.map((w) => {
    const document = txn ? { ...w.after, txn } : w.after;
    if (w.before === null) return { insertOne: { document } };
    return { replaceOne: { filter: { _id: w.key, versionId: w.before.versionId }, replacement: document } };
  });
}

/** A duplicate key means another writer took the same version or id first. */
async function guard<T>(send: () => Promise<T>): Promise<T> {
  try {
    return await send();
  } catch (err) {
    if (isDuplicateKey(err)) throw concurrentWrite();
    throw err;
  }
}

export function isDuplicateKey(err: unknown): boolean {
  return err instanceof MongoServerError && (err.code === 11000 || (err as { writeErrors?: Array<{ code?: number }> }).writeErrors?.some((e) => e.code === 11000) === true);
}

function concurrentWrite(): FhirError {
  return new FhirError('conflict', 'Another commit changed a resource this commit writes; nothing was written, retry');
}
