import { parseScope, splitScopes, type Permission, type SmartScope } from './access-context';

/**
 * The scopes a client gets: what it asked for, cut down to what its registration allows (SMART Backend Services:
 * "the server SHALL grant no more than the registered scopes"). A requested scope is intersected with each
 * registered one of the same context: the narrower resource type, the common permissions, and the search
 * constraints of both. `system/*.rs` asked of a client registered for `system/Observation.read` gives
 * `system/Observation.rs`. Non-resource scopes are granted only when registered verbatim.
 */
export function grantScopes(requested: string, registered: string): string[] {
  const asked = splitScopes(requested);
  const allowed = splitScopes(registered);
  const granted: string[] = [];
  const add = (text: string) => void (granted.includes(text) || granted.push(text));
  for (const r of asked.resource) {
    for (const g of allowed.resource) {
      const both = intersect(r, g);
      if (both) add(both);
    }
  }
  for (const o of asked.other) if (allowed.other.includes(o)) add(o);
  return withoutImplied(granted);
}

/** Leaves out a scope another granted scope already covers (`system/Patient.rs` beside `system/*.rs`). */
function withoutImplied(texts: string[]): string[] {
  const parsed = texts.map((t) => parseScope(t));
  return texts.filter((_, i) => {
    const s = parsed[i];
    return !s || !parsed.some((o, j) => j !== i && o && covers(o, s) && (!covers(s, o) || j < i));
  });
}

function covers(a: SmartScope, b: SmartScope): boolean {
  return a.context === b.context
    && (a.resourceType === '*' || a.resourceType === b.resourceType)
    && [...b.permissions].every((p) => a.permissions.has(p))
    && a.constraints.every(([n, v]) => b.constraints.some(([n2, v2]) => n === n2 && v === v2));
}

const ORDER: readonly Permission[] = ['c', 'r', 'u', 'd', 's'];

function intersect(a: SmartScope, b: SmartScope): string | undefined {
  if (a.context !== b.context) return undefined;
  if (a.resourceType !== '*' && b.resourceType !== '*' && a.resourceType !== b.resourceType) return undefined;
  const letters = ORDER.filter((p) => a.permissions.has(p) && b.permissions.has(p));
  if (letters.length === 0) return undefined;
  const constraints = [...a.constraints];
  for (const c of b.constraints) if (!constraints.some(([n, v]) => n === c[0] && v === c[1])) constraints.push(c);
  const type = a.resourceType === '*' ? b.resourceType : a.resourceType;
  // The request's own words when nothing was cut, so a client sees the scope it asked for.
  if (type === a.resourceType && letters.length === a.permissions.size && constraints.length === a.constraints.length) return a.text;
  if (type === b.resourceType && letters.length === b.permissions.size && constraints.length === b.constraints.length) return b.text;
  const query = constraints.map(([n, v]) => `${encodeURIComponent(n)}=${encodeURIComponent(v)}`).join('&');
  return `${a.context}/${type}.${letters.join('')}${query ? `?${query}` : ''}`;
}
