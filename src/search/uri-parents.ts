/**
 * `http://a.org/fhir/ValueSet/1` → itself and `http://a.org/fhir/ValueSet/`, `http://a.org/fhir/ValueSet`, …
 * down to the authority: every URI that `:above` accepts as a parent (https://hl7.org/fhir/R4/search.html#uri).
 * Backend-free: each store matches the list its own way.
 */
export function pathPrefixes(uri: string): string[] {
  const out = new Set([uri]);
  const authority = uri.indexOf('://');
  const from = authority < 0 ? 0 : uri.indexOf('/', authority + 3);
  if (from < 0) return [...out];
  for (let i = uri.length - 1; i >= from; i--) {
    if (uri[i] !== '/') continue;
    out.add(uri.slice(0, i + 1));
    if (i > 0) out.add(uri.slice(0, i));
  }
  return [...out];
}
