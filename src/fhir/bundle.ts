import type { Bundle, BundleEntry, BundleLink } from 'fhir/r4';
import type { StoredVersion } from '../store/types';

/** Bundle shapes the server returns: https://hl7.org/fhir/R4/bundle.html */

export function fullUrlOf(baseUrl: string, v: { type: string; id: string }): string {
  return `${baseUrl}/${v.type}/${v.id}`;
}

export function bundleOf(type: Bundle['type'], entry: BundleEntry[], extra: Partial<Bundle> = {}): Bundle {
  const bundle: Bundle = { resourceType: 'Bundle', type, ...extra };
  if (entry.length > 0) bundle.entry = entry;
  return bundle;
}

/** A history entry: the version, and the request and response that would have produced it. */
export function historyEntry(baseUrl: string, v: StoredVersion): BundleEntry {
  const method = v.deleted ? 'DELETE' : v.versionId === '1' ? 'POST' : 'PUT';
  const entry: BundleEntry = { fullUrl: fullUrlOf(baseUrl, v) };
  if (v.resource) entry.resource = v.resource;
  entry.request = { method, url: method === 'POST' ? v.type : `${v.type}/${v.id}` };
  entry.response = {
    status: v.deleted ? '204 No Content' : method === 'POST' ? '201 Created' : '200 OK',
    etag: `W/"${v.versionId}"`,
    lastModified: v.lastUpdated,
  };
  return entry;
}

export function link(relation: string, url: string): BundleLink {
  return { relation, url };
}

