import type { BundleEntry, FhirResource } from 'fhir/r4';
import { bundleOf, fullUrlOf, link } from '../../fhir/bundle';
import { parseSearch } from '../../search/parse';
import { parseProjection, project } from '../elements';
import { pageUrl } from '../links';
import { parsePrefer } from '../prefer';
import type { Route } from '../route';
import type { Context, FhirRequest, FhirResponse } from '../types';

/** GET [base]/[type]?… and POST [base]/[type]/_search: https://hl7.org/fhir/R4/http.html#search */
export async function search(req: FhirRequest, route: Route, ctx: Context): Promise<FhirResponse> {
  const params = route.target === '_search' ? [...req.query, ...formParams(req)] : req.query;
  const strict = parsePrefer(req.headers.prefer).handling === 'strict';
  const { query, ignored, applied } = parseSearch([route.type!], params, strict);
  const projection = parseProjection(params);
  if (projection.summary === 'count') query.total = 'accurate';
  const page = await ctx.store.search(projection.summary === 'count' ? { ...query, count: 0 } : query);
  const base = `${ctx.config.baseUrl}/${route.type}`;
  const entries: BundleEntry[] = page.entries.map((v) => ({
    fullUrl: fullUrlOf(ctx.config.baseUrl, v),
    resource: project(v.resource as FhirResource, projection),
    search: { mode: 'match' },
  }));
  if (ignored.length > 0) entries.push(ignoredOutcome(ignored));
  const links = [link('self', pageUrl(base, applied, query.cursor))];
  if (page.next) links.push(link('next', pageUrl(base, applied, page.next)));
  const bundle = bundleOf('searchset', entries, { link: links });
  if (page.total !== undefined) bundle.total = page.total;
  return { status: 200, headers: {}, body: bundle };
}

function formParams(req: FhirRequest): Array<[string, string]> {
  if (req.body === undefined) return [];
  return req.body as Array<[string, string]>;
}

function ignoredOutcome(ignored: string[]): BundleEntry {
  return {
    resource: {
      resourceType: 'OperationOutcome',
      issue: ignored.map((name) => ({
        severity: 'warning', code: 'not-supported', diagnostics: `Search parameter '${name}' is not supported and was ignored`,
      })),
    },
    search: { mode: 'outcome' },
  };
}
