import { FhirError } from '../fhir/errors';

/**
 * Authentication failures of the FHIR endpoint (RFC 6750 §3): a 401 OperationOutcome with the WWW-Authenticate
 * challenge. The description says what was wrong with the token, never what the token was.
 */
export function invalidToken(description: string, realm: string): FhirError {
  const err = new FhirError('unauthorized', { code: 'login', diagnostics: `Invalid access token: ${description}` });
  err.headers = { 'WWW-Authenticate': `Bearer realm="${realm}", error="invalid_token", error_description="${quoted(description)}"` };
  return err;
}

/** No credentials at all: the challenge carries no error code (RFC 6750 §3.1). */
export function missingToken(realm: string): FhirError {
  const err = new FhirError('unauthorized', { code: 'login', diagnostics: 'This server requires a bearer access token (SMART on FHIR)' });
  err.headers = { 'WWW-Authenticate': `Bearer realm="${realm}"` };
  return err;
}

export function throttled(retryAfterSeconds: number): FhirError {
  const err = new FhirError('throttled', { code: 'throttled', diagnostics: `Too many requests; retry after ${retryAfterSeconds} s` });
  err.headers = { 'Retry-After': String(retryAfterSeconds) };
  return err;
}

/** OAuth 2.0 token endpoint errors (RFC 6749 §5.2): a JSON body `{error, error_description}`. */
export type OAuthErrorCode = 'invalid_request' | 'invalid_client' | 'invalid_grant' | 'unauthorized_client'
  | 'unsupported_grant_type' | 'invalid_scope' | 'temporarily_unavailable';

export class OAuthError extends Error {
  readonly code: OAuthErrorCode;

  constructor(code: OAuthErrorCode, description: string) {
    super(description);
    this.name = 'OAuthError';
    this.code = code;
  }

  /** 401 for a client that failed to authenticate, 503 when the server cannot take more, 400 otherwise. */
  get status(): number {
    if (this.code === 'invalid_client') return 401;
    if (this.code === 'temporarily_unavailable') return 503;
    return 400;
  }

  toJSON(): { error: string; error_description: string } {
    return { error: this.code, error_description: this.message };
  }
}

function quoted(s: string): string {
  return s.replace(/["\\\r\n]/g, ' ');
}
