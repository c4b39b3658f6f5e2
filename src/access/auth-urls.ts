/**
 * The public addresses of the authorization endpoints. They sit beside the FHIR base: a base of
 * `https://fhir.region.se/fhir` gives the token endpoint `https://fhir.region.se/auth/token` and the issuer
 * `https://fhir.region.se/auth`; a base that does not end in `/fhir` (a proxy's own path) gets them below its origin.
 */
export interface AuthUrls {
  /** `iss` of the server's own tokens. */
  issuer: string;
  tokenEndpoint: string;
  jwksUri: string;
  /** `aud` every access token must carry. */
  audience: string;
}

export const TOKEN_PATH = '/auth/token';
export const JWKS_PATH = '/.well-known/jwks.json';
export const SMART_CONFIGURATION_PATH = '/.well-known/smart-configuration';

export function authUrls(baseUrl: string, audience: string | undefined): AuthUrls {
  const root = baseUrl.endsWith('/fhir') ? baseUrl.slice(0, -'/fhir'.length) : new URL(baseUrl).origin;
  return { issuer: `${root}/auth`, tokenEndpoint: `${root}${TOKEN_PATH}`, jwksUri: `${root}${JWKS_PATH}`, audience: audience ?? baseUrl };
}
