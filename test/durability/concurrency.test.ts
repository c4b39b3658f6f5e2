import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { FHIR_JSON, patient, testServer, type TestServer } from '../support/app';

/**
 * Optimistic locking under contention, over real HTTP (sockets, not supertest) against one app on a SQLite file.
 * https://hl7.org/fhir/R4/http.html#concurrency: an update with If-Match whose version is not current is a 412,
 * so of N writers that read the same version exactly one wins, and a read-modify-write loop loses no update.
 */
const PARALLEL = 50;
const WRITER_SYSTEM = 'urn:region-fhir:writer';

interface Reply {
  status: number;
  etag: string | null;
  body: any;
}

describe('durability: concurrent updates with If-Match', function () {
  this.timeout(60_000);
  let dir: string;
  let s: TestServer;
  let server: http.Server;
  let base: string;

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'region-fhir-concurrency-'));
    s = await testServer({ storeUrl: `sqlite:${path.join(dir, 'fhir.db')}` });
    server = http.createServer(s.app.handler);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/fhir`;
  });

  after(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await s.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  async function call(method: string, urlPath: string, body?: unknown, headers: Record<string, string> = {}): Promise<Reply> {
    const res = await fetch(`${base}/${urlPath}`, {
      method,
      headers: { Accept: FHIR_JSON, ...(body === undefined ? {} : { 'Content-Type': FHIR_JSON }), ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, etag: res.headers.get('etag'), body: text ? JSON.parse(text) : undefined };
  }

  async function versionsOf(id: string): Promise<Array<{ versionId: number; identifiers: string[] }>> {
    const res = await call('GET', `Patient/${id}/_history?_count=1000`);
    assert.equal(res.status, 200);
    return (res.body.entry as Array<{ resource: any }>).map((e) => ({
      versionId: Number(e.resource.meta.versionId),
      identifiers: writersOf(e.resource),
    }));
  }

  it(`${PARALLEL} parallel updates with If-Match W/"1": exactly one 200, the rest 412`, async () => {
    const created = await call('PUT', 'Patient/contended', patient({ id: 'contended' }));
    assert.equal(created.status, 201);
    assert.equal(created.etag, 'W/"1"');
    const replies = await Promise.all(Array.from({ length: PARALLEL }, (_, i) =>
      call('PUT', 'Patient/contended', patient({ id: 'contended', name: [{ family: `Writer-${i}` }] }), { 'If-Match': 'W/"1"' })));
    const winners = replies.map((r, i) => ({ r, i })).filter(({ r }) => r.status === 200);
    const statuses = replies.map((r) => r.status).sort();
    assert.equal(winners.length, 1, `statuses: ${statuses.join(',')}`);
    assert.equal(replies.filter((r) => r.status === 412).length, PARALLEL - 1, `statuses: ${statuses.join(',')}`);
    for (const r of replies) if (r.status === 412) assert.equal(r.body.resourceType, 'OperationOutcome');
    assert.equal(winners[0].r.etag, 'W/"2"');

    const current = await call('GET', 'Patient/contended');
    assert.equal(current.body.meta.versionId, '2');
    assert.equal(current.body.name[0].family, `Writer-${winners[0].i}`);
    assert.deepEqual((await versionsOf('contended')).map((v) => v.versionId), [2, 1]);
  });

  it(`${PARALLEL} read-modify-write loops with If-Match lose no update`, async () => {
    const created = await call('PUT', 'Patient/appended', patient({ id: 'appended' }));
    assert.equal(created.status, 201);
    const attempts = await Promise.all(Array.from({ length: PARALLEL }, (_, i) => appendWriter('appended', `writer-${i}`)));
    const conflicts = attempts.reduce((sum, n) => sum + n - 1, 0);
    assert.ok(conflicts > 0, 'the writers never collided, so the test proved nothing');

    const current = await call('GET', 'Patient/appended');
    assert.equal(current.body.meta.versionId, String(1 + PARALLEL), 'versionId is not 1 + the number of successful updates');
    const writers = writersOf(current.body);
    assert.equal(writers.length, PARALLEL, 'an identifier is missing or repeated');
    assert.deepEqual([...writers].sort(), Array.from({ length: PARALLEL }, (_, i) => `writer-${i}`).sort());

    // Every version is its predecessor plus exactly one writer: the updates were applied one after another.
    const versions = (await versionsOf('appended')).reverse();
    assert.deepEqual(versions.map((v) => v.versionId), Array.from({ length: PARALLEL + 1 }, (_, i) => i + 1));
    versions.slice(1).forEach((v, i) => {
      const before = versions[i].identifiers;
      assert.deepEqual(v.identifiers.slice(0, before.length), before, `version ${v.versionId} lost an earlier update`);
      assert.equal(v.identifiers.length, before.length + 1);
    });
  });

  /** Read, add one identifier, update with If-Match; on 412 read again. Returns the number of attempts. */
  async function appendWriter(id: string, writer: string): Promise<number> {
    for (let attempt = 1; attempt <= 10 * PARALLEL; attempt++) {
      const read = await call('GET', `Patient/${id}`);
      assert.equal(read.status, 200);
      const { meta: _meta, ...resource } = read.body;
      resource.identifier = [...(resource.identifier ?? []), { system: WRITER_SYSTEM, value: writer }];
      const res = await call('PUT', `Patient/${id}`, resource, { 'If-Match': read.etag! });
      if (res.status === 200) return attempt;
      assert.equal(res.status, 412, JSON.stringify(res.body));
    }
    throw new Error(`${writer} gave up after ${10 * PARALLEL} attempts`);
  }
});

function writersOf(resource: { identifier?: Array<{ system?: string; value?: string }> }): string[] {
  return (resource.identifier ?? []).filter((i) => i.system === WRITER_SYSTEM).map((i) => i.value!);
}
