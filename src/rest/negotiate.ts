import { FhirError } from '../fhir/errors';

/**
 * Response format from `_format` (which wins) or Accept: https://hl7.org/fhir/R4/http.html#mime-type
 * JSON only for now; a request that can only take XML (or anything else) gets a 406.
 */
const JSON_FORMATS = new Set(['json', 'application/json', 'application/fhir+json', 'application/json+fhir']);

export function negotiate(format: string | undefined, accept: string | undefined): 'application/fhir+json' {
  if (format !== undefined) {
    if (JSON_FORMATS.has(format.split(';')[0].trim().toLowerCase())) return 'application/fhir+json';
    throw new FhirError('not-acceptable', `_format '${format}' is not supported; this server speaks JSON only`);
  }
  if (!accept || acceptsJson(accept)) return 'application/fhir+json';
  throw new FhirError('not-acceptable', `Accept '${accept}' is not supported; this server speaks application/fhir+json`);
}

function acceptsJson(accept: string): boolean {
  return accept.split(',').some((part) => {
    const type = part.split(';')[0].trim().toLowerCase();
    return JSON_FORMATS.has(type) || type === '*/*' || type === 'application/*' || type === 'text/*' && false;
  });
}
