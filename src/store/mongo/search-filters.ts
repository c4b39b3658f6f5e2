import type { Document } from 'mongodb';
import type { Filter, FilterValue, HasFilter, ParamFilter, ParamType } from '../../search/model';
import { anyOf, every, invalidValue, notSupported, NOTHING, paramsOf, typeTest, value } from './search-conditions';
import { isExactOnServer, keyCondition, keyMatches, type KeyTest } from './search-keys';
import { dateArms, lastUpdatedCondition, numberArms, quantityArms } from './search-ranges';
import { chainCondition, compartmentCondition, hasCondition, type StageContext } from './search-stages';
import { ofTypeArms, referenceArms, stringArms, tokenArms, uriArms, type ArmContext, type Arms } from './search-values';

/**
 * Filters of the search model as MongoDB conditions on resources documents (https://hl7.org/fhir/R4/search.html).
 * A plain parameter is an OR of arms, each one or more tests on the search keys of `ix` (search-keys.ts); a key
 * test that one string satisfies or not is exact on every server. Two kinds of test are only a narrowing there,
 * and come with `verify`, which the caller applies to each document the server returns:
 * - an arm that tests two aligned arrays (a date's low and high end, a quantity's system and value) must hold
 *   for one entry, and the server cannot pair array positions;
 * - a range on a key array is an `$elemMatch`, exact on MongoDB and a narrowing on FerretDB v1, which applies
 *   the bounds to the array as a whole.
 * Composites, whose components must match in one tuple, are found by their first component and verified.
 * Chains and `_has` are resolved first, in stages (search-stages.ts), and become `$in` lists.
 */

export interface Compiled {
  condition: Document;
  /** Whether a document the condition returned matches, from its `ix`; absent when the condition is exact. */
  verify?: (ix: Document) => boolean;
  /** The `ix` fields `verify` reads. */
  fields: string[];
}

const KINDS: Partial<Record<ParamType, Arms>> = {
  token: tokenArms,
  string: stringArms,
  date: dateArms,
  number: numberArms,
  quantity: quantityArms,
  uri: uriArms,
  reference: referenceArms,
};

/** The current, non-deleted resources of `types` (none: any type) that match every filter. */
export async function compileQuery(types: readonly string[], filters: readonly Filter[], ctx: StageContext): Promise<Compiled> {
  const parts: Compiled[] = [];
  for (const f of filters) parts.push(await compileFilter(f, types, ctx));
  const checks = parts.flatMap((p) => (p.verify ? [p.verify] : []));
  const compiled: Compiled = {
    condition: every([{ deleted: false }, typeTest(types), ...parts.map((p) => p.condition)]),
    fields: [...new Set(parts.flatMap((p) => p.fields))],
  };
  if (checks.length > 0) compiled.verify = (ix) => checks.every((check) => check(ix));
  return compiled;
}

async function compileFilter(f: Filter, types: readonly string[], ctx: StageContext): Promise<Compiled> {
  switch (f.kind) {
    case 'param':
      if (f.param === '_list' && !f.values.some((v) => v.kind === 'missing')) return exact(await hasCondition(listFilter(f), types, ctx, compileQuery));
      return compileParam(f, { types, now: ctx.now, parameters: ctx.parameters });
    case 'chain':
      return exact(await chainCondition(f, types, ctx, compileQuery));
    case 'has':
      return exact(await hasCondition(f, types, ctx, compileQuery));
    case 'compartment':
      return exact(compartmentCondition(f, types));
    case 'all': {
      const parts: Compiled[] = [];
      for (const inner of f.filters) parts.push(await compileFilter(inner, types, ctx));
      const checks = parts.flatMap((p) => (p.verify ? [p.verify] : []));
      const all: Compiled = { condition: every(parts.map((p) => p.condition)), fields: [...new Set(parts.flatMap((p) => p.fields))] };
      if (checks.length > 0) all.verify = (ix) => checks.every((check) => check(ix));
      return all;
    }
    default:
      throw invalidValue('_filter', 'an unknown filter');
  }
}

function exact(condition: Document): Compiled {
  return { condition, fields: [] };
}

/** A parameter's condition; no I/O. */
export function compileParam(f: ParamFilter, ctx: ArmContext): Compiled {
  if (f.values.some((v) => v.kind === 'missing')) return exact(missingCondition(f, ctx.types));
  if (f.param === '_id') return exact(idCondition(f, ctx.types));
  if (f.param === '_lastUpdated') return exact(lastUpdated(f, ctx));
  if (f.modifier === 'of-type') return compileEntries(f, ctx, ofTypeArms);
  if (f.type === 'composite') return compileComposite(f, ctx);
  const arms = KINDS[f.type];
  if (!arms) throw notSupported(`Parameters of type ${f.type} are not supported`, f.param);
  return compileEntries(f, ctx, arms);
}

/**
 * Some entry matches one arm of one value (for a union parameter: of one of its parts). `:not` (tokens, whose
 * tests are exact) keeps the resources with no matching entry, including those without the parameter at all:
 * https://hl7.org/fhir/R4/search.html#modifiers
 */
function compileEntries(f: ParamFilter, ctx: ArmContext, arms: Arms): Compiled {
  const all = paramsOf(ctx.types, f.param).flatMap((param) => f.values.flatMap((v) => arms(param, f.modifier, v, ctx)));
  const condition = anyOf(all.map((arm) => every(arm.map(keyCondition))));
  const needsCheck = all.some((arm) => arm.length > 1 || !isExactOnServer(arm[0]));
  if (f.modifier === 'not') {
    if (needsCheck) throw notSupported(`':not' is not supported on '${f.param}'`, f.param);
    return exact({ $nor: [condition] });
  }
  if (!needsCheck) return exact(condition);
  return { condition, verify: (ix) => all.some((arm) => armHolds(arm, ix)), fields: [...new Set(all.flatMap((arm) => arm.map((t) => t.field)))] };
}

/**
 * One entry passes every test of the arm. Tests on one array: one of its keys; on several: the keys at one
 * position of each, since such arrays are written aligned (search-fields.ts).
 */
function armHolds(arm: readonly KeyTest[], keys: Document): boolean {
  const lists = arm.map((t) => (Array.isArray(keys[t.field]) ? (keys[t.field] as unknown[]) : []));
  if (arm.length === 1) return lists[0].some((k) => typeof k === 'string' && keyMatches(arm[0], k));
  const n = Math.min(...lists.map((l) => l.length));
  for (let i = 0; i < n; i++) {
    if (arm.every((t, j) => typeof lists[j][i] === 'string' && keyMatches(t, lists[j][i] as string))) return true;
  }
  return false;
}

/** `_id`: the document key `<type>/<id>` when the types are known, else the `id` field. */
function idCondition(f: ParamFilter, types: readonly string[]): Document {
  const ids = f.values.map((v) => {
    if (v.kind === 'id' || v.kind === 'string') return value(v.value, '_id');
    if (v.kind === 'token' && v.value.code !== undefined) return value(v.value.code, '_id');
    throw invalidValue('_id', `a ${v.kind} value`);
  });
  const op = f.modifier === 'not' ? '$nin' : '$in';
  if (types.length === 0) return { id: { [op]: ids } };
  return { _id: { [op]: types.flatMap((t) => ids.map((id) => `${t}/${id}`)) } };
}

/**
 * `_list=id`: the resources a List's `item` parameter (List.entry.item) refers to, i.e. `_has:List:item:_id=id`
 * (https://hl7.org/fhir/R4/search.html#list). Functional lists are refused by the parser.
 */
function listFilter(f: ParamFilter): HasFilter {
  if (f.modifier !== undefined) throw notSupported(`Modifier ':${f.modifier}' is not supported on '_list'`, f.param);
  return { kind: 'has', type: 'List', param: 'item', filter: { kind: 'param', param: '_id', type: 'token', values: f.values } };
}

function lastUpdated(f: ParamFilter, ctx: ArmContext): Document {
  if (f.modifier !== undefined) throw notSupported(`Modifier ':${f.modifier}' is not supported on '_lastUpdated'`, f.param);
  return anyOf(f.values.map((v) => {
    if (v.kind !== 'date') throw invalidValue('_lastUpdated', `a ${v.kind} value`);
    return lastUpdatedCondition(v.value, ctx.now);
  }));
}

/** `:missing=true`: the resource has no value for the parameter (`ix.p` lists those it has); `false`: it has one. */
function missingCondition(f: ParamFilter, types: readonly string[]): Document {
  const tests = f.values.map((v) => {
    if (v.kind !== 'missing') throw invalidValue(f.param, ':missing mixed with other values');
    if (f.param === '_id' || f.param === '_lastUpdated') return v.value ? NOTHING : {};
    if (f.type !== 'composite' && !KINDS[f.type]) throw notSupported(`':missing' is not supported on '${f.param}'`, f.param);
    return { 'ix.p': { [v.value ? '$nin' : '$in']: paramsOf(types, f.param) } };
  });
  return tests.some((t) => Object.keys(t).length === 0) ? {} : anyOf(tests);
}

/**
 * composite `a$b`: one tuple (item of the composite's expression, e.g. one Observation.component) in which every
 * component has an entry matching its part of the value: https://hl7.org/fhir/R4/search.html#composite. The server
 * finds the resources whose first component matches in some tuple (`ix.c0`); `verify` pairs the components.
 */
function compileComposite(f: ParamFilter, ctx: ArmContext): Compiled {
  if (f.modifier !== undefined) throw notSupported(`Modifier ':${f.modifier}' is not supported on '${f.param}'`, f.param);
  const alternatives = paramsOf(ctx.types, f.param).flatMap((param) => f.values.map((v) => {
    if (v.kind !== 'composite' || v.value.length === 0) throw invalidValue(f.param, `a ${v.kind} value`);
    return v.value.map((component) => componentArms(f.param, component)(param, undefined, component, ctx));
  }));
  const first = alternatives.flatMap((components) => components[0]);
  const condition = anyOf(first.map((arm) => every(arm.map((t) => keyCondition({ ...t, field: `c0.${t.field}` })))));
  const verify = (ix: Document) => {
    const tuples = Array.isArray(ix.c) ? (ix.c as Document[]) : [];
    return tuples.some((tuple) => alternatives.some((components) => components.every((arms, i) => {
      const keys = (tuple[`c${i}`] as Document | undefined) ?? {};
      return arms.some((arm) => armHolds(arm, keys));
    })));
  };
  return { condition, verify, fields: ['c'] };
}

const COMPONENT_KINDS: Partial<Record<FilterValue['kind'], ParamType>> = {
  token: 'token', string: 'string', uri: 'uri', reference: 'reference', date: 'date', number: 'number', quantity: 'quantity',
};

function componentArms(code: string, v: FilterValue): Arms {
  const type = COMPONENT_KINDS[v.kind];
  const arms = type && KINDS[type];
  if (!arms) throw invalidValue(code, `a ${v.kind} component`);
  return arms;
}
