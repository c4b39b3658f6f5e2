/**
 * Who is calling and what they may do: the access model built once per request from a verified token (or fixed
 * when `AUTH=off`) and handed down to the store wrapper that enforces it.
 *
 * Scope grammar: SMART App Launch 2.0, https://hl7.org/fhir/smart-app-launch/scopes-and-launch-context.html
 *   v1: `patient/Observation.read`, `user/*.write`, `system/*.*` (`read` = r+s, `write` = c+u+d, `*` = cruds)
 *   v2: `patient/Observation.rs`, `user/Encounter.cruds`, `patient/Observation.rs?category=laboratory`
 */

export type ScopeContext = 'patient' | 'user' | 'system';
export type Permission = 'c' | 'r' | 'u' | 'd' | 's';
export type Role = 'provider' | 'research' | 'sync';

export interface SmartScope {
  context: ScopeContext;
  /** A resource type, or `*` for every type. */
  resourceType: string;
  permissions: ReadonlySet<Permission>;
  /** v2 search constraints, `[name, value]` pairs that a resource must match (all of them) to be granted. */
  constraints: Array<[string, string]>;
  /** The scope as it was written. */
  text: string;
}

export interface AccessContext {
  /** `off`: no authentication (loopback only); every request has full access. */
  mode: 'off' | 'smart';
  clientId?: string;
  /** The token's `sub`: the client itself for Backend Services, the user for user-facing apps. */
  subject?: string;
  /** The token's `fhirUser`: a reference to the Practitioner, Patient, … who uses the app. */
  fhirUser?: string;
  role?: Role;
  /** Launch context: the id of the one patient a `patient/` scope confines the caller to. */
  patient?: string;
  /** A code from http://terminology.hl7.org/CodeSystem/v3-ActReason (`HRESCH` for research, `TREAT`, …). */
  purposeOfUse?: string;
  scopes: SmartScope[];
  /** The research permit (EHDS Art. 68 data permit) a research client acts under. */
  researchPermit?: string;
  /** Granted scopes that name no resources: `launch/patient`, `openid`, `fhirUser`, `offline_access`, … */
  otherScopes?: string[];
}

/** The context of every request when `AUTH=off`. */
export function offAccessContext(): AccessContext {
  return { mode: 'off', scopes: [] };
}

export interface ParsedScopes {
  resource: SmartScope[];
  /** Recognised scopes that grant no resource access (launch, identity, refresh). */
  other: string[];
  /** Anything else; OAuth lets a server ignore scopes it does not know, and so do we. */
  invalid: string[];
}

const CONTEXTS: ReadonlySet<string> = new Set(['patient', 'user', 'system']);
const LETTERS: readonly Permission[] = ['c', 'r', 'u', 'd', 's'];
const V1_PERMISSIONS: Record<string, readonly Permission[]> = {
  read: ['r', 's'],
  write: ['c', 'u', 'd'],
  '*': LETTERS,
};
const OTHER_SCOPES = /^(launch(\/[A-Za-z]+)?|openid|fhirUser|profile|offline_access|online_access)$/;
const RESOURCE_TYPE = /^([A-Z][A-Za-z]{1,63}|\*)$/;
const RESOURCE_SCOPE = /^(patient|user|system)\/([^./?]+)\.([^?]+)(\?(.*))?$/;

/** The resource scopes of a space-separated scope string; the others are left out (see `splitScopes`). */
export function parseScopes(scope: string): SmartScope[] {
  return splitScopes(scope).resource;
}

export function splitScopes(scope: string): ParsedScopes {
  const parsed: ParsedScopes = { resource: [], other: [], invalid: [] };
  for (const text of scope.split(/\s+/)) {
    if (!text) continue;
    const resource = parseScope(text);
    if (resource) parsed.resource.push(resource);
    else if (OTHER_SCOPES.test(text)) parsed.other.push(text);
    else parsed.invalid.push(text);
  }
  return parsed;
}

/** One resource scope, or undefined when `text` is not one. */
export function parseScope(text: string): SmartScope | undefined {
  const m = RESOURCE_SCOPE.exec(text);
  if (!m || !CONTEXTS.has(m[1]) || !RESOURCE_TYPE.test(m[2])) return undefined;
  const v1 = V1_PERMISSIONS[m[3]];
  const letters = v1 ?? v2Letters(m[3]);
  if (!letters) return undefined;
  // Search constraints belong to the v2 syntax only.
  if (m[4] !== undefined && v1) return undefined;
  const constraints = m[4] === undefined ? [] : parseConstraints(m[5]);
  if (!constraints) return undefined;
  return { context: m[1] as ScopeContext, resourceType: m[2], permissions: new Set(letters), constraints, text };
}

/** v2 permissions: a non-empty subset of `cruds`, each letter once, in that order (`rs`, not `sr`). */
function v2Letters(s: string): Permission[] | undefined {
  const out: Permission[] = [];
  let from = 0;
  for (const ch of s) {
    const at = LETTERS.indexOf(ch as Permission, from);
    if (at < 0) return undefined;
    out.push(LETTERS[at]);
    from = at + 1;
  }
  return out.length > 0 ? out : undefined;
}

function parseConstraints(query: string): Array<[string, string]> | undefined {
  const pairs: Array<[string, string]> = [];
  for (const part of query.split('&')) {
    const eq = part.indexOf('=');
    if (eq <= 0) return undefined;
    try {
      const name = decodeURIComponent(part.slice(0, eq));
      const value = decodeURIComponent(part.slice(eq + 1).replace(/\+/g, ' '));
      if (!value) return undefined;
      pairs.push([name, value]);
    } catch {
      return undefined;
    }
  }
  return pairs.length > 0 ? pairs : undefined;
}
