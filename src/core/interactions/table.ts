import type { Route } from '../route';
import type { Context, FhirRequest, FhirResponse } from '../types';
import { processBundle, type Handler } from './bundle';
import { history } from './history';
import { read, vread } from './read';
import { compartmentSearch, search } from './search';
import { capabilities } from './capabilities';
import { planCreate, planDelete, planPatch, planUpdate, runWrite } from './write';

/**
 * Every REST interaction, as data: which method and route shape it answers and the FHIR interaction code it
 * serves. Routing and the CapabilityStatement both read this table, so they cannot drift apart.
 */
export interface Interaction {
  /** FHIR interaction code: https://hl7.org/fhir/R4/valueset-type-restful-interaction.html */
  code: 'read' | 'vread' | 'update' | 'patch' | 'delete' | 'history-instance' | 'history-type' | 'create'
    | 'search-type' | 'transaction' | 'batch' | 'history-system' | 'search-system' | 'capabilities';
  method: FhirRequest['method'];
  level: Route['level'];
  target?: string;
  handler: (req: FhirRequest, route: Route, ctx: Context, handle: Handler) => Promise<FhirResponse>;
}

const createInteraction = (req: FhirRequest, route: Route, ctx: Context) => runWrite(planCreate(req, route, ctx), ctx);
const updateInteraction = (req: FhirRequest, route: Route, ctx: Context) => runWrite(planUpdate(req, route, ctx), ctx);
const deleteInteraction = (req: FhirRequest, route: Route, ctx: Context) => runWrite(planDelete(req, route, ctx), ctx);
const patchInteraction = (req: FhirRequest, route: Route, ctx: Context) => runWrite(planPatch(req, route, ctx), ctx);
const bundleInteraction = (req: FhirRequest, _route: Route, ctx: Context, handle: Handler) => processBundle(req, ctx, handle);

export const INTERACTIONS: Interaction[] = [
  { code: 'read', method: 'GET', level: 'instance', handler: read },
  { code: 'vread', method: 'GET', level: 'version', handler: vread },
  { code: 'update', method: 'PUT', level: 'instance', handler: updateInteraction },
  { code: 'update', method: 'PUT', level: 'type', handler: updateInteraction },
  { code: 'patch', method: 'PATCH', level: 'instance', handler: patchInteraction },
  { code: 'patch', method: 'PATCH', level: 'type', handler: patchInteraction },
  { code: 'delete', method: 'DELETE', level: 'instance', handler: deleteInteraction },
  { code: 'delete', method: 'DELETE', level: 'type', handler: deleteInteraction },
  { code: 'history-instance', method: 'GET', level: 'instance', target: '_history', handler: history },
  { code: 'history-type', method: 'GET', level: 'type', target: '_history', handler: history },
  { code: 'create', method: 'POST', level: 'type', handler: createInteraction },
  { code: 'search-type', method: 'GET', level: 'type', handler: search },
  { code: 'search-type', method: 'POST', level: 'type', target: '_search', handler: search },
  { code: 'search-type', method: 'GET', level: 'compartment', handler: compartmentSearch },
  { code: 'transaction', method: 'POST', level: 'system', handler: bundleInteraction },
  { code: 'history-system', method: 'GET', level: 'system', target: '_history', handler: history },
  { code: 'search-system', method: 'GET', level: 'system', handler: search },
  { code: 'search-system', method: 'POST', level: 'system', target: '_search', handler: search },
  { code: 'capabilities', method: 'GET', level: 'system', target: 'metadata', handler: capabilities },
];

export function findInteraction(method: FhirRequest['method'], route: Route): Interaction | undefined {
  const m = method === 'HEAD' ? 'GET' : method;
  return INTERACTIONS.find((i) => i.method === m && i.level === route.level && i.target === route.target);
}

/** Methods allowed on a route shape, for 405 answers. */
export function allowedMethods(route: Route): string[] {
  return [...new Set(INTERACTIONS.filter((i) => i.level === route.level && i.target === route.target).map((i) => i.method))];
}
