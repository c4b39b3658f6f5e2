import type { ClientSession, Collection, Document } from 'mongodb';
import type { SearchQuery } from '../../search/model';
import type { Page, StoredVersion } from '../types';
import {
  toStoredVersion, VERSION_PROJECTION, type MongoSearch, type MongoSearchOptions, type ResourceDoc,
} from './documents';
import { every } from './search-conditions';
import { indexFields } from './search-fields';
import { compileQuery, type Compiled } from './search-filters';
import { ensureSearchIndexes } from './search-indexes';
import {
  cursorAfter, decodeCursor, keysetCondition, orderKeys, orderProjection, sortSpec, type CursorValue, type OrderKey,
} from './search-order';
import { countMatches, scan } from './search-scan';

/**
 * SearchQuery → one page of resources documents. The parts: search-fields.ts (what is stored), search-keys.ts
 * (search keys and their tests), search-filters.ts (one condition per filter), search-values.ts and
 * search-ranges.ts (value tests), search-stages.ts (chains, `_has`, compartments), search-order.ts (`_sort`,
 * keyset paging), search-scan.ts (reading and verifying matches), search-indexes.ts (the indexes).
 * docs/search-mongo.md shows the search fields and example queries.
 */

/**
 * One page (one document more than asked, to know whether there is a next page), and the total when asked for.
 * A first page with room to spare is its own total: no count. `estimate` is the server's count of the
 * condition, which can exceed the matches when some need verifying; `accurate` then counts verified matches.
 */
export async function search(resources: Collection<ResourceDoc>, query: SearchQuery, options: MongoSearchOptions): Promise<Page<StoredVersion>> {
  const { session, now, parameters } = options;
  const keys = orderKeys(query.sort, query.types, parameters);
  const last = query.cursor ? decodeCursor(query.cursor, keys.length) : undefined;
  const compiled = await compileQuery(query.types, query.filters, { resources, session, now, parameters });
  const docs = query.count > 0 ? await page(resources, compiled, keys, last, query.count + 1, session) : [];
  const result: Page<StoredVersion> = { entries: docs.slice(0, query.count).map((d) => toStoredVersion(d as ResourceDoc)) };
  if (docs.length > query.count && query.count > 0) result.next = cursorAfter(keys, docs[query.count - 1]);
  if (query.total !== 'none' || query.count === 0) {
    const complete = !last && query.count > 0 && docs.length <= query.count;
    if (complete) result.total = docs.length;
    else if (query.total === 'estimate') result.total = await resources.countDocuments(compiled.condition, { session });
    else result.total = await countMatches(resources, compiled, session);
  }
  return result;
}

/** The first `limit` matches after `last` in the order of `keys`. */
async function page(
  resources: Collection<ResourceDoc>, compiled: Compiled, keys: OrderKey[], last: CursorValue[] | undefined, limit: number,
  session: ClientSession | undefined,
): Promise<Document[]> {
  const paged = last ? { ...compiled, condition: every([compiled.condition, keysetCondition(keys, last)]) } : compiled;
  const projection = { ...VERSION_PROJECTION, ...orderProjection(keys) };
  const out: Document[] = [];
  for await (const doc of scan(resources, paged, { projection, sort: sortSpec(keys), limit, session })) {
    out.push(doc);
    if (out.length >= limit) break;
  }
  return out;
}

/** The search half of the MongoDB store, as the core (mongo-store.ts, commit.ts) uses it. */
export const mongoSearch: MongoSearch = { indexFields, ensureSearchIndexes, search };
