import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import type { Bundle } from 'fhir/r4';
import type { StoredVersion } from '../../src/store/types';
import { FHIR_JSON, sharedData, testServer, type TestServer } from '../support/app';

/**
 * Forty Synthea R4 patients, one transaction bundle each, loaded through the REST API after the run's Organization
 * and Practitioner bundles. Every urn:uuid reference must come out as a literal reference to a stored resource.
 * https://hl7.org/fhir/R4/http.html#transaction, #trules; https://hl7.org/fhir/R4/references.html
 */

/** One bundle file as read from disk, and what the server answered. */
interface Load {
  file: string;
  text: string;
  bundle: Bundle;
  status?: number;
  body?: Record<string, any>;
}

const LITERAL = /^([A-Z][A-Za-z]+)\/([A-Za-z0-9\-.]{1,64})$/;

describe('Conformance: Synthea transaction bundles', function () {
  let s: TestServer;
  let loads: Load[] = [];
  /** The current version of every stored resource, by `Type/id`, as the store lists them. */
  let stored = new Map<string, StoredVersion>();

  before(async function () {
    const dir = sharedData('synthea');
    if (!dir) {
      console.log('    skipped: ../shared/data/synthea is absent (the Synthea load is not checked)');
      this.skip();
    }
    this.timeout(60_000); // the load takes a few seconds; it must stay well under two minutes
    // The run's Organization and Practitioner bundles come first, as Synthea means them to: patient bundles of
    // later Synthea versions refer to them by conditional reference. These ones still carry their own copies.
    loads = [...readBundles(path.join(dir, 'extras')), ...readBundles(dir)];
    s = await testServer();
    const started = process.hrtime.bigint();
    for (const load of loads) {
      const res = await s.http.post('/fhir').set('Content-Type', FHIR_JSON).send(load.text);
      load.status = res.status;
      load.body = res.body;
    }
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const resources = loads.reduce((n, l) => n + (l.bundle.entry?.length ?? 0), 0);
    console.log(`      Synthea: ${resources} resources in ${loads.length} bundles, ${seconds.toFixed(2)} s, `
      + `${Math.round(resources / seconds)} resources/s (HTTP, in-memory SQLite)`);
    stored = await currentResources(s);
  });

  after(async () => s?.close());

  it('finds the 40 patient bundles and the Organization and Practitioner transactions', () => {
    const extras = loads.filter((l) => l.file.startsWith('extras/'));
    assert.equal(loads.length - extras.length, 40);
    assert.deepEqual(extras.map((l) => resourceTypes(l.bundle)).sort(), [['Organization'], ['Practitioner']]);
    for (const l of loads) assert.equal(l.bundle.type, 'transaction', `${l.file} is a ${l.bundle.type}, not a transaction`);
  });

  it('answers every bundle 200 with a transaction-response, one 201 entry per entry', () => {
    for (const l of loads) {
      assert.equal(l.status, 200, `${l.file}: ${l.status} ${l.body?.issue?.[0]?.diagnostics ?? ''}`);
      assert.equal(l.body!.type, 'transaction-response', l.file);
      assert.equal(l.body!.entry?.length, l.bundle.entry!.length, `${l.file}: one response entry per entry`);
      const statuses = new Set(l.body!.entry.map((e: any) => e.response.status));
      assert.deepEqual([...statuses], ['201 Created'], l.file);
    }
  });

  it('stores each entry as sent, its urn:uuid references replaced by the ids the response reports', () => {
    for (const l of loads) {
      const targets = new Map<string, string>();
      l.bundle.entry!.forEach((e, i) => targets.set(e.fullUrl!, storedKey(l.body!.entry[i].response.location)));
      l.bundle.entry!.forEach((e, i) => {
        const key = storedKey(l.body!.entry[i].response.location);
        const got = stored.get(key);
        assert.ok(got, `${l.file} entry ${i}: ${key} is not stored`);
        assert.deepStrictEqual(withoutServerFields(got.resource), withoutServerFields(rewritten(e.resource, targets)), `${l.file} entry ${i}`);
      });
    }
  });

  it('stores as many resources of each type as the raw bundles create', () => {
    const found = countBy([...stored.values()].map((v) => v.type));
    assert.deepEqual(sorted(found), sorted(expectedCounts(loads)));
  });

  it('agrees in its search totals (_summary=count) and type histories', async function () {
    this.timeout(60_000);
    for (const [type, expected] of expectedCounts(loads)) {
      const count = await s.http.get(`/fhir/${type}?_summary=count`);
      assert.equal(count.status, 200);
      assert.equal(count.body.total, expected, `${type}?_summary=count`);
      assert.equal(await historyLength(s, type), expected, `${type}/_history`);
    }
  });

  it('resolves every reference of every stored resource to a stored resource, and no urn:uuid is left', async () => {
    const checked = new Map<string, boolean>();
    let references = 0;
    let local = 0;
    for (const v of stored.values()) {
      const json = JSON.stringify(v.resource);
      assert.ok(!json.includes('urn:uuid:'), `${v.type}/${v.id} still holds a urn:uuid`);
      for (const ref of referencesIn(v.resource)) {
        references++;
        if (ref.startsWith('#')) {
          local++;
          continue;
        }
        assert.match(ref, LITERAL, `${v.type}/${v.id}: '${ref}' is not a relative Type/id reference`);
        if (!checked.has(ref)) checked.set(ref, await isLive(s, ref));
        assert.ok(checked.get(ref), `${v.type}/${v.id}: '${ref}' does not resolve to a stored resource`);
      }
    }
    assert.ok(references > stored.size, 'the bundles hold many references');
    console.log(`      ${references} references in ${stored.size} resources: ${checked.size} distinct targets resolved, `
      + `${local} local (#contained) references skipped`);
  });
});

function readBundles(dir: string): Load[] {
  const prefix = path.basename(dir) === 'extras' ? 'extras/' : '';
  return fs.readdirSync(dir).filter((f) => f.endsWith('.json')).sort().map((f) => {
    const text = fs.readFileSync(path.join(dir, f), 'utf8');
    return { file: prefix + f, text, bundle: JSON.parse(text) as Bundle };
  });
}

function resourceTypes(bundle: Bundle): string[] {
  return [...new Set((bundle.entry ?? []).map((e) => e.resource!.resourceType))];
}

/**
 * Resources per type, counted from the raw bundles: every entry is an unconditional POST (checked), and each
 * such entry creates one resource, repeated Organizations and Practitioners included.
 */
function expectedCounts(loads: Load[]): Map<string, number> {
  const types: string[] = [];
  for (const l of loads) {
    for (const [i, e] of (l.bundle.entry ?? []).entries()) {
      const unconditional = e.request?.method === 'POST' && !e.request.ifNoneExist && e.request.url === e.resource?.resourceType;
      assert.ok(unconditional, `${l.file} entry ${i}: expected an unconditional POST, the count model would not hold`);
      types.push(e.resource!.resourceType);
    }
  }
  return countBy(types);
}

function countBy(values: string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  return counts;
}

function sorted(counts: Map<string, number>): Array<[string, number]> {
  return [...counts].sort(([a], [b]) => a.localeCompare(b));
}

/** Every version in the store, through its system history, reduced to the current one of each resource. */
async function currentResources(s: TestServer): Promise<Map<string, StoredVersion>> {
  const current = new Map<string, StoredVersion>();
  let cursor: string | undefined;
  do {
    const page = await s.store.history({}, { count: 1000, cursor });
    for (const v of page.entries) {
      const key = `${v.type}/${v.id}`;
      if (!current.has(key)) current.set(key, v); // newest first: the first seen is the current one
    }
    cursor = page.next;
  } while (cursor);
  for (const [key, v] of current) if (v.deleted) current.delete(key);
  return current;
}

/** Entries of GET [type]/_history, following the next links. */
async function historyLength(s: TestServer, type: string): Promise<number> {
  let url: string | undefined = `/fhir/${type}/_history?_count=1000`;
  let n = 0;
  while (url) {
    const res = await s.http.get(url);
    assert.equal(res.status, 200, `${url}: ${res.status}`);
    n += res.body.entry?.length ?? 0;
    const next: string | undefined = res.body.link?.find((l: any) => l.relation === 'next')?.url;
    url = next?.replace('http://test.local', '');
  }
  return n;
}

/** `http://test.local/fhir/Patient/x/_history/1` → `Patient/x`. */
function storedKey(location: string): string {
  const m = /\/fhir\/([A-Za-z]+\/[^/]+)\/_history\/\d+$/.exec(location);
  assert.ok(m, `unexpected Location '${location}'`);
  return m[1];
}

/** A copy of `value` where every string equal to a fullUrl of the bundle is the `Type/id` it was stored as. */
function rewritten(value: unknown, targets: Map<string, string>): unknown {
  if (typeof value === 'string') return targets.get(value) ?? value;
  if (Array.isArray(value)) return value.map((v) => rewritten(v, targets));
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, rewritten(v, targets)]));
}

/** Without id (a create ignores the one sent) and the meta the server sets. */
function withoutServerFields(resource: unknown): Record<string, unknown> {
  const { id: _id, meta, ...rest } = resource as Record<string, any>;
  const { versionId: _v, lastUpdated: _l, ...ownMeta } = meta ?? {};
  return Object.keys(ownMeta).length > 0 ? { ...rest, meta: ownMeta } : rest;
}

/** The string values of every `reference` key, at any depth (contained resources and extensions included). */
function referencesIn(value: unknown, found: string[] = []): string[] {
  if (Array.isArray(value)) value.forEach((v) => referencesIn(v, found));
  else if (value !== null && typeof value === 'object') {
    for (const [key, v] of Object.entries(value)) {
      if (key === 'reference' && typeof v === 'string') found.push(v);
      else referencesIn(v, found);
    }
  }
  return found;
}

/** True when `Type/id` reads as a current, non-deleted resource from the store. */
async function isLive(s: TestServer, reference: string): Promise<boolean> {
  const [, type, id] = LITERAL.exec(reference)!;
  const v = await s.store.read(type, id);
  return v !== undefined && !v.deleted;
}
