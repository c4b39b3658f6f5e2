import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { clientCommand } from '../../src/cli/client';
import { ClientRegistry, readClientFile } from '../../src/access/client-registry';
import { jwksOf, makeKey } from './keys';

/** Runs the CLI with stdout and stderr captured. */
async function run(args: string[], env: Record<string, string>): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const write = { out: process.stdout.write.bind(process.stdout), err: process.stderr.write.bind(process.stderr) };
  process.stdout.write = ((s: string) => ((out += s), true)) as typeof process.stdout.write;
  process.stderr.write = ((s: string) => ((err += s), true)) as typeof process.stderr.write;
  try {
    return { code: await clientCommand(args, env), out, err };
  } finally {
    process.stdout.write = write.out;
    process.stderr.write = write.err;
  }
}

describe('region-fhir client', () => {
  let dir: string;
  let env: Record<string, string>;
  let jwksFile: string;

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rf-cli-'));
    env = { AUTH_CLIENTS: path.join(dir, 'clients.json') };
    jwksFile = path.join(dir, 'key.jwks.json');
    fs.writeFileSync(jwksFile, JSON.stringify(jwksOf(makeKey('ES384'))));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('adds, lists and removes clients in the AUTH_CLIENTS file', async () => {
    const add = await run(['add', '--id', 'sync-1', '--jwks', jwksFile, '--scopes', 'system/*.rs', '--role', 'sync'], env);
    assert.equal(add.code, 0, add.err);
    await run(['add', '--id', 'research-1', '--jwks-uri', 'https://research.example.se/jwks', '--scopes', 'system/Observation.rs', '--role', 'research', '--permit', 'P-17'], env);
    const file = readClientFile(env.AUTH_CLIENTS);
    assert.deepEqual(file.clients.map((c) => [c.client_id, c.role, c.scope]), [['sync-1', 'sync', 'system/*.rs'], ['research-1', 'research', 'system/Observation.rs']]);
    assert.equal(file.clients[1].research_permit, 'P-17');
    assert.match((await run(['list'], env)).out, /research-1\tresearch\tsystem\/Observation\.rs\tpermit P-17/);
    assert.equal((await run(['remove', '--id', 'sync-1'], env)).code, 0);
    assert.deepEqual(readClientFile(env.AUTH_CLIENTS).clients.map((c) => c.client_id), ['research-1']);
  });

  it('refuses bad registrations and leaves the file as it was', async () => {
    await run(['add', '--id', 'a', '--jwks', jwksFile, '--scopes', 'system/*.rs', '--role', 'sync'], env);
    const before = fs.readFileSync(env.AUTH_CLIENTS, 'utf8');
    const cases: Array<[string[], RegExp]> = [
      [['add', '--id', 'a', '--jwks', jwksFile, '--scopes', 'system/*.rs', '--role', 'sync'], /already registered/],
      [['add', '--id', 'b', '--jwks', jwksFile, '--scopes', 'system/*.rs', '--role', 'admin'], /role must be/],
      [['add', '--id', 'b', '--jwks', jwksFile, '--scopes', 'everything', '--role', 'sync'], /not SMART scopes/],
      [['add', '--id', 'b', '--jwks', jwksFile, '--scopes', 'system/*.rs', '--role', 'research'], /research_permit/],
      [['add', '--id', 'b', '--scopes', 'system/*.rs', '--role', 'sync'], /exactly one of --jwks/],
    ];
    for (const [args, message] of cases) {
      const r = await run(args, env);
      assert.equal(r.code, 2, args.join(' '));
      assert.match(r.err, message);
    }
    const priv = makeKey('ES384');
    fs.writeFileSync(jwksFile, JSON.stringify({ keys: [priv.privateKey.export({ format: 'jwk' })] }));
    assert.match((await run(['add', '--id', 'c', '--jwks', jwksFile, '--scopes', 'system/*.rs', '--role', 'sync'], env)).err, /private key/);
    assert.equal(fs.readFileSync(env.AUTH_CLIENTS, 'utf8'), before);
  });

  it('is picked up by a running registry when the file changes', async () => {
    let t = 0;
    await run(['add', '--id', 'a', '--jwks', jwksFile, '--scopes', 'system/*.rs', '--role', 'sync'], env);
    const registry = new ClientRegistry(env.AUTH_CLIENTS, { now: () => t });
    assert.ok(registry.get('a'));
    assert.equal(registry.get('b'), undefined);
    await run(['add', '--id', 'b', '--jwks', jwksFile, '--scopes', 'system/*.rs', '--role', 'provider'], env);
    t += 1000;
    assert.equal(registry.get('b')?.registration.role, 'provider');
    assert.equal(registry.get('b')?.purposeOfUse, 'TREAT');
  });
});
