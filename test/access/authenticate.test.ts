import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { authUrls } from '../../src/access/auth-urls';
import { Authenticator } from '../../src/access/authenticator';
import { ClientRegistry } from '../../src/access/client-registry';
import { JwksSource } from '../../src/access/jwks-source';
import { loadSigningKey } from '../../src/access/signing-key';
import { FhirError } from '../../src/fhir/errors';
import { b64url, jwksOf, makeKey, signWith, type TestKey } from './keys';

// Bearer tokens, RFC 6750 §3; JWT validation, RFC 7519 §7.2; SMART App Launch, token introspection of claims.
const BASE = 'http://test.local/fhir';
const EXTERNAL = 'https://idp.example.se/realms/region';

describe('access token validation', () => {
  const urls = authUrls(BASE, undefined);
  const own = loadSigningKey(undefined, 'sqlite::memory:');
  const idp = makeKey('RS256');
  const idpEc = makeKey('ES384');
  let clock = Date.now();
  const now = () => clock;
  const auth = new Authenticator({
    urls, ownKey: () => own, externalIssuer: EXTERNAL, externalKeys: new JwksSource(jwksOf(idp, idpEc), { now }),
    clients: new ClientRegistry(undefined), now,
  });
  const nowS = () => Math.floor(clock / 1000);
  const claims = (extra: Record<string, unknown> = {}) => ({
    iss: EXTERNAL, aud: BASE, sub: 'user-1', client_id: 'app-1', exp: nowS() + 300, iat: nowS(),
    scope: 'launch/patient openid patient/Observation.rs patient/Patient.read', patient: 'p1', fhirUser: 'Practitioner/pr1', ...extra,
  });
  const bearer = (token: string) => `Bearer ${token}`;

  async function rejects(header: string | undefined, description: RegExp): Promise<FhirError> {
    const err = await auth.authenticate(header).then(() => assert.fail('accepted'), (e: unknown) => e);
    assert.ok(err instanceof FhirError, String(err));
    assert.equal(err.status, 401);
    assert.equal(err.toOperationOutcome().issue[0].code, 'login');
    assert.match(err.headers?.['WWW-Authenticate'] ?? '', /^Bearer realm="http:\/\/test\.local\/fhir"/);
    assert.match(err.headers?.['WWW-Authenticate'] ?? '', description);
    return err;
  }

  beforeEach(() => (clock = Date.now()));

  it('accepts a token of the external issuer and reads its claims', async () => {
    const ctx = await auth.authenticate(bearer(signWith(idp, claims())));
    assert.equal(ctx.mode, 'smart');
    assert.equal(ctx.clientId, 'app-1');
    assert.equal(ctx.subject, 'user-1');
    assert.equal(ctx.patient, 'p1');
    assert.equal(ctx.fhirUser, 'Practitioner/pr1');
    assert.deepEqual(ctx.scopes.map((s) => s.text), ['patient/Observation.rs', 'patient/Patient.read']);
    assert.deepEqual(ctx.otherScopes, ['launch/patient', 'openid']);
  });

  it('accepts ES384 and the server\'s own tokens', async () => {
    assert.equal((await auth.authenticate(bearer(signWith(idpEc, claims())))).clientId, 'app-1');
    const token = signWith({ kid: own.kid, alg: own.alg, privateKey: own.privateKey } as TestKey,
      { ...claims(), iss: urls.issuer, scope: 'system/*.rs', patient: undefined });
    const ctx = await auth.authenticate(bearer(token));
    assert.deepEqual(ctx.scopes.map((s) => s.text), ['system/*.rs']);
  });

  it('drops patient/ scopes when the token names no patient', async () => {
    const ctx = await auth.authenticate(bearer(signWith(idp, claims({ patient: undefined, scope: 'patient/*.rs user/Patient.rs' }))));
    assert.deepEqual(ctx.scopes.map((s) => s.text), ['user/Patient.rs']);
  });

  it('treats a research purpose of use as a research caller', async () => {
    const ctx = await auth.authenticate(bearer(signWith(idp, claims({ purpose_of_use: 'HRESCH', research_permit: 'permit-7' }))));
    assert.equal(ctx.role, 'research');
    assert.equal(ctx.purposeOfUse, 'HRESCH');
    assert.equal(ctx.researchPermit, 'permit-7');
  });

  it('401 without credentials, with a challenge that carries no error code', async () => {
    const err = await rejects(undefined, /realm/);
    assert.doesNotMatch(err.headers?.['WWW-Authenticate'] ?? '', /error=/);
    await rejects('Basic dXNlcjpwYXNz', /error="invalid_token"/);
    await rejects('Bearer not-a-jwt', /error="invalid_token", error_description="not a JWT"/);
  });

  it('refuses alg none', async () => {
    const token = `${b64url({ alg: 'none', typ: 'JWT' })}.${b64url(claims())}.`;
    await rejects(bearer(token), /algorithm none is not accepted/);
  });

  it('refuses HS256 signed with the issuer\'s public key as the HMAC secret', async () => {
    const pem = idp.publicKey.export({ format: 'pem', type: 'spki' }).toString();
    const input = `${b64url({ alg: 'HS256', typ: 'JWT', kid: idp.kid })}.${b64url(claims())}`;
    const token = `${input}.${createHmac('sha256', pem).update(input).digest('base64url')}`;
    await rejects(bearer(token), /algorithm HS256 is not accepted/);
  });

  it('refuses a token signed RS256 under a kid whose key is EC', async () => {
    const forged = signWith({ ...idp, kid: idpEc.kid }, claims());
    await rejects(bearer(forged), /no trusted key has this kid/);
  });

  it('refuses expired, not-yet-valid and exp-less tokens', async () => {
    await rejects(bearer(signWith(idp, claims({ exp: nowS() - 60 }))), /expired/);
    await rejects(bearer(signWith(idp, claims({ nbf: nowS() + 300 }))), /not yet valid/);
    const { exp: _exp, ...noExp } = claims();
    await rejects(bearer(signWith(idp, noExp)), /no expiry/);
  });

  it('refuses a wrong audience and an untrusted or wrong issuer', async () => {
    await rejects(bearer(signWith(idp, claims({ aud: 'https://other.example/fhir' }))), /wrong audience/);
    await rejects(bearer(signWith(idp, claims({ iss: 'https://evil.example' }))), /issuer is not trusted/);
    // The external issuer's key cannot mint tokens in the server's own name.
    await rejects(bearer(signWith(idp, claims({ iss: urls.issuer }))), /no trusted key/);
  });

  it('refuses a tampered payload and a bad signature', async () => {
    const [h, , s] = signWith(idp, claims()).split('.');
    await rejects(bearer(`${h}.${b64url(claims({ scope: 'system/*.cruds' }))}.${s}`), /bad signature/);
    const other = makeKey('RS256', idp.kid);
    await rejects(bearer(signWith(other, claims())), /bad signature/);
  });

  it('refuses an unknown kid', async () => {
    await rejects(bearer(signWith(makeKey('ES256', 'unknown-kid'), claims())), /no trusted key has this kid/);
  });

  it('refuses a remembered token once it has expired', async () => {
    const token = bearer(signWith(idp, claims({ exp: nowS() + 60 })));
    await auth.authenticate(token);
    await auth.authenticate(token);
    clock += 120_000;
    await rejects(token, /expired/);
  });

  it('refuses a malformed patient claim', async () => {
    await rejects(bearer(signWith(idp, claims({ patient: 'Patient/../x' }))), /patient claim/);
  });
});

describe('issuer key rotation (AUTH_JWKS at a URL)', () => {
  const BASE_URLS = authUrls(BASE, undefined);
  let server: http.Server;
  let served: object;
  let fetches = 0;
  let url = '';

  before(async () => {
    server = http.createServer((_req, res) => {
      fetches++;
      res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify(served));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks`;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  function authenticator(now: () => number, minRefreshMs: number): Authenticator {
    return new Authenticator({
      urls: BASE_URLS, ownKey: () => loadSigningKey(undefined, 'sqlite::memory:'), externalIssuer: EXTERNAL,
      externalKeys: new JwksSource(url, { now, minRefreshMs }), clients: new ClientRegistry(undefined), now,
    });
  }
  const token = (k: TestKey) => `Bearer ${signWith(k, { iss: EXTERNAL, aud: BASE, sub: 's', exp: Math.floor(Date.now() / 1000) + 300, scope: 'system/*.rs' })}`;

  it('picks up a new kid when the issuer publishes it', async () => {
    const oldKey = makeKey('RS256');
    const newKey = makeKey('ES256');
    served = jwksOf(oldKey);
    fetches = 0;
    let clock = Date.now();
    const auth = authenticator(() => clock, 10_000);
    await auth.authenticate(token(oldKey));
    assert.equal(fetches, 1);
    await assert.rejects(auth.authenticate(token(newKey)), (e: FhirError) => e.status === 401);
    served = jwksOf(oldKey, newKey);
    clock += 10_000;
    const ctx = await auth.authenticate(token(newKey));
    assert.deepEqual(ctx.scopes.map((s) => s.text), ['system/*.rs']);
    assert.equal(fetches, 2, 'the first unknown kid came before the minimum interval and did not fetch');
  });

  it('does not fetch again for every unknown kid within the minimum interval', async () => {
    served = jwksOf(makeKey('RS256'));
    fetches = 0;
    const clock = Date.now();
    const auth = authenticator(() => clock, 30_000);
    for (let i = 0; i < 5; i++) await assert.rejects(auth.authenticate(token(makeKey('ES256', `made-up-${i}`))));
    assert.equal(fetches, 1);
  });
});
