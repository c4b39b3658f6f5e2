import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import jwt from 'jsonwebtoken';
import { createApp } from '../src/app';
import { loadConfig } from '../src/config';
import { openStore } from '../src/store/open';
import { handle } from '../src/core/handle';

/**
 * `node dist/bench/auth-http.js`: read throughput of one Patient with and without token checking, as a ratio.
 * The server runs as a child process, AUTH=off or AUTH=smart (token checked, access-checked store), with one token
 * reused by all connections, as a client does. BENCH_ROUNDS rounds (default 3) of BENCH_DURATION seconds (default
 * 5) per mode, alternating; medians. AUTH=smart audits every read (AUDIT defaults to on with it), as deployed.
 */
type Cannon = (options: Record<string, unknown>) => Promise<{ requests: { average: number; total: number }; non2xx: number; errors: number }>;

async function serveChild(): Promise<void> {
  const smart = process.env.MODE === 'smart';
  const config = loadConfig({ STORE_URL: 'sqlite::memory:', LOG_LEVEL: 'silent', AUTH: smart ? 'smart' : 'off' });
  const store = await openStore(config);
  const app = createApp(config, store);
  const created = await handle({ method: 'POST', path: 'Patient', query: [], headers: {}, body: { resourceType: 'Patient', gender: 'female', birthDate: '1970-05-14' }, bodyKind: 'resource' }, app.ctx);
  const id = (created.body as { id: string }).id;
  const key = app.access.signingKey();
  const token = jwt.sign({ scope: 'system/*.rs', client_id: 'bench' }, key.privateKey, {
    algorithm: key.alg, keyid: key.kid, issuer: app.access.urls.issuer, audience: app.access.urls.audience, subject: 'bench', expiresIn: 3600,
  });
  const server = http.createServer(app.handler);
  server.listen(0, '127.0.0.1', () => process.stdout.write(`${JSON.stringify({ port: (server.address() as AddressInfo).port, token, id })}\n`));
}

async function startChild(mode: string): Promise<{ port: number; token: string; id: string; pid: number; stop: () => void }> {
  const proc = spawn(process.execPath, [__filename, 'serve'], { env: { ...process.env, MODE: mode }, stdio: ['ignore', 'pipe', 'inherit'] });
  const line = await new Promise<string>((resolve) => proc.stdout.once('data', (d: Buffer) => resolve(d.toString())));
  return { ...JSON.parse(line), pid: proc.pid as number, stop: () => proc.kill('SIGTERM') };
}

async function main(): Promise<void> {
  const autocannon = require('autocannon') as Cannon;
  const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
  const duration = Number(process.env.BENCH_DURATION ?? 5);
  const results: Record<string, number[]> = { off: [], smart: [] };
  const cpu: Record<string, number[]> = { off: [], smart: [] };
  for (let r = 0; r < rounds; r++) {
    for (const mode of ['off', 'smart']) {
      const child = await startChild(mode);
      const cpuBefore = cpuSeconds(child.pid);
      const res = await autocannon({
        url: `http://127.0.0.1:${child.port}/fhir/Patient/${child.id}`, connections: 20, duration,
        headers: mode === 'smart' ? { authorization: `Bearer ${child.token}` } : {},
      });
      cpu[mode].push(((cpuSeconds(child.pid) - cpuBefore) / res.requests.total) * 1e6);
      child.stop();
      if (res.non2xx || res.errors) throw new Error(`${mode}: ${res.non2xx} non-2xx, ${res.errors} errors`);
      results[mode].push(res.requests.average);
    }
  }
  const med = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];
  console.log(`off   req/s: ${results.off.map(Math.round).join(', ')}  median ${Math.round(med(results.off))}`);
  console.log(`smart req/s: ${results.smart.map(Math.round).join(', ')}  median ${Math.round(med(results.smart))}`);
  console.log(`ratio smart/off (medians): ${(med(results.smart) / med(results.off)).toFixed(2)}`);
  console.log(`server CPU µs/request: off ${cpu.off.map(Math.round).join(', ')} median ${Math.round(med(cpu.off))}; smart ${cpu.smart.map(Math.round).join(', ')} median ${Math.round(med(cpu.smart))}`);
  console.log(`CPU-bound throughput ratio smart/off (median CPU per request): ${(med(cpu.off) / med(cpu.smart)).toFixed(2)}`);
}

/** User + system CPU seconds of a process so far (Linux /proc); contention on a shared machine does not inflate it. */
function cpuSeconds(pid: number): number {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

if (process.argv[2] === 'serve') void serveChild();
else main().catch((err) => {
  console.error(err);
  process.exit(1);
});
