import { FhirError } from '../fhir/errors';
import type { FhirRequest } from '../core/types';

/**
 * Request bodies: JSON resources, JSON Patch documents and form-encoded search parameters. XML is not served yet
 * (the CapabilityStatement says so), so an XML body is a 415.
 */
const MAX_DEPTH = 100;

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
  const text = raw.toString('utf8');
  checkDepth(text);
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new FhirError('invalid', { diagnostics: `The body is not valid JSON: ${(err as Error).message}`, code: 'structure' });
  }
}

/** Rejects pathological nesting before parsing, so no later recursive walk can overflow the stack. */
function checkDepth(text: string): void {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92) i++;
      else if (c === 34) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 123 || c === 91) {
      if (++depth > MAX_DEPTH) throw new FhirError('invalid', { diagnostics: `The body nests deeper than ${MAX_DEPTH} levels`, code: 'structure' });
    } else if (c === 125 || c === 93) depth--;
  }
}
