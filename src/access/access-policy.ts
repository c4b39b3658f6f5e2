import { patientCompartment } from '../fhir/definitions';
import { FhirError } from '../fhir/errors';
import type { CompartmentFilter, Filter } from '../search/model';
import type { SearchParameters } from '../search/parameters';
import { parseSearch } from '../search/parse';
import type { AccessContext, Permission, SmartScope } from './access-context';

/**
 * What one caller may reach, per resource type and permission, as search filters: the one answer every store call
 * of the request is limited by (src/access/guarded-store.ts). Read from the caller's SMART scopes
 * (https://hl7.org/fhir/smart-app-launch/scopes-and-launch-context.html):
 * - a `system/` or `user/` scope grants its type as a whole (narrowed by its v2 search constraints, if any);
 * - a `patient/` scope grants the launch patient's compartment only, and nothing without a `patient` claim. Types
 *   outside the Patient CompartmentDefinition (Practitioner, Organization, Medication, …) hold no patient's data
 *   and are granted whole.
 * Several scopes granting the same type and permission are a union: an unrestricted grant wins; otherwise their
 * restrictions are alternatives (`reach` returns each).
 */

/** Filters a resource must match to be reached; an empty list reaches the whole type. */
export type Restriction = Filter[];

export class AccessPolicy {
  private readonly cache = new Map<string, Restriction[] | undefined>();

  constructor(
    readonly access: AccessContext,
    private readonly parameters: SearchParameters,
  ) {}

  /** True when the caller is unrestricted everywhere (AUTH=off). */
  get unrestricted(): boolean {
    return this.access.mode === 'off';
  }

  get patient(): string | undefined {
    return this.access.patient;
  }

  /**
   * The alternatives under which `permission` on `type` is granted: undefined when it is not granted at all, a list
   * holding an empty restriction when the whole type is.
   */
  reach(type: string, permission: Permission): Restriction[] | undefined {
    if (this.unrestricted) return [[]];
    const key = `${type}.${permission}`;
    if (!this.cache.has(key)) this.cache.set(key, this.computeReach(type, permission));
    return this.cache.get(key);
  }

  /** The one restriction a search of `type` runs under, or a 403 when the grant is a union search cannot express. */
  searchRestriction(type: string, permission: Permission): Restriction {
    const reach = this.require(type, permission);
    if (reach.some((r) => r.length === 0)) return [];
    if (reach.length === 1) return reach[0];
    throw new FhirError('forbidden', `Your scopes grant ${type} under ${reach.length} different search constraints; a search can honour one at a time. Ask for one scope per type.`);
  }

  /** `reach`, or 403 when nothing is granted: the type alone is named, which reveals nothing about any resource. */
  require(type: string, permission: Permission): Restriction[] {
    const reach = this.reach(type, permission);
    if (!reach) throw new FhirError('forbidden', `Your scopes do not grant '${permission}' on ${type}`);
    return reach;
  }

  /** True when `permission` is granted on every type by a system-level scope (store administration). */
  isSystemWide(permission: Permission): boolean {
    if (this.unrestricted) return true;
    return this.access.scopes.some((s) => s.context === 'system' && s.resourceType === '*' && s.permissions.has(permission) && s.constraints.length === 0);
  }

  private computeReach(type: string, permission: Permission): Restriction[] | undefined {
    const grants = this.access.scopes.filter((s) => (s.resourceType === '*' || s.resourceType === type) && s.permissions.has(permission));
    const out: Restriction[] = [];
    for (const scope of grants) {
      const base = this.contextRestriction(scope, type);
      if (!base) continue;
      const constraints = this.constraintFilters(scope, type);
      if (!constraints) continue;
      const restriction = [...base, ...constraints];
      if (restriction.length === 0) return [[]];
      out.push(restriction);
    }
    return out.length > 0 ? out : undefined;
  }

  /** The compartment a `patient/` scope confines to, nothing for the other contexts; undefined when void. */
  private contextRestriction(scope: SmartScope, type: string): Filter[] | undefined {
    if (scope.context !== 'patient') return [];
    const patient = this.access.patient;
    if (!patient) return undefined;
    const params = patientCompartment().get(type);
    if (type !== 'Patient' && (!params || params.length === 0)) return [];
    return [patientCompartmentFilter(type, patient)];
  }

  /**
   * v2 search constraints (`patient/Observation.rs?category=laboratory`) as filters, parsed like a search; undefined
   * when they are not a valid search on this type, so that the scope grants nothing rather than everything.
   */
  private constraintFilters(scope: SmartScope, type: string): Filter[] | undefined {
    if (scope.constraints.length === 0) return [];
    try {
      const { query } = parseSearch([type], scope.constraints, true, { parameters: this.parameters });
      return query.filters.length === scope.constraints.length ? query.filters : undefined;
    } catch {
      return undefined;
    }
  }
}

/** Membership of `type` resources in Patient/`patient`'s compartment (the patient itself for type Patient). */
export function patientCompartmentFilter(type: string, patient: string): CompartmentFilter {
  return { kind: 'compartment', compartmentType: 'Patient', id: patient, paramsByType: { [type]: patientCompartment().get(type) ?? [] } };
}
