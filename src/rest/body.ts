import { FhirError } from '../fhir/errors';
import type { FhirRequest } from '../core/types';
import { parseFhirJson } from '../fhir/json';

/**
 * Request bodies: JSON resources, JSON Patch documents and form-encoded search parameters. XML is not served yet
 * (the CapabilityStatement says so), so an XML body is a 415.
 */
export function parseBody(raw: Buffer | undefined, contentType: string | undefined): Pick<FhirRequest, 'body' | 'bodyKind'> {
  if (!raw || raw.length === 0) return {};
  const mime = (contentType ?? '').split(';')[0].trim().toLowerCase();
  if (mime === 'application/x-www-form-urlencoded') {
    return { body: [...new URLSearchParams(raw.toString('utf8')).entries()], bodyKind: 'form' };
  }
  if (mime === 'application/json-patch+json') return { body: parseJson(raw), bodyKind: 'json-patch' };
  if (mime === 'application/fhir+json' || mime === 'application/json' || mime === '') {
    return { body: parseJson(raw), bodyKind: 'resource' };
  }
  throw new FhirError('unsupported-media', `Content-Type '${mime}' is not supported; send application/fhir+json`);
}

function parseJson(raw: Buffer): unknown {
  return parseFhirJson(raw.toString('utf8'));
}
