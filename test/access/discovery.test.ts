import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { testServer } from '../support/app';
import { jwksOf, makeKey } from './keys';

// SMART App Launch, conformance: https://hl7.org/fhir/smart-app-launch/conformance.html
describe('SMART discovery', () => {
  it('publishes the smart-configuration of a Backend Services server', async () => {
    const server = await testServer({ authMode: 'smart' });
    try {
      const res = await server.http.get('/fhir/.well-known/smart-configuration').expect(200).expect('Content-Type', /application\/json/);
      const doc = res.body as Record<string, unknown>;
      assert.equal(doc.token_endpoint, 'http://test.local/auth/token');
      assert.equal(doc.jwks_uri, 'http://test.local/.well-known/jwks.json');
      assert.deepEqual(doc.grant_types_supported, ['client_credentials']);
      assert.deepEqual(doc.token_endpoint_auth_methods_supported, ['private_key_jwt']);
      assert.deepEqual(doc.token_endpoint_auth_signing_alg_values_supported, ['RS384', 'ES384']);
      assert.deepEqual(doc.capabilities, ['client-confidential-asymmetric', 'permission-v1', 'permission-v2']);
      assert.ok((doc.scopes_supported as string[]).includes('system/*.rs'));
      assert.ok((doc.scopes_supported as string[]).includes('patient/*.read'));
    } finally {
      await server.close();
    }
  });

  it('announces patient launch context only when an external issuer provides it', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rf-disc-'));
    const jwks = path.join(dir, 'idp.json');
    fs.writeFileSync(jwks, JSON.stringify(jwksOf(makeKey('ES256'))));
    const server = await testServer({ authMode: 'smart', authIssuer: 'https://idp.example.se/realms/region', authJwks: jwks });
    try {
      const doc = (await server.http.get('/fhir/.well-known/smart-configuration').expect(200)).body as Record<string, string[]>;
      assert.ok(doc.capabilities.includes('context-ehr-patient'));
      assert.ok(doc.capabilities.includes('context-standalone-patient'));
      assert.deepEqual(doc.associated_issuers, ['https://idp.example.se/realms/region']);
    } finally {
      await server.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('gives the CapabilityStatement rest.security block with the oauth-uris extension', async () => {
    const server = await testServer({ authMode: 'smart', corsOrigins: ['https://app.example.se'] });
    try {
      const security = server.app.access.capabilitySecurity();
      assert.equal(security.cors, true);
      assert.equal(security.service?.[0].coding?.[0].code, 'SMART-on-FHIR');
      assert.equal(security.service?.[0].coding?.[0].system, 'http://terminology.hl7.org/CodeSystem/restful-security-service');
      const oauth = security.extension?.find((e) => e.url === 'http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris');
      assert.deepEqual(oauth?.extension, [{ url: 'token', valueUri: 'http://test.local/auth/token' }]);
    } finally {
      await server.close();
    }
  });

  it('with AUTH=off says so, and serves no auth endpoints', async () => {
    const server = await testServer();
    try {
      assert.match(server.app.access.capabilitySecurity().description ?? '', /AUTH=off: NO AUTHENTICATION/);
      await server.http.get('/fhir/.well-known/smart-configuration').expect(404);
      await server.http.post('/auth/token').type('form').send('grant_type=client_credentials').expect(404);
      await server.http.get('/.well-known/jwks.json').expect(404);
    } finally {
      await server.close();
    }
  });
});
