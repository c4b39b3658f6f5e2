import assert from 'node:assert/strict';
import { FHIR_JSON, sharedData, testServer, type TestServer } from '../support/app';
import {
  anyOf, codings, contains, dateMatches, dateRange, earliest, exact, fold, humanNameParts, loadSynthea, numberMatches,
  periodRange, quantityMatches, referenceMatches, refTo, sortBy, startsWith, thenBy, tokenMatches, tokenText,
  type Comparator, type Json, type Res, type SyntheaData,
} from '../support/synthea-oracle';

/**
 * FHIR R4 search over the 40 Synthea patients, every answer checked against an oracle computed in plain JavaScript
 * from the raw bundles (test/support/synthea-oracle.ts, written from https://hl7.org/fhir/R4/search.html).
 * Every query is walked page by page with _count=7 through its `next` links (https://hl7.org/fhir/R4/http.html#paging):
 * the union of the pages must be the oracle's set, with no resource twice; `_total=accurate` and `_summary=count`
 * must give the oracle's count (https://hl7.org/fhir/R4/search.html#total, #summary).
 */

/** One query and its oracle. `{patient:Family}` and `{provider:Family}` in `query` stand for server ids. */
interface Case {
  query: string;
  expect: (d: SyntheaData) => Res[];
  /** _sort: the order the spec asks for; equal keys may come in any order. */
  order?: (d: SyntheaData) => Comparator;
  /** _include/_revinclude: what must be included alongside one page's matches. */
  included?: (d: SyntheaData, page: Res[]) => Res[];
  /** An empty answer is the point of the query; otherwise an empty oracle set fails the case as vacuous. */
  empty?: boolean;
}

const PAGE = 7;
const LOINC = 'http://loinc.org';
const SNOMED = 'http://snomed.info/sct';
const ACT_CODE = 'http://terminology.hl7.org/CodeSystem/v3-ActCode';
const UCUM = 'http://unitsofmeasure.org';

// ---- Shorthands over the raw resources -----------------------------------------------------------------------

const of = (d: SyntheaData, type: string): Res[] => d.of(type);
const where = (type: string, keep: (r: Json, d: SyntheaData) => boolean) => (d: SyntheaData): Res[] => d.of(type).filter((r) => keep(r.json, d));
/** Observation.patient, Encounter.patient, Condition.patient: `subject.where(resolve() is Patient)`. */
const patientOf = (r: Json): Json | undefined => refTo('Patient', r.subject);
const birth = (p: Json) => dateRange(p.birthDate);
/** Observation.date: `Observation.effective` (dateTime, Period, instant); Synthea uses effectiveDateTime. */
const effective = (o: Json) => (o.effectiveDateTime ? dateRange(o.effectiveDateTime) : periodRange(o.effectivePeriod));
/** Observation.value-quantity: `Observation.value as Quantity` — the resource's own value, never its components. */
const valueQuantity = (o: Json): Json | undefined => o.valueQuantity;
const families = (p: Json): string[] => (p.name ?? []).map((n: Json) => n.family);
const givens = (p: Json): string[] => (p.name ?? []).flatMap((n: Json) => n.given ?? []);
const encounterProvider = (e: Json, d: SyntheaData) => d.resolve(e.serviceProvider)?.json;
/** Organization.name: `Organization.name | Organization.alias`. */
const orgNames = (o: Json | undefined): string[] => (o ? [o.name, ...(o.alias ?? [])] : []);
const idOf = (d: SyntheaData, family: string) => d.patient(family).id;
const refersTo = (ref: Json | undefined, r: Res) => ref?.reference === r.key;
/** The Organization that served the first encounter of a patient's bundle. */
const providerOf = (d: SyntheaData, family: string): Res => {
  const p = d.patient(family);
  const enc = d.of('Encounter').find((e) => refersTo(e.json.subject, p))!;
  return d.resolve(enc.json.serviceProvider)!;
};

/** Patients referred to by a set of resources through `patient` (subject that is a Patient). */
const patientsOf = (d: SyntheaData, rs: Res[]): Res[] => unique(rs.map((r) => d.resolve(patientOf(r.json))).filter((p): p is Res => !!p));
const unique = (rs: Res[]): Res[] => [...new Map(rs.map((r) => [r.key, r])).values()];

// ---- The queries -------------------------------------------------------------------------------------------------

const TOKEN: Case[] = [
  { query: `Observation?code=${LOINC}|8302-2`, expect: where('Observation', (o) => tokenMatches(`${LOINC}|8302-2`, codings(o.code))) },
  { query: 'Observation?code=2093-3', expect: where('Observation', (o) => tokenMatches('2093-3', codings(o.code))) },
  { query: 'Observation?code=|2093-3', expect: where('Observation', (o) => tokenMatches('|2093-3', codings(o.code))), empty: true },
  { query: `Condition?code=${SNOMED}|`, expect: where('Condition', (c) => tokenMatches(`${SNOMED}|`, codings(c.code))) },
  { query: 'Condition?clinical-status=active', expect: where('Condition', (c) => tokenMatches('active', codings(c.clinicalStatus))) },
  { query: 'Patient?gender=female', expect: where('Patient', (p) => tokenMatches('female', codings(p.gender))) },
  {
    query: `Observation?patient={patient:Wyman}&code:not=${LOINC}|8302-2`,
    expect: (d) => of(d, 'Observation').filter((o) => referenceMatches(idOf(d, 'Wyman'), [patientOf(o.json)])
      && !tokenMatches(`${LOINC}|8302-2`, codings(o.json.code))),
  },
  { query: 'Encounter?class=EMER', expect: where('Encounter', (e) => tokenMatches('EMER', codings(e.class))) },
  {
    query: `Encounter?class=${ACT_CODE}|IMP,${ACT_CODE}|EMER`,
    expect: where('Encounter', (e) => anyOf(`${ACT_CODE}|IMP,${ACT_CODE}|EMER`, (v) => tokenMatches(v, codings(e.class)))),
  },
  {
    query: 'Immunization?vaccine-code=http://hl7.org/fhir/sid/cvx|113',
    expect: where('Immunization', (i) => tokenMatches('http://hl7.org/fhir/sid/cvx|113', codings(i.vaccineCode))),
  },
  { query: 'Condition?code:text=acute', expect: where('Condition', (c) => tokenText('acute', c.code)) },
  // :text is "processed as a string": starts-with, so Prediabetes and "Neuropathy due to type 2 diabetes" are out.
  { query: 'Condition?code:text=diabetes', expect: where('Condition', (c) => tokenText('diabetes', c.code)) },
];

const STRING: Case[] = [
  { query: 'Patient?family=sch', expect: where('Patient', (p) => startsWith(families(p), 'sch')) },
  { query: 'Patient?family=ordonez', expect: where('Patient', (p) => startsWith(families(p), 'ordonez')) },
  { query: 'Patient?name=mar', expect: where('Patient', (p) => startsWith(humanNameParts(p.name), 'mar')) },
  { query: 'Patient?name=deckow', expect: where('Patient', (p) => startsWith(humanNameParts(p.name), 'deckow')) },
  { query: 'Patient?given=chr,cla', expect: where('Patient', (p) => anyOf('chr,cla', (v) => startsWith(givens(p), v))) },
  { query: 'Patient?family:exact=Wyman', expect: where('Patient', (p) => exact(families(p), 'Wyman')) },
  { query: 'Patient?family:exact=wyman', expect: where('Patient', (p) => exact(families(p), 'wyman')), empty: true },
  { query: 'Patient?family:contains=man', expect: where('Patient', (p) => contains(families(p), 'man')) },
  { query: 'Patient?address-city=boston', expect: where('Patient', (p) => startsWith((p.address ?? []).map((a: Json) => a.city), 'boston')) },
  { query: 'Patient?address-city=new', expect: where('Patient', (p) => startsWith((p.address ?? []).map((a: Json) => a.city), 'new')) },
];

const DATE: Case[] = [
  { query: 'Patient?birthdate=1980', expect: where('Patient', (p) => dateMatches('1980', birth(p))) },
  {
    query: 'Patient?birthdate=ge1960&birthdate=lt1980',
    expect: where('Patient', (p) => dateMatches('ge1960', birth(p)) && dateMatches('lt1980', birth(p))),
  },
  { query: 'Patient?birthdate=gt1995-07-10', expect: where('Patient', (p) => dateMatches('gt1995-07-10', birth(p))) },
  { query: 'Patient?birthdate=le1942-09-05', expect: where('Patient', (p) => dateMatches('le1942-09-05', birth(p))) },
  {
    query: 'Encounter?date=ge2015-01-01&date=lt2016-01-01',
    expect: where('Encounter', (e) => dateMatches('ge2015-01-01', periodRange(e.period)) && dateMatches('lt2016-01-01', periodRange(e.period))),
  },
  { query: 'Encounter?date=2013', expect: where('Encounter', (e) => dateMatches('2013', periodRange(e.period))) },
  { query: 'Encounter?date=2016-03', expect: where('Encounter', (e) => dateMatches('2016-03', periodRange(e.period))) },
  {
    query: 'Encounter?date=sa2020-06-01&date=eb2021-01-01',
    expect: where('Encounter', (e) => dateMatches('sa2020-06-01', periodRange(e.period)) && dateMatches('eb2021-01-01', periodRange(e.period))),
  },
  {
    query: 'Encounter?date=lt2011-06-01T12:00:00+02:00',
    expect: where('Encounter', (e) => dateMatches('lt2011-06-01T12:00:00+02:00', periodRange(e.period))),
  },
  // Encounters that cross a boundary: one runs 2011-03-27T23:58:38Z..2011-03-28T00:13:38Z, one 2011-07-20..2011-09-05.
  // Empty by the spec: the only encounter touching 2011-03-28 is the one that began on the 27th (found just below).
  { query: 'Encounter?date=2011-03-28', expect: where('Encounter', (e) => dateMatches('2011-03-28', periodRange(e.period))), empty: true },
  { query: 'Encounter?date=2011-07', expect: where('Encounter', (e) => dateMatches('2011-07', periodRange(e.period))) },
  {
    query: 'Encounter?date=gt2011-03-27&date=lt2011-03-28',
    expect: where('Encounter', (e) => dateMatches('gt2011-03-27', periodRange(e.period)) && dateMatches('lt2011-03-28', periodRange(e.period))),
  },
  {
    // ge: "the range above the search value intersects the target, or the search range fully contains it" — an
    // encounter that starts on the 27th and ends early on the 28th does neither.
    query: 'Encounter?date=ge2011-03-28&date=le2011-03-28',
    expect: where('Encounter', (e) => dateMatches('ge2011-03-28', periodRange(e.period)) && dateMatches('le2011-03-28', periodRange(e.period))),
    empty: true,
  },
  { query: 'Observation?date=2013-01-04', expect: where('Observation', (o) => dateMatches('2013-01-04', effective(o))) },
  { query: 'Patient?death-date:missing=false', expect: where('Patient', (p) => p.deceasedDateTime !== undefined) },
];

const QUANTITY: Case[] = [
  { query: 'Observation?value-quantity=gt100', expect: where('Observation', (o) => quantityMatches('gt100', valueQuantity(o))) },
  {
    query: `Observation?value-quantity=gt100|${UCUM}|mg/dL`,
    expect: where('Observation', (o) => quantityMatches(`gt100|${UCUM}|mg/dL`, valueQuantity(o))),
  },
  { query: 'Observation?value-quantity=5.4', expect: where('Observation', (o) => quantityMatches('5.4', valueQuantity(o))) },
  { query: 'Observation?value-quantity=100', expect: where('Observation', (o) => quantityMatches('100', valueQuantity(o))) },
  { query: 'Observation?value-quantity=le4.5||mmol/L', expect: where('Observation', (o) => quantityMatches('le4.5||mmol/L', valueQuantity(o))) },
];

const REFERENCE: Case[] = [
  {
    query: 'Observation?subject=Patient/{patient:Wyman}',
    expect: (d) => of(d, 'Observation').filter((o) => referenceMatches(d.patient('Wyman').key, [o.json.subject])),
  },
  {
    query: 'Observation?patient={patient:Kreiger}',
    expect: (d) => of(d, 'Observation').filter((o) => referenceMatches(idOf(d, 'Kreiger'), [patientOf(o.json)])),
  },
  {
    query: 'Condition?subject:Patient={patient:Wyman}',
    expect: (d) => of(d, 'Condition').filter((c) => referenceMatches(d.patient('Wyman').key, [refTo('Patient', c.json.subject)])),
  },
  {
    query: 'Encounter?service-provider=Organization/{provider:Wyman}',
    expect: (d) => of(d, 'Encounter').filter((e) => referenceMatches(providerOf(d, 'Wyman').key, [e.json.serviceProvider])),
  },
  // Encounter.participant: `Encounter.participant.individual`
  {
    query: 'Encounter?participant:missing=true',
    expect: where('Encounter', (e) => !(e.participant ?? []).some((p: Json) => p.individual?.reference)),
  },
  {
    query: 'Encounter?participant:missing=false',
    expect: where('Encounter', (e) => (e.participant ?? []).some((p: Json) => p.individual?.reference)),
  },
  {
    query: 'Patient?_id={patient:Wyman},{patient:Batz},no-such-id',
    expect: (d) => [d.patient('Wyman'), d.patient('Batz')],
  },
];

const CHAIN: Case[] = [
  {
    query: `Observation?code=${LOINC}|2093-3&subject:Patient.gender=male`,
    expect: where('Observation', (o, d) => tokenMatches(`${LOINC}|2093-3`, codings(o.code))
      && tokenMatches('male', codings(d.resolve(refTo('Patient', o.subject))?.json.gender))),
  },
  {
    query: 'Encounter?subject.family=sch',
    expect: where('Encounter', (e, d) => startsWith(families(d.resolve(refTo('Patient', e.subject))?.json ?? {}), 'sch')),
  },
  {
    query: 'Observation?encounter.service-provider.name=brigham',
    expect: where('Observation', (o, d) => {
      const enc = d.resolve(refTo('Encounter', o.encounter))?.json;
      return !!enc && startsWith(orgNames(encounterProvider(enc, d)), 'brigham');
    }),
  },
];

/** `_has:Type:param:filter`: resources that some Type resource, matching filter, refers to through param. */
const HAS: Case[] = [
  {
    query: `Patient?_has:Observation:patient:code=${LOINC}|4548-4`,
    expect: (d) => patientsOf(d, of(d, 'Observation').filter((o) => tokenMatches(`${LOINC}|4548-4`, codings(o.json.code)))),
  },
  {
    query: `Patient?_has:Encounter:patient:_has:Condition:encounter:code=${SNOMED}|15777000`,
    expect: (d) => {
      const conditions = of(d, 'Condition').filter((c) => tokenMatches(`${SNOMED}|15777000`, codings(c.json.code)));
      const encounters = of(d, 'Encounter').filter((e) => conditions.some((c) => refersTo(c.json.encounter, e)));
      return patientsOf(d, encounters);
    },
  },
  {
    query: `Patient?gender=male&_has:Condition:patient:clinical-status=active`,
    expect: (d) => patientsOf(d, of(d, 'Condition').filter((c) => tokenMatches('active', codings(c.json.clinicalStatus))))
      .filter((p) => p.json.gender === 'male'),
  },
];

/** Composite values are matched within one element: the same Observation, or the same component. */
const COMPOSITE: Case[] = [
  {
    query: `Observation?code-value-quantity=${LOINC}|2093-3$gt180`,
    expect: where('Observation', (o) => tokenMatches(`${LOINC}|2093-3`, codings(o.code)) && quantityMatches('gt180', valueQuantity(o))),
  },
  {
    query: `Observation?component-code-value-quantity=${LOINC}|8480-6$gt140`,
    expect: where('Observation', (o) => (o.component ?? []).some((c: Json) => tokenMatches(`${LOINC}|8480-6`, codings(c.code))
      && quantityMatches('gt140', c.valueQuantity))),
  },
  {
    // No diastolic value exceeds 140, though systolic ones do: a match here pairs values of different components.
    query: `Observation?component-code-value-quantity=${LOINC}|8462-4$gt140`,
    expect: where('Observation', (o) => (o.component ?? []).some((c: Json) => tokenMatches(`${LOINC}|8462-4`, codings(c.code))
      && quantityMatches('gt140', c.valueQuantity))),
    empty: true,
  },
];

/** _include and _revinclude: https://hl7.org/fhir/R4/search.html#include — per page, for that page's matches. */
const INCLUDE: Case[] = [
  {
    query: `Observation?code=${LOINC}|4548-4&_include=Observation:patient`,
    expect: where('Observation', (o) => tokenMatches(`${LOINC}|4548-4`, codings(o.code))),
    included: (d, page) => patientsOf(d, page),
  },
  {
    query: 'Patient?gender=female&_revinclude=Encounter:subject',
    expect: where('Patient', (p) => p.gender === 'female'),
    included: (d, page) => of(d, 'Encounter').filter((e) => page.some((p) => refersTo(e.json.subject, p))),
  },
  {
    query: 'Encounter?class=IMP&_include=Encounter:service-provider&_include=Encounter:patient',
    expect: where('Encounter', (e) => tokenMatches('IMP', codings(e.class))),
    included: (d, page) => unique(page.flatMap((e) => [d.resolve(e.json.serviceProvider), d.resolve(patientOf(e.json))])
      .filter((r): r is Res => !!r)),
  },
];

const birthKey = (r: Res, desc: boolean) => { const b = birth(r.json); return b && (desc ? b.hi : b.lo); };
const SORT: Case[] = [
  { query: 'Patient?_sort=birthdate', expect: (d) => of(d, 'Patient'), order: () => sortBy(birthKey) },
  { query: 'Patient?_sort=-birthdate', expect: (d) => of(d, 'Patient'), order: () => sortBy(birthKey, true) },
  {
    query: 'Patient?_sort=family,given',
    expect: (d) => of(d, 'Patient'),
    order: () => thenBy(
      sortBy((r, desc) => earliest(families(r.json).map(fold), desc)),
      sortBy((r, desc) => earliest(givens(r.json).map(fold), desc)),
    ),
  },
  {
    query: 'Patient?_sort=death-date',
    expect: (d) => of(d, 'Patient'),
    order: () => sortBy((r) => (r.json.deceasedDateTime ? dateRange(r.json.deceasedDateTime)!.lo : undefined)),
  },
  {
    query: 'Observation?patient={patient:Wyman}&_sort=-date',
    expect: (d) => of(d, 'Observation').filter((o) => refersTo(patientOf(o.json), d.patient('Wyman'))),
    order: () => sortBy((r, desc) => { const e = effective(r.json); return e && (desc ? e.hi : e.lo); }, true),
  },
  {
    query: 'Encounter?patient={patient:Ordóñez}&_sort=date',
    expect: (d) => of(d, 'Encounter').filter((e) => refersTo(patientOf(e.json), d.patient('Ordóñez'))),
    order: () => sortBy((r, desc) => { const p = periodRange(r.json.period); return p && (desc ? p.hi : p.lo); }),
  },
];

const CASES: Case[] = [...TOKEN, ...STRING, ...DATE, ...QUANTITY, ...REFERENCE, ...CHAIN, ...HAS, ...COMPOSITE, ...INCLUDE, ...SORT];

// ---- Talking to the server ---------------------------------------------------------------------------------------

/** One page of a searchset: the `Type/id` of its match and include entries, in order. */
interface Page {
  url: string;
  status: number;
  body: Json;
  matches: string[];
  includes: string[];
  total?: number;
}

const BASE = 'http://test.local';

/** `{patient:Family}` → that patient's id; `{provider:Family}` → the Organization of their first encounter. */
function resolveQuery(query: string, d: SyntheaData): string {
  return query.replace(/\{(patient|provider):([^}]+)\}/g, (_, kind: string, family: string) => (kind === 'patient'
    ? d.patient(family).id
    : providerOf(d, family).id));
}

/** `/fhir/Type?name=value&…`, each value percent-encoded (| $ : + , and spaces included). */
function requestPath(query: string): string {
  const [type, params = ''] = query.split(/\?(.*)/s);
  const encoded = params.split('&').filter((p) => p).map((p) => {
    const eq = p.indexOf('=');
    return `${p.slice(0, eq)}=${encodeURIComponent(p.slice(eq + 1))}`;
  });
  return `/fhir/${type}${encoded.length ? `?${encoded.join('&')}` : ''}`;
}

function keyOf(entry: Json): string {
  return `${entry.resource?.resourceType}/${entry.resource?.id}`;
}

async function getPage(s: TestServer, url: string): Promise<Page> {
  const res = await s.http.get(url).set('Accept', FHIR_JSON);
  const entries: Json[] = res.body?.entry ?? [];
  return {
    url,
    status: res.status,
    body: res.body,
    matches: entries.filter((e) => e.search?.mode === 'match').map(keyOf),
    includes: entries.filter((e) => e.search?.mode === 'include').map(keyOf),
    total: res.body?.total,
  };
}

function nextUrl(page: Page): string | undefined {
  const next: string | undefined = page.body?.link?.find((l: Json) => l.relation === 'next')?.url;
  return next?.startsWith(BASE) ? next.slice(BASE.length) : next;
}

/** Every page from `path`, following `next`; stops at the first non-200, a repeated link or 1,000 pages. */
async function walk(s: TestServer, path: string, problems: string[]): Promise<Page[]> {
  const pages: Page[] = [];
  const seen = new Set<string>();
  for (let url: string | undefined = path; url !== undefined;) {
    if (seen.has(url) || pages.length >= 1000) {
      problems.push(`paging does not end: ${seen.has(url) ? 'a next link repeats' : 'over 1,000 pages'} (${url})`);
      break;
    }
    seen.add(url);
    const page = await getPage(s, url);
    if (page.status !== 200) {
      problems.push(`page ${pages.length + 1} answered ${page.status}: ${diagnostics(page.body)} (${url})`);
      break;
    }
    pages.push(page);
    url = nextUrl(page);
  }
  return pages;
}

function diagnostics(body: Json | undefined): string {
  return (body?.issue ?? []).map((i: Json) => i.diagnostics ?? i.code).join('; ') || JSON.stringify(body).slice(0, 200);
}

// ---- Comparing -----------------------------------------------------------------------------------------------------

/** What one query found, for the summary printed after the suite. */
interface Outcome {
  query: string;
  expected: number;
  got: number;
  pages: number;
  problems: string[];
}

function label(d: SyntheaData, key: string): string {
  const r = d.resolve(key)?.json;
  if (!r) return `${key} (not in the oracle)`;
  const bits: unknown[] = [];
  if (r.resourceType === 'Patient') bits.push(families(r).join('/'), givens(r)[0], r.gender, r.birthDate, r.deceasedDateTime);
  if (r.code) bits.push(codings(r.code).map((c) => c.code).join('/'));
  if (r.class) bits.push(r.class.code);
  if (r.period) bits.push(`${r.period.start}..${r.period.end}`);
  if (r.effectiveDateTime) bits.push(r.effectiveDateTime);
  if (r.valueQuantity) bits.push(`${r.valueQuantity.value} ${r.valueQuantity.code}`);
  return `${key} (${bits.filter((b) => b !== undefined).join(' ')})`;
}

function setDiff(d: SyntheaData, what: string, expected: string[], got: string[]): string[] {
  const want = new Set(expected);
  const have = new Set(got);
  const missing = expected.filter((k) => !have.has(k));
  const extra = [...have].filter((k) => !want.has(k));
  if (missing.length === 0 && extra.length === 0) return [];
  const show = (keys: string[]) => keys.slice(0, 8).map((k) => `\n          ${label(d, k)}`).join('') + (keys.length > 8 ? `\n          … ${keys.length - 8} more` : '');
  return [`${what}: expected ${want.size}, got ${have.size}; missing ${missing.length}:${show(missing)}\n        unexpected ${extra.length}:${show(extra)}`];
}

function duplicates(keys: string[]): string[] {
  const seen = new Set<string>();
  return [...new Set(keys.filter((k) => seen.has(k) || !seen.add(k)))];
}

/** Each neighbouring pair must be in order; pairs the comparator calls equal may come either way. */
function orderProblems(d: SyntheaData, got: string[], order: Comparator): string[] {
  const wrong: string[] = [];
  for (let i = 1; i < got.length; i++) {
    const a = d.resolve(got[i - 1]);
    const b = d.resolve(got[i]);
    if (a && b && order(a, b) > 0) wrong.push(`#${i - 1} ${label(d, a.key)} before #${i} ${label(d, b.key)}`);
  }
  return wrong.length ? [`order: ${wrong.length} pair(s) out of order, first: ${wrong.slice(0, 3).join('; ')}`] : [];
}

function includeProblems(d: SyntheaData, c: Case, pages: Page[]): string[] {
  const problems: string[] = [];
  pages.forEach((page, i) => {
    const matches = page.matches.map((k) => d.resolve(k)).filter((r): r is Res => !!r);
    const matchKeys = new Set(page.matches);
    const want = c.included!(d, matches).map((r) => r.key).filter((k) => !matchKeys.has(k));
    const dup = duplicates(page.includes);
    if (dup.length) problems.push(`page ${i + 1}: included twice: ${dup.slice(0, 5).join(', ')}`);
    const asMatch = page.includes.filter((k) => matchKeys.has(k));
    if (asMatch.length) problems.push(`page ${i + 1}: included and also a match: ${asMatch.slice(0, 5).join(', ')}`);
    problems.push(...setDiff(d, `page ${i + 1} includes`, want, page.includes));
  });
  return problems;
}

async function runCase(s: TestServer, d: SyntheaData, c: Case): Promise<Outcome> {
  const query = resolveQuery(c.query, d);
  const expected = c.expect(d).map((r) => r.key);
  const problems: string[] = [];
  if (!c.empty && expected.length === 0) problems.push('oracle: the expected set is empty, so the query would test nothing');
  const pages = await walk(s, `${requestPath(query)}&_count=${PAGE}&_total=accurate`, problems);
  const got = pages.flatMap((p) => p.matches);
  const dup = duplicates(got);
  if (dup.length) problems.push(`${dup.length} match(es) on more than one page: ${dup.slice(0, 5).map((k) => label(d, k)).join('; ')}`);
  problems.push(...setDiff(d, 'matches', expected, got));
  // _total=accurate: the first page must carry the count; a later page that states one must agree.
  const totals = pages.map((p) => p.total);
  if (pages.length > 0 && (totals[0] !== expected.length || totals.some((t) => t !== undefined && t !== expected.length))) {
    problems.push(`_total=accurate: expected ${expected.length}, pages said ${[...new Set(totals)].join(', ')}`);
  }
  if (c.order) problems.push(...orderProblems(d, got, c.order(d)));
  if (c.included) problems.push(...includeProblems(d, c, pages));
  problems.push(...await countProblems(s, query, expected.length));
  return { query, expected: expected.length, got: got.length, pages: pages.length, problems };
}

/** `_summary=count`: the total only, no entries (https://hl7.org/fhir/R4/search.html#summary). */
async function countProblems(s: TestServer, query: string, expected: number): Promise<string[]> {
  const res = await s.http.get(`${requestPath(query)}&_summary=count`);
  if (res.status !== 200) return [`_summary=count answered ${res.status}: ${diagnostics(res.body)}`];
  const matches = (res.body.entry ?? []).filter((e: Json) => e.search?.mode === 'match').length;
  if (res.body.total !== expected || matches !== 0) return [`_summary=count: expected total ${expected} and no matches, got total ${res.body.total} and ${matches}`];
  return [];
}

function report(o: Outcome): string {
  return `${o.query}\n        ${o.problems.join('\n        ')}`;
}

// ---- The suite -----------------------------------------------------------------------------------------------------

describe('Conformance: search over Synthea against an independent oracle', function () {
  let s: TestServer;
  let d: SyntheaData;
  const outcomes: Outcome[] = [];

  before(async function () {
    const dir = sharedData('synthea');
    if (!dir) {
      console.log('    skipped: ../shared/data/synthea is absent (search is not checked against Synthea)');
      this.skip();
    }
    this.timeout(60_000);
    const started = Date.now();
    s = await testServer();
    d = await loadSynthea(s, dir);
    console.log(`      loaded ${d.size} Synthea resources in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  });

  after(async function () {
    if (outcomes.length > 0) {
      const failed = outcomes.filter((o) => o.problems.length > 0);
      const pages = outcomes.reduce((n, o) => n + o.pages, 0);
      console.log(`\n      ${outcomes.length} queries ran (${pages} pages): ${outcomes.length - failed.length} agree with the oracle, ${failed.length} do not`);
      for (const o of failed) console.log(`      ✗ ${report(o)}`);
      const bad = outcomes.filter((o) => o.query.includes('(bad input'));
      if (bad.length) console.log(`      bad input answers: ${bad.map((o) => o.query.replace(/ \(bad input → (\d+)\)/, ' → $1')).join(' | ')}`);
    }
    await s?.close();
  });

  for (const c of CASES) {
    it(c.query, async function () {
      this.timeout(30_000);
      const outcome = await runCase(s, d, c);
      outcomes.push(outcome);
      assert.ok(outcome.problems.length === 0, report(outcome));
    });
  }

  describe('paging while writes happen between pages (https://hl7.org/fhir/R4/http.html#paging)', () => {
    const created: string[] = [];
    afterEach(async () => {
      while (created.length) await s.http.delete(`/fhir/${created.pop()}`);
    });

    /** Page 1, then `write`, then the rest: no duplicates, every original match present, nothing foreign. */
    async function walkAcrossWrites(query: string, expected: Res[], write: () => Promise<void>): Promise<void> {
      const problems: string[] = [];
      const first = await getPage(s, requestPath(query));
      assert.equal(first.status, 200, diagnostics(first.body));
      assert.ok(nextUrl(first), `${query}: a first page with a next link`);
      await write();
      const rest = await walk(s, nextUrl(first)!, problems);
      const got = [first, ...rest].flatMap((p) => p.matches);
      const have = new Set(got);
      const allowed = new Set([...expected.map((r) => r.key), ...created]);
      const listed = (what: string, keys: string[]) => (keys.length
        ? [`${what} ${keys.length}: ${keys.slice(0, 5).map((k) => label(d, k)).join('; ')}${keys.length > 5 ? ' …' : ''}`]
        : []);
      problems.push(...listed('on two pages', duplicates(got)));
      problems.push(...listed('original matches lost', expected.filter((r) => !have.has(r.key)).map((r) => r.key)));
      problems.push(...listed('not matches', got.filter((k) => !allowed.has(k))));
      outcomes.push({ query: `${query} (writes between pages)`, expected: expected.length, got: got.length, pages: rest.length + 1, problems });
      assert.ok(problems.length === 0, `${query}\n  ${problems.join('\n  ')}`);
    }

    async function create(resource: Json): Promise<void> {
      const res = await s.http.post(`/fhir/${resource.resourceType}`).set('Content-Type', FHIR_JSON).send(resource);
      assert.equal(res.status, 201, diagnostics(res.body));
      created.push(`${resource.resourceType}/${res.body.id}`);
    }

    const newPatient = (birthDate: string): Json => ({ resourceType: 'Patient', name: [{ family: 'Zzpaging', given: ['Ada'] }], gender: 'female', birthDate });

    it('Patient?gender=female&_count=7, three female patients created after page 1', async () => {
      const expected = d.of('Patient').filter((p) => p.json.gender === 'female');
      await walkAcrossWrites('Patient?gender=female&_count=7', expected, async () => {
        for (const b of ['1901-01-01', '1975-06-15', '2021-01-01']) await create(newPatient(b));
      });
    });

    it('Patient?gender=female&_sort=birthdate&_count=7, patients created before and after the cursor', async () => {
      const expected = d.of('Patient').filter((p) => p.json.gender === 'female');
      await walkAcrossWrites('Patient?gender=female&_sort=birthdate&_count=7', expected, async () => {
        for (const b of ['1901-01-01', '1975-06-15', '2021-01-01']) await create(newPatient(b));
      });
    });

    it(`Observation?code=${LOINC}|8302-2&_sort=-date&_count=7, heights created after page 1`, async () => {
      const code = `${LOINC}|8302-2`;
      const expected = d.of('Observation').filter((o) => tokenMatches(code, codings(o.json.code)));
      const subject = { reference: d.patient('Wyman').key };
      await walkAcrossWrites(`Observation?code=${code}&_sort=-date&_count=7`, expected, async () => {
        for (const when of ['1950-01-01T00:00:00Z', '2015-06-01T00:00:00Z', '2030-01-01T00:00:00Z']) {
          await create({
            resourceType: 'Observation', status: 'final', subject, effectiveDateTime: when,
            code: { coding: [{ system: LOINC, code: '8302-2', display: 'Body Height' }] },
            valueQuantity: { value: 170, unit: 'cm', system: UCUM, code: 'cm' },
          });
        }
      });
    });
  });

  describe('bad input: 4xx with an OperationOutcome or a correct 200, never 5xx (https://hl7.org/fhir/R4/search.html#errors)', () => {
    /** A 200 is correct when nothing matches, or (lenient handling) when the self link shows `param` was not applied. */
    const emptyOrIgnored = (param?: string) => (page: Page): string | undefined => {
      if (page.matches.length === 0) return undefined;
      const self: string = page.body.link?.find((l: Json) => l.relation === 'self')?.url ?? '';
      const applied = param !== undefined && decodeURIComponent(self).includes(param);
      return param === undefined || applied
        ? `200 with ${page.matches.length} matches: expected a 400 or no match${param ? ` (the self link says '${param}' was applied)` : ''}`
        : undefined;
    };
    const exactly = (keys: () => string[]) => (page: Page): string | undefined => {
      const want = keys().sort();
      const got = [...page.matches].sort();
      return JSON.stringify(want) === JSON.stringify(got) ? undefined : `200 with ${got.length} matches, expected exactly ${want.length}`;
    };

    const BAD: Array<{ query: string; ok200: (page: Page) => string | undefined }> = [
      { query: 'Patient?birthdate=2020-13-45', ok200: emptyOrIgnored() },
      { query: 'Patient?birthdate=2020-02-30', ok200: emptyOrIgnored() },
      { query: 'Patient?birthdate=xx2020', ok200: emptyOrIgnored() },
      { query: 'Encounter?date=ge2015-01-01T25:00:00Z', ok200: emptyOrIgnored() },
      { query: 'Observation?value-quantity=gtabc', ok200: emptyOrIgnored() },
      { query: 'Observation?code-value-quantity=no-dollar-here', ok200: emptyOrIgnored() },
      { query: 'Observation?subject.nonexistent=1', ok200: emptyOrIgnored('subject.nonexistent') },
      { query: 'Observation?subject:Patient.name.family=x', ok200: emptyOrIgnored('subject:Patient.name.family') },
      { query: 'Patient?_has:Observation:nonexistent:code=1', ok200: emptyOrIgnored('_has') },
      { query: 'Patient?family:sounds-like=x', ok200: emptyOrIgnored('family') },
      { query: 'Patient?_count=-1', ok200: emptyOrIgnored('_count') },
      { query: 'Patient?_count=abc', ok200: emptyOrIgnored('_count') },
      { query: "Patient?family=' OR 1=1 --", ok200: emptyOrIgnored() },
      { query: 'Patient?family=x%\'; DROP TABLE resources; --', ok200: emptyOrIgnored() },
      { query: 'Patient?family=%', ok200: emptyOrIgnored() },
      { query: 'Patient?family=_', ok200: emptyOrIgnored() },
      { query: 'Patient?name=\u0000', ok200: emptyOrIgnored() },
      { query: 'Patient?_sort=unknown', ok200: emptyOrIgnored('_sort') },
      { query: 'Patient?_sort=-', ok200: emptyOrIgnored('_sort') },
      { query: 'Patient?_cursor=not-a-cursor', ok200: emptyOrIgnored('_cursor') },
      { query: 'Patient?_include=Patient:nonexistent', ok200: emptyOrIgnored('_include') },
    ];

    function verdict(page: Page, ok200: (page: Page) => string | undefined, tolerateBare = false): string | undefined {
      if (page.status >= 500) return `${page.status}: ${diagnostics(page.body)}`;
      if (page.status >= 400) {
        const bare = tolerateBare && [413, 414, 431].includes(page.status);
        return page.body?.resourceType === 'OperationOutcome' || bare ? undefined : `${page.status} without an OperationOutcome`;
      }
      if (page.status !== 200 || page.body?.resourceType !== 'Bundle') return `${page.status} ${page.body?.resourceType}: not a searchset`;
      return ok200(page);
    }

    for (const b of BAD) {
      const shown = b.query.replace(/\u0000/g, '\\u0000');
      it(shown, async () => {
        const page = await getPage(s, requestPath(b.query));
        const wrong = verdict(page, b.ok200);
        outcomes.push({ query: `${shown} (bad input → ${page.status})`, expected: 0, got: page.matches.length, pages: 1, problems: wrong ? [wrong] : [] });
        assert.equal(wrong, undefined, `${b.query} → ${page.status}`);
      });
    }

    /** 9,980 made-up ids and the 20 first patients: the answer is those 20, or a refusal. */
    const manyIds = () => [...Array.from({ length: 9980 }, (_, i) => `x${i}`), ...d.of('Patient').slice(0, 20).map((p) => p.id)];
    const realKeys = () => d.of('Patient').slice(0, 20).map((p) => p.key);

    it('Patient?_id=<10,000 ids> (GET)', async () => {
      const page = await getPage(s, `/fhir/Patient?_id=${manyIds().join(',')}`);
      const wrong = verdict(page, exactly(realKeys), true);
      outcomes.push({ query: `Patient?_id=<10,000 ids> GET (bad input → ${page.status})`, expected: 20, got: page.matches.length, pages: 1, problems: wrong ? [wrong] : [] });
      assert.equal(wrong, undefined, `→ ${page.status}`);
    });

    it('Patient?_id=<1,000 ids> (GET, within the request-line limit)', async () => {
      const ids = [...Array.from({ length: 980 }, (_, i) => `x${i}`), ...d.of('Patient').slice(0, 20).map((p) => p.id)];
      const page = await getPage(s, `/fhir/Patient?_id=${ids.join(',')}&_count=100`);
      const wrong = verdict(page, exactly(realKeys));
      outcomes.push({ query: `Patient?_id=<1,000 ids> GET (bad input → ${page.status})`, expected: 20, got: page.matches.length, pages: 1, problems: wrong ? [wrong] : [] });
      assert.equal(wrong, undefined, `→ ${page.status} ${diagnostics(page.body)}`);
    });

    it('POST Patient/_search with _id=<10,000 ids> (form body)', async () => {
      const res = await s.http.post('/fhir/Patient/_search').type('form').send(`_id=${manyIds().join(',')}`);
      const entries: Json[] = res.body?.entry ?? [];
      const page: Page = { url: 'POST', status: res.status, body: res.body, matches: entries.filter((e) => e.search?.mode === 'match').map(keyOf), includes: [] };
      const wrong = verdict(page, exactly(realKeys), true);
      outcomes.push({ query: `POST Patient/_search _id=<10,000 ids> (bad input → ${page.status})`, expected: 20, got: page.matches.length, pages: 1, problems: wrong ? [wrong] : [] });
      assert.equal(wrong, undefined, `→ ${page.status} ${diagnostics(res.body)}`);
    });
  });
});

/** The oracle's own matchers against the spec's worked examples, so a wrong expectation shows here first. */
describe('search oracle: the spec examples it is built from', () => {
  it('reads implicit ranges and prefixes as https://hl7.org/fhir/R4/search.html#prefix does', () => {
    assert.ok(numberMatches('100', 99.5) && numberMatches('100', 100.4) && !numberMatches('100', 100.5));
    assert.ok(numberMatches('gt100', 100.0001) && !numberMatches('gt100', 100));
    const day = dateRange('2013-01-04')!;
    assert.equal(day.hi - day.lo, 86_400_000);
    assert.ok(dateMatches('2013', day) && !dateMatches('2013-01-05', day));
    assert.ok(dateMatches('ge2013-01-04', day) && dateMatches('le2013-01-04', day) && !dateMatches('gt2013-01-04', day));
    const straddle = { lo: Date.UTC(2014, 11, 31, 23), hi: Date.UTC(2015, 0, 1, 1) };
    assert.ok(dateMatches('gt2014-12-31', straddle) && dateMatches('lt2015-01-01', straddle) && !dateMatches('2015', straddle));
    assert.equal(dateRange('2011-06-01T12:00:00+02:00')!.lo, Date.UTC(2011, 5, 1, 10));
  });
});
