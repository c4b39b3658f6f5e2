import type { CapabilityStatement, CapabilityStatementRestResource } from 'fhir/r4';
import { resourceTypes } from '../../fhir/definitions';
import { OPERATIONS } from '../../operations/registry';
import type { SearchParameters } from '../../search/parameters';
import type { Route } from '../route';
import type { Context, FhirRequest, FhirResponse } from '../types';
import { INTERACTIONS } from './table';

/**
 * GET [base]/metadata: generated from the interaction table, the operation registry and the search support
 * table, so it lists exactly what works: https://hl7.org/fhir/R4/capabilitystatement.html
 */
export async function capabilities(_req: FhirRequest, _route: Route, ctx: Context): Promise<FhirResponse> {
  const parameters = ctx.store.searchParameters();
  let cached = built.get(ctx.config);
  if (cached?.parameters !== parameters) built.set(ctx.config, (cached = { parameters, statement: capabilityStatement(ctx) }));
  return { status: 200, headers: {}, body: cached.statement };
}

/**
 * One statement per app config and parameter set, built on first request: it is a pure function of the registries
 * (half a second of work for 147 types), rebuilt when a reindex activates custom search parameters. Keyed weakly by
 * the config object, so apps never share or leak one another's.
 */
const built = new WeakMap<Context['config'], { parameters: SearchParameters; statement: CapabilityStatement }>();

export function capabilityStatement(ctx: Context): CapabilityStatement {
  return {
    resourceType: 'CapabilityStatement',
    status: 'active',
    date: '2026-12-03',
    publisher: 'region-fhir',
    kind: 'instance',
    software: { name: 'region-fhir', version: '0.1.0' },
    implementation: { description: 'Regional FHIR R4 interoperability server', url: ctx.config.baseUrl },
    fhirVersion: '4.0.1',
    // JSON only: XML requests are answered 406/415.
    format: ['application/fhir+json', 'json'],
    patchFormat: ['application/json-patch+json', 'application/fhir+json'],
    rest: [{
      mode: 'server',
      ...(ctx.config.security ? { security: ctx.config.security } : {}),
      resource: resourceTypes().map((type) => resourceCapability(type, ctx.store.searchParameters())),
      interaction: systemInteractions(),
      operation: OPERATIONS.filter((o) => o.definition.system).map((o) => ({ name: o.definition.code, definition: o.definition.url! })),
    }],
  };
}

const TYPE_CODES = ['read', 'vread', 'update', 'patch', 'delete', 'history-instance', 'history-type', 'create', 'search-type'] as const;

function resourceCapability(type: string, parameters: SearchParameters): CapabilityStatementRestResource {
  const codes = new Set(INTERACTIONS.map((i) => i.code));
  const has = (level: 'type' | 'instance', method: string) => INTERACTIONS.some((i) => i.level === level && i.method === method && !i.target);
  return {
    type,
    interaction: TYPE_CODES.filter((c) => codes.has(c)).map((code) => ({ code })),
    versioning: 'versioned-update',
    readHistory: true,
    updateCreate: true,
    conditionalCreate: true,
    conditionalRead: 'full-support',
    conditionalUpdate: has('type', 'PUT'),
    conditionalDelete: has('type', 'DELETE') ? 'multiple' : 'not-supported',
    searchParam: parameters.supported(type).map(({ code, support }) => ({ name: code, type: support.type as 'token', documentation: support.documentation })),
    searchInclude: ['*', ...referenceParams(type, parameters).map((p) => `${type}:${p}`)],
    searchRevInclude: revIncludesOf(type, parameters),
    operation: OPERATIONS.filter((o) => (o.definition.type || o.definition.instance) && (o.resourceTypes === 'all' || o.resourceTypes.includes(type)))
      .map((o) => ({ name: o.definition.code, definition: o.definition.url! })),
  };
}

function referenceParams(type: string, parameters: SearchParameters): string[] {
  return parameters.supported(type).filter(({ support }) => support.type === 'reference').map(({ code }) => code);
}

/** `Source:param` for every reference parameter of any type that may point at `type`. */
function revIncludesOf(type: string, parameters: SearchParameters): string[] {
  const out: string[] = [];
  for (const source of resourceTypes()) {
    for (const { code, support } of parameters.supported(source)) {
      if (support.type === 'reference' && support.targets?.includes(type)) out.push(`${source}:${code}`);
    }
  }
  return out;
}

function systemInteractions(): Array<{ code: 'transaction' | 'batch' | 'history-system' | 'search-system' }> {
  const codes = new Set(INTERACTIONS.filter((i) => i.level === 'system').map((i) => i.code));
  const out: Array<{ code: 'transaction' | 'batch' | 'history-system' | 'search-system' }> = [];
  if (codes.has('transaction')) out.push({ code: 'transaction' }, { code: 'batch' });
  if (codes.has('history-system')) out.push({ code: 'history-system' });
  if (codes.has('search-system')) out.push({ code: 'search-system' });
  return out;
}
