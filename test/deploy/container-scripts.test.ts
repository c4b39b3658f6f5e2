import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { parseClientFile } from '../../src/access/client-registry';
import { testServer, type TestServer } from '../support/app';
import { REPO } from './deploy-files';

// The two scripts the image runs besides the server: the health probe and the entry point. They run here as the
// container runs them (node, sh); what they cannot show is the image itself working.
interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function run(file: string, args: string[], env: Record<string, string>): Promise<Run> {
  return new Promise((resolve) => {
    execFile(file, args, { env: { PATH: process.env.PATH ?? '', ...env }, timeout: 20_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

function listen(handler: http.RequestListener): Promise<http.Server> {
  const server = http.createServer(handler);
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

const portOf = (server: http.Server): string => String((server.address() as AddressInfo).port);
const close = (server: http.Server): Promise<void> => new Promise((resolve) => server.close(() => resolve()));
const HEALTHCHECK = path.join(REPO, 'docker', 'healthcheck.js');

describe('container health probe (docker/healthcheck.js)', () => {
  let s: TestServer;
  let server: http.Server;
  before(async () => {
    s = await testServer();
    server = await listen(s.app.handler);
  });
  after(async () => {
    await close(server);
    await s.close();
  });

  it('succeeds against a running server, probing loopback when it listens on every interface', async () => {
    const r = await run(process.execPath, [HEALTHCHECK], { HOST: '0.0.0.0', PORT: portOf(server) });
    assert.equal(r.code, 0, r.stderr);
  });

  it('fails when nothing listens', async () => {
    const idle = await listen(() => undefined);
    const port = portOf(idle);
    await close(idle);
    const r = await run(process.execPath, [HEALTHCHECK], { HOST: '127.0.0.1', PORT: port });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /ECONNREFUSED/);
  });

  it('fails when /healthz answers anything but 200', async () => {
    const sick = await listen((req, res) => res.writeHead(req.url === '/healthz' ? 503 : 200).end());
    try {
      const r = await run(process.execPath, [HEALTHCHECK], { PORT: portOf(sick) });
      assert.equal(r.code, 1);
      assert.match(r.stderr, /answered 503/);
    } finally {
      await close(sick);
    }
  });
});

describe('container entry point (docker/entrypoint.sh)', () => {
  let dir: string;
  let dataDir: string;
  let script: string;

  // The script as the image holds it (docker/ beside dist/), with the image's /data volume moved to a temporary folder.
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'entrypoint-'));
    dataDir = path.join(dir, 'data');
    fs.mkdirSync(path.join(dir, 'docker'));
    fs.mkdirSync(dataDir);
    fs.symlinkSync(path.join(REPO, 'dist'), path.join(dir, 'dist'));
    const original = fs.readFileSync(path.join(REPO, 'docker', 'entrypoint.sh'), 'utf8');
    assert.ok(original.includes('  /data/*)'), 'the script keys on the /data volume');
    script = path.join(dir, 'docker', 'entrypoint.sh');
    fs.writeFileSync(script, original.replace('  /data/*)', `  ${dataDir}/*)`));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('runs the compiled CLI with the given command, and gives a fresh data volume an empty clients registry', async () => {
    const clients = path.join(dataDir, 'clients.json');
    const r = await run('sh', [script, 'help'], { AUTH_CLIENTS: clients });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^usage: region-fhir <command>/);
    // The server accepts it: AUTH_CLIENTS is read at start and a missing or malformed file stops it.
    assert.deepEqual(parseClientFile(JSON.parse(fs.readFileSync(clients, 'utf8'))), { clients: [] });
  });

  it('leaves an existing clients file alone, and creates none outside the data volume', async () => {
    const clients = path.join(dataDir, 'kept.json');
    fs.writeFileSync(clients, '{"clients": [], "kept": true}');
    await run('sh', [script, 'help'], { AUTH_CLIENTS: clients });
    assert.equal(fs.readFileSync(clients, 'utf8'), '{"clients": [], "kept": true}');
    const outside = path.join(dir, 'clients.json');
    await run('sh', [script, 'help'], { AUTH_CLIENTS: outside });
    assert.ok(!fs.existsSync(outside));
  });
});
