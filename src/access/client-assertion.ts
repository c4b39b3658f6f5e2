import jwt, { type JwtPayload } from 'jsonwebtoken';
import { OAuthError } from './auth-errors';
import type { ClientRegistry, RegisteredClient } from './client-registry';
import { CLIENT_ASSERTION_ALGS } from './jwk';
import type { JtiCache } from './jti-cache';

/**
 * Authenticates a client by its `client_assertion` (SMART Backend Services, RFC 7523 private_key_jwt): a JWT signed
 * RS384 or ES384 with a key of the client's registered JWKS, `iss` = `sub` = client_id, `aud` = the token endpoint,
 * `exp` at most five minutes ahead, and a `jti` never used before while its assertion lives. Every failure is an
 * `invalid_client` (401), as the SMART spec asks.
 */
export interface AssertionDeps {
  clients: ClientRegistry;
  tokenEndpoint: string;
  jtis: JtiCache;
  now: () => number;
}

export const MAX_ASSERTION_LIFETIME_S = 300;
const CLOCK_TOLERANCE_S = 5;

export async function verifyClientAssertion(assertion: string, deps: AssertionDeps): Promise<RegisteredClient> {
  const decoded = jwt.decode(assertion, { complete: true });
  if (!decoded || typeof decoded.payload !== 'object') throw bad('client_assertion is not a JWT');
  const { alg, kid } = decoded.header;
  if (!(CLIENT_ASSERTION_ALGS as readonly string[]).includes(alg)) throw bad(`client_assertion must be signed ${CLIENT_ASSERTION_ALGS.join(' or ')}`);
  const { iss, sub } = decoded.payload;
  if (typeof iss !== 'string' || iss !== sub) throw bad('client_assertion iss and sub must both be the client_id');
  const client = deps.clients.get(iss);
  if (!client) throw bad('unknown client');
  const keys = await client.keys.keysFor(alg, kid);
  if (keys.length === 0) throw bad('no registered key of the client fits the client_assertion');
  const payload = verifyWithAny(assertion, keys.map((k) => k.key), alg, iss, deps);
  const nowS = Math.floor(deps.now() / 1000);
  if (typeof payload.exp !== 'number') throw bad('client_assertion has no exp');
  if (payload.exp > nowS + MAX_ASSERTION_LIFETIME_S + CLOCK_TOLERANCE_S) throw bad('client_assertion exp is more than five minutes ahead');
  if (typeof payload.jti !== 'string' || !payload.jti) throw bad('client_assertion has no jti');
  const seen = deps.jtis.remember(iss, payload.jti, payload.exp * 1000);
  if (seen === 'replay') throw bad('client_assertion jti was already used');
  if (seen === 'full') throw new OAuthError('temporarily_unavailable', 'too many token requests; try again shortly');
  return client;
}

function verifyWithAny(assertion: string, keys: jwt.Secret[], alg: string, clientId: string, deps: AssertionDeps): JwtPayload {
  let error: unknown;
  for (const key of keys) {
    try {
      return jwt.verify(assertion, key as never, {
        algorithms: [alg as jwt.Algorithm], audience: deps.tokenEndpoint, issuer: clientId, subject: clientId,
        clockTimestamp: Math.floor(deps.now() / 1000), clockTolerance: CLOCK_TOLERANCE_S,
      }) as JwtPayload;
    } catch (err) {
      error = err;
    }
  }
  if (error instanceof jwt.TokenExpiredError) throw bad('client_assertion has expired');
  if (error instanceof jwt.NotBeforeError) throw bad('client_assertion is not yet valid');
  if (error instanceof jwt.JsonWebTokenError && error.message.startsWith('jwt audience invalid')) throw bad('client_assertion aud must be the token endpoint URL');
  throw bad('client_assertion signature or claims do not verify');
}

function bad(description: string): OAuthError {
  return new OAuthError('invalid_client', description);
}
