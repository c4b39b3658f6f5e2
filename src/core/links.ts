/**
 * Paging links: the query that produced a page, re-issued with a cursor. Only parameters the server applied appear,
 * so a client can see what was ignored: https://hl7.org/fhir/R4/search.html#conformance
 */
export function pageUrl(base: string, params: Array<[string, string]>, cursor?: string): string {
  const all = cursor === undefined ? params : [...params, ['_cursor', cursor] as [string, string]];
  if (all.length === 0) return base;
  return `${base}?${all.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&')}`;
}
