import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { FHIR_JSON, sharedData, testServer, type TestServer } from '../support/app';

/**
 * The official R4 examples (package hl7.fhir.r4.examples#4.0.1) through the REST API: each is written with update
 * (create when it has no id) and read back unchanged, apart from what the server owns (meta.versionId,
 * meta.lastUpdated). https://hl7.org/fhir/R4/http.html#update, #read, #transaction
 */

/**
 * Examples the server must refuse, because the example itself breaks the R4 rules; one line each on why.
 * A rejected example not listed here fails the suite: either the server is wrong, or the list needs a new line.
 */
const KNOWN_INVALID: Record<string, string> = {
  'Questionnaire-qs1.json': 'its nested items have no linkId, and Questionnaire.item.linkId is 1..1 in R4 (32 items)',
};

/** What happened to one example. */
interface Outcome {
  file: string;
  example: Record<string, unknown>;
  /** Status and body of the write. */
  status: number;
  body: Record<string, any>;
  /** Whether it was created with POST (no id), so the server chose the id. */
  posted: boolean;
  /** The read after an accepted write. */
  read?: { status: number; body: Record<string, any>; text: string };
  /** Decimals written in a form that JSON numbers cannot carry back (1.50, 2.0, 1e3). */
  reshaped: string[];
}

describe('Conformance: the official R4 examples round-trip through the REST API', function () {
  let s: TestServer;
  const outcomes: Outcome[] = [];

  before(async function () {
    const dir = sharedData('r4-examples', 'examples');
    if (!dir) {
      console.log('    skipped: ../shared/data/r4-examples/examples is absent (the official R4 examples are not checked)');
      this.skip();
    }
    this.timeout(60_000); // the whole set takes about 10 s; a minute leaves room for slow machines
    s = await testServer();
    for (const file of fs.readdirSync(dir).filter((f) => f.endsWith('.json')).sort()) {
      outcomes.push(await roundTrip(s, file, fs.readFileSync(path.join(dir, file), 'utf8')));
    }
    printSummary(outcomes);
  });

  after(async () => s?.close());

  const accepted = (): Outcome[] => outcomes.filter((o) => o.status < 300);
  const rejected = (): Outcome[] => outcomes.filter((o) => o.status >= 300);

  it('answers every example without a 5xx', () => {
    assert.ok(outcomes.length > 0, 'no example was found');
    const failed = outcomes.filter((o) => o.status >= 500 || (o.read?.status ?? 0) >= 500);
    assert.deepEqual(failed.map((o) => `${o.file}: ${o.status} ${firstDiagnostic(o.body)}`), []);
  });

  it('reads back every accepted example unchanged, apart from meta.versionId and meta.lastUpdated', () => {
    const different: string[] = [];
    for (const o of accepted()) {
      assert.equal(o.read?.status, 200, `${o.file}: read after write answered ${o.read?.status}`);
      if (!isDeepStrictEqual(comparable(o.read!.body, o.posted), comparable(o.example, o.posted))) different.push(o.file);
    }
    if (different.length > 0) {
      const first = accepted().find((o) => o.file === different[0])!;
      assert.deepStrictEqual(comparable(first.read!.body, first.posted), comparable(first.example, first.posted),
        `${different.length} example(s) changed on the way: ${different.join(', ')}`);
    }
  });

  // https://hl7.org/fhir/R4/datatypes.html#decimal: 105.00 must come back as 105.00, not 105.
  it('reads back every decimal exactly as written', () => {
    const changed = accepted()
      .filter((o) => o.reshaped.length > 0)
      .filter((o) => !isDeepStrictEqual([...reshapedNumbers(o.read!.text)].sort(), [...o.reshaped].sort()))
      .map((o) => o.file);
    assert.ok(accepted().some((o) => o.reshaped.length > 0), 'no example writes such decimals: the check checks nothing');
    assert.deepEqual(changed, []);
  });

  it('gives the read back the version the write reported', () => {
    for (const o of accepted()) {
      assert.equal(o.read!.body.meta?.versionId, o.body.meta?.versionId, o.file);
      assert.equal(o.read!.body.meta?.lastUpdated, o.body.meta?.lastUpdated, o.file);
    }
  });

  it('refuses only the allow-listed invalid examples, each with a 4xx OperationOutcome', () => {
    for (const o of rejected()) {
      assert.ok(o.status >= 400 && o.status < 500, `${o.file}: status ${o.status}`);
      assert.equal(o.body.resourceType, 'OperationOutcome', `${o.file}: the refusal is not an OperationOutcome`);
      assert.ok(o.body.issue?.length > 0 && o.body.issue[0].severity === 'error', `${o.file}: the refusal carries no error issue`);
    }
    const unexpected = rejected().map((o) => o.file).filter((f) => !(f in KNOWN_INVALID));
    assert.deepEqual(unexpected, [], 'rejected but not in KNOWN_INVALID: a server bug, or a new line for the list');
    assert.ok(rejected().length <= Object.keys(KNOWN_INVALID).length);
    const nowAccepted = accepted().map((o) => o.file).filter((f) => f in KNOWN_INVALID);
    assert.deepEqual(nowAccepted, [], 'allow-listed examples break R4 rules, yet the server accepted them');
  });

  // https://hl7.org/fhir/R4/http.html#transaction
  it('processes the transaction and batch Bundle examples without a 5xx', async () => {
    const bundles = outcomes.filter((o) => o.example.resourceType === 'Bundle' && ['transaction', 'batch'].includes(o.example.type as string));
    assert.ok(bundles.length > 0, 'no transaction or batch Bundle example was found');
    console.log('      transaction/batch Bundle examples POSTed to the base:');
    for (const o of bundles) await postBundle(s, o.file, o.example);
  });

  it('processes every entry of the transaction Bundle examples, sent as batches, without a 5xx', async () => {
    // A transaction stops at its first failing entry; as a batch each entry is processed and answered on its own.
    const transactions = outcomes.filter((o) => o.example.resourceType === 'Bundle' && o.example.type === 'transaction');
    console.log('      transaction Bundle examples POSTed again as batches:');
    for (const o of transactions) {
      const res = await postBundle(s, o.file, { ...o.example, type: 'batch' });
      const failed = (res.body.entry ?? []).filter((e: any) => Number.parseInt(e.response?.status, 10) >= 500);
      assert.deepEqual(failed.map((e: any) => firstDiagnostic(e.response.outcome)), [], o.file);
    }
  });
});

/** POSTs a batch or transaction to the base, prints what came back, and checks the answer's shape. */
async function postBundle(s: TestServer, file: string, bundle: Record<string, unknown>): Promise<{ status: number; body: Record<string, any> }> {
  const res = await s.http.post('/fhir').set('Content-Type', FHIR_JSON).send(JSON.stringify(bundle));
  console.log(`        ${file} (${bundle.type}): ${res.status} ${bundleDetail(res.body)}`);
  assert.ok(res.status < 500, `${file}: ${res.status} ${firstDiagnostic(res.body)}`);
  if (res.status === 200) {
    assert.equal(res.body.type, `${bundle.type}-response`, file);
    assert.equal(res.body.entry?.length, (bundle.entry as unknown[]).length, `${file}: one response entry per request entry`);
  } else {
    assert.equal(res.body.resourceType, 'OperationOutcome', file);
  }
  return res;
}

async function roundTrip(s: TestServer, file: string, text: string): Promise<Outcome> {
  const example = JSON.parse(text) as Record<string, unknown>;
  const type = String(example.resourceType);
  const posted = example.id === undefined;
  const write = posted
    ? s.http.post(`/fhir/${type}`)
    : s.http.put(`/fhir/${type}/${encodeURIComponent(String(example.id))}`);
  const res = await write.set('Content-Type', FHIR_JSON).send(text);
  const outcome: Outcome = { file, example, status: res.status, body: res.body, posted, reshaped: reshapedNumbers(text) };
  if (res.status < 300) {
    const read = await s.http.get(`/fhir/${type}/${encodeURIComponent(String(res.body.id))}`);
    outcome.read = { status: read.status, body: read.body, text: read.text };
  }
  return outcome;
}

/** The resource without what the server sets: meta.versionId, meta.lastUpdated, and the id when it chose one. */
function comparable(resource: Record<string, unknown>, withoutId: boolean): Record<string, unknown> {
  const copy = structuredClone(resource);
  const meta = copy.meta as Record<string, unknown> | undefined;
  if (meta) {
    delete meta.versionId;
    delete meta.lastUpdated;
    if (Object.keys(meta).length === 0) delete copy.meta;
  }
  if (withoutId) delete copy.id;
  return copy;
}

/**
 * Numbers as written in the JSON text (strings skipped) that a parsed JSON number cannot reproduce: 1.50, 2.0,
 * 1e3. The spec asks that a decimal's precision be kept (http://hl7.org/fhir/R4/datatypes.html#decimal); a
 * server that parses into JSON numbers loses it, which the deep-equal comparison above cannot see.
 */
function reshapedNumbers(text: string): string[] {
  const found: string[] = [];
  for (const m of text.matchAll(/"(?:[^"\\]|\\.)*"|-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/g)) {
    if (!m[0].startsWith('"') && String(Number(m[0])) !== m[0]) found.push(m[0]);
  }
  return found;
}

function firstDiagnostic(body: Record<string, any> | undefined): string {
  const issue = body?.issue?.[0];
  if (!issue) return '';
  return `${issue.diagnostics ?? issue.code}${issue.expression ? ` @ ${issue.expression[0]}` : ''}`;
}

function bundleDetail(body: Record<string, any>): string {
  if (body?.resourceType !== 'Bundle') return firstDiagnostic(body);
  const statuses = (body.entry ?? []).map((e: any) => String(e.response?.status ?? '?').split(' ')[0]);
  return `${body.type} [${statuses.join(', ')}]`;
}

function printSummary(outcomes: Outcome[]): void {
  const rejected = outcomes.filter((o) => o.status >= 300);
  const reshaped = outcomes.filter((o) => o.reshaped.length > 0);
  console.log(`      R4 examples: ${outcomes.length} files, ${outcomes.length - rejected.length} accepted, ${rejected.length} rejected`);
  for (const o of rejected) {
    const more = (o.body.issue?.length ?? 1) - 1;
    console.log(`        rejected ${o.file}: ${o.status} ${firstDiagnostic(o.body)}${more > 0 ? ` (+${more} more issue(s))` : ''}`);
  }
  if (reshaped.length > 0) {
    const shown = reshaped.slice(0, 5).map((o) => `${o.file} (${o.reshaped.slice(0, 3).join(', ')})`).join('; ');
    console.log(`      ${reshaped.length} example(s) write decimals that a JSON number would reshape, e.g. ${shown}`);
  }
}
