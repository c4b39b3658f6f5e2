import type { Document } from 'mongodb';

/**
 * Search keys: every index entry is stored as strings that start with its parameter, `param ␁ part ␁ part…`
 * (␁ = U+0001), in plain string arrays (search-fields.ts). A test on an entry is then a test on one string —
 * equality, `$in`, an anchored regular expression for a prefix, or a range — which a single-field multikey index
 * answers on every MongoDB-wire server. (Tests on several fields of one array element need `$elemMatch` with a
 * document, which FerretDB does not implement.)
 *
 * Each part is escaped (U+0001 → U+0002 U+0003, U+0002 → U+0002 U+0002), so a key decodes into exactly one list
 * of parts, a part never contains the separator, and "the part starts with x" is "the key starts with
 * prefix + escape(x)". Numbers become fixed-width hex strings in numeric order (sortableNumber); instants are ISO
 * strings of fixed width, already in time order.
 */

export const SEPARATOR = '\u0001';
/** The successor of the separator: every key starting with `prefix…␁` is below `prefix…␂`. */
const AFTER_SEPARATOR = '\u0002';

export function escapePart(part: string): string {
  return /[\u0001\u0002]/.test(part) ? part.replace(/\u0002/g, '\u0002\u0002').replace(/\u0001/g, '\u0002\u0003') : part;
}

function unescapePart(part: string): string {
  return part.includes('\u0002') ? part.replace(/\u0002([\u0002\u0003])/g, (_, c: string) => (c === '\u0002' ? '\u0002' : '\u0001')) : part;
}

/** The key of a parameter's entry from its parts. */
export function key(param: string, ...parts: string[]): string {
  return [param, ...parts].map(escapePart).join(SEPARATOR);
}

/** What every key with these leading parts starts with (ending in the separator). */
export function keyPrefix(param: string, ...parts: string[]): string {
  return key(param, ...parts) + SEPARATOR;
}

/** A key's parts, the parameter first. */
export function keyParts(k: string): string[] {
  return k.split(SEPARATOR).map(unescapePart);
}

/**
 * A number as 16 hex digits whose text order is numeric order: the IEEE 754 bits with the sign bit flipped for
 * positive numbers and every bit flipped for negative ones. -0 is 0.
 */
export function sortableNumber(n: number): string {
  const buf = Buffer.alloc(8);
  buf.writeDoubleBE(n === 0 ? 0 : n);
  if (buf[0] & 0x80) for (let i = 0; i < 8; i++) buf[i] = ~buf[i] & 0xff;
  else buf[0] |= 0x80;
  return buf.toString('hex');
}

/** A test on one string of the array `field` (a name inside `ix`). */
export type KeyTest =
  | { field: string; eq: string }
  | { field: string; in: string[] }
  | { field: string; prefix: string }
  | { field: string; regex: string }
  | { field: string; range: Range };

export interface Range {
  gt?: string;
  gte?: string;
  lt?: string;
  lte?: string;
}

/**
 * Keys of `prefix` (a keyPrefix) whose rest compares with `bound` as `op` says; the range is closed on the other
 * side by the prefix, so it never reaches another parameter's keys.
 */
export function rangeAfter(field: string, prefix: string, op: 'gt' | 'gte' | 'lt' | 'lte', bound: string): KeyTest {
  const own = prefix + bound;
  if (op === 'gt' || op === 'gte') return { field, range: { [op]: own, lt: prefix.slice(0, -1) + AFTER_SEPARATOR } };
  return { field, range: { gte: prefix, [op]: own } };
}

/** `[low, high)` / `[low, high]` within one prefix. */
export function rangeBetween(field: string, prefix: string, low: string, high: string, highInclusive: boolean): KeyTest {
  return { field, range: highInclusive ? { gte: prefix + low, lte: prefix + high } : { gte: prefix + low, lt: prefix + high } };
}

/**
 * The MongoDB condition of a test on `ix.<field>`. A range is an `$elemMatch`, which on MongoDB requires one
 * element to satisfy both bounds; FerretDB v1 applies the bounds to the array as a whole (one element may satisfy
 * one bound and another the other), so the condition can only narrow and `isExactOnServer` says to check the
 * matches again (matchesKeys).
 */
export function keyCondition(t: KeyTest): Document {
  const path = `ix.${t.field}`;
  if ('eq' in t) return { [path]: { $eq: t.eq } };
  if ('in' in t) return { [path]: { $in: t.in } };
  if ('prefix' in t) return { [path]: { $regex: `^${literalPattern(t.prefix)}` } };
  if ('regex' in t) return { [path]: { $regex: t.regex } };
  const ops: Document = {};
  for (const [op, v] of Object.entries(t.range)) ops[`$${op}`] = v;
  return { [path]: { $elemMatch: ops } };
}

export function isExactOnServer(t: KeyTest): boolean {
  return !('range' in t);
}

/** Whether one key passes a test, the same way the server would. */
export function keyMatches(t: KeyTest, k: string): boolean {
  if ('eq' in t) return k === t.eq;
  if ('in' in t) return t.in.includes(k);
  if ('prefix' in t) return k.startsWith(t.prefix);
  if ('regex' in t) return new RegExp(t.regex).test(k);
  const r = t.range;
  return (r.gt === undefined || k > r.gt) && (r.gte === undefined || k >= r.gte)
    && (r.lt === undefined || k < r.lt) && (r.lte === undefined || k <= r.lte);
}

/** A regular expression source that matches `text` literally. */
export function literalPattern(text: string): string {
  return text.replace(/[\\^$.*+?()[\]{}|/-]/g, '\\$&');
}
