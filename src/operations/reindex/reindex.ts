import type { OperationDefinition, OperationOutcomeIssue, Parameters, ParametersParameter, SearchParameter } from 'fhir/r4';
import { selectCustomParameters } from '../../search/custom-parameters';
import type { SearchQuery } from '../../search/model';
import type { Route } from '../../core/route';
import type { Context, FhirRequest, FhirResponse } from '../../core/types';
import type { Operation } from '../types';

/**
 * $reindex: makes the SearchParameter resources stored on the server searchable. At system level
 * (`POST [base]/$reindex`) every type their base names is rebuilt; at type level (`POST [base]/[type]/$reindex`)
 * only that type, with the custom parameters of other types left as they were. Until it runs, a stored
 * SearchParameter is only data: activating one means every existing resource needs its entries, which this does in
 * short batches while the server keeps answering. Deleted, retired or draft SearchParameters are dropped from the
 * parameters in force for the types rebuilt. Not a FHIR R4 core operation; its shape follows what other servers offer.
 */
export const definition: OperationDefinition = {
  resourceType: 'OperationDefinition',
  id: 'reindex',
  url: 'https://fhir.region.se/OperationDefinition/reindex',
  name: 'Reindex',
  status: 'active',
  kind: 'operation',
  code: 'reindex',
  affectsState: true,
  description: 'Activates the active SearchParameter resources stored on this server and rebuilds the search index of the types they apply to (all types at system level, one at type level).',
  resource: ['Resource'],
  system: true,
  type: true,
  instance: false,
  parameter: [
    { name: 'resources', use: 'out', min: 1, max: '1', type: 'integer', documentation: 'Resources whose search entries were rebuilt' },
    { name: 'activated', use: 'out', min: 0, max: '*', type: 'string', documentation: 'Type.code (SearchParameter/id) of each custom parameter now searchable' },
    { name: 'outcome', use: 'out', min: 1, max: '1', type: 'OperationOutcome', documentation: 'Why any stored SearchParameter was not activated' },
  ],
};

/** SearchParameter resources read per page; they are few, but nothing caps them. */
const PAGE = 1000;

async function reindexHandler(_req: FhirRequest, route: Route, ctx: Context): Promise<FhirResponse> {
  const scope: readonly string[] | 'all' = route.type ? [route.type] : 'all';
  const stored = await storedSearchParameters(ctx);
  const { activated, rejected } = selectCustomParameters(stored, scope, ctx.extractor);
  let types: readonly string[] = [];
  const { resources } = await ctx.store.reindex((current) => {
    const parameters = current.replacing(scope, activated);
    // Types whose custom parameters change (added, changed or dropped) need new entries; at type level, the type.
    types = scope === 'all' ? changedTypes(current.customTypes(), parameters.customTypes()) : scope;
    return { parameters, types };
  });
  const issues: OperationOutcomeIssue[] = rejected.map((r) => ({
    severity: 'warning', code: 'not-supported', diagnostics: `${r.reference} was not activated: ${r.reason}`, expression: [r.reference],
  }));
  issues.push({ severity: 'information', code: 'informational', diagnostics: `Rebuilt the search entries of ${resources} resources; ${activated.length} custom parameters in force for ${typesText(types)}` });
  const parameter: ParametersParameter[] = [
    { name: 'resources', valueInteger: resources },
    ...activated.map((a) => ({ name: 'activated', valueString: `${a.type}.${a.parameter.code} (SearchParameter/${a.parameter.id})` })),
    { name: 'outcome', resource: { resourceType: 'OperationOutcome', issue: issues } },
  ];
  const body: Parameters = { resourceType: 'Parameters', parameter };
  return { status: 200, headers: {}, body };
}

/** Every current SearchParameter resource, all pages. */
async function storedSearchParameters(ctx: Context): Promise<Array<SearchParameter & { id: string }>> {
  const out: Array<SearchParameter & { id: string }> = [];
  const query: SearchQuery = { types: ['SearchParameter'], filters: [], sort: [], count: PAGE, total: 'none' };
  for (let cursor: string | undefined, first = true; first || cursor; first = false) {
    const page = await ctx.store.search({ ...query, cursor });
    for (const v of page.entries) out.push(v.resource as SearchParameter & { id: string });
    cursor = page.next;
  }
  return out;
}

/** Every type that had or now has custom parameters: their entries must be rebuilt (to add or to drop values). */
function changedTypes(before: string[], after: string[]): string[] {
  return [...new Set([...before, ...after])].sort();
}

function typesText(types: readonly string[]): string {
  if (types.length === 0) return 'no type';
  return types.length > 5 ? `${types.length} types` : types.join(', ');
}

export const reindexOperation: Operation = { definition, resourceTypes: 'all', handler: reindexHandler };
