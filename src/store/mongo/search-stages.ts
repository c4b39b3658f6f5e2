import type { ClientSession, Collection, Document } from 'mongodb';
import { FhirError } from '../../fhir/errors';
import type { ChainFilter, CompartmentFilter, Filter, HasFilter } from '../../search/model';
import type { SearchParameters } from '../../search/parameters';
import { anyOf, paramsOf, value } from './search-conditions';
import type { ResourceDoc } from './documents';
import type { Compiled } from './search-filters';
import { key, keyParts } from './search-keys';
import { scan } from './search-scan';

/**
 * Chained (`subject:Patient.name=x`), reverse-chained (`_has:Observation:patient:code=x`) and compartment search:
 * https://hl7.org/fhir/R4/search.html#chaining, #has; https://hl7.org/fhir/R4/compartmentdefinition.html
 *
 * A chain or `_has` is resolved in stages, innermost first: the resources the inner filter selects are read (keys
 * only) and the outer condition becomes an `$in` of reference keys or document keys, so chains nest to any depth
 * with plain queries and no `$lookup`. A stage never drops keys: one that would exceed MAX_STAGE_KEYS fails the
 * search with `too-costly` rather than answer from a part of the matches.
 */

/** Keys one stage may collect: a few MB of `$in` list, well inside the 16 MB a MongoDB command may take. */
export const MAX_STAGE_KEYS = 100_000;

export interface StageContext {
  resources: Collection<ResourceDoc>;
  session?: ClientSession;
  now: number;
  parameters: SearchParameters;
}

/** Compiles a nested query: the current resources of `types` that match every filter. */
export type NestedQuery = (types: readonly string[], filters: readonly Filter[], ctx: StageContext) => Promise<Compiled>;

/** Subjects whose reference `param` points at a current `targetTypes` resource matching the inner filter. */
export async function chainCondition(f: ChainFilter, types: readonly string[], ctx: StageContext, nested: NestedQuery): Promise<Document> {
  const inner = await nested(f.targetTypes, [f.filter], ctx);
  const targets: string[] = [];
  for await (const doc of scan(ctx.resources, inner, { projection: { _id: 1 }, session: ctx.session })) {
    if (typeof doc._id !== 'string') continue;
    targets.push(doc._id);
    if (targets.length > MAX_STAGE_KEYS) throw tooCostly(f.param);
  }
  const params = paramsOf(types, f.param);
  return { 'ix.r': { $in: params.flatMap((p) => targets.map((t) => key(p, t))) } };
}

/** Subjects that a current `type` resource matching the inner filter refers to through its `param`. */
export async function hasCondition(f: HasFilter, types: readonly string[], ctx: StageContext, nested: NestedQuery): Promise<Document> {
  const inner = await nested([f.type], [f.filter], ctx);
  const params = new Set(paramsOf([f.type], f.param));
  const wanted = (target: string) => types.length === 0 || types.includes(target.slice(0, target.indexOf('/')));
  const found = new Set<string>();
  for await (const doc of scan(ctx.resources, inner, { projection: { 'ix.r': 1 }, session: ctx.session })) {
    for (const k of referenceKeys(doc)) {
      const [param, target] = keyParts(k);
      if (!params.has(param) || target === undefined || !wanted(target) || found.has(target)) continue;
      found.add(target);
      if (found.size > MAX_STAGE_KEYS) throw tooCostly(`_has:${f.type}:${f.param}`);
    }
  }
  return { _id: { $in: [...found] } };
}

function referenceKeys(doc: Document): string[] {
  const keys = (doc.ix as Document | undefined)?.r;
  return Array.isArray(keys) ? keys.filter((k): k is string => typeof k === 'string') : [];
}

function tooCostly(param: string): FhirError {
  return new FhirError('too-costly', {
    diagnostics: `'${param}' selects more than ${MAX_STAGE_KEYS} intermediate resources; narrow the inner search`,
    expression: [param],
  });
}

/**
 * Compartment membership: a resource whose compartment parameters reference the compartment's owner, or the owner
 * itself. One `$or` arm per member type (only the searched ones), each an `ix.r` lookup of exact keys.
 */
export function compartmentCondition(f: CompartmentFilter, types: readonly string[]): Document {
  const owner = `${value(f.compartmentType, '_compartment')}/${value(f.id, '_compartment')}`;
  const arms: Document[] = Object.entries(f.paramsByType)
    .filter(([type]) => types.length === 0 || types.includes(type))
    .map(([type, params]) => ({ type, 'ix.r': { $in: params.map((p) => key(value(p, '_compartment'), owner)) } }));
  arms.push({ _id: owner });
  return anyOf(arms);
}
