import type { StoredVersion } from '../types';
import { storedVersion } from '../stored-version';

/** A version row as the adapter's queries return it (resources joined with versions). */
export interface VersionRow {
  rid: number;
  type: string;
  id: string;
  version: number;
  last_updated: string;
  deleted: number;
  json: string | null;
  /** Present in history queries: the store-wide commit order. */
  seq?: number;
}

/** A version row as the port's StoredVersion (resource parsed on demand: src/store/stored-version.ts). */
export function toVersion(row: VersionRow): StoredVersion {
  return storedVersion({ type: row.type, id: row.id, versionId: String(row.version), lastUpdated: row.last_updated, deleted: row.deleted === 1 }, row.json);
}
