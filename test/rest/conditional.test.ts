import assert from 'node:assert/strict';
import { FHIR_JSON, patient, testServer, type TestServer } from '../support/app';

const SYS = 'http://electronichealth.se/identifier/personnummer';

// https://hl7.org/fhir/R4/http.html#ccreate #cond-update #cdelete, and the search they stand on
describe('REST: conditional interactions and the search they use', () => {
  let s: TestServer;
  beforeEach(async () => (s = await testServer()));
  afterEach(async () => s.close());

  const withPnr = (pnr: string, extra = {}) => patient({ identifier: [{ system: SYS, value: pnr }], ...extra });
  const post = (body: unknown, headers: Record<string, string> = {}) =>
    s.http.post('/fhir/Patient').set('Content-Type', FHIR_JSON).set(headers).send(JSON.stringify(body));

  it('conditional create: creates once, then returns the existing resource (200)', async () => {
    const first = await post(withPnr('197005141234'), { 'If-None-Exist': `identifier=${SYS}|197005141234` });
    assert.equal(first.status, 201);
    const second = await post(withPnr('197005141234'), { 'If-None-Exist': `identifier=${SYS}|197005141234` });
    assert.equal(second.status, 200);
    assert.equal(second.body.id, first.body.id);
    const all = await s.http.get(`/fhir/Patient?identifier=${encodeURIComponent(`${SYS}|197005141234`)}`);
    assert.equal(all.body.entry.length, 1);
  });

  it('conditional create: 412 when the condition matches several', async () => {
    await post(withPnr('1'));
    await post(withPnr('1'));
    const res = await post(withPnr('1'), { 'If-None-Exist': 'identifier=1' });
    assert.equal(res.status, 412);
  });

  it('conditional create: unknown parameter in the condition is a 400, never a wider match', async () => {
    const res = await post(withPnr('1'), { 'If-None-Exist': 'nonsense=1' });
    assert.equal(res.status, 400);
  });

  it('two concurrent conditional creates create exactly one resource', async () => {
    const results = await Promise.all(Array.from({ length: 10 }, () => post(withPnr('42'), { 'If-None-Exist': `identifier=${SYS}|42` })));
    assert.equal(results.filter((r) => r.status === 201).length, 1);
    assert.equal(results.filter((r) => r.status === 200).length, 9);
  });

  it('conditional update: creates when nothing matches, updates the single match, 412 on several', async () => {
    const put = (body: unknown, q: string) => s.http.put(`/fhir/Patient?${q}`).set('Content-Type', FHIR_JSON).send(JSON.stringify(body));
    const created = await put(withPnr('7'), `identifier=${SYS}|7`);
    assert.equal(created.status, 201);
    const updated = await put(withPnr('7', { gender: 'male' }), `identifier=${SYS}|7`);
    assert.equal(updated.status, 200);
    assert.equal(updated.body.id, created.body.id);
    assert.equal(updated.body.meta.versionId, '2');
    await post(withPnr('8'));
    await post(withPnr('8'));
    assert.equal((await put(withPnr('8'), 'identifier=8')).status, 412);
    const idMismatch = await put(withPnr('7', { id: 'another' }), `identifier=${SYS}|7`);
    assert.equal(idMismatch.status, 400);
  });

  it('conditional delete: removes every match (bounded), 412 above the bound', async () => {
    for (let i = 0; i < 3; i++) await post(withPnr('9'));
    const res = await s.http.delete('/fhir/Patient?identifier=9');
    assert.equal(res.status, 200);
    assert.equal((await s.http.get('/fhir/Patient?identifier=9')).body.entry, undefined);
    const small = await testServer({ maxConditionalDeletes: 2 });
    try {
      for (let i = 0; i < 3; i++) await small.http.post('/fhir/Patient').set('Content-Type', FHIR_JSON).send(JSON.stringify(withPnr('5')));
      assert.equal((await small.http.delete('/fhir/Patient?identifier=5')).status, 412);
      assert.equal((await small.http.get('/fhir/Patient?identifier=5')).body.entry.length, 3, 'nothing deleted');
    } finally {
      await small.close();
    }
    assert.equal((await s.http.delete('/fhir/Patient?identifier=none')).status, 200);
    assert.equal((await s.http.delete('/fhir/Patient')).status, 400, 'a condition is required');
  });

  it('search by _id, identifier (all token forms) and _lastUpdated', async () => {
    const a = (await post(withPnr('111'))).body;
    const b = (await post(patient({ identifier: [{ value: '222' }] }))).body;
    const ids = (res: { body: { entry?: Array<{ resource: { id: string } }> } }) => (res.body.entry ?? []).map((e) => e.resource.id).sort();
    assert.deepEqual(ids(await s.http.get(`/fhir/Patient?_id=${a.id}`)), [a.id]);
    assert.deepEqual(ids(await s.http.get(`/fhir/Patient?_id=${a.id},${b.id}`)), [a.id, b.id].sort());
    assert.deepEqual(ids(await s.http.get(`/fhir/Patient?identifier=${encodeURIComponent(`${SYS}|111`)}`)), [a.id]);
    assert.deepEqual(ids(await s.http.get('/fhir/Patient?identifier=111')), [a.id]);
    assert.deepEqual(ids(await s.http.get(`/fhir/Patient?identifier=${encodeURIComponent(`${SYS}|`)}`)), [a.id]);
    assert.deepEqual(ids(await s.http.get(`/fhir/Patient?identifier=${encodeURIComponent('|222')}`)), [b.id]);
    assert.deepEqual(ids(await s.http.get(`/fhir/Patient?identifier=${encodeURIComponent('|111')}`)), []);
    assert.deepEqual(ids(await s.http.get(`/fhir/Patient?_lastUpdated=ge${a.meta.lastUpdated}`)), [a.id, b.id].sort());
    assert.deepEqual(ids(await s.http.get(`/fhir/Patient?_lastUpdated=gt${a.meta.lastUpdated}`)), [b.id]);
    assert.deepEqual(ids(await s.http.get(`/fhir/Patient?_lastUpdated=lt${a.meta.lastUpdated}`)), []);
    assert.deepEqual(ids(await s.http.get(`/fhir/Patient?_lastUpdated=${a.meta.lastUpdated.slice(0, 4)}`)), [a.id, b.id].sort());
    assert.equal((await s.http.get('/fhir/Patient?_lastUpdated=notadate')).status, 400);
  });

  it('search pages through stable cursors and reports ignored parameters', async () => {
    for (let i = 0; i < 5; i++) await post(withPnr(`p${i}`));
    const seen: string[] = [];
    let url: string | undefined = '/fhir/Patient?_count=2&unknownparam=x';
    let pages = 0;
    while (url) {
      const res = await s.http.get(url);
      assert.equal(res.status, 200);
      assert.equal(res.body.type, 'searchset');
      const self = res.body.link.find((l: { relation: string }) => l.relation === 'self').url;
      assert.ok(!self.includes('unknownparam'), 'ignored parameters are left out of links');
      for (const e of res.body.entry ?? []) if (e.search.mode === 'match') seen.push(e.resource.id);
      if (pages === 0) assert.ok(res.body.entry.some((e: { search: { mode: string } }) => e.search.mode === 'outcome'));
      const next = res.body.link.find((l: { relation: string }) => l.relation === 'next');
      url = next ? next.url.replace('http://test.local', '') : undefined;
      pages++;
    }
    assert.equal(pages, 3);
    assert.equal(new Set(seen).size, 5);
    const strict = await s.http.get('/fhir/Patient?unknownparam=x').set('Prefer', 'handling=strict');
    assert.equal(strict.status, 400);
    const total = await s.http.get('/fhir/Patient?_summary=count');
    assert.equal(total.body.total, 5);
    assert.equal(total.body.entry, undefined);
    assert.equal((await s.http.get('/fhir/Patient?_count=-1')).status, 400);
    assert.equal((await s.http.get('/fhir/Patient?_cursor=garbage')).status, 400);
  });

  it('_sort by _lastUpdated and _id, both directions, paging in that order', async () => {
    for (const id of ['c', 'a', 'b']) await s.http.put(`/fhir/Patient/${id}`).set('Content-Type', FHIR_JSON).send(JSON.stringify(patient({ id })));
    const order = async (q: string) => {
      const out: string[] = [];
      let url: string | undefined = `/fhir/Patient?${q}&_count=2`;
      while (url) {
        const res = await s.http.get(url);
        assert.equal(res.status, 200);
        out.push(...(res.body.entry ?? []).map((e: { resource: { id: string } }) => e.resource.id));
        const next = res.body.link.find((l: { relation: string }) => l.relation === 'next');
        url = next ? next.url.replace('http://test.local', '') : undefined;
      }
      return out;
    };
    assert.deepEqual(await order('_sort=_lastUpdated'), ['c', 'a', 'b']);
    assert.deepEqual(await order('_sort=-_lastUpdated'), ['b', 'a', 'c']);
    assert.deepEqual(await order('_sort=_id'), ['a', 'b', 'c']);
    assert.deepEqual(await order('_sort=-_id'), ['c', 'b', 'a']);
    assert.equal((await s.http.get('/fhir/Patient?_sort=nonexistent')).status, 400);
  });

  it('POST _search with a form body gives the same answer as GET', async () => {
    const a = (await post(withPnr('333'))).body;
    const res = await s.http.post('/fhir/Patient/_search').set('Content-Type', 'application/x-www-form-urlencoded').send('identifier=333');
    assert.equal(res.status, 200);
    assert.deepEqual(res.body.entry.map((e: { resource: { id: string } }) => e.resource.id), [a.id]);
    const json = await s.http.post('/fhir/Patient/_search').set('Content-Type', FHIR_JSON).send('{"identifier":"333"}');
    assert.equal(json.status, 415, 'a JSON body is not search parameters');
  });
});
