import { bundleOf, historyEntry, link } from '../../fhir/bundle';
import { instantRange } from '../../fhir/instants';
import { FhirError, invalid } from '../../fhir/errors';
import { DEFAULT_COUNT, parseCount } from '../../search/parse';
import type { HistoryOptions } from '../../store/types';
import { pageUrl } from '../links';
import type { Route } from '../route';
import type { Context, FhirRequest, FhirResponse } from '../types';

/** History at instance, type and system level: https://hl7.org/fhir/R4/http.html#history */
export async function history(req: FhirRequest, route: Route, ctx: Context): Promise<FhirResponse> {
  const { options, applied } = historyOptions(req.query);
  const scope = { type: route.type, id: route.id };
  if (route.id !== undefined) {
    const exists = await ctx.store.read(route.type!, route.id);
    if (!exists) throw invalidNotFound(route);
  }
  const page = await ctx.store.history(scope, options);
  const self = historyBase(ctx.config.baseUrl, route);
  const links = [link('self', pageUrl(self, applied, options.cursor))];
  if (page.next) links.push(link('next', pageUrl(self, applied, page.next)));
  const bundle = bundleOf('history', page.entries.map((v) => historyEntry(ctx.config.baseUrl, v)), { link: links });
  if (page.total !== undefined) bundle.total = page.total;
  return { status: 200, headers: {}, body: bundle };
}

function invalidNotFound(route: Route): FhirError {
  return new FhirError('not-found', `${route.type}/${route.id} not found`);
}

function historyBase(baseUrl: string, route: Route): string {
  if (route.id !== undefined) return `${baseUrl}/${route.type}/${route.id}/_history`;
  if (route.type !== undefined) return `${baseUrl}/${route.type}/_history`;
  return `${baseUrl}/_history`;
}

function historyOptions(query: Array<[string, string]>): { options: HistoryOptions; applied: Array<[string, string]> } {
  const options: HistoryOptions = { count: DEFAULT_COUNT };
  const applied: Array<[string, string]> = [];
  for (const [name, value] of query) {
    if (name === '_count') options.count = parseCount(value);
    else if (name === '_since') options.since = instantOf(name, value).low;
    else if (name === '_at') options.at = instantOf(name, value).high;
    else if (name === '_cursor') options.cursor = value;
    else continue;
    if (name !== '_cursor') applied.push([name, value]);
  }
  return { options, applied };
}

function instantOf(name: string, value: string) {
  const range = instantRange(value);
  if (!range) throw invalid(`${name} must be a FHIR instant or dateTime, got '${value}'`, [name]);
  return range;
}
