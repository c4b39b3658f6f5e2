import { isResourceType } from '../fhir/definitions';
import { invalid } from '../fhir/errors';
import { instantRange } from '../fhir/instants';
import type { DateValue, NumberValue, Prefix, QuantityValue, ReferenceValue, TokenValue } from './model';

/**
 * The value grammar of each search parameter type, one value at a time (OR-lists are split before, by splitOr).
 * Escapes (`\,` `\$` `\|` `\\`) are kept while a value is split and removed from each final piece, so a separator
 * written with a backslash never splits: https://hl7.org/fhir/R4/search.html#escaping
 * Every failure is a FhirError 'invalid' (400) naming the parameter.
 */

/** OR-separated values; `\,` is a literal comma: https://hl7.org/fhir/R4/search.html#escaping */
export function splitOr(raw: string): string[] {
  return splitUnescaped(raw, ',');
}

/** Splits at every `separator` not preceded by an escaping backslash; escapes stay in the pieces. */
export function splitUnescaped(raw: string, separator: string): string[] {
  const out: string[] = [];
  let start = 0;
  for (let i = 0; i < raw.length; i++) {
    if (raw[i] === '\\') i++;
    else if (raw[i] === separator) {
      out.push(raw.slice(start, i));
      start = i + 1;
    }
  }
  out.push(raw.slice(start));
  return out;
}

/** Input quoted back in a diagnostic, cut short so that a huge value does not make a huge OperationOutcome. */
export function shown(text: string): string {
  return text.length <= 100 ? text : `${text.slice(0, 100)}…`;
}

/** Removes the four escapes FHIR defines; any other backslash is a literal character. */
export function unescape(value: string): string {
  return value.replace(/\\([\\,$|])/g, '$1');
}

const PREFIXES: ReadonlySet<string> = new Set<Prefix>(['eq', 'ne', 'gt', 'lt', 'ge', 'le', 'sa', 'eb', 'ap']);

/**
 * A prefix is two lowercase letters naming a comparator, directly followed by the number or date (a digit or '-'):
 * https://hl7.org/fhir/R4/search.html#prefix. Anything else is left in the value, which then fails its grammar.
 */
export function splitPrefix(raw: string): { prefix: Prefix; text: string } {
  const m = /^([a-z]{2})(?=[\d-])/.exec(raw);
  if (m && PREFIXES.has(m[1])) return { prefix: m[1] as Prefix, text: raw.slice(2) };
  return { prefix: 'eq', text: raw };
}

/** A date, dateTime or instant with optional prefix, as the instant range its precision implies. */
export function parseDate(raw: string, name: string): DateValue {
  const { prefix, text } = splitPrefix(raw);
  const range = instantRange(text);
  if (!range) throw invalid(`'${shown(raw)}' is not a valid date for '${name}' (expected [prefix]YYYY[-MM[-DD[Thh:mm[:ss[.fff]][Z|±hh:mm]]]])`, [name]);
  return { prefix, low: range.low, high: range.high };
}

/** Longer numbers carry no meaning a double can hold, and bound the BigInt work below. */
const MAX_NUMBER_LENGTH = 64;

/**
 * A number with optional prefix and the range its written precision implies: half a unit of the last written
 * digit either side, so `100` is [99.5, 100.5], `1.5` is [1.45, 1.55] and `1.5e2` is [145, 155]
 * (https://hl7.org/fhir/R4/search.html#number). The spec's table gives [95, 105) for `1e2` while calling it one
 * significant figure; we follow the stated rule, which gives [50, 150].
 */
export function parseNumber(raw: string, name: string): NumberValue {
  const { prefix, text } = splitPrefix(raw);
  const range = numberRange(text);
  if (!range) throw invalid(`'${shown(raw)}' is not a valid number for '${name}' (expected [prefix]decimal, e.g. gt5.4 or 1e3)`, [name]);
  return { prefix, ...range };
}

function numberRange(text: string): { value: number; low: number; high: number } | undefined {
  const m = /^(-?)(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/.exec(text);
  if (!m || text.length > MAX_NUMBER_LENGTH) return undefined;
  const [, sign, whole, fraction = '', exponent = '0'] = m;
  // value = digits × 10^scale exactly; the bounds are (2·digits ± 1) × 10^scale / 2, each rounded once.
  const digits = BigInt(`${sign}${whole}${fraction}`);
  const scale = Number(exponent) - fraction.length;
  const value = Number(text);
  const low = Number(`${2n * digits - 1n}e${scale}`) / 2;
  const high = Number(`${2n * digits + 1n}e${scale}`) / 2;
  return [value, low, high].every(Number.isFinite) ? { value, low, high } : undefined;
}

/** `[prefix]value`, `[prefix]value|system|code` or `[prefix]value||code`: https://hl7.org/fhir/R4/search.html#quantity */
export function parseQuantity(raw: string, name: string): QuantityValue {
  const parts = splitUnescaped(raw, '|');
  if (parts.length !== 1 && parts.length !== 3) {
    throw invalid(`'${shown(raw)}' is not a valid quantity for '${name}' (expected value, value|system|code or value||code)`, [name]);
  }
  const quantity: QuantityValue = parseNumber(unescape(parts[0]), name);
  if (parts.length === 3) {
    const [system, code] = [unescape(parts[1]), unescape(parts[2])];
    if (system !== '') quantity.system = system;
    if (code !== '') quantity.code = code;
  }
  return quantity;
}

/**
 * `system|code`, `|code` (no system), `system|` (any code in system) or `code` (any system):
 * https://hl7.org/fhir/R4/search.html#token. Only the first unescaped `|` separates; later ones belong to the code.
 */
export function parseToken(raw: string): TokenValue {
  const parts = splitUnescaped(raw, '|');
  if (parts.length === 1) return { code: unescape(raw) };
  const system = unescape(parts[0]);
  const code = unescape(parts.slice(1).join('|'));
  return code === '' ? { system } : { system, code };
}

/**
 * `:of-type` takes `typeSystem|typeCode|value` (https://hl7.org/fhir/R4/search.html#token); all three are required.
 * Returned as [the Identifier.type coding, the Identifier.value] so the model needs no extra shape.
 */
export function parseOfType(raw: string, name: string): [TokenValue, TokenValue] {
  const parts = splitUnescaped(raw, '|').map(unescape);
  if (parts.length !== 3 || parts.some((p) => p === '')) {
    throw invalid(`'${shown(raw)}' is not a valid :of-type value for '${name}' (expected typeSystem|typeCode|value)`, [name]);
  }
  return [{ system: parts[0], code: parts[1] }, { code: parts[2] }];
}

/** `:missing=true|false`: https://hl7.org/fhir/R4/search.html#modifiers */
export function parseMissing(raw: string, name: string): boolean {
  if (raw === 'true' || raw === 'false') return raw === 'true';
  throw invalid(`':missing' takes true or false, got '${shown(raw)}'`, [name]);
}

// https://hl7.org/fhir/R4/datatypes.html#id
const ID = /^[A-Za-z0-9\-.]{1,64}$/;

/** A logical id (`_id`, `_list`, the id of a reference). */
export function parseId(raw: string, name: string): string {
  const id = unescape(raw);
  if (!ID.test(id)) throw invalid(`'${shown(raw)}' is not a valid resource id for '${name}'`, [name]);
  return id;
}

export interface ReferenceContext {
  /** SearchParameter.target; empty or absent when the definition names none (canonical references). */
  targets?: readonly string[];
  /** The `:[type]` modifier, when given. */
  type?: string;
  /** This server's base URL: absolute references to it are read as `Type/id`, as the index stores them. */
  baseUrl?: string;
}

/**
 * `Type/id`, `Type/id/_history/vid`, `id`, an absolute URL, or a canonical `url|version`:
 * https://hl7.org/fhir/R4/search.html#reference
 */
export function parseReference(raw: string, name: string, ctx: ReferenceContext): ReferenceValue {
  const parts = splitUnescaped(raw, '|');
  if (parts.length > 2) throw invalid(`'${shown(raw)}' is not a valid reference for '${name}'`, [name]);
  const body = localPart(unescape(parts[0]), ctx.baseUrl);
  const version = parts.length === 2 ? unescape(parts[1]) : undefined;
  if (/^[A-Za-z][A-Za-z0-9+.-]*:/.test(body)) return version ? { url: body, version } : { url: body };
  if (version !== undefined) throw invalid(`A |version needs a canonical URL in '${name}', got '${shown(raw)}'`, [name]);
  return relativeReference(body, raw, name, ctx);
}

function localPart(body: string, baseUrl: string | undefined): string {
  if (!baseUrl) return body;
  const base = baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`;
  return body.startsWith(base) ? body.slice(base.length) : body;
}

function relativeReference(body: string, raw: string, name: string, ctx: ReferenceContext): ReferenceValue {
  const segments = body.split('/');
  if (segments.length === 1) {
    const id = parseId(segments[0], name);
    return ctx.type ? { type: ctx.type, id } : { id };
  }
  const historic = segments.length === 4 && segments[2] === '_history';
  if (segments.length !== 2 && !historic) {
    throw invalid(`'${shown(raw)}' is not a valid reference for '${name}' (expected Type/id, id or an absolute URL)`, [name]);
  }
  const type = checkedType(segments[0], name, ctx);
  const value: ReferenceValue = { type, id: parseId(segments[1], name) };
  if (historic) value.version = parseId(segments[3], name);
  return value;
}

function checkedType(type: string, name: string, ctx: ReferenceContext): string {
  if (!isResourceType(type)) throw invalid(`'${shown(type)}' is not a resource type, in '${name}'`, [name]);
  if (ctx.type && ctx.type !== type) throw invalid(`'${name}' only matches ${ctx.type} references, got '${type}'`, [name]);
  if (ctx.targets && ctx.targets.length > 0 && !ctx.targets.includes(type)) {
    throw invalid(`'${name}' cannot refer to ${type}; its targets are ${ctx.targets.join(', ')}`, [name]);
  }
  return type;
}
