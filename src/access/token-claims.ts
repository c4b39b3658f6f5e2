import type { JwtPayload } from 'jsonwebtoken';
import type { FhirError } from '../fhir/errors';
import { splitScopes, type AccessContext, type Role } from './access-context';
import type { ClientRegistry } from './client-registry';

/**
 * The claims of a verified access token as an AccessContext (docs/security.md lists them):
 *   scope (space-separated; `scp` as a list also read), patient, fhirUser, sub, client_id (or azp),
 *   role, research_permit, purpose_of_use (a http://terminology.hl7.org/CodeSystem/v3-ActReason code).
 * For a client registered here, the registration's role, permit and purpose win over the token's.
 */
export const PURPOSE_OF_USE_CLAIM = 'purpose_of_use';
export const PURPOSE_OF_USE_SYSTEM = 'http://terminology.hl7.org/CodeSystem/v3-ActReason';

/** v3-ActReason codes that mean research: a token carrying one is treated as a research caller whatever it says. */
const RESEARCH_PURPOSES: ReadonlySet<string> = new Set(['HRESCH', 'CLINTRCH', 'BIORCH']);
const ROLES: ReadonlySet<string> = new Set(['provider', 'research', 'sync']);
const FHIR_ID = /^[A-Za-z0-9\-.]{1,64}$/;

export function tokenClaimsToContext(p: JwtPayload, clients: ClientRegistry, fail: (d: string) => FhirError): AccessContext {
  const scope = typeof p.scope === 'string' ? p.scope : Array.isArray(p.scp) ? p.scp.filter((s) => typeof s === 'string').join(' ') : '';
  const patient = optionalString(p, 'patient', fail);
  if (patient !== undefined && !FHIR_ID.test(patient)) throw fail('the patient claim is not a Patient id');
  const clientId = optionalString(p, 'client_id', fail) ?? optionalString(p, 'azp', fail);
  const registered = clientId ? clients.get(clientId) : undefined;
  const claimedRole = optionalString(p, 'role', fail);
  let role: Role | undefined = registered?.registration.role ?? (claimedRole && ROLES.has(claimedRole) ? claimedRole as Role : undefined);
  const purposeOfUse = registered?.purposeOfUse ?? optionalString(p, PURPOSE_OF_USE_CLAIM, fail) ?? (role === 'research' ? 'HRESCH' : undefined);
  if (purposeOfUse && RESEARCH_PURPOSES.has(purposeOfUse)) role = 'research';
  const parsed = splitScopes(scope);
  const context: AccessContext = {
    mode: 'smart',
    clientId,
    subject: optionalString(p, 'sub', fail),
    fhirUser: optionalString(p, 'fhirUser', fail),
    role,
    patient,
    purposeOfUse,
    // A patient/ scope without a patient to confine it to grants nothing (deny by default).
    scopes: parsed.resource.filter((s) => s.context !== 'patient' || patient !== undefined),
    researchPermit: registered?.registration.research_permit ?? optionalString(p, 'research_permit', fail),
    otherScopes: parsed.other,
  };
  for (const key of Object.keys(context) as Array<keyof AccessContext>) if (context[key] === undefined) delete context[key];
  return Object.freeze(context);
}

function optionalString(p: JwtPayload, name: string, fail: (d: string) => FhirError): string | undefined {
  const v = p[name];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string' || v.length === 0 || v.length > 512) throw fail(`the ${name} claim must be a string`);
  return v;
}
