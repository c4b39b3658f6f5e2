import type { DateValue, NumberValue, QuantityValue } from '../../search/model';
import { invalidValue, notSupported, type SqlBuilder } from './search-sql-builder';
import type { Arms } from './search-sql-values';

/**
 * Prefixed comparisons for date, number and quantity values: https://hl7.org/fhir/R4/search.html#prefix
 * Each function returns the arms of one value, ORed by the caller; an arm whose test is a range on one column is
 * what lets it scan one of the lookup indexes, so a prefix that needs "this or that" gives two arms.
 */

/**
 * A stored [low, high] range (both ends inclusive instants, as src/fhir/instants.ts computes them) against the
 * search range [L, H], per the spec's table:
 *   eq  the target lies within the search range        low >= L AND high <= H
 *   ne  it does not                                     low < L  OR  high > H
 *   gt  the range above the search value overlaps it   high > H
 *   lt  the range below the search value overlaps it   low < L
 *   ge  gt, or eq                                       le  lt, or eq
 *   sa  it starts after the search range                low > H
 *   eb  it ends before the search range                 high < L
 *   ap  it overlaps the search range widened on each side by 10% of that side's distance from now.
 * In the eq test `low <= H` is implied (low <= high <= H) and written out so the low index scans [L, H] only.
 */
export function dateArms(low: string, high: string, d: DateValue, b: SqlBuilder): string[] {
  const within = () => `${low} >= ${b.bind(d.low)} AND ${low} <= ${b.bind(d.high)} AND ${high} <= ${b.bind(d.high)}`;
  switch (d.prefix) {
    case 'eq': return [within()];
    case 'ne': return [`${low} < ${b.bind(d.low)}`, `${high} > ${b.bind(d.high)}`];
    case 'gt': return [`${high} > ${b.bind(d.high)}`];
    case 'lt': return [`${low} < ${b.bind(d.low)}`];
    case 'ge': return [`${high} > ${b.bind(d.high)}`, within()];
    case 'le': return [`${low} < ${b.bind(d.low)}`, within()];
    case 'sa': return [`${low} > ${b.bind(d.high)}`];
    case 'eb': return [`${high} < ${b.bind(d.low)}`];
    case 'ap': return [approximateDate(low, high, d, b)];
  }
}

function approximateDate(low: string, high: string, d: DateValue, b: SqlBuilder): string {
  const from = Date.parse(d.low);
  const to = Date.parse(d.high);
  const widenedLow = isoClamped(from - 0.1 * Math.abs(b.nowMs - from));
  const widenedHigh = isoClamped(to + 0.1 * Math.abs(b.nowMs - to));
  return `${low} <= ${b.bind(widenedHigh)} AND ${high} >= ${b.bind(widenedLow)}`;
}

/** Prefixes that bound a date from below, and from above: https://hl7.org/fhir/R4/search.html#prefix */
const LOWER: ReadonlySet<string> = new Set(['ge', 'gt', 'sa']);
const UPPER: ReadonlySet<string> = new Set(['lt', 'le', 'eb']);

/**
 * `date=geX&date=ltY` on a parameter that holds one value per resource: the value must meet both, so one scan of
 * the (type, param, low) index answers it. Every lower prefix implies high >= X's low, hence low >= X's low less the
 * widest span of any value; every upper prefix implies low <= Y's high. Those two bounds are what make the scan a
 * range; the prefixes' own tests then decide. Undefined when the pair is not one lower and one upper bound.
 */
export function mergedDateRange(
  x: string, first: DateValue, second: DateValue, maxSpanMs: number, b: SqlBuilder,
): string | undefined {
  const [lower, upper] = LOWER.has(first.prefix) && UPPER.has(second.prefix) ? [first, second]
    : LOWER.has(second.prefix) && UPPER.has(first.prefix) ? [second, first] : [];
  if (!lower || !upper) return undefined;
  const low = `${x}.low`;
  const high = `${x}.high`;
  const from = isoClamped(Date.parse(lower.low) - maxSpanMs);
  const tests = [dateArms(low, high, lower, b), dateArms(low, high, upper, b)].map((arms) => `((${arms.join(') OR (')}))`);
  return `${low} >= ${b.bind(from)} AND ${low} <= ${b.bind(upper.high)} AND ${tests.join(' AND ')}`;
}

const MIN_INSTANT = Date.parse('0000-01-01T00:00:00.000Z');
const MAX_INSTANT = Date.parse('9999-12-31T23:59:59.999Z');

/** Stored instants are four-digit years; a widened bound past them would not compare as text. */
function isoClamped(ms: number): string {
  return new Date(Math.min(Math.max(Math.round(ms), MIN_INSTANT), MAX_INSTANT)).toISOString();
}

export const dateValueArms: Arms = (param, modifier, v, x, b) => {
  if (modifier !== undefined) throw notSupported(`Modifier ':${modifier}' is not supported on '${param}'`, param);
  if (v.kind !== 'date') throw invalidValue(param, `a ${v.kind} value`);
  return dateArms(`${x}.low`, `${x}.high`, v.value, b);
};

/**
 * A stored number `value` against a search value with its precision range [L, H): eq and ne test the value within
 * the range ("100" is [99.5, 100.5)); gt, lt, ge, le, sa and eb ignore the precision and compare with the value
 * itself, as the spec says for numbers (https://hl7.org/fhir/R4/search.html#number); ap accepts the range widened
 * to ±10% of the value.
 */
export function numberArms(column: string, n: NumberValue, b: SqlBuilder): string[] {
  switch (n.prefix) {
    case 'eq': return [`${column} >= ${b.bind(n.low)} AND ${column} < ${b.bind(n.high)}`];
    case 'ne': return [`${column} < ${b.bind(n.low)}`, `${column} >= ${b.bind(n.high)}`];
    case 'gt': case 'sa': return [`${column} > ${b.bind(n.value)}`];
    case 'lt': case 'eb': return [`${column} < ${b.bind(n.value)}`];
    case 'ge': return [`${column} >= ${b.bind(n.value)}`];
    case 'le': return [`${column} <= ${b.bind(n.value)}`];
    case 'ap': {
      const tolerance = 0.1 * Math.abs(n.value);
      const low = Math.min(n.low, n.value - tolerance);
      const high = Math.max(n.high, n.value + tolerance);
      return [`${column} >= ${b.bind(low)} AND ${column} <= ${b.bind(high)}`];
    }
  }
}

export const numberValueArms: Arms = (param, modifier, v, x, b) => {
  if (modifier !== undefined) throw notSupported(`Modifier ':${modifier}' is not supported on '${param}'`, param);
  if (v.kind !== 'number') throw invalidValue(param, `a ${v.kind} value`);
  return numberArms(`${x}.value`, v.value, b);
};

/**
 * quantity: the number test on the value, and the unit: `system|code` both equal; a code without a system equals
 * either the code or the unit as written (https://hl7.org/fhir/R4/search.html#quantity). Units are not converted
 * (no UCUM canonical form yet): 1 g does not match 1000 mg.
 */
export const quantityValueArms: Arms = (param, modifier, v, x, b) => {
  if (modifier !== undefined) throw notSupported(`Modifier ':${modifier}' is not supported on '${param}'`, param);
  if (v.kind !== 'quantity') throw invalidValue(param, `a ${v.kind} value`);
  const numbers = numberArms(`${x}.value`, v.value, b);
  return unitTests(v.value, x, b).flatMap((unit) => numbers.map((n) => (unit ? `${unit} AND ${n}` : n)));
};

/** One test per arm ('' for none): with a code but no system, code and unit are two arms, each indexable. */
function unitTests(q: QuantityValue, x: string, b: SqlBuilder): string[] {
  const system = q.system === undefined ? undefined : `${x}.system = ${b.bind(q.system)}`;
  if (q.code === undefined) return [system ?? ''];
  const code = b.bind(q.code);
  if (system) return [`${x}.code = ${code} AND ${system}`];
  return [`${x}.code = ${code}`, `${x}.unit = ${code}`];
}
