import assert from 'node:assert/strict';
import type { HistoryOptions, Page, StoredVersion } from '../../../src/store/types';
import { describeContract, put, remove, type Contract } from './harness';

/**
 * History of one resource, one type and the whole store: newest first, deletes included, `since`, `at`, `count` and
 * an opaque cursor that stays valid while new versions arrive. https://hl7.org/fhir/R4/http.html#history
 */

const key = (v: StoredVersion) => `${v.type}/${v.id}/${v.versionId}`;
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Six commits, a few milliseconds apart so that each has its own lastUpdated (commits in one millisecond may share
 * one). Returns each commit's lastUpdated.
 */
async function seed(c: Contract): Promise<string[]> {
  const steps: Array<() => Promise<unknown>> = [
    () => put(c.store, { resourceType: 'Patient', id: 'h1', gender: 'female' }),
    () => put(c.store, { resourceType: 'Observation', id: 'o1', status: 'preliminary', code: { text: 'weight' } }),
    () => put(c.store, { resourceType: 'Patient', id: 'h1', gender: 'male' }, { resourceType: 'Patient', id: 'h2' }),
    () => remove(c.store, 'Patient', 'h1'),
    () => put(c.store, { resourceType: 'Observation', id: 'o1', status: 'final', code: { text: 'weight' } }),
    () => put(c.store, { resourceType: 'Patient', id: 'h1', gender: 'other' }),
  ];
  const stamps: string[] = [];
  for (const step of steps) {
    await pause(3);
    await step();
    stamps.push((await c.store.history({}, { count: 1 })).entries[0].lastUpdated);
  }
  return stamps;
}

/** The versions written, one group per commit, newest commit first (order inside a commit is not specified). */
const COMMITS = [
  ['Patient/h1/4'],
  ['Observation/o1/2'],
  ['Patient/h1/3'],
  ['Patient/h1/2', 'Patient/h2/1'],
  ['Observation/o1/1'],
  ['Patient/h1/1'],
];

/** Consecutive entries with one lastUpdated form a group; keys sorted inside each. */
function groups(entries: StoredVersion[]): string[][] {
  const out: string[][] = [];
  entries.forEach((v, i) => {
    if (i === 0 || v.lastUpdated !== entries[i - 1].lastUpdated) out.push([]);
    out[out.length - 1].push(key(v));
  });
  return out.map((g) => g.sort());
}

async function everyPage(c: Contract, scope: { type?: string; id?: string }, options: HistoryOptions, between?: () => Promise<void>): Promise<StoredVersion[]> {
  const out: StoredVersion[] = [];
  let cursor = options.cursor;
  for (let i = 0; i < 100; i++) {
    const page: Page<StoredVersion> = await c.store.history(scope, { ...options, cursor });
    assert.ok(page.entries.length <= options.count, 'a page holds at most count versions');
    out.push(...page.entries);
    if (!page.next) return out;
    cursor = page.next;
    await between?.();
  }
  throw new Error('history paging did not end');
}

describeContract('history', (c) => {
  let stamps: string[] = [];
  before(async () => {
    stamps = await seed(c);
  });

  it('of one resource: every version newest first, the delete as a tombstone', async () => {
    const page = await c.store.history({ type: 'Patient', id: 'h1' }, { count: 10 });
    assert.deepEqual(page.entries.map(key), ['Patient/h1/4', 'Patient/h1/3', 'Patient/h1/2', 'Patient/h1/1']);
    assert.deepEqual(page.entries.map((v) => v.deleted), [false, true, false, false]);
    assert.equal(page.entries[1].resource, undefined);
    assert.equal((page.entries[2].resource as unknown as Record<string, unknown>).gender, 'male');
    assert.equal(page.next, undefined);
    if (page.total !== undefined) assert.equal(page.total, 4);
  });

  it('of one type and of the whole store, grouped by commit, newest first', async () => {
    const system = await c.store.history({}, { count: 50 });
    assert.deepEqual(groups(system.entries), COMMITS);
    const patients = await c.store.history({ type: 'Patient' }, { count: 50 });
    assert.deepEqual(groups(patients.entries), COMMITS.map((g) => g.filter((k) => k.startsWith('Patient/'))).filter((g) => g.length));
    const observations = await c.store.history({ type: 'Observation' }, { count: 50 });
    assert.deepEqual(observations.entries.map(key), ['Observation/o1/2', 'Observation/o1/1']);
  });

  it('versions of an id never written, or of a type never written, are none', async () => {
    assert.deepEqual((await c.store.history({ type: 'Patient', id: 'nobody' }, { count: 10 })).entries, []);
    assert.deepEqual((await c.store.history({ type: 'Encounter' }, { count: 10 })).entries, []);
  });

  it('since: versions written at or after the instant', async () => {
    const since = await c.store.history({}, { count: 50, since: stamps[2] });
    assert.deepEqual(groups(since.entries), COMMITS.slice(0, 4));
    const instance = await c.store.history({ type: 'Patient', id: 'h1' }, { count: 50, since: stamps[3] });
    assert.deepEqual(instance.entries.map(key), ['Patient/h1/4', 'Patient/h1/3']);
    const future = new Date(Date.parse(stamps[5]) + 3_600_000).toISOString();
    assert.deepEqual((await c.store.history({}, { count: 50, since: future })).entries, []);
  });

  it('at: the version of each resource that was current at the instant', async () => {
    const atThird = await c.store.history({}, { count: 50, at: stamps[2] });
    assert.deepEqual(atThird.entries.map(key).sort(), ['Observation/o1/1', 'Patient/h1/2', 'Patient/h2/1']);
    const atFourth = await c.store.history({}, { count: 50, at: stamps[3] });
    const live = atFourth.entries.filter((v) => !v.deleted).map(key).sort();
    assert.deepEqual(live, ['Observation/o1/1', 'Patient/h2/1']);
    assert.deepEqual(atFourth.entries.filter((v) => v.deleted).map(key), atFourth.entries.some((v) => v.deleted) ? ['Patient/h1/3'] : []);
    const before = new Date(Date.parse(stamps[0]) - 60_000).toISOString();
    assert.deepEqual((await c.store.history({}, { count: 50, at: before })).entries, []);
  });

  it('count and cursor: every version once, in order, across pages of any size', async () => {
    const full = (await c.store.history({}, { count: 50 })).entries.map(key);
    for (const count of [1, 2, 3, 7]) {
      assert.deepEqual((await everyPage(c, {}, { count })).map(key), full, `count=${count}`);
    }
    assert.deepEqual((await everyPage(c, { type: 'Patient', id: 'h1' }, { count: 1 })).map(key), ['Patient/h1/4', 'Patient/h1/3', 'Patient/h1/2', 'Patient/h1/1']);
    const sincePaged = await everyPage(c, { type: 'Patient' }, { count: 2, since: stamps[2] });
    assert.deepEqual(groups(sincePaged), [['Patient/h1/4'], ['Patient/h1/3'], ['Patient/h1/2', 'Patient/h2/1']]);
  });

  it('a cursor that is not one of the store\'s is refused as invalid', async () => {
    await assert.rejects(c.store.history({}, { count: 2, cursor: 'not a cursor' }), { category: 'invalid' });
  });
});

describeContract('history paging while versions are written', (c) => {
  before(async () => {
    await seed(c);
  });

  it('a next cursor stays valid: later pages neither repeat nor skip, new versions are not mixed in', async () => {
    const full = (await c.store.history({}, { count: 50 })).entries.map(key);
    let n = 0;
    const paged = await everyPage(c, {}, { count: 2 }, async () => {
      n += 1;
      await put(c.store, { resourceType: 'Patient', id: `new${n}` }, { resourceType: 'Patient', id: 'h2', active: n % 2 === 0 });
    });
    assert.deepEqual(paged.map(key), full);
    const now = (await c.store.history({ type: 'Patient', id: 'h2' }, { count: 50 })).entries;
    assert.equal(now[0].versionId, String(1 + n), 'the writes did happen');
  });
});
