import type { FhirResource } from 'fhir/r4';
import { parseFhirJson, withRawJson } from '../fhir/json';
import type { StoredVersion } from './types';

/**
 * A stored version as the port answers it, for every adapter: the resource is parsed from its stored JSON only when
 * someone asks for it (a plain read sends the JSON as it is), and then sent as stored (RAW_JSON).
 */
export function storedVersion(fields: Omit<StoredVersion, 'resource' | 'json'>, json: string | null | undefined): StoredVersion {
  const v: StoredVersion = { ...fields };
  if (json === null || json === undefined) return v;
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
