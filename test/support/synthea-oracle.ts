import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { FHIR_JSON, type TestServer } from './app';

/**
 * An independent oracle for FHIR R4 search over the Synthea bundles: the raw resources as the server stored them
 * (urn:uuid references rewritten to the `Type/id` each transaction-response reports), and small matchers written
 * from the rules of https://hl7.org/fhir/R4/search.html, not from the server's code. Each query of a test states its
 * own predicate with these helpers, so a reader can check the expectation against the spec line by line.
 */

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Json = Record<string, any>;

/** One stored resource: its type, server id, `Type/id` key and JSON with references rewritten. */
export interface Res {
  readonly type: string;
  readonly id: string;
  readonly key: string;
  readonly json: Json;
}

/** The loaded data set, indexed by key and by type. */
export class SyntheaData {
  private readonly byKey = new Map<string, Res>();
  private readonly byType = new Map<string, Res[]>();

  add(res: Res): void {
    this.byKey.set(res.key, res);
    const list = this.byType.get(res.type) ?? [];
    list.push(res);
    this.byType.set(res.type, list);
  }

  of(type: string): Res[] {
    return this.byType.get(type) ?? [];
  }

  get size(): number {
    return this.byKey.size;
  }

  /** The resource a literal `Type/id` reference (or a Reference element) points at, if stored. */
  resolve(ref: string | Json | undefined): Res | undefined {
    const text = typeof ref === 'string' ? ref : ref?.reference;
    return typeof text === 'string' ? this.byKey.get(text) : undefined;
  }

  /** The one Patient whose official family name is `family`. */
  patient(family: string): Res {
    const found = this.of('Patient').filter((p) => (p.json.name ?? []).some((n: Json) => n.use === 'official' && n.family === family));
    assert.equal(found.length, 1, `expected exactly one Patient with the family ${family}`);
    return found[0];
  }
}

/** One bundle file, in the order it is loaded. */
interface BundleFile {
  readonly file: string;
  readonly text: string;
  readonly bundle: Json;
}

/** The extras (Organization, Practitioner) first, then the 40 patient bundles, each sorted by file name. */
export function readSyntheaBundles(dir: string): BundleFile[] {
  const read = (folder: string, prefix: string): BundleFile[] => fs.readdirSync(folder)
    .filter((f) => f.endsWith('.json')).sort()
    .map((f) => {
      const text = fs.readFileSync(path.join(folder, f), 'utf8');
      return { file: prefix + f, text, bundle: JSON.parse(text) as Json };
    });
  const extras = path.join(dir, 'extras');
  return [...(fs.existsSync(extras) ? read(extras, 'extras/') : []), ...read(dir, '')];
}

/**
 * POSTs every transaction bundle and builds the oracle's view of what was stored: the n-th response entry's
 * location names the resource the n-th request entry created (https://hl7.org/fhir/R4/http.html#transaction-response).
 * urn:uuid fullUrls are local to their bundle: each bundle re-POSTs its own Organization and Practitioner copies.
 */
export async function loadSynthea(s: TestServer, dir: string): Promise<SyntheaData> {
  const data = new SyntheaData();
  for (const f of readSyntheaBundles(dir)) {
    const res = await s.http.post('/fhir').set('Content-Type', FHIR_JSON).send(f.text);
    assert.equal(res.status, 200, `${f.file}: ${res.status} ${res.body?.issue?.[0]?.diagnostics ?? ''}`);
    const entries: Json[] = f.bundle.entry ?? [];
    assert.equal(res.body.entry?.length, entries.length, `${f.file}: one response entry per request entry`);
    const keys = entries.map((_, i) => keyOfLocation(res.body.entry[i].response.location));
    const targets = new Map(entries.map((e, i) => [e.fullUrl as string, keys[i]]));
    entries.forEach((e, i) => {
      const [type, id] = keys[i].split('/');
      data.add({ type, id, key: keys[i], json: rewritten(e.resource, targets) as Json });
    });
  }
  return data;
}

/** `http://test.local/fhir/Patient/x/_history/1` → `Patient/x`. */
function keyOfLocation(location: string): string {
  const m = /\/([A-Z][A-Za-z]+)\/([A-Za-z0-9\-.]{1,64})(?:\/_history\/[^/]+)?$/.exec(location ?? '');
  assert.ok(m, `unexpected Location '${location}'`);
  return `${m[1]}/${m[2]}`;
}

/** `value` with every `reference` equal to a fullUrl of the bundle replaced by the stored `Type/id`. */
function rewritten(value: unknown, targets: Map<string, string>): unknown {
  if (Array.isArray(value)) return value.map((v) => rewritten(v, targets));
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, k === 'reference' && typeof v === 'string'
    ? targets.get(v) ?? v
    : rewritten(v, targets)]));
}

// ---- OR lists and prefixes: https://hl7.org/fhir/R4/search.html#combining, #prefix ------------------------------

/** A parameter value is an OR list: the resource matches when any one item matches. */
export function anyOf(param: string, match: (item: string) => boolean): boolean {
  return param.split(',').some(match);
}

export type Prefix = 'eq' | 'ne' | 'gt' | 'lt' | 'ge' | 'le' | 'sa' | 'eb';
const PREFIX = /^(eq|ne|gt|lt|ge|le|sa|eb)?(.*)$/;

function withPrefix(param: string): { prefix: Prefix; value: string } {
  const m = PREFIX.exec(param)!;
  return { prefix: (m[1] ?? 'eq') as Prefix, value: m[2] };
}

// ---- string: https://hl7.org/fhir/R4/search.html#string ------------------------------------------------------

/** Case- and accent-insensitive form: "equals or starts with ... after both have been normalized by case and accent". */
export function fold(text: string): string {
  return text.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase();
}

/** Default string match: some value starts with the parameter, both folded. */
export function startsWith(values: unknown[], param: string): boolean {
  return strings(values).some((v) => fold(v).startsWith(fold(param)));
}

/** :contains: the parameter anywhere in some value, both folded. */
export function contains(values: unknown[], param: string): boolean {
  return strings(values).some((v) => fold(v).includes(fold(param)));
}

/** :exact: some value equals the parameter exactly, case and accents included. */
export function exact(values: unknown[], param: string): boolean {
  return strings(values).some((v) => v === param);
}

function strings(values: unknown[]): string[] {
  return values.flat(3).filter((v): v is string => typeof v === 'string');
}

/** The strings a HumanName offers a `name` search: family, given, prefix, suffix and text. */
export function humanNameParts(names: Json[] | undefined): string[] {
  return (names ?? []).flatMap((n) => [n.family, ...(n.given ?? []), ...(n.prefix ?? []), ...(n.suffix ?? []), n.text]);
}

// ---- token: https://hl7.org/fhir/R4/search.html#token ------------------------------------------------------

export interface Coding {
  system?: string;
  code?: string;
  display?: string;
}

/** The codings of CodeableConcepts, Codings, or lists of them; a plain `code` string is a Coding without system. */
export function codings(value: unknown): Coding[] {
  if (value === undefined || value === null) return [];
  if (Array.isArray(value)) return value.flatMap(codings);
  if (typeof value === 'string') return [{ code: value }];
  const v = value as Json;
  if (Array.isArray(v.coding)) return v.coding as Coding[];
  return v.code !== undefined || v.system !== undefined ? [v as Coding] : [];
}

/** `code`, `system|code`, `|code` (no system) and `system|` (any code of the system). */
export function tokenMatches(param: string, found: Coding[]): boolean {
  const bar = param.indexOf('|');
  if (bar < 0) return found.some((c) => c.code === param);
  const system = param.slice(0, bar);
  const code = param.slice(bar + 1);
  if (system === '') return found.some((c) => c.system === undefined && c.code === code);
  if (code === '') return found.some((c) => c.system === system);
  return found.some((c) => c.system === system && c.code === code);
}

/** :text: "the search parameter is processed as a string" against CodeableConcept.text and Coding.display. */
export function tokenText(param: string, concepts: unknown): boolean {
  const list = (Array.isArray(concepts) ? concepts : [concepts]).filter((c) => c) as Json[];
  const texts = list.flatMap((c) => [c.text, c.display, ...(c.coding ?? []).map((x: Coding) => x.display)]);
  return startsWith(texts, param);
}

// ---- date: https://hl7.org/fhir/R4/search.html#date ---------------------------------------------------------

/** A half-open instant range [lo, hi) in epoch milliseconds; ±Infinity for an open Period end. */
export interface Range {
  lo: number;
  hi: number;
}

const DATE = /^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?(Z|[+-]\d{2}:\d{2})?)?)?)?$/;

/**
 * The implicit range of a date, dateTime or instant: its precision ("2013" is the whole year, a dateTime to the
 * second is that second). No timezone is read as UTC (the server's local time by rule; UTC here and in the test).
 */
export function dateRange(text: string): Range | undefined {
  const m = DATE.exec(text);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s, frac, tz] = m;
  if (h === undefined) {
    const lo = Date.UTC(+y, mo ? +mo - 1 : 0, d ? +d : 1);
    const hi = d ? Date.UTC(+y, +mo - 1, +d + 1) : mo ? Date.UTC(+y, +mo, 1) : Date.UTC(+y + 1, 0, 1);
    return { lo, hi };
  }
  const start = Date.UTC(+y, +mo - 1, +d, +h, +mi, s ? +s : 0) - offsetMs(tz) + (frac ? Math.floor(Number(`0.${frac}`) * 1000) : 0);
  const step = s === undefined ? 60_000 : frac === undefined ? 1000 : Math.max(1, 10 ** (3 - frac.length));
  return { lo: start, hi: start + step };
}

function offsetMs(tz: string | undefined): number {
  if (tz === undefined || tz === 'Z') return 0;
  const sign = tz.startsWith('-') ? -1 : 1;
  return sign * (Number(tz.slice(1, 3)) * 60 + Number(tz.slice(4, 6))) * 60_000;
}

/** A Period's range: from the start of `start` to the end of `end`; a missing bound is open. */
export function periodRange(period: Json | undefined): Range | undefined {
  if (!period || (period.start === undefined && period.end === undefined)) return undefined;
  return {
    lo: period.start ? dateRange(period.start)!.lo : -Infinity,
    hi: period.end ? dateRange(period.end)!.hi : Infinity,
  };
}

/**
 * The prefix table of https://hl7.org/fhir/R4/search.html#prefix for ranges: eq — the search range fully contains
 * the target; gt/lt — the range above/below the search value overlaps the target; ge/le — as gt/lt, or as eq;
 * sa/eb — the target starts after / ends before the search range; ne — not eq.
 */
export function dateMatches(param: string, target: Range | undefined): boolean {
  if (!target) return false;
  const { prefix, value } = withPrefix(param);
  const s = dateRange(value);
  assert.ok(s, `oracle: '${param}' is not a date`);
  const inside = s.lo <= target.lo && target.hi <= s.hi;
  switch (prefix) {
    case 'eq': return inside;
    case 'ne': return !inside;
    case 'gt': return target.hi > s.hi;
    case 'lt': return target.lo < s.lo;
    case 'ge': return target.hi > s.hi || inside;
    case 'le': return target.lo < s.lo || inside;
    case 'sa': return target.lo >= s.hi;
    case 'eb': return target.hi <= s.lo;
  }
}

// ---- number and quantity: https://hl7.org/fhir/R4/search.html#number, #quantity ---------------------------------

/**
 * Without a prefix (eq) the search value has the implicit precision of how it is written ("100" is [99.5, 100.5));
 * with gt/lt/ge/le/sa/eb "the implicit precision of the number is ignored".
 */
export function numberMatches(param: string, v: number): boolean {
  const { prefix, value } = withPrefix(param);
  const n = Number(value);
  assert.ok(value !== '' && Number.isFinite(n), `oracle: '${param}' is not a number`);
  const half = 0.5 * 10 ** -((value.split('.')[1] ?? '').length);
  const eq = v >= n - half && v < n + half;
  switch (prefix) {
    case 'eq': return eq;
    case 'ne': return !eq;
    case 'gt': case 'sa': return v > n;
    case 'lt': case 'eb': return v < n;
    case 'ge': return v >= n;
    case 'le': return v <= n;
  }
}

/** `[prefix]number`, `number|system|code` (system and code must match) or `number||code` (code or unit). */
export function quantityMatches(param: string, q: Json | undefined): boolean {
  if (!q || typeof q.value !== 'number') return false;
  const [num, system, code] = param.split('|');
  if (!numberMatches(num, q.value)) return false;
  if (system === undefined) return true;
  if (system === '') return code === '' || q.code === code || q.unit === code;
  return q.system === system && (code === '' || q.code === code);
}

// ---- reference: https://hl7.org/fhir/R4/search.html#reference ---------------------------------------------------

/** `Type/id` matches that reference; a bare id matches a reference to any (allowed) type with that id. */
export function referenceMatches(param: string, refs: Array<Json | undefined>): boolean {
  const texts = refs.map((r) => r?.reference).filter((r): r is string => typeof r === 'string');
  return param.includes('/') ? texts.includes(param) : texts.some((t) => t.split('/')[1] === param);
}

/** The reference if it points at `type`: FHIRPath `x.where(resolve() is Type)`. */
export function refTo(type: string, ref: Json | undefined): Json | undefined {
  return typeof ref?.reference === 'string' && ref.reference.startsWith(`${type}/`) ? ref : undefined;
}

// ---- _sort: https://hl7.org/fhir/R4/search.html#sort ---------------------------------------------------------

export type SortKey = number | string | undefined;
export type Comparator = (a: Res, b: Res) => number;

/**
 * Orders by a key; resources without a value sort last in either direction. A repeating element sorts by the value
 * "that comes earliest in the specified sort order", so `key` receives the direction to pick min or max.
 */
export function sortBy(key: (r: Res, descending: boolean) => SortKey, descending = false): Comparator {
  return (a, b) => {
    const ka = key(a, descending);
    const kb = key(b, descending);
    if (ka === undefined || kb === undefined) return (ka === undefined ? 1 : 0) - (kb === undefined ? 1 : 0);
    const c = ka < kb ? -1 : ka > kb ? 1 : 0;
    return descending ? -c : c;
  };
}

/** The first comparator that tells two resources apart decides. */
export function thenBy(...comparators: Comparator[]): Comparator {
  return (a, b) => {
    for (const c of comparators) {
      const r = c(a, b);
      if (r !== 0) return r;
    }
    return 0;
  };
}

/** The earliest value in the sort direction: the least ascending, the greatest descending. */
export function earliest<T extends number | string>(values: Array<T | undefined>, descending: boolean): T | undefined {
  const present = values.filter((v): v is T => v !== undefined);
  if (present.length === 0) return undefined;
  return present.reduce((a, b) => ((descending ? b > a : b < a) ? b : a));
}
