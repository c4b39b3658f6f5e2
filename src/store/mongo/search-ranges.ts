import type { Document } from 'mongodb';
import type { DateValue, NumberValue, QuantityValue } from '../../search/model';
import { anyOf, invalidValue, notSupported, number, value } from './search-conditions';
import { keyPrefix, rangeAfter, rangeBetween, SEPARATOR, literalPattern, sortableNumber, type KeyTest } from './search-keys';
import type { Arms } from './search-values';

/**
 * Prefixed comparisons for date, number and quantity values: https://hl7.org/fhir/R4/search.html#prefix
 * Each function returns the arms of one value, ORed by the caller; a prefix that needs "this or that" gives two
 * arms, so that each is one range of one key array.
 */

type Op = 'gt' | 'gte' | 'lt' | 'lte';

/** The bounds of the date tests, [L, H] the search range; each test compares one end of a stored range. */
interface DateTests<T> {
  /** The stored range's low end compared with `bound`. */
  low: (op: Op, bound: string) => T;
  high: (op: Op, bound: string) => T;
}

/**
 * A stored [low, high] range (both ends inclusive instants) against the search range [L, H], per the spec's table:
 *   eq  the target lies within the search range        low >= L AND low <= H AND high <= H
 *   ne  it does not                                     low < L  OR  high > H
 *   gt  the range above the search value overlaps it   high > H
 *   lt  the range below the search value overlaps it   low < L
 *   ge  gt, or eq                                       le  lt, or eq
 *   sa  it starts after the search range                low > H
 *   eb  it ends before the search range                 high < L
 *   ap  it overlaps the search range widened on each side by 10% of that side's distance from now.
 * Returns arms, each a list of tests one stored range must pass together.
 */
function dateArmsOf<T>(d: DateValue, now: number, param: string, t: DateTests<T>): T[][] {
  const L = value(d.low, param);
  const H = value(d.high, param);
  const within = (): T[] => [t.low('gte', L), t.low('lte', H), t.high('lte', H)];
  switch (d.prefix) {
    case 'eq': return [within()];
    case 'ne': return [[t.low('lt', L)], [t.high('gt', H)]];
    case 'gt': return [[t.high('gt', H)]];
    case 'lt': return [[t.low('lt', L)]];
    case 'ge': return [[t.high('gt', H)], within()];
    case 'le': return [[t.low('lt', L)], within()];
    case 'sa': return [[t.low('gt', H)]];
    case 'eb': return [[t.high('lt', L)]];
    case 'ap': {
      const from = Date.parse(L);
      const to = Date.parse(H);
      return [[t.low('lte', isoClamped(to + 0.1 * Math.abs(now - to))), t.high('gte', isoClamped(from - 0.1 * Math.abs(now - from)))]];
    }
    default: throw invalidValue(param, 'an unknown prefix');
  }
}

const MIN_INSTANT = Date.parse('0000-01-01T00:00:00.000Z');
const MAX_INSTANT = Date.parse('9999-12-31T23:59:59.999Z');

/** Stored instants have four-digit years; a widened bound past them would not compare as text. */
function isoClamped(ms: number): string {
  return new Date(Math.min(Math.max(Math.round(ms), MIN_INSTANT), MAX_INSTANT)).toISOString();
}

/**
 * Date keys `param ␁ low` (dl) and `param ␁ high` (dh), aligned: an arm that tests both ends is checked on each
 * entry's pair after the query (see search-filters.ts). The eq arm's `low <= H` is implied by the others and
 * keeps the low range closed, so that an index scans [L, H] only.
 */
export const dateArms: Arms = (param, modifier, v, ctx) => {
  if (modifier !== undefined) throw notSupported(`Modifier ':${modifier}' is not supported on '${param}'`, param);
  if (v.kind !== 'date') throw invalidValue(param, `a ${v.kind} value`);
  const prefix = keyPrefix(param);
  const arms = dateArmsOf<KeyTest>(v.value, ctx.now, param, {
    low: (op, bound) => rangeAfter('dl', prefix, op, bound),
    high: (op, bound) => rangeAfter('dh', prefix, op, bound),
  });
  return arms.map(mergeRanges);
};

/** Tests of one arm on the same array as one range (`low >= L` and `low <= H` as [L, H]). */
function mergeRanges(arm: KeyTest[]): KeyTest[] {
  const byField = new Map<string, KeyTest>();
  for (const t of arm) {
    const seen = byField.get(t.field);
    if (seen && 'range' in seen && 'range' in t) {
      const r = { ...seen.range, ...t.range };
      // a bound both tests set: the tighter wins (they only meet at the prefix's own limits)
      if (seen.range.gte && t.range.gte) r.gte = seen.range.gte > t.range.gte ? seen.range.gte : t.range.gte;
      if (seen.range.lt && t.range.lt) r.lt = seen.range.lt < t.range.lt ? seen.range.lt : t.range.lt;
      byField.set(t.field, { field: t.field, range: r });
    } else byField.set(t.field, t);
  }
  return [...byField.values()];
}

/** `_lastUpdated`: the document's `lastUpdated`, an instant (a range whose ends are equal), exact on the server. */
export function lastUpdatedCondition(d: DateValue, now: number): Document {
  const op = (o: Op, bound: string): Document => ({ lastUpdated: { [`$${o}`]: bound } });
  const arms = dateArmsOf<Document>(d, now, '_lastUpdated', { low: op, high: op });
  return anyOf(arms.map((tests) => (tests.length === 1 ? tests[0] : { $and: tests })));
}

/**
 * A stored number against a search value with its precision range [L, H): eq and ne test the value within the
 * range ("100" is [99.5, 100.5)); gt, lt, ge, le, sa and eb compare with the value itself, as the spec says for
 * numbers (https://hl7.org/fhir/R4/search.html#number); ap accepts the range widened to ±10% of the value.
 * `prefix` ends where the number starts in the key.
 */
function numberTests(field: string, prefix: string, n: NumberValue, param: string): KeyTest[][] {
  const v = number(n.value, param);
  const low = number(n.low, param);
  const high = number(n.high, param);
  const at = (op: Op, x: number) => [rangeAfter(field, prefix, op, sortableNumber(x))];
  switch (n.prefix) {
    case 'eq': return [[rangeBetween(field, prefix, sortableNumber(low), sortableNumber(high), false)]];
    case 'ne': return [at('lt', low), at('gte', high)];
    case 'gt': case 'sa': return [at('gt', v)];
    case 'lt': case 'eb': return [at('lt', v)];
    case 'ge': return [at('gte', v)];
    case 'le': return [at('lte', v)];
    case 'ap': {
      const tolerance = 0.1 * Math.abs(v);
      return [[rangeBetween(field, prefix, sortableNumber(Math.min(low, v - tolerance)), sortableNumber(Math.max(high, v + tolerance)), true)]];
    }
    default: throw invalidValue(param, 'an unknown prefix');
  }
}

export const numberArms: Arms = (param, modifier, v) => {
  if (modifier !== undefined) throw notSupported(`Modifier ':${modifier}' is not supported on '${param}'`, param);
  if (v.kind !== 'number') throw invalidValue(param, `a ${v.kind} value`);
  return numberTests('n', keyPrefix(param), v.value, param);
};

/**
 * quantity: the number test on the value, and the unit: `system|code` both equal (keys `system ␁ code ␁ value`);
 * a code without a system equals either the code or the unit as written (keys `code ␁ value` and `unit ␁ value`,
 * in one array); no unit, any (keys `value`). https://hl7.org/fhir/R4/search.html#quantity. Units are not
 * converted (no UCUM canonical form yet): 1 g does not match 1000 mg.
 */
export const quantityArms: Arms = (param, modifier, v) => {
  if (modifier !== undefined) throw notSupported(`Modifier ':${modifier}' is not supported on '${param}'`, param);
  if (v.kind !== 'quantity') throw invalidValue(param, `a ${v.kind} value`);
  const q: QuantityValue = v.value;
  const code = q.code === undefined ? undefined : value(q.code, param);
  const system = q.system === undefined ? undefined : value(q.system, param);
  if (code !== undefined && system !== undefined) return numberTests('qs', keyPrefix(param, system, code), q, param);
  if (code !== undefined) return numberTests('qc', keyPrefix(param, code), q, param);
  const numbers = numberTests('q', keyPrefix(param), q, param);
  if (system === undefined) return numbers;
  // a system without a code: `qs` keys of the system, paired with the number on the aligned `q` keys
  const bySystem: KeyTest = { field: 'qs', regex: `^${literalPattern(keyPrefix(param, system))}[^${SEPARATOR}]*${literalPattern(SEPARATOR)}` };
  return numbers.map((arm) => [bySystem, ...arm]);
};
