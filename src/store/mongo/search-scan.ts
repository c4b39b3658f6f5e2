import type { ClientSession, Collection, Document, Sort } from 'mongodb';
import type { ResourceDoc } from './documents';
import type { Compiled } from './search-filters';

/**
 * The documents a compiled query matches, read with a cursor: what the server returns, less those that `verify`
 * rejects (search-filters.ts). Consumers stop reading when they have enough; nothing is ever cut short silently.
 */
export interface ScanOptions {
  projection: Document;
  sort?: Sort;
  /** The server may stop after this many; only when nothing needs verifying, where it is exact. */
  limit?: number;
  session?: ClientSession;
}

export async function* scan(resources: Collection<ResourceDoc>, compiled: Compiled, options: ScanOptions): AsyncGenerator<Document> {
  const verify = compiled.verify;
  const projection = verify ? { ...options.projection, ...Object.fromEntries(compiled.fields.map((f) => [`ix.${f}`, 1])) } : options.projection;
  const cursor = resources.find(compiled.condition, {
    projection, sort: options.sort, session: options.session, ...(verify || options.limit === undefined ? {} : { limit: options.limit }),
  });
  try {
    for await (const doc of cursor) {
      if (!verify || verify((doc.ix as Document | undefined) ?? {})) yield doc;
    }
  } finally {
    await cursor.close();
  }
}

/** How many documents match: a count on the server, or a scan when matches need verifying. */
export async function countMatches(resources: Collection<ResourceDoc>, compiled: Compiled, session?: ClientSession): Promise<number> {
  if (!compiled.verify) return resources.countDocuments(compiled.condition, { session });
  let n = 0;
  for await (const _ of scan(resources, compiled, { projection: { _id: 1 }, session })) n++;
  return n;
}
