import type { BundleEntry, FhirResource } from 'fhir/r4';
import { bundleOf, fullUrlOf, link } from '../../fhir/bundle';
import { resourceTypes } from '../../fhir/definitions';
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
  const params = route.target === '_search' ? [...req.query, ...formParams(req)] : req.query;
  const strict = parsePrefer(req.headers.prefer).handling === 'strict';
  const types = route.type ? [route.type] : resourceTypes();
  const { query, ignored, applied } = parseSearch(types, params, strict, { baseUrl: ctx.config.baseUrl });
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
  const base = route.type ? `${ctx.config.baseUrl}/${route.type}` : ctx.config.baseUrl;
  const links = [link('self', pageUrl(base, applied, query.cursor))];
  if (page.next) links.push(link('next', pageUrl(base, applied, page.next)));
  const bundle = bundleOf('searchset', entries, { link: links });
  if (page.total !== undefined) bundle.total = page.total;
  return { status: 200, headers: {}, body: bundle };
}

function entryOf(ctx: Context, v: StoredVersion, projection: Projection, mode: 'match' | 'include'): BundleEntry {
  return { fullUrl: fullUrlOf(ctx.config.baseUrl, v), resource: project(v.resource as FhirResource, projection), search: { mode } };
}

function formParams(req: FhirRequest): Array<[string, string]> {
  if (req.body === undefined) return [];
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
