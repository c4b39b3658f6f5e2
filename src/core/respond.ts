import type { FhirResource } from 'fhir/r4';
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
  return { status, headers, body: v.resource as FhirResource };
}

export function ok(body: FhirResource, headers: Record<string, string> = {}): FhirResponse {
  return { status: 200, headers, body };
}
