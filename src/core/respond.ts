import { operationOutcome } from '../fhir/errors';
import type { StoredVersion } from '../store/types';
import type { Preferences } from './prefer';
import type { FhirResponse } from './types';

/** Headers that describe one stored version: https://hl7.org/fhir/R4/http.html#versioning */
export function versionHeaders(v: StoredVersion): Record<string, string> {
  return { ETag: `W/"${v.versionId}"`, 'Last-Modified': new Date(v.lastUpdated).toUTCString() };
}

export function locationOf(baseUrl: string, v: StoredVersion): string {
  return `${baseUrl}/${v.type}/${v.id}/_history/${v.versionId}`;
}

/** The response to a successful write, shaped by `Prefer: return=`. */
export function writeResponse(
  status: number,
  v: StoredVersion,
  baseUrl: string,
  prefer: Preferences,
  message: string,
): FhirResponse {
  const headers = versionHeaders(v);
  if (status === 201) headers.Location = locationOf(baseUrl, v);
  if (prefer.return === 'minimal') return { status, headers };
  if (prefer.return === 'OperationOutcome') {
    return { status, headers, body: operationOutcome('information', 'informational', message) };
  }
  return { status, headers, ...storedBody(v) };
}

/**
 * A stored version as a response body: its stored JSON is sent as is (no second serialization), and the object is
 * parsed only if a caller, such as a batch entry, asks for `body`.
 */
export function storedBody(v: StoredVersion): Pick<FhirResponse, 'body' | 'bodyJson'> {
  if (v.json === undefined) return { body: v.resource };
  return Object.defineProperty({ bodyJson: v.json }, 'body', { enumerable: true, get: () => v.resource });
}
