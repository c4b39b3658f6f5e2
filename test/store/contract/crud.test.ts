import assert from 'node:assert/strict';
import { asResource, describeContract, put, remove, unique } from './harness';

/**
 * create, read, vread, update, delete and tombstones; versionId and lastUpdated rules; readMany; ready.
 * https://hl7.org/fhir/R4/http.html#read, #vread, #update, #delete
 */

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describeContract('create, read, vread, update, delete', (c) => {
  it('a create gets a server id, versionId 1 and meta set; read answers the same version', async () => {
    const [created] = await c.store.commit([{ kind: 'create', resource: asResource({ resourceType: 'Patient', gender: 'female' }) }]);
    assert.equal(created.outcome, 'created');
    const v = created.version!;
    assert.match(v.id, UUID);
    assert.deepEqual(created.ids, [v.id]);
    assert.equal(v.type, 'Patient');
    assert.equal(v.versionId, '1');
    assert.equal(v.deleted, false);
    assert.match(v.lastUpdated, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    assert.ok(Math.abs(Date.parse(v.lastUpdated) - Date.now()) < 60_000, 'lastUpdated is the time of the write');
    const read = await c.store.read('Patient', v.id);
    assert.ok(read);
    assert.equal(read.versionId, '1');
    assert.equal(read.lastUpdated, v.lastUpdated);
    assert.equal(read.deleted, false);
    const body = (read.resource ?? JSON.parse(read.json!)) as Record<string, any>;
    assert.equal(body.id, v.id);
    assert.equal(body.gender, 'female');
    assert.deepEqual(body.meta, { versionId: '1', lastUpdated: v.lastUpdated });
    if (read.json !== undefined) assert.deepEqual(JSON.parse(read.json), body, 'json, when given, is the same resource');
  });

  it('a create with a free id keeps it; with a taken id it gets a new one', async () => {
    const id = unique('chosen');
    const [first] = await c.store.commit([{ kind: 'create', resource: asResource({ resourceType: 'Patient', id }) }]);
    assert.equal(first.version!.id, id);
    const [second] = await c.store.commit([{ kind: 'create', resource: asResource({ resourceType: 'Patient', id }) }]);
    assert.notEqual(second.version!.id, id);
    assert.equal((await c.store.read('Patient', id))!.versionId, '1', 'the existing resource is untouched');
  });

  it('meta from the caller is kept, but versionId and lastUpdated are the store\'s', async () => {
    const id = unique('meta');
    const meta = { versionId: '99', lastUpdated: '2001-01-01T00:00:00Z', tag: [{ system: 'http://example.org/tags', code: 't1' }] };
    const [r] = await put(c.store, { resourceType: 'Patient', id, meta });
    const body = (await c.store.read('Patient', id))!.resource as unknown as Record<string, any>;
    assert.equal(body.meta.versionId, '1');
    assert.equal(body.meta.lastUpdated, r.version!.lastUpdated);
    assert.deepEqual(body.meta.tag, meta.tag);
  });

  it('an update makes version 2 and keeps version 1 for vread', async () => {
    const id = unique('upd');
    await put(c.store, { resourceType: 'Patient', id, gender: 'female' });
    const [r] = await put(c.store, { resourceType: 'Patient', id, gender: 'male' });
    assert.equal(r.outcome, 'updated');
    assert.equal(r.version!.versionId, '2');
    const v1 = await c.store.vread('Patient', id, '1');
    const v2 = await c.store.vread('Patient', id, '2');
    assert.equal((v1!.resource as unknown as Record<string, unknown>).gender, 'female');
    assert.equal((v2!.resource as unknown as Record<string, unknown>).gender, 'male');
    assert.equal((await c.store.read('Patient', id))!.versionId, '2');
  });

  it('update of an id never written creates it (create-on-update) as version 1', async () => {
    const id = unique('cou');
    const [r] = await put(c.store, { resourceType: 'Patient', id });
    assert.equal(r.outcome, 'created');
    assert.equal(r.version!.versionId, '1');
    assert.equal(r.version!.id, id);
  });

  it('delete writes a tombstone: read answers it deleted, older versions stay readable', async () => {
    const id = unique('del');
    await put(c.store, { resourceType: 'Patient', id, gender: 'other' });
    const [d] = await remove(c.store, 'Patient', id);
    assert.equal(d.outcome, 'deleted');
    assert.deepEqual(d.ids, [id]);
    const tomb = await c.store.read('Patient', id);
    assert.ok(tomb, 'a deleted resource is not "never written"');
    assert.equal(tomb.deleted, true);
    assert.equal(tomb.versionId, '2');
    assert.equal(tomb.resource, undefined);
    const v2 = await c.store.vread('Patient', id, '2');
    assert.equal(v2?.deleted, true);
    assert.equal(((await c.store.vread('Patient', id, '1'))!.resource as unknown as Record<string, unknown>).gender, 'other');
  });

  it('delete of a deleted or never-written id is a noop and writes nothing', async () => {
    const id = unique('noop');
    await put(c.store, { resourceType: 'Patient', id });
    await remove(c.store, 'Patient', id);
    const [again] = await remove(c.store, 'Patient', id);
    assert.equal(again.outcome, 'noop');
    assert.equal((await c.store.read('Patient', id))!.versionId, '2');
    const [never] = await remove(c.store, 'Patient', unique('never'));
    assert.equal(never.outcome, 'noop');
  });

  it('update after delete brings the resource back with the next versionId, outcome created', async () => {
    const id = unique('revive');
    await put(c.store, { resourceType: 'Patient', id });
    await remove(c.store, 'Patient', id);
    const [r] = await put(c.store, { resourceType: 'Patient', id, gender: 'male' });
    assert.equal(r.outcome, 'created');
    assert.equal(r.version!.versionId, '3');
    const read = await c.store.read('Patient', id);
    assert.equal(read!.deleted, false);
    assert.equal(read!.versionId, '3');
  });

  it('read and vread of what does not exist answer undefined', async () => {
    const id = unique('absent');
    assert.equal(await c.store.read('Patient', id), undefined);
    await put(c.store, { resourceType: 'Patient', id });
    assert.equal(await c.store.read('Observation', id), undefined, 'the id belongs to another type');
    assert.equal(await c.store.vread('Patient', id, '2'), undefined);
    assert.equal(await c.store.vread('Patient', id, '0'), undefined);
    assert.equal(await c.store.vread('Patient', id, 'abc'), undefined);
    assert.equal(await c.store.vread('Patient', id, '1e3'), undefined);
  });

  it('versionIds count up by one per write; lastUpdated never decreases across commits', async () => {
    const id = unique('mono');
    const stamps: string[] = [];
    for (let i = 0; i < 6; i++) {
      const [r] = i === 3 ? await remove(c.store, 'Patient', id) : await put(c.store, { resourceType: 'Patient', id, active: i % 2 === 0 });
      assert.equal(r.version!.versionId, String(i + 1));
      stamps.push(r.version!.lastUpdated);
    }
    for (let i = 1; i < stamps.length; i++) assert.ok(stamps[i] >= stamps[i - 1], `${stamps[i]} not before ${stamps[i - 1]}`);
  });

  it('every version written by one commit carries the same lastUpdated, not before the previous commit\'s', async () => {
    const [before] = await put(c.store, { resourceType: 'Patient', id: unique('pre') });
    const results = await put(c.store, { resourceType: 'Patient', id: unique('a') }, { resourceType: 'Observation', id: unique('b'), status: 'final', code: { text: 'x' } });
    assert.equal(results[0].version!.lastUpdated, results[1].version!.lastUpdated);
    assert.ok(results[0].version!.lastUpdated >= before.version!.lastUpdated);
  });

  it('concurrent commits to one resource each get their own version, none lost', async () => {
    const id = unique('race');
    await put(c.store, { resourceType: 'Patient', id });
    const results = await Promise.all(Array.from({ length: 8 }, (_, i) => put(c.store, { resourceType: 'Patient', id, birthDate: `20${10 + i}` })));
    const versions = results.map(([r]) => Number(r.version!.versionId)).sort((a, b) => a - b);
    assert.deepEqual(versions, [2, 3, 4, 5, 6, 7, 8, 9]);
    assert.equal((await c.store.read('Patient', id))!.versionId, '9');
  });

  it('readMany: current versions only, each once, deleted and unknown left out', async () => {
    const [a, b, gone] = [unique('rm'), unique('rm'), unique('rm')];
    await put(c.store, { resourceType: 'Patient', id: a, gender: 'female' }, { resourceType: 'Organization', id: b, name: 'X' }, { resourceType: 'Patient', id: gone });
    await put(c.store, { resourceType: 'Patient', id: a, gender: 'male' });
    await remove(c.store, 'Patient', gone);
    const found = await c.store.readMany([
      { type: 'Patient', id: a }, { type: 'Patient', id: gone }, { type: 'Patient', id: unique('none') },
      { type: 'Organization', id: b }, { type: 'Patient', id: a }, { type: 'Organization', id: a },
    ]);
    assert.deepEqual(found.map((v) => `${v.type}/${v.id}`).sort(), [`Organization/${b}`, `Patient/${a}`]);
    const pa = found.find((v) => v.id === a)!;
    assert.equal(pa.versionId, '2');
    assert.equal(((pa.resource ?? JSON.parse(pa.json!)) as Record<string, unknown>).gender, 'male');
    assert.deepEqual(await c.store.readMany([]), []);
  });

  it('a resource comes back as it was written, apart from meta', async () => {
    const id = unique('round');
    const written = {
      resourceType: 'Patient', id, birthDate: '1970-05-14',
      _birthDate: { extension: [{ url: 'http://hl7.org/fhir/StructureDefinition/patient-birthTime', valueDateTime: '1970-05-14T06:30:00+01:00' }] },
      name: [{ family: 'Ångström-Øre 王 🩺', given: ['Ève', 'd\'Artagnan "x"'] }],
      extension: [{ url: 'http://example.org/$odd.key', valueDecimal: 1234567.125 }, { url: 'http://example.org/big', valueInteger: 2147483647 }],
      contained: [{ resourceType: 'Organization', id: 'o', name: 'Inner' }],
      managingOrganization: { reference: '#o' },
      text: { status: 'generated', div: '<div xmlns="http://www.w3.org/1999/xhtml"><p>a &amp; b</p></div>' },
    };
    await put(c.store, written);
    const read = await c.store.read('Patient', id);
    const body = { ...((read!.resource ?? JSON.parse(read!.json!)) as unknown as Record<string, unknown>) };
    delete body.meta;
    assert.deepEqual(body, written);
  });

  it('an empty commit writes nothing and answers no results', async () => {
    const latest = async () => (await c.store.history({}, { count: 1 })).entries.map((v) => `${v.type}/${v.id}/${v.versionId}`);
    const before = await latest();
    assert.deepEqual(await c.store.commit([]), []);
    assert.deepEqual(await latest(), before);
  });

  it('ready answers true while open', async () => {
    assert.equal(await c.store.ready(), true);
  });
});

describeContract('close', (c) => {
  it('after close the store is not ready, and closing again is harmless', async () => {
    await put(c.store, { resourceType: 'Patient', id: 'x' });
    await c.store.close();
    assert.equal(await c.store.ready(), false);
    await c.store.close();
  });
});
