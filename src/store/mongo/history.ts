import type { Collection, Filter } from 'mongodb';
import { invalid } from '../../fhir/errors';
import type { HistoryOptions, Page, StoredVersion } from '../types';
import { toStoredVersion, VERSION_PROJECTION, type VersionDoc } from './documents';

/**
 * History (https://hl7.org/fhir/R4/http.html#history): versions newest first by `seq`, the store-wide write order,
 * paged by the last `seq` seen, so a next link stays valid while new versions arrive.
 */
export async function historyPage(
  versions: Collection<VersionDoc>,
  scope: { type?: string; id?: string },
  options: HistoryOptions,
): Promise<Page<StoredVersion>> {
  const filter = historyFilter(scope, options);
  const paged: Filter<VersionDoc> = options.cursor ? { ...filter, seq: { $lt: decodeSeq(options.cursor) } } : filter;
  const docs = await versions
    .find(paged, { projection: { ...VERSION_PROJECTION, seq: 1 } })
    .sort({ seq: -1 })
    .limit(options.count + 1)
    .toArray();
  const page: Page<StoredVersion> = { entries: docs.slice(0, options.count).map(toStoredVersion) };
  if (docs.length > options.count && options.count > 0) page.next = String(docs[options.count - 1].seq);
  if (scope.id !== undefined) page.total = await versions.countDocuments(filter);
  return page;
}

function historyFilter(scope: { type?: string; id?: string }, options: HistoryOptions): Filter<VersionDoc> {
  const filter: Filter<VersionDoc> = {};
  if (scope.type) filter.type = scope.type;
  if (scope.id !== undefined) filter.id = scope.id;
  const lastUpdated: Record<string, string> = {};
  if (options.since) lastUpdated.$gte = options.since;
  if (options.at) {
    // Current at `at`: written by then and not yet replaced by then.
    lastUpdated.$lte = options.at;
    filter.$or = [{ until: { $exists: false } }, { until: { $gt: options.at } }];
  }
  if (Object.keys(lastUpdated).length) filter.lastUpdated = lastUpdated;
  return filter;
}

function decodeSeq(cursor: string): number {
  if (!/^\d{1,15}$/.test(cursor)) throw invalid('The history paging cursor is not valid', ['_cursor']);
  return Number(cursor);
}
