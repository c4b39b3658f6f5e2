import { isResourceType } from '../fhir/definitions';
import { FhirError, invalid } from '../fhir/errors';
import type { ChainFilter, Filter, FilterValue, HasFilter, ParamFilter, ParamType } from './model';
import {
  parseDate, parseId, parseMissing, parseNumber, parseOfType, parseQuantity, parseReference, parseToken, shown,
  splitOr, splitUnescaped, unescape,
} from './parse-values';
import type { SearchParameters } from './parameters';
import type { ComponentSupport, ParamSupport } from './support';

/**
 * One `name=value` selection parameter as a Filter: the name grammar (modifiers, chains, reverse chains) resolved
 * against the parameter table, and each OR value parsed by its parameter's type.
 * https://hl7.org/fhir/R4/search.html#chaining, #has, #modifiers
 */

/** `a.b.c.d.e`: four references followed. Each link is a join in the store. */
export const MAX_CHAIN_DEPTH = 4;
/** `_has:…:_has:…:_has:…`: three reverse links. */
export const MAX_HAS_DEPTH = 3;
/** Comma-separated values of one parameter; a longer OR list is answered 400 (too-costly), not truncated. */
export const MAX_OR_VALUES = 1000;

interface Scope {
  /** The types the name is resolved against: all searched types, or the targets of a chain, or a `_has` type. */
  types: string[];
  /** The parameter name as written, for diagnostics. */
  written: string;
  baseUrl?: string;
  parameters: SearchParameters;
  chains: number;
  hases: number;
}

/**
 * `name=raw` over `types` (ANDed with the other filters of the query), or undefined when the parameter `name` starts
 * with is not one the server evaluates on every type (the caller ignores or rejects it). Anything wrong after that
 * point (a modifier, a chain, a value) is a 400.
 */
export function parseFilter(types: string[], name: string, raw: string, at: FilterContext): Filter | undefined {
  const scope: Scope = { types, written: name, baseUrl: at.baseUrl, parameters: at.parameters, chains: 0, hases: 0 };
  if (name.startsWith('_has:')) return hasFilter(scope, name.slice('_has:'.length), raw);
  const support = commonSupport(scope, headCode(name));
  return support ? filterWith(scope, name, raw, support) : undefined;
}

export interface FilterContext {
  /** This server's base URL, so that absolute references to it match the `Type/id` the index stores. */
  baseUrl?: string;
  parameters: SearchParameters;
}

/** The parameter code a name starts with: `subject` in `subject:Patient.name:exact`. */
export function headCode(name: string): string {
  const m = /^[^:.]*/.exec(name);
  return m ? m[0] : name;
}

/** A name inside a chain or `_has`: the parameter must exist on every type in scope, else 400. */
function nestedFilter(scope: Scope, name: string, raw: string): Filter {
  if (name.startsWith('_has:')) return hasFilter(scope, name.slice('_has:'.length), raw);
  const code = headCode(name);
  const supports = scope.types.map((t) => scope.parameters.support(t, code));
  if (supports.some((s) => !s)) {
    throw invalid(`'${code}' is not a search parameter of ${typesText(scope.types)}, in '${shown(scope.written)}'`, [scope.written]);
  }
  const support = merged(supports as ParamSupport[]);
  if (!support) {
    throw invalid(`'${code}' has different types on ${typesText(scope.types)}; name the target with :[type], in '${shown(scope.written)}'`, [scope.written]);
  }
  return filterWith(scope, name, raw, support);
}

/** The one support of `code` on all `types`, or undefined when some type lacks it or types disagree. */
function commonSupport(scope: Scope, code: string): ParamSupport | undefined {
  const { types } = scope;
  if (types.length === 0) return undefined;
  const supports = types.map((t) => scope.parameters.support(t, code));
  return supports.every((s) => s) ? merged(supports as ParamSupport[]) : undefined;
}

/** Several types' support of one code: same type required; modifiers all share; targets of any. */
function merged(supports: ParamSupport[]): ParamSupport | undefined {
  const [first] = supports;
  if (supports.length === 1) return first;
  if (supports.some((s) => s.type !== first.type)) return undefined;
  const modifiers = first.modifiers.filter((m) => supports.every((s) => s.modifiers.includes(m)));
  const targets = first.targets && [...new Set(supports.flatMap((s) => s.targets ?? []))];
  return { ...first, modifiers, targets, sortable: supports.every((s) => s.sortable) };
}

function filterWith(scope: Scope, name: string, raw: string, support: ParamSupport): Filter {
  const dot = name.indexOf('.');
  const head = dot < 0 ? name : name.slice(0, dot);
  const colon = head.indexOf(':');
  const code = colon < 0 ? head : head.slice(0, colon);
  const modifier = colon < 0 ? undefined : head.slice(colon + 1);
  if (dot >= 0) return chainFilter(scope, { code, modifier, support }, name.slice(dot + 1), raw);
  return paramFilter(scope, { code, modifier, support }, raw);
}

interface Head {
  code: string;
  modifier?: string;
  support: ParamSupport;
}

/**
 * `ref[:Type].rest`: the targets are SearchParameter.target (or the one `:Type`), narrowed to those on which `rest`
 * names a parameter; none left is a 400. https://hl7.org/fhir/R4/search.html#chaining
 */
function chainFilter(scope: Scope, head: Head, rest: string, raw: string): ChainFilter {
  const { code, modifier, support } = head;
  if (support.type !== 'reference') throw invalid(`'${code}' is not a reference parameter and cannot be chained, in '${shown(scope.written)}'`, [scope.written]);
  if (scope.chains >= MAX_CHAIN_DEPTH) throw tooCostly(`Chains are limited to ${MAX_CHAIN_DEPTH} links, in '${shown(scope.written)}'`, scope.written);
  if (rest === '') throw invalid(`A chain needs a parameter after '${code}.', in '${shown(scope.written)}'`, [scope.written]);
  let targets: readonly string[] = support.targets ?? [];
  if (modifier !== undefined) {
    if (!targets.includes(modifier)) throw invalid(`'${code}' cannot refer to '${modifier}', in '${shown(scope.written)}'`, [scope.written]);
    targets = [modifier];
  }
  const next = rest.startsWith('_has:') ? [...targets] : targets.filter((t) => scope.parameters.support(t, headCode(rest)));
  if (next.length === 0) {
    throw invalid(`'${headCode(rest)}' is not a search parameter of any target of '${code}' (${typesText(targets)}), in '${shown(scope.written)}'`, [scope.written]);
  }
  const filter = nestedFilter({ ...scope, types: next, chains: scope.chains + 1 }, rest, raw);
  return { kind: 'chain', param: code, targetTypes: next, filter };
}

/**
 * `_has:Type:ref:rest`: resources that a Type resource refers to through `ref`, where `rest` matches on Type.
 * https://hl7.org/fhir/R4/search.html#has
 */
function hasFilter(scope: Scope, spec: string, raw: string): HasFilter {
  if (scope.hases >= MAX_HAS_DEPTH) throw tooCostly(`_has is limited to ${MAX_HAS_DEPTH} levels, in '${shown(scope.written)}'`, scope.written);
  const m = /^([A-Za-z]+):([A-Za-z0-9_-]+):(.+)$/.exec(spec);
  if (!m) throw invalid(`_has takes the form _has:Type:param:filter, got '${shown(scope.written)}'`, [scope.written]);
  const [, type, param, rest] = m;
  if (!isResourceType(type)) throw invalid(`'${type}' is not a resource type, in '${shown(scope.written)}'`, [scope.written]);
  const ref = scope.parameters.support(type, param);
  if (ref?.type !== 'reference') throw invalid(`'${param}' is not a reference parameter of ${type}, in '${shown(scope.written)}'`, [scope.written]);
  const targets = ref.targets ?? [];
  if (targets.length > 0 && !scope.types.some((t) => targets.includes(t))) {
    throw invalid(`${type}.${param} cannot refer to ${typesText(scope.types)}, in '${shown(scope.written)}'`, [scope.written]);
  }
  const filter = nestedFilter({ ...scope, types: [type], hases: scope.hases + 1 }, rest, raw);
  return { kind: 'has', type, param, filter };
}

/** A plain (unchained) parameter: its OR values, each parsed as the modifier and type say. */
function paramFilter(scope: Scope, head: Head, raw: string): ParamFilter {
  if (head.code === '_has') throw invalid(`_has takes the form _has:Type:param:filter, got '${shown(scope.written)}'`, [scope.written]);
  const texts = splitOr(raw);
  if (texts.length > MAX_OR_VALUES) {
    throw tooCostly(`At most ${MAX_OR_VALUES} comma-separated values per parameter, got ${texts.length} in '${shown(scope.written)}'`, scope.written);
  }
  if (texts.some((t) => t === '')) throw invalid(`Empty value in '${shown(scope.written)}'`, [scope.written]);
  const { modifier, parse } = valueParser(scope, head);
  const filter: ParamFilter = { kind: 'param', param: head.code, type: head.support.type, values: texts.map(parse) };
  if (modifier !== undefined) filter.modifier = modifier;
  return filter;
}

type ValueParser = (text: string) => FilterValue;

/**
 * The parser for one modifier. A reference `:[type]` modifier is folded into the values (`subject:Patient=1` is
 * `subject=Patient/1`, as the spec defines it), so ParamFilter.modifier is never a resource type.
 */
function valueParser(scope: Scope, head: Head): { modifier?: string; parse: ValueParser } {
  const { code, modifier, support } = head;
  const name = scope.written;
  if (modifier === undefined) return { parse: plainParser(scope, code, support) };
  if (support.notSupportedModifiers.includes(modifier)) {
    throw new FhirError('not-supported', { diagnostics: `Modifier ':${modifier}' on '${code}' is not supported yet`, expression: [name] });
  }
  if (support.type === 'reference' && support.targets?.includes(modifier)) {
    const ctx = { targets: support.targets, type: modifier, baseUrl: scope.baseUrl };
    return { parse: (t) => ({ kind: 'reference', value: parseReference(t, name, ctx) }) };
  }
  if (!support.modifiers.includes(modifier)) {
    const allowed = support.modifiers.map((m) => `:${m}`).join(', ') || 'none';
    throw invalid(`Unknown modifier ':${shown(modifier)}' on '${code}' (allowed: ${allowed})`, [name]);
  }
  return { modifier, parse: modifierParser(scope, code, modifier, support) };
}

function modifierParser(scope: Scope, code: string, modifier: string, support: ParamSupport): ValueParser {
  const name = scope.written;
  switch (modifier) {
    case 'missing':
      return (t) => ({ kind: 'missing', value: parseMissing(t, name) });
    case 'text':
      return (t) => ({ kind: 'string', value: unescape(t) });
    case 'identifier':
      return (t) => ({ kind: 'token', value: parseToken(t) });
    case 'of-type':
      return (t) => ({ kind: 'composite', value: parseOfType(t, name).map((v) => ({ kind: 'token', value: v })) });
    default: // exact, contains, not, above, below: the plain value grammar, read differently by the store
      return plainParser(scope, code, support);
  }
}

function plainParser(scope: Scope, code: string, support: ParamSupport): ValueParser {
  const name = scope.written;
  if (code === '_id') return (t) => ({ kind: 'id', value: parseId(t, name) });
  if (code === '_list') return (t) => ({ kind: 'id', value: listId(t, name) });
  if (support.type === 'composite') return (t) => compositeValue(t, name, support.components ?? [], scope.baseUrl);
  const type = support.type;
  const ctx = { targets: support.targets, baseUrl: scope.baseUrl };
  return (t) => typedValue(type, t, name, ctx);
}

/** `_list=id`; functional lists (`_list=$current-problems`) need list semantics we do not have. */
function listId(text: string, name: string): string {
  if (text.startsWith('$')) {
    throw new FhirError('not-supported', { diagnostics: `Functional list '${shown(text)}' is not supported`, expression: [name] });
  }
  return parseId(text, name);
}

/** A value of one of the basic types, alone or as a composite component. */
function typedValue(type: ParamType, text: string, name: string, ctx: { targets?: readonly string[]; baseUrl?: string }): FilterValue {
  switch (type) {
    case 'token': return { kind: 'token', value: parseToken(text) };
    case 'string': return { kind: 'string', value: unescape(text) };
    case 'uri': return { kind: 'uri', value: unescape(text) };
    case 'date': return { kind: 'date', value: parseDate(text, name) };
    case 'number': return { kind: 'number', value: parseNumber(text, name) };
    case 'quantity': return { kind: 'quantity', value: parseQuantity(text, name) };
    case 'reference': return { kind: 'reference', value: parseReference(text, name, ctx) };
    default:
      throw new FhirError('not-supported', { diagnostics: `Parameters of type ${type} are not supported here`, expression: [name] });
  }
}

/**
 * `a$b`: one value per component, each by its own definition's type (and prefixes):
 * https://hl7.org/fhir/R4/search.html#composite
 */
function compositeValue(text: string, name: string, components: readonly ComponentSupport[], baseUrl?: string): FilterValue {
  const parts = splitUnescaped(text, '$');
  if (parts.length !== components.length || parts.some((p) => p === '')) {
    throw invalid(`'${shown(text)}' needs ${components.length} non-empty components separated by '$' for '${name}'`, [name]);
  }
  const value = parts.map((p, i) => typedValue(components[i].type, p, name, { targets: components[i].targets, baseUrl }));
  return { kind: 'composite', value };
}

export function typesText(types: readonly string[]): string {
  if (types.length === 0) return 'no type';
  return types.length <= 4 ? types.join(', ') : `${types.slice(0, 3).join(', ')}, … (${types.length} types)`;
}

export function tooCostly(diagnostics: string, name: string): FhirError {
  return new FhirError('too-costly', { diagnostics, expression: [name] });
}

