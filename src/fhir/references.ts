/**
 * Reference rewriting for transactions: every Reference.reference, and any other string, that equals a fullUrl of
 * the bundle (or a conditional reference) is replaced by the final `Type/id`, including inside extensions and
 * contained resources; urn: fullUrls inside narrative links are replaced too.
 * https://hl7.org/fhir/R4/http.html#trules
 */
export function rewriteReferences(value: unknown, targets: Map<string, string>): void {
  if (targets.size === 0 || value === null || typeof value !== 'object') return;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      if (typeof value[i] === 'string') value[i] = targets.get(value[i]) ?? value[i];
      else rewriteReferences(value[i], targets);
    }
    return;
  }
  const obj = value as Record<string, unknown>;
  for (const [key, v] of Object.entries(obj)) {
    if (typeof v === 'string') obj[key] = key === 'div' ? rewriteNarrative(v, targets) : (targets.get(v) ?? v);
    else rewriteReferences(v, targets);
  }
}

function rewriteNarrative(div: string, targets: Map<string, string>): string {
  if (!div.includes('urn:')) return div;
  return div.replace(/urn:(?:uuid|oid):[A-Za-z0-9.\-]+/g, (m) => targets.get(m) ?? m);
}

/** Every distinct conditional reference (`Patient?identifier=…`) in a resource. */
export function conditionalReferences(value: unknown, found: Set<string> = new Set()): Set<string> {
  if (value === null || typeof value !== 'object') return found;
  if (Array.isArray(value)) {
    value.forEach((v) => conditionalReferences(v, found));
    return found;
  }
  for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
    if (key === 'reference' && typeof v === 'string' && /^[A-Z][A-Za-z]+\?/.test(v)) found.add(v);
    else conditionalReferences(v, found);
  }
  return found;
}
