import { randomUUID } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { authUrls } from '../src/access/auth-urls';
import { Authenticator } from '../src/access/authenticator';
import { ClientRegistry } from '../src/access/client-registry';
import { JwksSource } from '../src/access/jwks-source';
import { loadSigningKey } from '../src/access/signing-key';
import { TokenService } from '../src/access/token-service';
import { jwksOf, makeKey, clientAssertion, signWith } from '../test/access/keys';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * `node dist/bench/auth.js`: the cost of authentication in process, BENCH_ROUNDS rounds (default 5), medians:
 * (a) a token already verified (the per-request cost of a client reusing its token), (b) a new server-issued RS384
 * token, (c) a new external ES256 token, (d) a whole Backend Services grant (ES384 assertion checked, RS384 signed).
 */
const BASE = 'http://bench.local/fhir';
const ISSUER = 'https://idp.bench.local';

async function main(): Promise<void> {
  const rounds = Number(process.env.BENCH_ROUNDS ?? 5);
  const urls = authUrls(BASE, undefined);
  const own = loadSigningKey(undefined, 'sqlite::memory:');
  const idp = makeKey('ES256');
  const clientKey = makeKey('ES384');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rf-bench-auth-'));
  const clientsFile = path.join(dir, 'clients.json');
  fs.writeFileSync(clientsFile, JSON.stringify({ clients: [{ client_id: 'bench', jwks: jwksOf(clientKey), scope: 'system/*.rs', role: 'sync' }] }));
  const clients = new ClientRegistry(clientsFile);
  const auth = new Authenticator({ urls, ownKey: () => own, externalIssuer: ISSUER, externalKeys: new JwksSource(jwksOf(idp)), clients, cacheSize: 1_000_000 });
  const tokens = new TokenService({ urls, clients, signingKey: () => own });
  const exp = () => Math.floor(Date.now() / 1000) + 3600;
  const ownToken = () => jwt.sign({ scope: 'system/*.rs', client_id: 'bench', jti: randomUUID() }, own.privateKey, {
    algorithm: own.alg, keyid: own.kid, issuer: urls.issuer, audience: BASE, subject: 'bench', expiresIn: 3600,
  });
  const results: Record<string, number[]> = { cached: [], ownRs384: [], externalEs256: [], grant: [] };
  for (let r = 0; r < rounds; r++) {
    const cached = `Bearer ${ownToken()}`;
    await auth.authenticate(cached);
    results.cached.push(await perSecond(200_000, () => auth.authenticate(cached)));
    const fresh = Array.from({ length: 2000 }, () => `Bearer ${ownToken()}`);
    let i = 0;
    results.ownRs384.push(await perSecond(fresh.length, () => auth.authenticate(fresh[i++])));
    const ext = Array.from({ length: 2000 }, () => `Bearer ${signWith(idp, { iss: ISSUER, aud: BASE, sub: 's', exp: exp(), scope: 'user/*.rs', jti: randomUUID() })}`);
    i = 0;
    results.externalEs256.push(await perSecond(ext.length, () => auth.authenticate(ext[i++])));
    const assertions = Array.from({ length: 300 }, () => clientAssertion(clientKey, 'bench', urls.tokenEndpoint));
    i = 0;
    results.grant.push(await perSecond(assertions.length, () => tokens.grant({
      grant_type: 'client_credentials', client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      client_assertion: assertions[i++], scope: 'system/*.rs',
    })));
  }
  fs.rmSync(dir, { recursive: true, force: true });
  for (const [name, values] of Object.entries(results)) {
    const m = median(values);
    console.log(`${name.padEnd(14)} median ${Math.round(m).toString().padStart(9)} /s  (${(1e6 / m).toFixed(1)} µs each; rounds: ${values.map((v) => Math.round(v)).join(', ')})`);
  }
}

async function perSecond(n: number, op: () => Promise<unknown>): Promise<number> {
  const started = process.hrtime.bigint();
  for (let i = 0; i < n; i++) await op();
  return n / (Number(process.hrtime.bigint() - started) / 1e9);
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
