import type { Collection, IndexDescription } from 'mongodb';
import type { ResourceDoc } from './documents';
import { ensureIndexes } from './ensure-indexes';

/**
 * The indexes searches need on `resources` (the fields are described in search-fields.ts). A search key starts
 * with its parameter, so one multikey index per key array serves every parameter of its kind: equality and `$in`
 * are point lookups, prefixes (anchored regular expressions) and ranges are one bounded scan. `type` follows the
 * key, which narrows a parameter code that several types share (`code`, `date`, `patient`) without keeping a
 * system search (no `_type`) from using the index.
 *
 * Kept few on purpose: every index is one more b-tree insert per key on every write. Not indexed: `:text` keys
 * (x), Identifier `:of-type` keys (i), `ix.p` (`:missing`) and the composite tuples
 * (c), which are read only to verify; these and `:contains` scan or filter. Sorting by a parameter sorts the
 * matches (docs/search-mongo.md).
 *
 * createIndexes with the same name and keys is a no-op, so this runs at every start.
 */
export const SEARCH_INDEXES: readonly IndexDescription[] = Object.freeze<IndexDescription[]>([
  { name: 'search_type_rid', key: { type: 1, rid: 1 } },
  { name: 'search_type_lastUpdated', key: { type: 1, lastUpdated: 1 } },
  { name: 'search_token', key: { 'ix.t': 1, type: 1 } },
  { name: 'search_string', key: { 'ix.s': 1, type: 1 } },
  { name: 'search_string_exact', key: { 'ix.e': 1, type: 1 } },
  { name: 'search_date_low', key: { 'ix.dl': 1, type: 1 } },
  { name: 'search_date_high', key: { 'ix.dh': 1, type: 1 } },
  { name: 'search_number', key: { 'ix.n': 1, type: 1 } },
  { name: 'search_quantity', key: { 'ix.q': 1, type: 1 } },
  { name: 'search_quantity_system', key: { 'ix.qs': 1, type: 1 } },
  { name: 'search_quantity_code', key: { 'ix.qc': 1, type: 1 } },
  { name: 'search_uri', key: { 'ix.u': 1, type: 1 } },
  { name: 'search_reference', key: { 'ix.r': 1, type: 1 } },
  { name: 'search_reference_url', key: { 'ix.ru': 1, type: 1 } },
  { name: 'search_reference_identifier', key: { 'ix.ri': 1, type: 1 } },
  { name: 'search_composite', key: { 'ix.c0.t': 1, type: 1 } },
]);

export async function ensureSearchIndexes(resources: Collection<ResourceDoc>): Promise<void> {
  // One at a time and only the missing ones: FerretDB 1.x drops the connection on a createIndexes of several that exist.
  await ensureIndexes(resources, SEARCH_INDEXES);
}
