import type { FhirResource } from 'fhir/r4';
import type { StoredVersion } from '../types';
import { parseFhirJson, withRawJson } from '../../fhir/json';

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

/** A version whose resource is parsed from its JSON only when someone asks for it (a plain read never does). */
export function toVersion(row: VersionRow): StoredVersion {
  const v: StoredVersion = {
    type: row.type, id: row.id, versionId: String(row.version), lastUpdated: row.last_updated, deleted: row.deleted === 1,
  };
  const json = row.json;
  if (json === null) return v;
  let parsed: FhirResource | undefined;
  return Object.defineProperties(v, {
    json: { value: json, enumerable: true },
    resource: {
      enumerable: true,
      get: () => (parsed ??= withRawJson(parseFhirJson(json) as FhirResource, json)),
      set: (value: FhirResource) => void (parsed = value),
    },
  });
}
