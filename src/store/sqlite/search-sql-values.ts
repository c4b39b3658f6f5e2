import type { FilterValue, ReferenceValue, TokenValue } from '../../search/model';
import { pathPrefixes } from '../../search/uri-parents';
import { exactString, foldString } from '../../search/normalize';
import { invalidValue, notSupported, type SqlBuilder } from './search-sql-builder';

/**
 * Conditions on one index row (alias `x`) for the token, string, uri and reference values of a search:
 * https://hl7.org/fhir/R4/search.html#token, #string, #uri, #reference. Each function returns the arms of one value
 * (ORed by the caller, usually as the branches of a UNION ALL so that each branch can use an index).
 */

export type Arms = (param: string, modifier: string | undefined, v: FilterValue, x: string, b: SqlBuilder) => string[];

/**
 * token: `system|code`, `|code`, `system|`, `code`; `:text` matches the folded display text from its start.
 * `:not` is the caller's negation of the plain match.
 */
export const tokenArms: Arms = (param, modifier, v, x, b) => {
  if (modifier === 'text') return [startsWith(`${x}.text`, foldString(textOf(param, v)), b)];
  if (modifier !== undefined && modifier !== 'not') throw notSupported(`Modifier ':${modifier}' is not supported on '${param}'`, param);
  if (v.kind === 'string') return [tokenMatch({ code: v.value }, x, b)];
  if (v.kind !== 'token') throw invalidValue(param, `a ${v.kind} value`);
  return [tokenMatch(v.value, x, b)];
};

function textOf(param: string, v: FilterValue): string {
  if (v.kind === 'string') return v.value;
  if (v.kind === 'token' && v.value.code !== undefined) return v.value.code;
  throw invalidValue(param, `a ${v.kind} value for :text`);
}

function tokenMatch(t: TokenValue, x: string, b: SqlBuilder): string {
  const conds: string[] = [];
  if (t.code !== undefined) conds.push(`${x}.code = ${b.bind(t.code)}`);
  if (t.system !== undefined) conds.push(`${x}.system = ${b.bind(t.system)}`);
  return conds.length > 0 ? conds.join(' AND ') : '1';
}

/**
 * `:of-type=typeSystem|typeCode|value` arrives as two token values (the Identifier.type coding, then the value),
 * see src/search/parse-values.ts parseOfType.
 */
export function ofTypeArm(param: string, v: FilterValue, x: string, b: SqlBuilder): string {
  const parts = v.kind === 'composite' ? v.value : [];
  const [typeCoding, value] = parts.map((p) => (p.kind === 'token' ? p.value : undefined));
  if (parts.length !== 2 || !typeCoding?.code || !value?.code) throw invalidValue(param, 'an :of-type value other than typeSystem|typeCode|value');
  const conds = [`${x}.type_code = ${b.bind(typeCoding.code)}`, `${x}.code = ${b.bind(value.code)}`];
  if (typeCoding.system !== undefined) conds.push(`${x}.type_system = ${b.bind(typeCoding.system)}`);
  return conds.join(' AND ');
}

/**
 * string: folded starts-with by default, `:exact` on the value as written, `:contains` a folded substring. The
 * query value is folded by the same function that folded the stored one (src/search/normalize.ts). `:exact` also
 * tests the folded column, which the exact value determines, so that it is answered from the lookup index.
 */
export const stringArms: Arms = (param, modifier, v, x, b) => {
  if (v.kind !== 'string') throw invalidValue(param, `a ${v.kind} value`);
  const folded = foldString(v.value);
  switch (modifier) {
    case undefined:
      return [startsWith(`${x}.value`, folded, b)];
    case 'exact':
      return [`${x}.value = ${b.bind(folded)} AND ${x}.exact = ${b.bind(exactString(v.value))}`];
    case 'contains':
      return [`instr(${x}.value, ${b.bind(folded)}) > 0`];
    default:
      throw notSupported(`Modifier ':${modifier}' is not supported on '${param}'`, param);
  }
};

/** uri: equal as written; `:below` starts with the value; `:above` is the value or a `/`-prefix of it. */
export const uriArms: Arms = (param, modifier, v, x, b) => {
  if (v.kind !== 'uri' && v.kind !== 'string') throw invalidValue(param, `a ${v.kind} value`);
  const uri = exactString(v.value);
  switch (modifier) {
    case undefined:
      return [`${x}.uri = ${b.bind(uri)}`];
    case 'below':
      return [startsWith(`${x}.uri`, uri, b)];
    case 'above':
      return [`${x}.uri IN (${b.list(pathPrefixes(uri))})`];
    default:
      throw notSupported(`Modifier ':${modifier}' is not supported on '${param}'`, param);
  }
};

/**
 * reference: `Type/id`, a bare id (any target type), an absolute URL or canonical `url|version`, or with
 * `:identifier` a `system|value` matched against Reference.identifier. A version in `Type/id/_history/v` is not
 * compared: the search finds references to the resource, whichever version they name.
 */
export const referenceArms: Arms = (param, modifier, v, x, b) => {
  if (modifier === 'identifier') return [identifierMatch(param, v, x, b)];
  if (modifier !== undefined) throw notSupported(`Modifier ':${modifier}' is not supported on '${param}'`, param);
  if (v.kind !== 'reference') throw invalidValue(param, `a ${v.kind} value`);
  return [referenceMatch(param, v.value, x, b)];
};

function identifierMatch(param: string, v: FilterValue, x: string, b: SqlBuilder): string {
  if (v.kind !== 'token' || v.value.code === undefined) throw invalidValue(param, 'an :identifier value without a value part');
  const conds = [`${x}.identifier_value = ${b.bind(v.value.code)}`];
  if (v.value.system !== undefined) conds.push(`${x}.identifier_system = ${b.bind(v.value.system)}`);
  return conds.join(' AND ');
}

function referenceMatch(param: string, ref: ReferenceValue, x: string, b: SqlBuilder): string {
  if (ref.url !== undefined) {
    const url = `${x}.url = ${b.bind(ref.url)}`;
    return ref.version === undefined ? url : `${url} AND ${x}.version = ${b.bind(ref.version)}`;
  }
  if (ref.id === undefined) throw invalidValue(param, 'a reference without an id or URL');
  const id = `${x}.target_id = ${b.bind(ref.id)}`;
  return ref.type === undefined ? id : `${id} AND ${x}.target_type = ${b.bind(ref.type)}`;
}

/**
 * `column` starts with `prefix`, as a range the column's index can scan: [prefix, successor). Text compares by
 * code point (SQLite's BINARY collation on UTF-8), so every string that starts with the prefix is below the
 * prefix with its last code point incremented, and nothing else in the range fails to start with it.
 */
export function startsWith(column: string, prefix: string, b: SqlBuilder): string {
  if (prefix === '') return `${column} IS NOT NULL`;
  const upper = successor(prefix);
  const low = `${column} >= ${b.bind(prefix)}`;
  return upper === undefined ? low : `${low} AND ${column} < ${b.bind(upper)}`;
}

const MAX_CODE_POINT = 0x10ffff;

/** The least string greater than every string starting with `prefix`, or undefined if there is none. */
export function successor(prefix: string): string | undefined {
  const points = Array.from(prefix, (c) => c.codePointAt(0)!);
  while (points.length > 0 && points[points.length - 1] === MAX_CODE_POINT) points.pop();
  if (points.length === 0) return undefined;
  let last = points.pop()! + 1;
  if (last === 0xd800) last = 0xe000; // surrogates are not characters; UTF-8 never encodes them
  return String.fromCodePoint(...points, last);
}
