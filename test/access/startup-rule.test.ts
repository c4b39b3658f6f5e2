import assert from 'node:assert/strict';
import { authStartupRefusal, isLoopback } from '../../src/access/startup-rule';
import { loadConfig } from '../../src/config';
import { createLogger } from '../../src/log';

describe('authentication settings at start', () => {
  const lines: string[] = [];
  const log = createLogger('warn', (l) => void lines.push(l));
  beforeEach(() => (lines.length = 0));

  it('allows AUTH=off on loopback, loudly', () => {
    assert.equal(authStartupRefusal(loadConfig({ HOST: '127.0.0.1' }), false, log), undefined);
    assert.match(lines.join(''), /AUTHENTICATION IS OFF/);
  });

  it('refuses AUTH=off on any other address unless --insecure-no-auth', () => {
    assert.match(authStartupRefusal(loadConfig({ HOST: '0.0.0.0' }), false, log) ?? '', /only on a loopback address/);
    assert.equal(authStartupRefusal(loadConfig({ HOST: '0.0.0.0' }), true, log), undefined);
    assert.match(lines.join(''), /"insecureNoAuth":true/);
    assert.equal(authStartupRefusal(loadConfig({ HOST: '0.0.0.0', AUTH: 'smart' }), false, log), undefined);
  });

  it('knows loopback addresses', () => {
    for (const h of ['127.0.0.1', '127.1.2.3', 'localhost', '::1', '::ffff:127.0.0.1']) assert.ok(isLoopback(h), h);
    for (const h of ['0.0.0.0', '10.0.0.1', '::', 'example.se', '128.0.0.1']) assert.ok(!isLoopback(h), h);
  });

  it('reads and checks the auth settings', () => {
    const c = loadConfig({ AUTH: 'smart', AUTH_ISSUER: 'https://idp', AUTH_JWKS: '/k.json', RATE_LIMIT: '50', CORS_ORIGINS: 'https://a.se, https://b.se:8443', PSEUDONYM_KEY: 'k'.repeat(32) });
    assert.equal(c.authMode, 'smart');
    assert.deepEqual(c.rateLimit, { perSecond: 50, burst: 100 });
    assert.deepEqual(c.corsOrigins, ['https://a.se', 'https://b.se:8443']);
    assert.deepEqual(loadConfig({ RATE_LIMIT: '5:20' }).rateLimit, { perSecond: 5, burst: 20 });
    assert.equal(loadConfig({}).authMode, 'off');
    assert.equal(loadConfig({}).rateLimit, undefined);
    assert.throws(() => loadConfig({ AUTH: 'basic' }), /AUTH must be/);
    assert.throws(() => loadConfig({ AUTH_ISSUER: 'https://idp' }), /AUTH_JWKS/);
    assert.throws(() => loadConfig({ PSEUDONYM_KEY: 'short' }), /PSEUDONYM_KEY/);
    assert.throws(() => loadConfig({ RATE_LIMIT: 'lots' }), /RATE_LIMIT/);
    assert.throws(() => loadConfig({ CORS_ORIGINS: 'app.example.se' }), /CORS_ORIGINS/);
  });
});
