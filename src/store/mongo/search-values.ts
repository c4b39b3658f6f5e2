import type { FilterValue, ReferenceValue, TokenValue } from '../../search/model';
import { pathPrefixes } from '../../search/uri-parents';
import { exactString, foldString } from '../../search/normalize';
import type { SearchParameters } from '../../search/parameters';
import { invalidValue, notSupported, value } from './search-conditions';
import { escapePart, key, keyPrefix, literalPattern, SEPARATOR, type KeyTest } from './search-keys';

/**
 * Tests on the search keys (search-fields.ts) for the token, string, uri and reference values of a search:
 * https://hl7.org/fhir/R4/search.html#token, #string, #uri, #reference. Each function returns the arms of one value
 * for one stored parameter: lists of key tests that one entry must pass together; the caller ORs the arms.
 */

/** What a value's tests may depend on besides the value: the searched types, the store's clock and parameters. */
export interface ArmContext {
  types: readonly string[];
  now: number;
  parameters: SearchParameters;
}

/** `param` is the stored parameter (a union parameter is searched through each of its parts). */
export type Arms = (param: string, modifier: string | undefined, v: FilterValue, ctx: ArmContext) => KeyTest[][];

/**
 * token `code ␁ system` keys: `system|code` is one key, `code` (any system) a prefix, `system|` (any code) a
 * pattern over the parameter's keys; `:text` matches the folded display text from its start.
 */
export const tokenArms: Arms = (param, modifier, v) => {
  if (modifier === 'text') return [[{ field: 'x', prefix: keyPrefix(param) + escapePart(foldString(textOf(param, v))) }]];
  if (modifier !== undefined && modifier !== 'not') throw notSupported(`Modifier ':${modifier}' is not supported on '${param}'`, param);
  if (v.kind === 'string') return [[tokenTest(param, { code: v.value })]];
  if (v.kind !== 'token') throw invalidValue(param, `a ${v.kind} value`);
  return [[tokenTest(param, v.value)]];
};

function textOf(param: string, v: FilterValue): string {
  if (v.kind === 'string') return value(v.value, param);
  if (v.kind === 'token' && v.value.code !== undefined) return value(v.value.code, param);
  throw invalidValue(param, `a ${v.kind} value for :text`);
}

function tokenTest(param: string, t: TokenValue): KeyTest {
  const code = t.code === undefined ? undefined : value(t.code, param);
  const system = t.system === undefined ? undefined : value(t.system, param);
  if (code !== undefined && system !== undefined) return { field: 't', eq: key(param, code, system) };
  if (code !== undefined) return { field: 't', prefix: keyPrefix(param, code) };
  if (system !== undefined) {
    const pattern = `^${literalPattern(keyPrefix(param))}[^${SEPARATOR}]*${literalPattern(SEPARATOR + escapePart(system))}$`;
    return { field: 't', regex: pattern };
  }
  return { field: 't', prefix: keyPrefix(param) };
}

/**
 * `:of-type=typeSystem|typeCode|value` arrives as two token values (the Identifier.type coding, then the value),
 * see src/search/parse-values.ts parseOfType.
 */
export const ofTypeArms: Arms = (param, _modifier, v) => {
  const parts = v.kind === 'composite' ? v.value : [];
  const [typeCoding, identifier] = parts.map((p) => (p.kind === 'token' ? p.value : undefined));
  if (parts.length !== 2 || !typeCoding?.code || !identifier?.code) {
    throw invalidValue(param, 'an :of-type value other than typeSystem|typeCode|value');
  }
  const typeCode = value(typeCoding.code, param);
  const code = value(identifier.code, param);
  if (typeCoding.system === undefined) return [[{ field: 'i', prefix: keyPrefix(param, typeCode, code) }]];
  return [[{ field: 'i', eq: key(param, typeCode, code, value(typeCoding.system, param)) }]];
};

/**
 * string: folded starts-with by default, `:exact` on the value as written, `:contains` a folded substring. The
 * query value is folded by the function that folded the stored one (src/search/normalize.ts).
 */
export const stringArms: Arms = (param, modifier, v) => {
  if (v.kind !== 'string') throw invalidValue(param, `a ${v.kind} value`);
  const text = value(v.value, param);
  switch (modifier) {
    case undefined:
      return [[{ field: 's', prefix: keyPrefix(param) + escapePart(foldString(text)) }]];
    case 'exact':
      return [[{ field: 'e', eq: key(param, exactString(text)) }]];
    case 'contains':
      return [[{ field: 's', regex: `^${literalPattern(keyPrefix(param))}.*${literalPattern(escapePart(foldString(text)))}` }]];
    default:
      throw notSupported(`Modifier ':${modifier}' is not supported on '${param}'`, param);
  }
};

/** uri: equal as written; `:below` starts with the value; `:above` is the value or a `/`-prefix of it. */
export const uriArms: Arms = (param, modifier, v) => {
  if (v.kind !== 'uri' && v.kind !== 'string') throw invalidValue(param, `a ${v.kind} value`);
  const uri = exactString(value(v.value, param));
  switch (modifier) {
    case undefined:
      return [[{ field: 'u', eq: key(param, uri) }]];
    case 'below':
      return [[{ field: 'u', prefix: keyPrefix(param) + escapePart(uri) }]];
    case 'above':
      return [[{ field: 'u', in: pathPrefixes(uri).map((u) => key(param, u)) }]];
    default:
      throw notSupported(`Modifier ':${modifier}' is not supported on '${param}'`, param);
  }
};

/**
 * reference: `Type/id`, a bare id (any type the parameter may refer to), an absolute URL or canonical
 * `url|version`, or with `:identifier` a `system|value` matched against Reference.identifier. A version in
 * `Type/id/_history/v` is not compared: the search finds references to the resource, whichever version they name.
 */
export const referenceArms: Arms = (param, modifier, v, ctx) => {
  if (modifier === 'identifier') return [[identifierTest(param, v)]];
  if (modifier !== undefined) throw notSupported(`Modifier ':${modifier}' is not supported on '${param}'`, param);
  if (v.kind !== 'reference') throw invalidValue(param, `a ${v.kind} value`);
  return [[referenceTest(param, v.value, ctx)]];
};

function identifierTest(param: string, v: FilterValue): KeyTest {
  if (v.kind !== 'token' || v.value.code === undefined) throw invalidValue(param, 'an :identifier value without a value part');
  const identifier = value(v.value.code, param);
  if (v.value.system === undefined) return { field: 'ri', prefix: keyPrefix(param, identifier) };
  return { field: 'ri', eq: key(param, identifier, value(v.value.system, param)) };
}

function referenceTest(param: string, ref: ReferenceValue, ctx: ArmContext): KeyTest {
  if (ref.url !== undefined) {
    const url = value(ref.url, param);
    if (ref.version === undefined) return { field: 'ru', prefix: keyPrefix(param, url) };
    return { field: 'ru', eq: key(param, url, value(ref.version, param)) };
  }
  if (ref.id === undefined) throw invalidValue(param, 'a reference without an id or URL');
  const id = value(ref.id, param);
  if (ref.type !== undefined) return { field: 'r', eq: key(param, `${value(ref.type, param)}/${id}`) };
  const targets = referenceTargets(ctx, param);
  if (targets.length > 0) return { field: 'r', in: targets.map((t) => key(param, `${t}/${id}`)) };
  return { field: 'r', regex: `^${literalPattern(keyPrefix(param))}[A-Za-z]+/${literalPattern(escapePart(id))}$` };
}

/** The types a reference parameter of the searched types may point at; none when unknown. */
function referenceTargets(ctx: ArmContext, param: string): string[] {
  const targets = new Set<string>();
  for (const type of ctx.types) for (const t of ctx.parameters.support(type, param)?.targets ?? []) targets.add(t);
  return [...targets];
}
