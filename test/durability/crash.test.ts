import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { openStore } from '../../src/store/open';
import { patient } from '../support/app';

/**
 * Durability of acknowledged writes across a killed server process and a graceful stop.
 * A 2xx answer to a write is a promise that it was committed (https://hl7.org/fhir/R4/http.html#update): after
 * SIGKILL and a restart on the same SQLite file (WAL, synchronous=NORMAL) every acknowledged version must be there,
 * and a transaction (https://hl7.org/fhir/R4/http.html#transaction) is all there or not at all.
 * The server runs as a child process (dist/src/main.js, not bin/, so a stale-source rebuild cannot race the test).
 */
const MAIN = path.resolve(__dirname, '..', '..', 'src', 'main.js');
const FHIR_JSON = 'application/fhir+json';
const BUNDLE_SYSTEM = 'urn:region-fhir:crash-bundle';
const WRITE_SYSTEM = 'urn:region-fhir:crash-write';

interface ServerChild {
  proc: ChildProcess;
  port: number;
  /** Settles once the process has ended. */
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** The last log lines, for failure messages. */
  log: string[];
}

function startServer(dbFile: string): Promise<ServerChild> {
  const args = [MAIN, 'serve', '--port', '0', '--host', '127.0.0.1', '--store-url', `sqlite:${dbFile}`, '--log-level', 'info'];
  const proc = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    proc.once('exit', (code, signal) => resolve({ code, signal }));
  });
  const log: string[] = [];
  let stderr = '';
  proc.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start: ${stderr}`)), 30_000);
    // The log must be read continuously: a full stdout pipe would stall the server.
    readline.createInterface({ input: proc.stdout! }).on('line', (line) => {
      log.push(line);
      if (log.length > 200) log.shift();
      const entry = parseLine(line);
      if (entry?.msg === 'listening') {
        clearTimeout(timer);
        resolve({ proc, port: Number(entry.port), exit, log });
      }
    });
    void exit.then((e) => reject(new Error(`server exited before listening (${e.code ?? e.signal}): ${stderr}`)));
  });
}

function parseLine(line: string): Record<string, unknown> | undefined {
  try {
    return JSON.parse(line) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: any;
}

interface CallOptions {
  headers?: Record<string, string>;
  /** Called once the whole request has been handed to the socket. */
  onSent?: () => void;
}

/** Keep-alive, as real clients are: the drain test depends on it. destroy() in each suite's end frees its sockets. */
const agent = new http.Agent({ keepAlive: true, maxSockets: 32 });

function call(port: number, method: string, urlPath: string, body?: unknown, options: CallOptions = {}): Promise<Reply> {
  const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
  const headers: Record<string, string | number> = { Accept: FHIR_JSON, ...options.headers };
  if (payload) Object.assign(headers, { 'Content-Type': FHIR_JSON, 'Content-Length': payload.length });
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path: `/fhir/${urlPath}`, headers, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString();
        resolve({ status: res.statusCode!, headers: res.headers, body: text ? JSON.parse(text) : undefined });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    if (options.onSent) req.on('finish', options.onSent);
    req.end(payload);
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** `…/Patient/<id>/_history/<v>` of a Location header or a bundle entry's response.location. */
function locationParts(location: string): { type: string; id: string; version: number } {
  const m = /\/([A-Z][A-Za-z]+)\/([A-Za-z0-9.-]{1,64})\/_history\/(\d+)$/.exec(location);
  assert.ok(m, `unexpected location '${location}'`);
  return { type: m[1], id: m[2], version: Number(m[3]) };
}

function etagVersion(etag: string | undefined): number {
  const m = /^W\/"(\d+)"$/.exec(etag ?? '');
  assert.ok(m, `unexpected ETag '${etag}'`);
  return Number(m[1]);
}

function withoutMeta(resource: Record<string, unknown>): Record<string, unknown> {
  const { meta: _meta, ...rest } = resource;
  return rest;
}

/** A write the server answered with 2xx: it must survive at this version with this content. */
interface AckedWrite {
  type: string;
  id: string;
  version: number;
  /** The resource as sent, with the id the server gave it and references as the server rewrote them. */
  content: Record<string, unknown>;
}

/** A transaction that was handed to the server; `ids` are known when it was acknowledged. */
interface SentBundle {
  tag: string;
  size: number;
  acked: boolean;
  ids?: string[];
}

/** The record of one run of the write stream, kept across crash cycles. */
interface Ledger {
  acked: AckedWrite[];
  bundles: SentBundle[];
}

/** Kill the child with SIGKILL once `threshold` writes are acknowledged, just after a transaction has been sent. */
class KillSwitch {
  killed = false;
  inFlight = 0;
  inFlightAtKill = 0;
  private acks = 0;

  constructor(private readonly child: ServerChild, private readonly threshold: number) {}

  get armed(): boolean {
    return !this.killed && this.acks >= this.threshold;
  }

  acknowledged(): void {
    this.acks++;
    // A fallback, should no transaction be sent soon after arming.
    if (this.acks >= this.threshold + 60 && this.inFlight > 0) this.kill();
  }

  kill(): void {
    if (this.killed) return;
    this.killed = true;
    this.inFlightAtKill = this.inFlight;
    this.child.proc.kill('SIGKILL');
  }
}

const WORKERS = 8;
const OPS_PER_WORKER_LIMIT = 400;

/** One writer: creates, updates of its own patients (so it knows each version), and a transaction every 10th op. */
async function writer(w: number, cycle: number, port: number, ledger: Ledger, ks: KillSwitch): Promise<void> {
  const owned: Array<{ id: string; version: number }> = [];
  for (let k = 0; k < OPS_PER_WORKER_LIMIT && !ks.killed; k++) {
    const tag = `c${cycle}-w${w}-k${k}`;
    ks.inFlight++;
    try {
      if (k % 10 === 9) await sendBundle(tag, port, ledger, ks);
      else if (k % 3 === 0 || owned.length === 0) owned.push(await create(tag, port, ledger));
      else await update(owned[k % owned.length], tag, port, ledger);
    } catch (err) {
      if (ks.killed) return;
      throw err;
    } finally {
      ks.inFlight--;
    }
    ks.acknowledged();
  }
  assert.ok(ks.killed, 'the stream ended before the server was killed');
}

function writeBody(tag: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return patient({ identifier: [{ system: WRITE_SYSTEM, value: tag }], name: [{ family: `Family-${tag}`, given: ['Crash'] }], ...extra });
}

async function create(tag: string, port: number, ledger: Ledger): Promise<{ id: string; version: number }> {
  const body = writeBody(tag);
  const res = await call(port, 'POST', 'Patient', body, { headers: { Prefer: 'return=minimal' } });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  const { id, version } = locationParts(String(res.headers.location));
  assert.equal(version, 1);
  ledger.acked.push({ type: 'Patient', id, version, content: { ...body, id } });
  return { id, version };
}

async function update(target: { id: string; version: number }, tag: string, port: number, ledger: Ledger): Promise<void> {
  const body = writeBody(tag, { id: target.id });
  const res = await call(port, 'PUT', `Patient/${target.id}`, body);
  assert.equal(res.status, 200, JSON.stringify(res.body));
  const version = etagVersion(res.headers.etag as string | undefined);
  assert.equal(version, target.version + 1, 'an update of an owned patient got an unexpected version');
  target.version = version;
  ledger.acked.push({ type: 'Patient', id: target.id, version, content: body });
}

/** A transaction of 10 entries: a patient and 9 observations that reference it through its urn:uuid. */
function transactionOf(tag: string): { bundle: Record<string, unknown>; resources: Array<Record<string, unknown>> } {
  const patientUrl = `urn:uuid:${randomUUID()}`;
  const identifier = [{ system: BUNDLE_SYSTEM, value: tag }];
  const resources: Array<Record<string, unknown>> = [patient({ identifier })];
  for (let i = 0; i < 9; i++) {
    resources.push({
      resourceType: 'Observation', status: 'final', identifier, code: { text: `reading ${i}` },
      subject: { reference: patientUrl }, valueQuantity: { value: i, unit: 'kg' },
    });
  }
  const entry = resources.map((resource, i) => ({
    fullUrl: i === 0 ? patientUrl : `urn:uuid:${randomUUID()}`,
    resource,
    request: { method: 'POST', url: resource.resourceType },
  }));
  return { bundle: { resourceType: 'Bundle', type: 'transaction', entry }, resources };
}

async function sendBundle(tag: string, port: number, ledger: Ledger, ks: KillSwitch): Promise<void> {
  const { bundle, resources } = transactionOf(tag);
  const sent: SentBundle = { tag, size: resources.length, acked: false };
  ledger.bundles.push(sent);
  const onSent = () => {
    if (ks.armed) setTimeout(() => ks.kill(), Math.floor(Math.random() * 3));
  };
  const res = await call(port, 'POST', '', bundle, { headers: { Prefer: 'return=minimal' }, onSent });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  const placed = (res.body.entry as Array<{ response: { status: string; location: string } }>).map((e) => {
    assert.match(e.response.status, /^201/);
    return locationParts(e.response.location);
  });
  const patientRef = `Patient/${placed[0].id}`;
  placed.forEach((p, i) => {
    const content = i === 0 ? resources[0] : { ...resources[i], subject: { reference: patientRef } };
    ledger.acked.push({ type: p.type, id: p.id, version: p.version, content: { ...content, id: p.id } });
  });
  sent.acked = true;
  sent.ids = placed.map((p) => p.id);
}

/** Runs `fn` over `items` with a few requests in flight at once. */
async function inParallel<T>(items: T[], width: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: width }, async () => {
    while (next < items.length) await fn(items[next++]);
  });
  await Promise.all(lanes);
}

async function verifyAcked(port: number, ledger: Ledger): Promise<void> {
  await inParallel(ledger.acked, 8, async (w) => {
    const v = await call(port, 'GET', `${w.type}/${w.id}/_history/${w.version}`);
    assert.equal(v.status, 200, `acknowledged ${w.type}/${w.id} version ${w.version} is missing`);
    assert.deepEqual(withoutMeta(v.body), w.content, `acknowledged ${w.type}/${w.id} version ${w.version} has other content`);
  });
  const latest = new Map<string, number>();
  for (const w of ledger.acked) {
    const key = `${w.type}/${w.id}`;
    latest.set(key, Math.max(latest.get(key) ?? 0, w.version));
  }
  await inParallel([...latest], 8, async ([key, version]) => {
    const current = await call(port, 'GET', key);
    assert.equal(current.status, 200, `${key} cannot be read`);
    const n = Number(current.body.meta.versionId);
    assert.ok(n >= version, `${key} is at version ${n}, below the acknowledged ${version}`);
    await verifyHistory(port, key, n);
  });
}

/** History of one resource: versions n..1, newest first, no gaps (https://hl7.org/fhir/R4/http.html#history). */
async function verifyHistory(port: number, key: string, n: number): Promise<void> {
  const res = await call(port, 'GET', `${key}/_history?_count=1000`);
  assert.equal(res.status, 200);
  const versions = (res.body.entry as Array<{ resource: { meta: { versionId: string } } }>).map((e) => Number(e.resource.meta.versionId));
  assert.deepEqual(versions, Array.from({ length: n }, (_, i) => n - i), `${key} has a history with gaps or extras`);
}

async function verifyBundles(port: number, ledger: Ledger): Promise<{ whole: number; absent: number }> {
  let whole = 0;
  let absent = 0;
  await inParallel(ledger.bundles, 8, async (b) => {
    const query = `identifier=${encodeURIComponent(`${BUNDLE_SYSTEM}|${b.tag}`)}&_count=100`;
    const patients = (await call(port, 'GET', `Patient?${query}`)).body.entry ?? [];
    const observations = (await call(port, 'GET', `Observation?${query}`)).body.entry ?? [];
    const found = patients.length + observations.length;
    assert.ok(found === 0 || found === b.size, `transaction ${b.tag} is partial: ${found} of ${b.size} entries`);
    if (b.acked) assert.equal(found, b.size, `acknowledged transaction ${b.tag} is missing`);
    if (found === 0) {
      absent++;
      return;
    }
    whole++;
    const patientRef = `Patient/${patients[0].resource.id}`;
    for (const o of observations) assert.equal(o.resource.subject.reference, patientRef, `transaction ${b.tag} has a dangling reference`);
    if (b.ids) assert.deepEqual([patients[0], ...observations].map((e) => e.resource.id).sort(), [...b.ids].sort());
  });
  return { whole, absent };
}

function tempDb(): { dir: string; file: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'region-fhir-durability-'));
  return { dir, file: path.join(dir, 'fhir.db') };
}

/** Kills a child still running, closes the client's sockets and removes the database folder. */
async function cleanUp(child: ServerChild | undefined, db: { dir: string }): Promise<void> {
  if (child && child.proc.exitCode === null && child.proc.signalCode === null) {
    child.proc.kill('SIGKILL');
    await child.exit;
  }
  agent.destroy();
  fs.rmSync(db.dir, { recursive: true, force: true });
}

describe('durability: a killed server loses no acknowledged write', function () {
  this.timeout(120_000);
  const CYCLES = 3;
  const ACKS_BEFORE_KILL = 200;
  let db: { dir: string; file: string };
  let child: ServerChild | undefined;

  before(() => (db = tempDb()));
  after(async () => cleanUp(child, db));

  it(`keeps every acknowledged write and every transaction whole across ${CYCLES} SIGKILLs`, async () => {
    const ledger: Ledger = { acked: [], bundles: [] };
    for (let cycle = 1; cycle <= CYCLES; cycle++) {
      child = await startServer(db.file);
      if (cycle > 1) await verifyAcked(child.port, ledger);
      const ks = new KillSwitch(child, ACKS_BEFORE_KILL);
      const writers = Array.from({ length: WORKERS }, (_, w) => writer(w, cycle, child!.port, ledger, ks));
      const outcome = await Promise.allSettled(writers);
      const failed = outcome.find((o): o is PromiseRejectedResult => o.status === 'rejected');
      if (failed) throw failed.reason;
      const exit = await child.exit;
      assert.equal(exit.signal, 'SIGKILL');
      assert.ok(ks.inFlightAtKill > 0, 'no request was in flight when the server was killed');
    }
    child = await startServer(db.file);
    await verifyAcked(child.port, ledger);
    const bundles = await verifyBundles(child.port, ledger);
    assert.ok(bundles.whole > 0, 'no transaction was committed');
    assert.ok(ledger.acked.length > CYCLES * ACKS_BEFORE_KILL, `only ${ledger.acked.length} writes acknowledged`);
  });

  it('answers normally after the restarts: a new create and an update continue the history', async () => {
    assert.ok(child, 'the crash cycles left no server running');
    const port = child.port;
    const created = await call(port, 'POST', 'Patient', writeBody('after-crash'));
    assert.equal(created.status, 201);
    const id = created.body.id as string;
    const updated = await call(port, 'PUT', `Patient/${id}`, writeBody('after-crash-2', { id }));
    assert.equal(updated.status, 200);
    assert.equal(updated.body.meta.versionId, '2');
    await verifyHistory(port, `Patient/${id}`, 2);
    child.proc.kill('SIGTERM');
    assert.equal((await child.exit).code, 0, child.log.slice(-5).join('\n'));
  });
});

/** A create whose body is sent in two halves, so that it is in flight for as long as the test wants. */
function slowCreate(port: number, tag: string): { started: Promise<void>; finish: () => void; reply: Promise<Reply> } {
  const payload = Buffer.from(JSON.stringify(writeBody(tag)));
  const half = Math.floor(payload.length / 2);
  let req!: http.ClientRequest;
  const reply = new Promise<Reply>((resolve, reject) => {
    req = http.request({
      host: '127.0.0.1', port, method: 'POST', path: '/fhir/Patient', agent,
      headers: { 'Content-Type': FHIR_JSON, 'Content-Length': payload.length, Prefer: 'return=minimal' },
    }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: undefined }));
    });
    req.on('error', reject);
  });
  const started = new Promise<void>((resolve) => req.write(payload.subarray(0, half), () => resolve()));
  return { started, finish: () => req.end(payload.subarray(half)), reply };
}

/** Quick creates one after another until the server stops answering; every answer must be 2xx. */
async function steadyStream(port: number, acked: AckedWrite[]): Promise<number> {
  let refused = 0;
  for (let k = 0; refused === 0; k++) {
    const body = writeBody(`steady-${k}`);
    try {
      const res = await call(port, 'POST', 'Patient', body, { headers: { Prefer: 'return=minimal' } });
      assert.equal(res.status, 201, 'a request during shutdown got a non-2xx answer');
      const { id, version } = locationParts(String(res.headers.location));
      acked.push({ type: 'Patient', id, version, content: { ...body, id } });
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ECONNREFUSED' && code !== 'ECONNRESET' && code !== 'EPIPE') throw err;
      refused++;
    }
    await sleep(5);
  }
  return acked.length;
}

describe('durability: SIGTERM drains in-flight requests', function () {
  this.timeout(60_000);
  let db: { dir: string; file: string };
  let child: ServerChild | undefined;

  before(() => (db = tempDb()));
  after(async () => cleanUp(child, db));

  it('completes in-flight requests with 2xx, exits 0 and leaves a clean database', async () => {
    child = await startServer(db.file);
    const steadyAcked: AckedWrite[] = [];
    const steady = steadyStream(child.port, steadyAcked);
    // Warm first: the first writes compile validators, and a busy event loop would read the slow requests late.
    while (steadyAcked.length < 10) await sleep(20);
    const slow = Array.from({ length: 4 }, (_, i) => slowCreate(child!.port, `slow-${i}`));
    await Promise.all(slow.map((s) => s.started));
    await sleep(200);
    child.proc.kill('SIGTERM');
    await sleep(300);
    assert.equal(child.proc.exitCode, null, 'the server exited with requests in flight');
    for (const s of slow) s.finish();
    const replies = await Promise.all(slow.map((s) => s.reply));
    assert.deepEqual(replies.map((r) => r.status), [201, 201, 201, 201]);
    const exit = await Promise.race([child.exit, sleep(15_000).then(() => undefined)]);
    assert.ok(exit, 'the server did not exit within 15 s of SIGTERM once its requests were done');
    assert.deepEqual(exit, { code: 0, signal: null }, child.log.slice(-5).join('\n'));
    assert.ok(child.log.some((l) => parseLine(l)?.msg === 'stopped'), 'no "stopped" log line');
    assert.ok((await steady) > 0, 'the steady stream got no answer before the shutdown');

    // A clean close checkpoints the WAL and removes it; the file then opens and reads normally.
    assert.equal(fs.existsSync(`${db.file}-wal`), false, 'the WAL was left behind');
    const store = await openStore({ storeUrl: `sqlite:${db.file}`, sqliteSynchronous: 'NORMAL' });
    try {
      for (const w of steadyAcked) {
        const v = await store.read(w.type, w.id);
        assert.equal(v?.versionId, String(w.version));
        assert.deepEqual(withoutMeta(v!.resource as unknown as Record<string, unknown>), w.content);
      }
      for (const r of replies) {
        const { type, id } = locationParts(String(r.headers.location));
        assert.equal((await store.read(type, id))?.versionId, '1', `the drained create ${type}/${id} is missing`);
      }
    } finally {
      await store.close();
    }
  });
});
