import type { CapabilityStatementRestSecurity } from 'fhir/r4';
import type { AuthUrls } from './auth-urls';
import { CLIENT_ASSERTION_ALGS } from './jwk';

/**
 * What the server tells clients about its authorization: the SMART discovery document
 * (https://hl7.org/fhir/smart-app-launch/conformance.html) and the CapabilityStatement's `rest.security`.
 */
export interface DiscoveryInput {
  mode: 'off' | 'smart';
  urls: AuthUrls;
  /** An external issuer whose tokens carry launch context (`patient`), besides the server's own. */
  externalIssuer?: string;
  corsEnabled: boolean;
}

const SCOPES_SUPPORTED = [
  'system/*.cruds', 'system/*.rs', 'system/*.read', 'system/*.write', 'system/*.*',
  'user/*.cruds', 'user/*.rs', 'user/*.read', 'user/*.write', 'user/*.*',
  'patient/*.rs', 'patient/*.read',
  'launch/patient', 'openid', 'fhirUser',
];

export function smartConfiguration(input: DiscoveryInput): Record<string, unknown> {
  const capabilities = ['client-confidential-asymmetric', 'permission-v1', 'permission-v2'];
  // Launch context comes only from an external issuer's tokens: this server's own endpoint serves system clients.
  if (input.externalIssuer) capabilities.push('context-ehr-patient', 'context-standalone-patient');
  return {
    issuer: input.urls.issuer,
    jwks_uri: input.urls.jwksUri,
    token_endpoint: input.urls.tokenEndpoint,
    grant_types_supported: ['client_credentials'],
    token_endpoint_auth_methods_supported: ['private_key_jwt'],
    token_endpoint_auth_signing_alg_values_supported: [...CLIENT_ASSERTION_ALGS],
    scopes_supported: SCOPES_SUPPORTED,
    response_types_supported: ['token'],
    capabilities,
    ...(input.externalIssuer ? { associated_issuers: [input.externalIssuer] } : {}),
  };
}

/** The CapabilityStatement `rest.security` block; with AUTH=off it says so, so nobody mistakes it for protected. */
export function capabilitySecurity(input: DiscoveryInput): CapabilityStatementRestSecurity {
  if (input.mode === 'off') {
    return {
      cors: input.corsEnabled,
      description: 'AUTH=off: NO AUTHENTICATION. Every caller has full access. Allowed on a loopback address only.',
    };
  }
  return {
    cors: input.corsEnabled,
    service: [{
      coding: [{ system: 'http://terminology.hl7.org/CodeSystem/restful-security-service', code: 'SMART-on-FHIR', display: 'SMART-on-FHIR' }],
      text: 'OAuth2 bearer tokens using the SMART App Launch profile (Backend Services: client_credentials with private_key_jwt)',
    }],
    extension: [{
      url: 'http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris',
      extension: [{ url: 'token', valueUri: input.urls.tokenEndpoint }],
    }],
    description: `SMART on FHIR: discovery at ${input.urls.audience}/.well-known/smart-configuration`,
  };
}
