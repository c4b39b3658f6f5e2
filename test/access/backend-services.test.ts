import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import jwt, { type JwtPayload } from 'jsonwebtoken';
import { createPublicKey } from 'node:crypto';
import { testServer, type TestServer } from '../support/app';
import { clientAssertion, jwksOf, makeKey, signWith } from './keys';

// SMART Backend Services: https://hl7.org/fhir/smart-app-launch/backend-services.html
const BASE = 'http://test.local/fhir';
const TOKEN_ENDPOINT = 'http://test.local/auth/token';
const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

describe('SMART Backend Services token endpoint', () => {
  const syncKey = makeKey('ES384');
  const researchKey = makeKey('RS384');
  const uriKey = makeKey('ES384');
  let dir: string;
  let server: TestServer;
  let jwksServer: http.Server;

  before(async () => {
    jwksServer = http.createServer((_req, res) => res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify(jwksOf(uriKey))));
    await new Promise<void>((resolve) => jwksServer.listen(0, '127.0.0.1', resolve));
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rf-auth-'));
    const clients = path.join(dir, 'clients.json');
    fs.writeFileSync(clients, JSON.stringify({
      clients: [
        { client_id: 'regional-sync', jwks: jwksOf(syncKey), scope: 'system/*.rs system/Patient.cruds', role: 'sync' },
        { client_id: 'research-app', jwks: jwksOf(researchKey), scope: 'system/Observation.rs system/Patient.rs', role: 'research', research_permit: 'permit-2026-17' },
        { client_id: 'by-uri', jwks_uri: `http://127.0.0.1:${(jwksServer.address() as AddressInfo).port}/jwks`, scope: 'system/*.rs', role: 'provider' },
      ],
    }));
    server = await testServer({ authMode: 'smart', authClients: clients });
  });
  after(async () => {
    await server.close();
    await new Promise<void>((resolve) => jwksServer.close(() => resolve()));
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();
  const tokenRequest = (assertion: string, scope = 'system/*.rs', extra: Record<string, string> = {}) => server.http.post('/auth/token')
    .type('form').send(form({ grant_type: 'client_credentials', client_assertion_type: ASSERTION_TYPE, client_assertion: assertion, scope, ...extra }));

  async function refused(res: { status: number; body: { error?: string; error_description?: string } }, status: number, error: string, description?: RegExp) {
    assert.equal(res.status, status, JSON.stringify(res.body));
    assert.equal(res.body.error, error);
    if (description) assert.match(res.body.error_description ?? '', description);
  }

  it('issues a token that verifies with the published key and admits the client', async () => {
    const res = await tokenRequest(clientAssertion(syncKey, 'regional-sync', TOKEN_ENDPOINT), 'system/*.rs system/Patient.cruds').expect(200);
    assert.equal(res.headers['cache-control'], 'no-store');
    assert.equal(res.body.token_type, 'bearer');
    assert.equal(res.body.expires_in, 300);
    assert.equal(res.body.scope, 'system/*.rs system/Patient.cruds');

    const jwks = (await server.http.get('/.well-known/jwks.json').expect(200)).body as { keys: Array<Record<string, string>> };
    const header = jwt.decode(res.body.access_token, { complete: true })?.header;
    const published = jwks.keys.find((k) => k.kid === header?.kid);
    assert.ok(published, 'the token names a published kid');
    assert.equal(published.d, undefined, 'no private part is published');
    const claims = jwt.verify(res.body.access_token, createPublicKey({ key: published, format: 'jwk' }), { algorithms: ['RS384'] }) as JwtPayload;
    assert.equal(claims.iss, 'http://test.local/auth');
    assert.equal(claims.aud, BASE);
    assert.equal(claims.sub, 'regional-sync');
    assert.equal(claims.client_id, 'regional-sync');
    assert.equal(claims.role, 'sync');
    assert.equal(claims.purpose_of_use, 'HOPERAT');
    assert.ok((claims.exp as number) - (claims.iat as number) <= 300);

    const ctx = await server.app.access.gate.admit(`Bearer ${res.body.access_token}`, '127.0.0.1');
    assert.equal(ctx.mode, 'smart');
    assert.equal(ctx.clientId, 'regional-sync');
    assert.equal(ctx.role, 'sync');
    assert.deepEqual(ctx.scopes.map((s) => s.text), ['system/*.rs', 'system/Patient.cruds']);
  });

  it('opens the FHIR API to the token and to nobody without one', async () => {
    const res = await tokenRequest(clientAssertion(syncKey, 'regional-sync', TOKEN_ENDPOINT), 'system/*.rs').expect(200);
    const search = await server.http.get('/fhir/Patient').set('Authorization', `Bearer ${res.body.access_token}`).expect(200);
    assert.equal(search.body.resourceType, 'Bundle');
    const anonymous = await server.http.get('/fhir/Patient').expect(401);
    assert.equal(anonymous.headers['www-authenticate'], 'Bearer realm="http://test.local/fhir"');
    assert.equal(anonymous.body.resourceType, 'OperationOutcome');
    const forged = await server.http.get('/fhir/Patient').set('Authorization', `Bearer ${res.body.access_token.slice(0, -4)}AAAA`).expect(401);
    assert.match(forged.headers['www-authenticate'], /error="invalid_token"/);
    assert.equal(forged.body.issue[0].code, 'login');
  });

  it('grants only what is registered, and carries role, permit and purpose of a research client', async () => {
    const res = await tokenRequest(clientAssertion(researchKey, 'research-app', TOKEN_ENDPOINT), 'system/*.cruds launch/patient').expect(200);
    assert.equal(res.body.scope, 'system/Observation.rs system/Patient.rs');
    const ctx = await server.app.access.authenticator.authenticate(`Bearer ${res.body.access_token}`);
    assert.equal(ctx.role, 'research');
    assert.equal(ctx.researchPermit, 'permit-2026-17');
    assert.equal(ctx.purposeOfUse, 'HRESCH');
  });

  it('checks assertions against keys fetched from a registered jwks_uri', async () => {
    const res = await tokenRequest(clientAssertion(uriKey, 'by-uri', TOKEN_ENDPOINT)).expect(200);
    assert.equal(res.body.scope, 'system/*.rs');
  });

  it('refuses a replayed client assertion (same jti)', async () => {
    const assertion = clientAssertion(syncKey, 'regional-sync', TOKEN_ENDPOINT);
    await tokenRequest(assertion).expect(200);
    await refused(await tokenRequest(assertion), 401, 'invalid_client', /jti was already used/);
    // A new jti is fine again.
    await tokenRequest(clientAssertion(syncKey, 'regional-sync', TOKEN_ENDPOINT)).expect(200);
  });

  it('refuses an assertion from an unregistered client, even one signed by a registered key', async () => {
    await refused(await tokenRequest(clientAssertion(makeKey('ES384'), 'stranger', TOKEN_ENDPOINT)), 401, 'invalid_client', /unknown client/);
    await refused(await tokenRequest(clientAssertion(syncKey, 'stranger', TOKEN_ENDPOINT)), 401, 'invalid_client', /unknown client/);
  });

  it('refuses an assertion signed by a key the client did not register', async () => {
    const impostor = makeKey('ES384', syncKey.kid);
    await refused(await tokenRequest(clientAssertion(impostor, 'regional-sync', TOKEN_ENDPOINT)), 401, 'invalid_client', /do not verify/);
  });

  it('refuses exp more than five minutes ahead, expired assertions and missing jti', async () => {
    const now = Math.floor(Date.now() / 1000);
    await refused(await tokenRequest(clientAssertion(syncKey, 'regional-sync', TOKEN_ENDPOINT, { exp: now + 600 })), 401, 'invalid_client', /five minutes/);
    await refused(await tokenRequest(clientAssertion(syncKey, 'regional-sync', TOKEN_ENDPOINT, { exp: now - 60 })), 401, 'invalid_client', /expired/);
    await refused(await tokenRequest(clientAssertion(syncKey, 'regional-sync', TOKEN_ENDPOINT, { jti: undefined })), 401, 'invalid_client', /jti/);
  });

  it('refuses a wrong audience, iss ≠ sub, and algorithms other than RS384/ES384', async () => {
    await refused(await tokenRequest(clientAssertion(syncKey, 'regional-sync', 'http://test.local/other')), 401, 'invalid_client', /aud/);
    await refused(await tokenRequest(clientAssertion(syncKey, 'regional-sync', TOKEN_ENDPOINT, { sub: 'research-app' })), 401, 'invalid_client', /iss and sub/);
    const rs256 = { ...researchKey, alg: 'RS256' as const };
    await refused(await tokenRequest(clientAssertion(rs256, 'research-app', TOKEN_ENDPOINT)), 401, 'invalid_client', /RS384 or ES384/);
    const none = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from(JSON.stringify({ iss: 'research-app', sub: 'research-app', aud: TOKEN_ENDPOINT, exp: Math.floor(Date.now() / 1000) + 60, jti: randomUUID() })).toString('base64url')}.`;
    await refused(await tokenRequest(none), 401, 'invalid_client');
  });

  it('answers malformed requests with OAuth errors', async () => {
    const assertion = () => clientAssertion(syncKey, 'regional-sync', TOKEN_ENDPOINT);
    await refused(await tokenRequest(assertion(), 'system/*.rs', { grant_type: 'password' }), 400, 'unsupported_grant_type');
    await refused(await tokenRequest(assertion(), 'system/*.rs', { client_assertion_type: 'x' }), 400, 'invalid_request');
    await refused(await tokenRequest(assertion(), 'user/*.rs'), 400, 'invalid_scope');
    await refused(await tokenRequest(assertion(), ''), 400, 'invalid_scope');
    await refused(await server.http.post('/auth/token').send({ grant_type: 'client_credentials' }), 400, 'invalid_request');
    await refused(await server.http.post('/auth/token').type('form').send(`grant_type=client_credentials&x=${'a'.repeat(20000)}`), 413, 'invalid_request');
    await refused(await server.http.post('/auth/token').type('form').send('grant_type=client_credentials&grant_type=client_credentials'), 400, 'invalid_request');
  });

  it('never accepts a token signed with the server key for another audience', async () => {
    const key = server.app.access.signingKey();
    const token = signWith({ kid: key.kid, alg: key.alg, privateKey: key.privateKey } as never,
      { iss: 'http://test.local/auth', aud: 'http://elsewhere/fhir', sub: 'x', exp: Math.floor(Date.now() / 1000) + 60, scope: 'system/*.rs' });
    await assert.rejects(server.app.access.authenticator.authenticate(`Bearer ${token}`), /wrong audience/);
  });
});
