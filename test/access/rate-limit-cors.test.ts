import assert from 'node:assert/strict';
import jwt from 'jsonwebtoken';
import { RateLimiter } from '../../src/access/rate-limiter';
import { FhirError } from '../../src/fhir/errors';
import { errorResponse } from '../../src/core/error-response';
import { testServer } from '../support/app';

describe('rate limits', () => {
  it('lets a burst through, then answers with the seconds to wait, and refills over time', () => {
    let t = 0;
    const limiter = new RateLimiter({ perSecond: 2, burst: 3 }, () => t);
    assert.deepEqual([limiter.take('a'), limiter.take('a'), limiter.take('a')], [0, 0, 0]);
    assert.equal(limiter.take('a'), 1);
    assert.equal(limiter.take('b'), 0, 'another client has its own bucket');
    t += 500;
    assert.equal(limiter.take('a'), 0);
    assert.equal(limiter.take('a'), 1);
  });

  it('keeps a bounded table of clients', () => {
    let t = 0;
    const limiter = new RateLimiter({ perSecond: 1, burst: 1 }, () => t, 10);
    for (let i = 0; i < 100; i++) limiter.take(`c${i}`);
    assert.ok((limiter as unknown as { buckets: Map<string, unknown> }).buckets.size <= 10);
    t += 10_000;
    assert.equal(limiter.take('c99'), 0);
  });

  it('answers 429 with Retry-After and an OperationOutcome past the limit (AUTH=off, by address)', async () => {
    const server = await testServer({ rateLimit: { perSecond: 1, burst: 2 } });
    try {
      const gate = server.app.access.gate;
      await gate.admit(undefined, '10.0.0.1');
      await gate.admit(undefined, '10.0.0.1');
      const err = await gate.admit(undefined, '10.0.0.1').then(() => assert.fail('admitted'), (e: unknown) => e as FhirError);
      const response = errorResponse(err);
      assert.equal(response.status, 429);
      assert.equal(response.headers['Retry-After'], '1');
      assert.equal((response.body as { issue: Array<{ code: string }> }).issue[0].code, 'throttled');
      await gate.admit(undefined, '10.0.0.2');
    } finally {
      await server.close();
    }
  });

  it('answers 429 on the FHIR endpoint to a client over its limit', async () => {
    const server = await testServer({ authMode: 'smart', rateLimit: { perSecond: 0.5, burst: 2 } });
    try {
      const key = server.app.access.signingKey();
      const token = jwt.sign({ scope: 'system/*.rs', client_id: 'busy' }, key.privateKey, {
        algorithm: key.alg, keyid: key.kid, issuer: 'http://test.local/auth', audience: 'http://test.local/fhir', expiresIn: 60,
      });
      const read = () => server.http.get('/fhir/Patient?_count=1').set('Authorization', `Bearer ${token}`);
      await read().expect(200);
      await read().expect(200);
      const res = await read().expect(429);
      assert.equal(res.headers['retry-after'], '2');
      assert.equal(res.body.issue[0].code, 'throttled');
    } finally {
      await server.close();
    }
  });

  it('limits the token endpoint by address with 429 and Retry-After', async () => {
    const server = await testServer({ authMode: 'smart', rateLimit: { perSecond: 0.5, burst: 2 } });
    try {
      const ask = () => server.http.post('/auth/token').type('form').send('grant_type=client_credentials');
      await ask().expect(400);
      await ask().expect(400);
      const res = await ask().expect(429);
      assert.equal(res.headers['retry-after'], '2');
      assert.equal(res.body.error, 'slow_down');
    } finally {
      await server.close();
    }
  });
});

// CORS protocol: https://fetch.spec.whatwg.org/#http-cors-protocol
describe('CORS for browser SMART apps', () => {
  const APP = 'https://app.example.se';

  it('answers a preflight from an allowed origin on the FHIR endpoint', async () => {
    const server = await testServer({ corsOrigins: [APP] });
    try {
      const res = await server.http.options('/fhir/Patient').set('Origin', APP)
        .set('Access-Control-Request-Method', 'POST').set('Access-Control-Request-Headers', 'authorization, content-type').expect(204);
      assert.equal(res.headers['access-control-allow-origin'], APP);
      assert.match(res.headers['access-control-allow-methods'], /POST/);
      assert.match(res.headers['access-control-allow-headers'], /Authorization/);
      assert.match(res.headers['vary'], /Origin/);
      await server.http.options('/fhir/Patient').set('Origin', 'https://evil.example')
        .set('Access-Control-Request-Method', 'GET').expect(403)
        .expect((r) => assert.equal(r.headers['access-control-allow-origin'], undefined));
    } finally {
      await server.close();
    }
  });

  it('adds the CORS headers to FHIR answers for an allowed origin only', async () => {
    const server = await testServer({ corsOrigins: [APP] });
    try {
      const ok = await server.http.get('/fhir/metadata').set('Origin', APP).expect(200);
      assert.equal(ok.headers['access-control-allow-origin'], APP);
      assert.match(ok.headers['access-control-expose-headers'], /Location/);
      const other = await server.http.get('/fhir/metadata').set('Origin', 'https://evil.example').expect(200);
      assert.equal(other.headers['access-control-allow-origin'], undefined);
    } finally {
      await server.close();
    }
  });

  it('allows any origin with *, and none by default', async () => {
    const any = await testServer({ corsOrigins: ['*'] });
    const none = await testServer();
    try {
      const res = await any.http.options('/fhir/Patient').set('Origin', 'https://x.example').set('Access-Control-Request-Method', 'GET').expect(204);
      assert.equal(res.headers['access-control-allow-origin'], '*');
      const plain = await none.http.get('/fhir/metadata').set('Origin', APP).expect(200);
      assert.equal(plain.headers['access-control-allow-origin'], undefined);
    } finally {
      await any.close();
      await none.close();
    }
  });
});
