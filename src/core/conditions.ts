import { FhirError } from '../fhir/errors';
import { parseSearch } from '../search/parse';
import type { SearchParameters } from '../search/parameters';
import type { Condition } from '../store/types';

/**
 * Conditional interactions name their target by search parameters: https://hl7.org/fhir/R4/http.html#cond-update
 * Unknown parameters are an error here even under lenient handling: ignoring one would widen the match and
 * update or delete the wrong resources.
 */
export function conditionFrom(type: string, params: Array<[string, string]>, parameters: SearchParameters): Condition {
  const filters = params.filter(([name]) => !name.startsWith('_format') && name !== '_pretty');
  if (filters.length === 0) throw new FhirError('invalid', 'A conditional interaction needs at least one search parameter');
  const { query } = parseSearch([type], filters, true, { parameters });
  if (query.filters.length === 0) throw new FhirError('invalid', 'A conditional interaction needs at least one search parameter');
  return { query };
}

/** `identifier=a|b&_id=x` as the pairs `conditionFrom` takes (If-None-Exist and bundle ifNoneExist carry this). */
export function queryPairs(text: string): Array<[string, string]> {
  const q = text.includes('?') ? text.slice(text.indexOf('?') + 1) : text;
  return [...new URLSearchParams(q).entries()];
}

/** `W/"3"` or `"3"` → `3`: https://hl7.org/fhir/R4/http.html#concurrency */
export function versionFromETag(etag: string | undefined): string | undefined {
  if (etag === undefined) return undefined;
  const m = /^(?:W\/)?"([^"]+)"$/.exec(etag.trim());
  if (!m) throw new FhirError('invalid', { diagnostics: `Malformed ETag '${etag}'; expected W/"<versionId>"`, code: 'value' });
  return m[1];
}
