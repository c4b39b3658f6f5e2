import type { AuditEvent, AuditEventAgent, AuditEventEntity, Bundle, FhirResource } from 'fhir/r4';
import { patientCompartment } from '../fhir/definitions';
import type { IndexExtractor } from '../search/extract';
import type { AccessContext } from './access-context';

/**
 * The AuditEvent of one FHIR interaction, after IHE Basic Audit Log Patterns (BALP,
 * https://profiles.ihe.net/ITI/BALP/): type `rest`, subtype the interaction, the client application and the user as
 * agents, the purpose of use, and as entities every patient whose data the answer held (so that a patient can find
 * who looked at their record with `AuditEvent?patient=`), every resource it returned or wrote, and the query.
 */

export interface AuditedExchange {
  /** The interaction code (src/core/interactions/table.ts) or `operation:$name`. */
  interaction: string;
  method: string;
  /** The request path below the base and its query, as the client sent them. */
  path: string;
  query: Array<[string, string]>;
  status: number;
  /** The resources the answer carried or the write produced. */
  resources: FhirResource[];
  access: AccessContext;
  recorded: string;
}

const DCM = 'http://dicom.nema.org/resources/ontology/DCM';
const OBJECT_ROLE = 'http://terminology.hl7.org/CodeSystem/object-role';
/** Our identifier system for OAuth client ids: an agent that is a registered client, not a FHIR resource. */
export const CLIENT_ID_SYSTEM = 'https://fhir.region.se/sid/oauth-client-id';
export const SUBJECT_SYSTEM = 'https://fhir.region.se/sid/oauth-subject';

const ACTIONS: Record<string, AuditEvent['action']> = {
  create: 'C', update: 'U', patch: 'U', delete: 'D', transaction: 'E', batch: 'E',
};

export function auditEventOf(x: AuditedExchange, extractor: IndexExtractor): AuditEvent {
  const subtype = x.interaction.startsWith('operation:') ? 'operation' : x.interaction;
  const event: AuditEvent = {
    resourceType: 'AuditEvent',
    type: { system: 'http://terminology.hl7.org/CodeSystem/audit-event-type', code: 'rest', display: 'RESTful Operation' },
    subtype: [{ system: 'http://hl7.org/fhir/restful-interaction', code: subtype }],
    action: ACTIONS[x.interaction] ?? (x.interaction.startsWith('operation:') ? 'E' : 'R'),
    recorded: x.recorded,
    outcome: x.status < 400 ? '0' : x.status < 500 ? '4' : '8',
    outcomeDesc: `HTTP ${x.status}`,
    agent: agentsOf(x.access),
    source: {
      observer: { display: 'region-fhir' },
      type: [{ system: 'http://terminology.hl7.org/CodeSystem/security-source-type', code: '4', display: 'Application Server' }],
    },
    entity: entitiesOf(x, extractor),
  };
  if (x.access.purposeOfUse) {
    event.purposeOfEvent = [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ActReason', code: x.access.purposeOfUse }] }];
  }
  if (subtype === 'operation') event.subtype!.push({ system: 'https://fhir.region.se/CodeSystem/operation', code: x.interaction.slice('operation:'.length) });
  return event;
}

function agentsOf(access: AccessContext): AuditEventAgent[] {
  const app: AuditEventAgent = {
    type: { coding: [{ system: DCM, code: '110150', display: 'Application' }] },
    who: access.clientId ? { identifier: { system: CLIENT_ID_SYSTEM, value: access.clientId } } : { display: access.mode === 'off' ? 'unauthenticated (AUTH=off)' : 'unknown client' },
    requestor: !access.subject && !access.fhirUser,
  };
  const agents = [app];
  if (access.fhirUser || access.subject) {
    agents.push({
      type: { coding: [{ system: DCM, code: '110153', display: 'Source Role ID' }] },
      who: access.fhirUser ? { reference: access.fhirUser } : { identifier: { system: SUBJECT_SYSTEM, value: access.subject } },
      requestor: true,
    });
  }
  return agents;
}

function entitiesOf(x: AuditedExchange, extractor: IndexExtractor): AuditEventEntity[] {
  const patients = new Set<string>();
  const seen = new Set<string>();
  const entities: AuditEventEntity[] = [];
  for (const resource of x.resources) {
    if (!resource.id) continue;
    const ref = `${resource.resourceType}/${resource.id}`;
    if (seen.has(ref)) continue;
    seen.add(ref);
    for (const p of patientsOf(resource, extractor)) patients.add(p);
    if (resource.resourceType !== 'Patient') entities.push({ what: { reference: ref }, role: role('4', 'Domain Resource') });
  }
  const out = [...patients].sort().map((p): AuditEventEntity => ({ what: { reference: `Patient/${p}` }, role: role('1', 'Patient') }));
  out.push(...entities);
  if (x.query.length > 0 || x.method === 'GET') {
    const text = `${x.method} ${x.path}${x.query.length > 0 ? `?${new URLSearchParams(x.query).toString()}` : ''}`;
    out.push({ query: Buffer.from(text).toString('base64'), role: role('24', 'Query') });
  }
  return out;
}

/** The patients whose compartment holds the resource (https://hl7.org/fhir/R4/compartmentdefinition-patient.html). */
function patientsOf(resource: FhirResource, extractor: IndexExtractor): string[] {
  if (resource.resourceType === 'Patient') return [resource.id!];
  const params = patientCompartment().get(resource.resourceType);
  if (!params || params.length === 0) return [];
  return extractor.extract(resource).references
    .filter((r) => r.targetType === 'Patient' && r.targetId !== undefined && params.includes(r.param))
    .map((r) => r.targetId!);
}

function role(code: string, display: string) {
  return { system: OBJECT_ROLE, code, display };
}

/** The resources an answer carries: the body, or a Bundle's entries (and their nested search bundles in a batch). */
export function resourcesOf(body: FhirResource | undefined): FhirResource[] {
  if (!body) return [];
  if (body.resourceType === 'OperationOutcome') return [];
  if (body.resourceType !== 'Bundle') return [body];
  const out: FhirResource[] = [];
  for (const entry of (body as Bundle).entry ?? []) {
    if (entry.resource) out.push(...resourcesOf(entry.resource as FhirResource));
  }
  return out;
}
