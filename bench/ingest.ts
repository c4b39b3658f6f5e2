import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

/**
 * `npm run bench:ingest`: the server as a child process on a fresh SQLite file, fed every Synthea transaction bundle
 * from ../shared/data/synthea with `Prefer: return=minimal`, a few at a time; prints resources/s, bundles/s and the
 * server's memory (VmRSS).
 * Environment: BENCH_REPEAT (rounds over the bundles, default 3; Synthea bundles carry only urn:uuid fullUrls and
 * POST entries, so a repeat adds new resources), BENCH_CONCURRENCY (bundles in flight, default 2),
 * BENCH_CPU_PROF=<dir> (run the server with --cpu-prof, writing its profile there on exit), and the server's own
 * variables (SQLITE_SYNCHRONOUS, ...), which it inherits.
 * The helpers below (child server, RSS sampling, HTTP, tables) are shared with bench/crud.ts.
 */

const MAIN = path.resolve(__dirname, '..', 'src', 'main.js');
export const FHIR_JSON = 'application/fhir+json';

export interface ServerProcess {
  pid: number;
  port: number;
  dbFile: string;
  /** SIGTERM, then the exit code once the server has drained and closed its store. */
  stop(): Promise<number | null>;
}

/**
 * Starts `region-fhir serve` on a free 127.0.0.1 port and a fresh SQLite file in a temp folder (or on `existingDb`,
 * which is kept when the server stops); resolves when ready.
 */
export async function startServer(label: string, existingDb?: string): Promise<ServerProcess> {
  const dir = existingDb ? undefined : fs.mkdtempSync(path.join(os.tmpdir(), `region-fhir-bench-${label}-`));
  const dbFile = dir ? path.join(dir, 'fhir.db') : existingDb!;
  const port = await freePort();
  const profDir = process.env.BENCH_CPU_PROF;
  const nodeArgs = profDir ? ['--cpu-prof', `--cpu-prof-dir=${path.resolve(profDir)}`] : [];
  const args = [...nodeArgs, MAIN, 'serve', '--port', String(port), '--host', '127.0.0.1', '--store-url', `sqlite:${dbFile}`];
  const proc = spawn(process.execPath, args, { stdio: ['ignore', 'inherit', 'inherit'], env: { LOG_LEVEL: 'warn', ...process.env } });
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  await waitReady(port, exited);
  return {
    pid: proc.pid!,
    port,
    dbFile,
    async stop() {
      proc.kill('SIGTERM');
      const code = await exited;
      if (dir) fs.rmSync(dir, { recursive: true, force: true });
      return code;
    },
  };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

async function waitReady(port: number, exited: Promise<number | null>): Promise<void> {
  let gone = false;
  void exited.then(() => (gone = true));
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline && !gone) {
    const status = await request(port, 'GET', '/readyz').then((r) => r.status, () => 0);
    if (status === 200) return;
    await sleep(100);
  }
  throw new Error(gone ? 'the server exited during start-up' : 'the server did not become ready within 60 s');
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

/** Ends the keep-alive connections, so that the bench process can exit. */
export function closeConnections(): void {
  agent.destroy();
}

export interface Reply {
  status: number;
  body: string;
}

export function request(port: number, method: string, urlPath: string, body?: Buffer | string, headers: Record<string, string> = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const all: Record<string, string | number> = { ...headers };
    if (body !== undefined) all['Content-Length'] = Buffer.byteLength(body);
    const req = http.request({ host: '127.0.0.1', port, method, path: urlPath, headers: all, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, body: Buffer.concat(chunks).toString() }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Resident memory of a process in MiB, from /proc (Linux); NaN elsewhere. */
export function rssMiB(pid: number): number {
  return procStatusMiB(pid, 'VmRSS');
}

/** The most resident memory a process has had since it started (VmHWM) in MiB; NaN where /proc is absent. */
export function peakRssMiB(pid: number): number {
  return procStatusMiB(pid, 'VmHWM');
}

function procStatusMiB(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+)\\s+kB`, 'm').exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : NaN;
  } catch {
    return NaN;
  }
}

/**
 * User + system CPU seconds a process has used, from /proc/<pid>/stat (Linux, 100 clock ticks per second); NaN
 * elsewhere. The difference over a phase, divided by its wall time, says how busy the server was: near 1.0 means one
 * core saturated, the most a single Node process can give to JavaScript.
 */
export function cpuSeconds(pid: number): number {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return NaN;
  }
}

/** Samples a process's RSS on a timer and keeps the maximum. */
export class RssSampler {
  max = 0;
  private timer?: NodeJS.Timeout;

  constructor(private readonly pid: number) {}

  start(intervalMs = 50): void {
    this.timer = setInterval(() => this.sample(), intervalMs);
  }

  sample(): number {
    const now = rssMiB(this.pid);
    if (now > this.max) this.max = now;
    return now;
  }

  stop(): void {
    clearInterval(this.timer);
    this.sample();
  }
}

/** Runs `fn` over `items` with at most `width` in flight. */
export async function inParallel<T>(items: T[], width: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: width }, async () => {
    while (next < items.length) await fn(items[next++]);
  }));
}

function fileMiB(file: string): number {
  return fs.existsSync(file) ? fs.statSync(file).size / 1024 ** 2 : 0;
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

export function printTable(title: string, header: string[], rows: string[][]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join(' | ')} |`;
  process.stdout.write(`\n${title}\n${line(header)}\n|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|\n`);
  for (const r of rows) process.stdout.write(`${line(r)}\n`);
}

export const fixed = (n: number, digits = 0) => (Number.isFinite(n) ? n.toFixed(digits) : 'n/a');

export function positiveIntFromEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${name} must be a positive integer, got '${raw}'`);
  return n;
}

interface SyntheaBundle {
  name: string;
  body: Buffer;
  entries: number;
}

function loadSynthea(): SyntheaBundle[] {
  const dir = path.resolve(process.cwd(), '..', 'shared', 'data', 'synthea');
  if (!fs.existsSync(dir)) {
    process.stderr.write(`bench:ingest: no Synthea bundles at ${dir}; this bench needs ../shared/data/synthea beside the checkout\n`);
    process.exit(2);
  }
  const files = fs.readdirSync(dir).filter((f) => f.endsWith('.json')).sort();
  if (files.length === 0) {
    process.stderr.write(`bench:ingest: ${dir} holds no .json bundles\n`);
    process.exit(2);
  }
  return files.map((name) => {
    const body = fs.readFileSync(path.join(dir, name));
    const bundle = JSON.parse(body.toString()) as { type?: string; entry?: unknown[] };
    if (bundle.type !== 'transaction') throw new Error(`${name} is not a transaction bundle`);
    return { name, body, entries: bundle.entry?.length ?? 0 };
  });
}

interface IngestRun {
  seconds: number;
  bundles: number;
  resources: number;
  failures: string[];
  latenciesMs: number[];
}

async function ingest(port: number, queue: SyntheaBundle[], width: number): Promise<IngestRun> {
  const run: IngestRun = { seconds: 0, bundles: 0, resources: 0, failures: [], latenciesMs: [] };
  const headers = { 'Content-Type': FHIR_JSON, Accept: FHIR_JSON, Prefer: 'return=minimal' };
  const started = process.hrtime.bigint();
  await inParallel(queue, width, async (b) => {
    const t0 = process.hrtime.bigint();
    const res = await request(port, 'POST', '/fhir', b.body, headers);
    run.latenciesMs.push(Number(process.hrtime.bigint() - t0) / 1e6);
    if (res.status === 200) {
      run.bundles++;
      run.resources += b.entries;
    } else {
      run.failures.push(`${b.name}: ${res.status} ${res.body.slice(0, 300)}`);
    }
  });
  run.seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return run;
}

async function main(): Promise<void> {
  const bundles = loadSynthea();
  const repeat = positiveIntFromEnv('BENCH_REPEAT', 3);
  const width = positiveIntFromEnv('BENCH_CONCURRENCY', 2);
  const queue = Array.from({ length: repeat }, () => bundles).flat();
  const server = await startServer('ingest');
  const rss = new RssSampler(server.pid);
  await sleep(1000);
  const idleStart = rss.sample();
  rss.max = 0;
  rss.start();
  const cpuBefore = cpuSeconds(server.pid);
  const run = await ingest(server.port, queue, width);
  const cpu = cpuSeconds(server.pid) - cpuBefore;
  rss.stop();
  await sleep(2000);
  const idleEnd = rssMiB(server.pid);
  const dbMiB = fileMiB(server.dbFile) + fileMiB(`${server.dbFile}-wal`);
  const code = await server.stop();
  report(run, { bundles: bundles.length, repeat, width, cpu, idleStart, max: rss.max, idleEnd, dbMiB });
  if (run.failures.length > 0 || code !== 0) {
    process.stderr.write(`bench:ingest: ${run.failures.length} bundle(s) failed; server exit code ${code}\n${run.failures.slice(0, 5).join('\n')}\n`);
    process.exitCode = 1;
  }
}

function report(run: IngestRun, o: { bundles: number; repeat: number; width: number; cpu: number; idleStart: number; max: number; idleEnd: number; dbMiB: number }): void {
  const lat = [...run.latenciesMs].sort((a, b) => a - b);
  printTable(
    `bench:ingest: ${o.bundles} Synthea bundles x ${o.repeat}, ${o.width} in flight, SQLITE_SYNCHRONOUS=${process.env.SQLITE_SYNCHRONOUS ?? 'NORMAL'}, ${os.cpus().length} CPUs`,
    ['measure', 'value'],
    [
      ['resources ingested', String(run.resources)],
      ['bundles ingested (failed)', `${run.bundles} (${run.failures.length})`],
      ['total time (s)', fixed(run.seconds, 2)],
      ['resources/s', fixed(run.resources / run.seconds)],
      ['bundles/s', fixed(run.bundles / run.seconds, 1)],
      ['bundle latency p50 / p99 (ms)', `${fixed(percentile(lat, 50))} / ${fixed(percentile(lat, 99))}`],
      ['server CPU (s, % of one core)', `${fixed(o.cpu, 1)} (${fixed((100 * o.cpu) / run.seconds)}%)`],
      ['server CPU per resource (µs)', fixed((1e6 * o.cpu) / run.resources)],
      ['server RSS idle after start (MiB)', fixed(o.idleStart)],
      ['server RSS max during run (MiB)', fixed(o.max)],
      ['server RSS idle after run (MiB)', fixed(o.idleEnd)],
      ['database file (MiB)', fixed(o.dbMiB, 1)],
    ],
  );
}

if (require.main === module) {
  main().then(
    () => closeConnections(),
    (err) => {
      process.stderr.write(`bench:ingest: ${(err as Error).stack ?? err}\n`);
      process.exit(1);
    },
  );
}
