import type { BundleEntry, FhirResource } from 'fhir/r4';
import { bundleOf, fullUrlOf, link } from '../../fhir/bundle';
import { patientCompartment, resourceTypes } from '../../fhir/definitions';
import { FhirError } from '../../fhir/errors';
import { lazyStored } from '../../fhir/json';
import type { Filter } from '../../search/model';
import { parseSearch } from '../../search/parse';
import type { StoredVersion } from '../../store/types';
import { parseProjection, project, type Projection } from '../elements';
import { pageUrl } from '../links';
import { parsePrefer } from '../prefer';
import type { Route } from '../route';
import { MAX_INCLUDED, resolveIncludes } from '../search-includes';
import type { Context, FhirRequest, FhirResponse } from '../types';

/**
 * Type search (GET [base]/[type]?…, POST [base]/[type]/_search) and system search (GET [base]?…, POST
 * [base]/_search): https://hl7.org/fhir/R4/http.html#search
 */
export async function search(req: FhirRequest, route: Route, ctx: Context): Promise<FhirResponse> {
  const types = route.type ? [route.type] : resourceTypes();
  const base = route.type ? `${ctx.config.baseUrl}/${route.type}` : ctx.config.baseUrl;
  return searchIn(req, route, ctx, { types, base, filters: [] });
}

/**
 * GET [base]/Patient/[id]/[type] and GET [base]/Patient/[id]/*: a search limited to the patient's compartment
 * (https://hl7.org/fhir/R4/compartmentdefinition.html, https://hl7.org/fhir/R4/http.html#vsearch).
 */
export async function compartmentSearch(req: FhirRequest, route: Route, ctx: Context): Promise<FhirResponse> {
  const members = compartmentMembers(route.type!);
  const types = route.memberType === '*' ? [...members.keys()] : [route.memberType!];
  if (!types.every((t) => members.has(t))) {
    throw new FhirError('not-found', `${route.memberType} resources are not part of the ${route.type} compartment`);
  }
  const filter: Filter = {
    kind: 'compartment', compartmentType: route.type!, id: route.id!,
    paramsByType: Object.fromEntries(types.map((t) => [t, members.get(t)!])),
  };
  const base = `${ctx.config.baseUrl}/${route.type}/${route.id}/${route.memberType}`;
  return searchIn(req, route, ctx, { types, base, filters: [filter] });
}

/** The compartments this server defines: the Patient compartment of the R4 CompartmentDefinition. */
function compartmentMembers(type: string): Map<string, string[]> {
  if (type !== 'Patient') throw new FhirError('not-found', `The ${type} compartment is not supported; only Patient`);
  const members = new Map(patientCompartment());
  // The owner is a member through its own id (the compartment filter adds it), whatever its `link` parameter says.
  if (!members.has('Patient')) members.set('Patient', []);
  return members;
}

interface Scope {
  types: string[];
  /** The URL paging links are built on. */
  base: string;
  filters: Filter[];
}

async function searchIn(req: FhirRequest, route: Route, ctx: Context, scope: Scope): Promise<FhirResponse> {
  const params = route.target === '_search' ? [...req.query, ...formParams(req)] : req.query;
  const strict = parsePrefer(req.headers.prefer).handling === 'strict';
  const { query, ignored, applied } = parseSearch(scope.types, params, strict, { baseUrl: ctx.config.baseUrl, parameters: ctx.store.searchParameters() });
  query.filters.push(...scope.filters);
  const projection = parseProjection(params);
  if (projection.summary === 'count') query.total = 'accurate';
  const page = await ctx.store.search(projection.summary === 'count' ? { ...query, count: 0 } : query);
  const { included, truncated } = projection.summary === 'count'
    ? { included: [], truncated: false }
    : await resolveIncludes(page.entries, query.includes ?? [], query.revincludes ?? [], ctx);
  const entries: BundleEntry[] = [
    ...page.entries.map((v) => entryOf(ctx, v, projection, 'match')),
    ...included.map((v) => entryOf(ctx, v, projection, 'include')),
  ];
  const warnings = ignored.map((name) => `Search parameter '${name}' is not supported and was ignored`);
  if (truncated) warnings.push(`Only the first ${MAX_INCLUDED} included resources are returned; narrow the search or page with a smaller _count`);
  if (warnings.length > 0) entries.push(outcomeEntry(warnings));
  const links = [link('self', pageUrl(scope.base, applied, query.cursor))];
  if (page.next) links.push(link('next', pageUrl(scope.base, applied, page.next)));
  const bundle = bundleOf('searchset', entries, { link: links });
  if (page.total !== undefined) bundle.total = page.total;
  return { status: 200, headers: {}, body: bundle };
}

function entryOf(ctx: Context, v: StoredVersion, projection: Projection, mode: 'match' | 'include'): BundleEntry {
  // Sent as stored unless projected: the page is written without parsing its resources.
  const resource = v.json !== undefined && isIdentity(projection)
    ? lazyStored(v.json, () => v.resource as FhirResource)
    : project(v.resource as FhirResource, projection);
  return { fullUrl: fullUrlOf(ctx.config.baseUrl, v), resource, search: { mode } };
}

function isIdentity(p: Projection): boolean {
  return (!p.summary || p.summary === 'false') && !(p.elements && p.elements.length > 0);
}

/** POST _search takes its parameters form-encoded: https://hl7.org/fhir/R4/http.html#search */
function formParams(req: FhirRequest): Array<[string, string]> {
  if (req.body === undefined) return [];
  if (req.bodyKind !== 'form') {
    throw new FhirError('unsupported-media', 'POST _search takes application/x-www-form-urlencoded parameters');
  }
  return req.body as Array<[string, string]>;
}

function outcomeEntry(warnings: string[]): BundleEntry {
  return {
    resource: {
      resourceType: 'OperationOutcome',
      issue: warnings.map((diagnostics) => ({ severity: 'warning', code: 'not-supported', diagnostics })),
    },
    search: { mode: 'outcome' },
  };
}
