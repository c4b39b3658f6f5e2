import os from 'node:os';
import Database from 'better-sqlite3';
import {
  FHIR_JSON, RssSampler, closeConnections, cpuSeconds, fixed, peakRssMiB, percentile, positiveIntFromEnv, printTable, request, rssMiB,
  sleep, startServer,
} from './ingest';
import { dataSetOptions, ensureDataSet } from './search-data';
import { parseSearch } from '../src/search/parse';
import { openStore } from '../src/store/open';
import type { Store } from '../src/store/types';

/**
 * `npm run bench:search`: FHIR search on a store of at least a million resources (bench/search-data.ts builds and
 * caches it). The server runs as a child process on that file; the bench draws request values from the data
 * (patient ids and names, LOINC codes, dates, organization names) and measures each search shape alone, then all
 * of them as one mix:
 * - latency with one client (requests one after the other, timed here to the microsecond; BENCH_SAMPLES of them,
 *   fewer for a shape slow enough to take more than 15 s): p50, p99;
 * - throughput with BENCH_CONNECTIONS clients (default 8) for BENCH_DURATION seconds (default 10) through
 *   autocannon: requests/s, p50, p99 (autocannon's figures, whole milliseconds).
 * Then the server's memory: RSS when idle, and its peak (VmHWM) over the whole run.
 * Environment: BENCH_DB, BENCH_RESOURCES (see search-data.ts), BENCH_SAMPLES (one-client requests per shape,
 * default 200), BENCH_SHAPES (comma-separated shape names to run, default all), BENCH_CPU_PROF (see ingest.ts).
 */

/** The part of autocannon's result this bench reads (autocannon ships no type declarations). */
interface CannonResult {
  duration: number;
  requests: { average: number; total: number };
  latency: { p50: number; p99: number };
  errors: number;
  timeouts: number;
  non2xx: number;
  '2xx': number;
}

type Cannon = (options: Record<string, unknown>) => Promise<CannonResult>;
// A plain require: with no declarations for 'autocannon', an import would not compile under strict.
const autocannon = require('autocannon') as Cannon;

/** Values drawn from the data set, so that every search asks for something that exists. */
interface Values {
  patients: Array<{ id: string; family: string }>;
  codes: string[];
  days: string[];
  organizations: string[];
}

interface Shape {
  name: string;
  /** A request path for one random draw of values. */
  path: (v: Values) => string;
}

const pick = <T>(items: T[]): T => items[Math.floor(Math.random() * items.length)];
const q = encodeURIComponent;
const LOINC = 'http://loinc.org';
/** A slow shape gets fewer one-client samples rather than a run of many minutes. */
const ONE_CLIENT_MAX_MS = 15_000;

const SHAPES: Shape[] = [
  { name: 'token', path: (v) => `/fhir/Observation?code=${q(`${LOINC}|${pick(v.codes)}`)}&_count=20` },
  { name: 'date range', path: (v) => { const d = pick(v.days); return `/fhir/Observation?date=ge${d}&date=lt${weekAfter(d)}&_count=20`; } },
  { name: 'string', path: (v) => `/fhir/Patient?name=${q(pick(v.patients).family)}&_count=20` },
  { name: 'reference', path: (v) => `/fhir/Observation?subject=Patient/${pick(v.patients).id}&_count=20` },
  { name: 'chain (2 links)', path: (v) => `/fhir/Observation?encounter.service-provider.name=${q(pick(v.organizations))}&_count=20` },
  { name: '_has', path: (v) => `/fhir/Patient?_has:Observation:subject:code=${q(pick(v.codes))}&_count=20` },
  { name: '_include', path: (v) => `/fhir/Encounter?subject=Patient/${pick(v.patients).id}&_include=Encounter:subject&_count=20` },
  { name: '_revinclude', path: (v) => `/fhir/Patient?_id=${pick(v.patients).id}&_revinclude=Observation:subject&_count=20` },
  { name: 'sort by date', path: (v) => `/fhir/Observation?subject=Patient/${pick(v.patients).id}&_sort=-date&_count=20` },
  { name: 'unfiltered sort', path: () => '/fhir/Observation?_sort=-date&_count=20' },
];

function weekAfter(day: string): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) + 7 * 86_400_000).toISOString().slice(0, 10);
}

/** Reads a few hundred values of each kind from the database file, before the server opens it. */
function sampleValues(file: string): Values {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    const randomRids = (type: string, n: number) =>
      (db.prepare('SELECT rid FROM resources WHERE type = ? AND deleted = 0 ORDER BY random() LIMIT ?').all(type, n) as Array<{ rid: number }>).map((r) => r.rid);
    const one = <T>(sql: string, rid: number) => db.prepare(sql).pluck().get(rid) as T | undefined;
    const patients = randomRids('Patient', 500).flatMap((rid) => {
      const id = one<string>('SELECT id FROM resources WHERE rid = ?', rid);
      const family = one<string>("SELECT exact FROM idx_string WHERE rid = ? AND param = 'family' ORDER BY n LIMIT 1", rid);
      return id && family ? [{ id, family }] : [];
    });
    const observations = randomRids('Observation', 500);
    const codes = observations.flatMap((rid) => one<string>(
      "SELECT code FROM idx_token WHERE rid = ? AND param = 'code' AND system = 'http://loinc.org' ORDER BY n LIMIT 1", rid) ?? []);
    const days = observations.flatMap((rid) => one<string>(
      "SELECT substr(low, 1, 10) FROM idx_date WHERE rid = ? AND param = 'date' ORDER BY n LIMIT 1", rid) ?? []);
    const organizations = randomRids('Encounter', 300).flatMap((rid) => one<string>(
      `SELECT s.exact FROM idx_reference x JOIN resources o ON o.type = x.target_type AND o.id = x.target_id
       JOIN idx_string s ON s.rid = o.rid AND s.param = 'name'
       WHERE x.rid = ? AND x.param = 'service-provider' LIMIT 1`, rid) ?? []);
    const values = { patients, codes, days, organizations };
    for (const [kind, list] of Object.entries(values)) if (list.length === 0) throw new Error(`the data set has no ${kind} to search for`);
    return values;
  } finally {
    db.close();
  }
}

interface Probe {
  status: number;
  matches: number;
  included: number;
}

/** One request, to check that a shape answers 200 with results (a bench of empty answers would prove nothing). */
async function probe(port: number, path: string): Promise<Probe> {
  const res = await request(port, 'GET', path, undefined, { Accept: FHIR_JSON });
  if (res.status !== 200) return { status: res.status, matches: 0, included: 0 };
  const entries = (JSON.parse(res.body) as { entry?: Array<{ search?: { mode?: string } }> }).entry ?? [];
  const matches = entries.filter((e) => e.search?.mode !== 'include').length;
  return { status: res.status, matches, included: entries.length - matches };
}

interface Latency {
  p50: number;
  p99: number;
  count: number;
  /** Requests that did not answer 200. */
  failed: number;
  /** Draws whose page was empty. */
  empty: number;
  included: number;
}

/** Requests one after the other, each timed here: `samples` of them, or as many as fit in ONE_CLIENT_MAX_MS. */
async function oneClient(port: number, shape: Shape, values: Values, samples: number): Promise<Latency> {
  const ms: number[] = [];
  let failed = 0;
  let empty = 0;
  let included = 0;
  const deadline = Date.now() + ONE_CLIENT_MAX_MS;
  for (let i = 0; i < samples && (i < 10 || Date.now() < deadline); i++) {
    const path = shape.path(values);
    const t0 = process.hrtime.bigint();
    const res = await request(port, 'GET', path, undefined, { Accept: FHIR_JSON });
    ms.push(Number(process.hrtime.bigint() - t0) / 1e6);
    if (res.status !== 200) failed++;
    else if (!res.body.includes('"search":{"mode":"match"')) empty++;
    included += (res.body.match(/"mode":"include"/g) ?? []).length;
  }
  ms.sort((a, b) => a - b);
  return { p50: percentile(ms, 50), p99: percentile(ms, 99), count: ms.length, failed, empty, included: included / ms.length };
}

/**
 * The main query of the same draws run on the store in this process (no HTTP, no includes, no bundle): what the
 * SQL costs, apart from the server around it. The server has the same file open; SQLite's WAL lets both read.
 */
async function storeLatency(store: Store, shape: Shape, values: Values, samples: number): Promise<number> {
  const ms: number[] = [];
  const deadline = Date.now() + ONE_CLIENT_MAX_MS;
  for (let i = 0; i < samples && (i < 10 || Date.now() < deadline); i++) {
    const url = new URL(shape.path(values), 'http://bench');
    const type = url.pathname.split('/')[2];
    const { query } = parseSearch([type], [...url.searchParams], false, { parameters: store.searchParameters() });
    const t0 = process.hrtime.bigint();
    await store.search(query);
    ms.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  ms.sort((a, b) => a - b);
  return percentile(ms, 50);
}

/** The round trip of the cheapest request (`/healthz`): the floor under every latency measured on this machine. */
async function floorLatency(port: number, samples: number): Promise<number> {
  const ms: number[] = [];
  for (let i = 0; i < samples; i++) {
    const t0 = process.hrtime.bigint();
    await request(port, 'GET', '/healthz');
    ms.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  ms.sort((a, b) => a - b);
  return percentile(ms, 50);
}

function loaded(port: number, shapes: Shape[], values: Values, connections: number, duration: number): Promise<CannonResult> {
  return autocannon({
    url: `http://127.0.0.1:${port}`,
    connections,
    duration,
    headers: { accept: FHIR_JSON },
    requests: [{ method: 'GET', setupRequest: (req: Record<string, unknown>) => ({ ...req, path: pick(shapes).path(values) }) }],
  });
}

interface Row {
  shape: string;
  /** p50 of the main query on the store itself, in ms. */
  store?: number;
  latency?: Latency;
  load: CannonResult;
  cpu: number;
}

async function main(): Promise<void> {
  const { file, resources } = dataSetOptions();
  const log = (line: string) => process.stdout.write(`bench:search: ${line}\n`);
  const set = await ensureDataSet(file, resources, log);
  const values = sampleValues(set.file);
  const connections = positiveIntFromEnv('BENCH_CONNECTIONS', 8);
  const duration = positiveIntFromEnv('BENCH_DURATION', 10);
  const samples = positiveIntFromEnv('BENCH_SAMPLES', 200);
  const only = process.env.BENCH_SHAPES?.split(',').map((s) => s.trim());
  const shapes = only ? SHAPES.filter((s) => only.includes(s.name)) : SHAPES;
  if (shapes.length === 0) throw new Error(`BENCH_SHAPES names none of: ${SHAPES.map((s) => s.name).join(', ')}`);

  const server = await startServer('search', set.file);
  const rss = new RssSampler(server.pid);
  await sleep(1000);
  const idleStart = rss.sample();
  rss.start();
  const rows: Row[] = [];
  const direct = await openStore({ storeUrl: `sqlite:${set.file}`, sqliteSynchronous: 'NORMAL', logLevel: 'warn' });
  let floor = NaN;
  try {
    floor = await floorLatency(server.port, samples);
    for (const shape of shapes) {
      const p = await probe(server.port, shape.path(values));
      log(`${shape.name}: ${p.status}, ${p.matches} matches${p.included ? ` + ${p.included} included` : ''} on a sample page`);
      const store = await storeLatency(direct, shape, values, samples);
      const latency = await oneClient(server.port, shape, values, samples);
      const before = cpuSeconds(server.pid);
      const load = await loaded(server.port, [shape], values, connections, duration);
      rows.push({ shape: shape.name, store, latency, load, cpu: cpuSeconds(server.pid) - before });
    }
    if (shapes.length > 1) {
      const before = cpuSeconds(server.pid);
      const load = await loaded(server.port, shapes, values, connections, duration);
      rows.push({ shape: 'all together (mix)', load, cpu: cpuSeconds(server.pid) - before });
    }
  } finally {
    rss.stop();
    await direct.close();
  }
  await sleep(2000);
  const idleEnd = rssMiB(server.pid);
  const peak = peakRssMiB(server.pid);
  const code = await server.stop();
  closeConnections();

  const title = `bench:search: ${set.resources} resources in ${set.file}; one client x up to ${samples} requests (at most ${ONE_CLIENT_MAX_MS / 1000} s), then ${connections} connections x ${duration} s; ${os.cpus().length} CPUs`;
  const header = ['shape', 'store p50 ms', '1 client n', 'p50 ms', 'p99 ms', 'empty', 'incl/page', `${connections} conn req/s`, 'p50 ms', 'p99 ms', 'non-2xx+err', 'CPU µs/req'];
  printTable(title, header, rows.map(({ shape, store, latency: l, load: r, cpu }) => [
    shape, store !== undefined ? fixed(store, 2) : '', l ? String(l.count) : '', l ? fixed(l.p50, 2) : '', l ? fixed(l.p99, 2) : '', l ? String(l.empty) : '', l ? fixed(l.included, 1) : '',
    fixed(r.requests.average), fixed(r.latency.p50), fixed(r.latency.p99), String(r.non2xx + r.errors + r.timeouts + (l?.failed ?? 0)),
    fixed((1e6 * cpu) / (r['2xx'] + r.non2xx)),
  ]));
  log(`round trip floor: GET /healthz one client p50 ${fixed(floor, 2)} ms (load average ${os.loadavg().map((l) => fixed(l, 1)).join(' ')})`);
  printTable('server memory (MiB)', ['when', 'MiB'], [
    ['RSS idle after start', fixed(idleStart)],
    ['RSS max sampled during the run', fixed(rss.max)],
    ['RSS idle after the run', fixed(idleEnd)],
    ['peak RSS (VmHWM)', fixed(peak)],
  ]);
  if (set.buildSeconds !== undefined) log(`the data set was built in this run: ${fixed(set.resources / set.buildSeconds)} resources/s`);
  const bad = rows.reduce((n, r) => n + r.load.non2xx + r.load.errors + r.load.timeouts + (r.latency?.failed ?? 0), 0);
  if (bad > 0 || code !== 0) {
    process.stderr.write(`bench:search: ${bad} failed request(s); server exit code ${code}\n`);
    process.exitCode = 1;
  }
}

main().catch((err) => {
  process.stderr.write(`bench:search: ${(err as Error).stack ?? err}\n`);
  process.exit(1);
});
