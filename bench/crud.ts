import os from 'node:os';
import {
  FHIR_JSON, RssSampler, closeConnections, cpuSeconds, fixed, inParallel, positiveIntFromEnv, printTable, request, rssMiB, sleep, startServer,
} from './ingest';

/**
 * `npm run bench:crud`: the server as a child process on a fresh SQLite file, seeded with BENCH_PATIENTS Patients
 * (default 10,000, through transactions of 500), then autocannon against 127.0.0.1 with BENCH_CONNECTIONS
 * connections (default 50) for BENCH_DURATION seconds (default 10) per phase: (a) reads of random existing
 * Patients, (b) creates. Prints requests/s, latency p50/p99, errors and non-2xx answers, the server's CPU use per
 * phase and its RSS. BENCH_PHASES picks phases (default `read,create`); with BENCH_CPU_PROF=<dir> (see
 * bench/ingest.ts) a single phase gives a clean profile of it (seeding is in every profile).
 */

/** The part of autocannon's result this bench reads (autocannon ships no type declarations). */
interface CannonResult {
  duration: number;
  requests: { average: number; total: number };
  latency: { p50: number; p99: number; max: number };
  errors: number;
  timeouts: number;
  non2xx: number;
  '2xx': number;
}

interface CannonRequest {
  method: string;
  path: string;
  headers?: Record<string, string>;
  body?: string;
}

type Cannon = (options: Record<string, unknown>) => Promise<CannonResult>;
// A plain require: with no declarations for 'autocannon', an import would not compile under strict.
const autocannon = require('autocannon') as Cannon;

const BATCH = 500;

function patientBody(n: number | string): Record<string, unknown> {
  return {
    resourceType: 'Patient',
    identifier: [{ system: 'urn:region-fhir:bench', value: String(n) }],
    name: [{ family: `Bench-${n}`, given: ['Karin'] }],
    gender: 'female',
    birthDate: '1970-05-14',
  };
}

/** Seeds `count` Patients with transactions of BATCH POSTs, two in flight; returns their ids. */
async function seed(port: number, count: number): Promise<{ ids: string[]; seconds: number }> {
  const batches = Array.from({ length: Math.ceil(count / BATCH) }, (_, b) => b);
  const ids: string[] = [];
  const started = Date.now();
  await inParallel(batches, 2, async (b) => {
    const n = Math.min(BATCH, count - b * BATCH);
    const entry = Array.from({ length: n }, (_, i) => ({ resource: patientBody(b * BATCH + i), request: { method: 'POST', url: 'Patient' } }));
    const res = await request(port, 'POST', '/fhir', JSON.stringify({ resourceType: 'Bundle', type: 'transaction', entry }), {
      'Content-Type': FHIR_JSON, Prefer: 'return=minimal',
    });
    if (res.status !== 200) throw new Error(`seeding failed: ${res.status} ${res.body.slice(0, 300)}`);
    for (const e of (JSON.parse(res.body) as { entry: Array<{ response: { location: string } }> }).entry) {
      ids.push(/\/Patient\/([^/]+)\/_history\//.exec(e.response.location)![1]);
    }
  });
  return { ids, seconds: (Date.now() - started) / 1000 };
}

function reads(port: number, ids: string[], connections: number, duration: number): Promise<CannonResult> {
  return autocannon({
    url: `http://127.0.0.1:${port}`,
    connections,
    duration,
    headers: { accept: FHIR_JSON },
    requests: [{
      method: 'GET',
      setupRequest: (req: CannonRequest) => ({ ...req, path: `/fhir/Patient/${ids[Math.floor(Math.random() * ids.length)]}` }),
    }],
  });
}

function creates(port: number, connections: number, duration: number): Promise<CannonResult> {
  return autocannon({
    url: `http://127.0.0.1:${port}/fhir/Patient`,
    connections,
    duration,
    method: 'POST',
    headers: { 'content-type': FHIR_JSON, accept: FHIR_JSON },
    body: JSON.stringify(patientBody('[<id>]')),
    idReplacement: true,
  });
}

interface Phase {
  name: string;
  result: CannonResult;
  /** Server CPU seconds over the phase. */
  cpu: number;
}

/** Runs one autocannon phase and measures the server's CPU over it. */
async function phase(name: string, pid: number, run: () => Promise<CannonResult>): Promise<Phase> {
  const before = cpuSeconds(pid);
  const result = await run();
  return { name, result, cpu: cpuSeconds(pid) - before };
}

function phaseRow({ name, result: r, cpu }: Phase): string[] {
  const answered = r['2xx'] + r.non2xx;
  return [
    name, fixed(r.requests.average), fixed(r.duration, 1), fixed(r.latency.p50, 1), fixed(r.latency.p99, 1), fixed(r.latency.max),
    String(r['2xx']), String(r.non2xx), String(r.errors + r.timeouts), fixed((100 * cpu) / r.duration), fixed((1e6 * cpu) / answered),
  ];
}

async function main(): Promise<void> {
  const patients = positiveIntFromEnv('BENCH_PATIENTS', 10_000);
  const connections = positiveIntFromEnv('BENCH_CONNECTIONS', 50);
  const duration = positiveIntFromEnv('BENCH_DURATION', 10);
  const phases = (process.env.BENCH_PHASES ?? 'read,create').split(',').map((p) => p.trim());
  const server = await startServer('crud');
  const rss = new RssSampler(server.pid);
  await sleep(1000);
  const idleStart = rss.sample();
  rss.max = 0;
  rss.start();
  const seeded = await seed(server.port, patients);
  const idleSeeded = rssMiB(server.pid);
  const done: Phase[] = [];
  if (phases.includes('read')) {
    await reads(server.port, seeded.ids, connections, 2); // warm-up, not reported
    done.push(await phase('read Patient/[id]', server.pid, () => reads(server.port, seeded.ids, connections, duration)));
  }
  if (phases.includes('create')) done.push(await phase('create Patient', server.pid, () => creates(server.port, connections, duration)));
  rss.stop();
  await sleep(2000);
  const idleEnd = rssMiB(server.pid);
  const code = await server.stop();
  closeConnections();

  const title = `bench:crud: ${patients} Patients seeded in ${fixed(seeded.seconds, 1)} s (${fixed(patients / seeded.seconds)}/s); `
    + `${connections} connections, ${duration} s per phase, ${os.cpus().length} CPUs`;
  // req/s is autocannon's own figure: the mean of its one-second samples.
  const header = ['phase', 'req/s', 'seconds', 'p50 ms', 'p99 ms', 'max ms', '2xx', 'non-2xx', 'errors', 'server CPU %', 'CPU µs/req'];
  printTable(title, header, done.map(phaseRow));
  printTable('server RSS (MiB)', ['when', 'MiB'], [
    ['idle after start', fixed(idleStart)],
    ['right after seeding', fixed(idleSeeded)],
    ['max during seed + phases', fixed(rss.max)],
    ['idle after phases', fixed(idleEnd)],
  ]);
  const bad = done.reduce((n, p) => n + p.result.non2xx + p.result.errors + p.result.timeouts, 0);
  if (bad > 0 || code !== 0) {
    process.stderr.write(`bench:crud: ${bad} failed request(s); server exit code ${code}\n`);
    process.exitCode = 1;
  }
}

main().catch((err) => {
  process.stderr.write(`bench:crud: ${(err as Error).stack ?? err}\n`);
  process.exit(1);
});
