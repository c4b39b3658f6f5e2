import type { SearchParameter } from 'fhir/r4';
import { resourceStructureDefinitions } from '../fhir/definitions';
import type { ParamType } from './model';

/**
 * How the server evaluates one search parameter: its type, the modifiers it accepts, sortability, reference targets,
 * composite components and the CapabilityStatement documentation. Read by the parser and by /metadata through the
 * parameter set (src/search/parameters.ts), so /metadata never lists a parameter that does not work.
 * https://hl7.org/fhir/R4/search.html#ptypes
 */
export interface ParamSupport {
  readonly type: ParamType;
  /** Modifiers the parser accepts. Reference `:[type]` modifiers are the `targets`, not listed here. */
  readonly modifiers: readonly string[];
  /** Modifiers FHIR defines for this type that we reject with `not-supported`. */
  readonly notSupportedModifiers: readonly string[];
  readonly sortable: boolean;
  readonly documentation: string;
  /** reference: SearchParameter.target, the resource types a reference may point at. */
  readonly targets?: readonly string[];
  /** composite: each component's own parameter type (and targets), in definition order. */
  readonly components?: readonly ComponentSupport[];
}

export interface ComponentSupport {
  readonly type: ParamType;
  readonly targets?: readonly string[];
}

/** Parameters of the spec that have no index here (full text, named queries, geo-distance). */
export const UNSUPPORTED: ReadonlyMap<string, string> = new Map([
  ['_text', 'full-text search of the narrative is not supported'],
  ['_content', 'full-text search of the resource content is not supported'],
  ['_query', 'named queries are not supported'],
  ['near', 'geographic distance search is not supported'],
]);

// https://hl7.org/fhir/R4/search.html#modifiers: which modifier each type takes.
const MODIFIERS: Readonly<Record<ParamType, readonly string[]>> = {
  string: ['exact', 'contains', 'missing'],
  token: ['text', 'not', 'missing'],
  date: ['missing'],
  number: ['missing'],
  quantity: ['missing'],
  uri: ['above', 'below', 'missing'],
  reference: ['missing', 'identifier'],
  composite: ['missing'],
  special: [],
};

/** Token modifiers that need terminology (subsumption, value set expansion) we do not have yet. */
const TOKEN_NOT_YET: readonly string[] = Object.freeze(['above', 'below', 'in', 'not-in']);

// https://hl7.org/fhir/R4/search.html#sort: parameters whose values have an order.
const SORTABLE = new Set<ParamType>(['string', 'token', 'date', 'number', 'quantity', 'uri', 'reference']);

/** `_has` and `_list` apply to every type but are not SearchParameter resources: https://hl7.org/fhir/R4/search.html#all */
export const SPECIAL: ReadonlyMap<string, ParamSupport> = new Map([
  ['_has', special('Reverse chaining: _has:Type:param:filter selects resources that a Type resource refers to through param, where filter matches')],
  ['_list', special('Resources in the List with this id (functional lists such as $current-problems are not supported)')],
]);

function special(documentation: string): ParamSupport {
  const none: readonly string[] = Object.freeze([]);
  return Object.freeze({ type: 'special', modifiers: none, notSupportedModifiers: none, sortable: false, documentation });
}

/**
 * How `sp` is evaluated on `type`. `definition` resolves composite component URLs. Frozen: entries are shared by
 * every caller for the life of the parameter set that made them.
 */
export function supportFor(type: string, sp: SearchParameter, definition: (url: string) => SearchParameter | undefined): ParamSupport {
  const paramType = sp.type as ParamType;
  const modifiers = [...MODIFIERS[paramType]];
  if (paramType === 'token' && sp.code !== '_id' && isIdentifierParam(type, sp)) modifiers.push('of-type');
  const support: Mutable<ParamSupport> = {
    type: paramType,
    modifiers: Object.freeze(sp.code === '_id' ? [] : modifiers),
    notSupportedModifiers: paramType === 'token' && sp.code !== '_id' ? TOKEN_NOT_YET : [],
    sortable: SORTABLE.has(paramType),
    documentation: '',
  };
  if (paramType === 'reference') support.targets = Object.freeze([...(sp.target ?? [])]);
  if (paramType === 'composite') support.components = Object.freeze(componentsOf(sp, definition));
  support.documentation = documentation(type, sp, support);
  return Object.freeze(support);
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** Components by their own definitions; the R4 bundle resolves every component URL (checked in tests). */
function componentsOf(sp: SearchParameter, definition: (url: string) => SearchParameter | undefined): ComponentSupport[] {
  return (sp.component ?? []).map((c) => {
    const def = definition(c.definition);
    if (!def) return Object.freeze({ type: 'special' });
    const type = def.type as ParamType;
    return Object.freeze(type === 'reference' ? { type, targets: Object.freeze([...(def.target ?? [])]) } : { type });
  });
}

/**
 * `:of-type` applies to parameters on Identifier elements only: https://hl7.org/fhir/R4/search.html#token
 * Decided from the element types in the resource's StructureDefinition, since codes such as
 * MessageHeader `response-id` (an `id`) look alike but are not Identifiers.
 */
function isIdentifierParam(type: string, sp: SearchParameter): boolean {
  const paths = expressionParts(type, sp);
  return paths.length > 0 && paths.every((p) => /\sas\s+Identifier$/.test(p) || elementTypes(type, p).includes('Identifier'));
}

function expressionParts(type: string, sp: SearchParameter): string[] {
  return (sp.expression ?? '')
    .split('|')
    .map((p) => p.trim().replace(/^\((.*)\)$/, '$1'))
    .filter((p) => p.startsWith(`${type}.`));
}

function elementTypes(type: string, path: string): string[] {
  const element = resourceStructureDefinitions().get(type)?.snapshot?.element?.find((e) => e.path === path);
  return (element?.type ?? []).map((t) => t.code);
}

/** CapabilityStatement.rest.resource.searchParam.documentation: what the spec says plus what we accept. */
function documentation(type: string, sp: SearchParameter, support: ParamSupport): string {
  const parts = [describe(type, sp), `Type ${support.type}.`];
  if (support.modifiers.length > 0) parts.push(`Modifiers: ${support.modifiers.map((m) => `:${m}`).join(', ')}.`);
  if (support.targets && support.targets.length > 0) parts.push('Also :[type] modifiers for its targets, and chaining.');
  if (support.notSupportedModifiers.length > 0) {
    parts.push(`${support.notSupportedModifiers.map((m) => `:${m}`).join(', ')} are not supported yet.`);
  }
  if (['date', 'number', 'quantity'].includes(support.type)) parts.push('Prefixes eq, ne, gt, lt, ge, le, sa, eb, ap.');
  if (support.sortable) parts.push('Sortable.');
  return parts.join(' ');
}

/** Shared definitions describe every base type in one markdown list; keep the line for this type. */
function describe(type: string, sp: SearchParameter): string {
  const text = sp.description ?? sp.code;
  const line = text.split(/\r?\n/).find((l) => l.startsWith(`* [${type}](`));
  const own = line ? line.slice(line.indexOf('): ') + 3) : text;
  return /[.!?]$/.test(own.trim()) ? own.trim() : `${own.trim()}.`;
}

