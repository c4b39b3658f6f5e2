import jwt, { type JwtPayload } from 'jsonwebtoken';
import { FhirError } from '../fhir/errors';
import type { AccessContext } from './access-context';
import { invalidToken, missingToken } from './auth-errors';
import type { AuthUrls } from './auth-urls';
import type { ClientRegistry } from './client-registry';
import { ACCESS_TOKEN_ALGS, candidateKeys, type PublicJwk } from './jwk';
import type { JwksSource } from './jwks-source';
import type { SigningKey } from './signing-key';
import { tokenClaimsToContext } from './token-claims';

/**
 * Turns an `Authorization: Bearer …` header into an AccessContext, or a 401. Access tokens are JWTs (RFC 9068
 * style) from a trusted issuer: the server itself (tokens of its /auth/token endpoint, signed with its own key) or
 * the external issuer of `AUTH_ISSUER`, whose keys come from `AUTH_JWKS`. Only RS256, RS384, ES256 and ES384 are
 * accepted; `exp` is required, `nbf` honoured, `aud` must be the FHIR base (or `AUTH_AUDIENCE`).
 *
 * A verified token is remembered (by its exact text, until it expires, at most `cacheSize` of them), so a client
 * that sends the same token with every request pays for one signature check.
 */
export interface AuthenticatorDeps {
  urls: AuthUrls;
  /** The server's own key; called on the first token that names the server as issuer. */
  ownKey: () => SigningKey;
  externalIssuer?: string;
  externalKeys?: JwksSource;
  clients: ClientRegistry;
  now?: () => number;
  cacheSize?: number;
}

/** Leeway for clocks that differ a little between issuer and server. */
const CLOCK_TOLERANCE_S = 5;
const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*)\s*$/i;

interface Cached {
  context: AccessContext;
  untilMs: number;
}

export class Authenticator {
  private readonly cache = new Map<string, Cached>();
  private readonly now: () => number;
  private readonly cacheSize: number;

  constructor(private readonly deps: AuthenticatorDeps) {
    this.now = deps.now ?? Date.now;
    this.cacheSize = deps.cacheSize ?? 10_000;
  }

  /** Resolves to the caller's context; rejects with a 401 FhirError carrying its WWW-Authenticate header. */
  async authenticate(authorization: string | undefined): Promise<AccessContext> {
    if (!authorization) throw missingToken(this.deps.urls.audience);
    const m = BEARER.exec(authorization);
    if (!m) throw this.fail('the Authorization header is not a Bearer token');
    const token = m[1];
    const cached = this.cache.get(token);
    if (cached && cached.untilMs > this.now()) return cached.context;
    if (cached) this.cache.delete(token);
    const payload = await this.verify(token);
    const context = tokenClaimsToContext(payload, this.deps.clients, (d) => this.fail(d));
    this.remember(token, context, (payload.exp as number) * 1000);
    return context;
  }

  private async verify(token: string): Promise<JwtPayload> {
    const decoded = jwt.decode(token, { complete: true });
    if (!decoded || typeof decoded.payload !== 'object') throw this.fail('not a JWT');
    const { alg, kid } = decoded.header;
    if (!(ACCESS_TOKEN_ALGS as readonly string[]).includes(alg)) throw this.fail(`algorithm ${alg} is not accepted`);
    const iss = decoded.payload.iss;
    if (typeof iss !== 'string') throw this.fail('no issuer');
    const keys = await this.keysOf(iss, alg, kid);
    if (keys.length === 0) throw this.fail(kid ? 'no trusted key has this kid' : 'no trusted key fits');
    let error: unknown;
    for (const k of keys) {
      try {
        const payload = jwt.verify(token, k.key, {
          algorithms: [alg as jwt.Algorithm], audience: this.deps.urls.audience, issuer: iss,
          clockTimestamp: Math.floor(this.now() / 1000), clockTolerance: CLOCK_TOLERANCE_S,
        }) as JwtPayload;
        if (typeof payload.exp !== 'number') throw this.fail('no expiry (exp)');
        return payload;
      } catch (err) {
        error = err;
        // Another key with the same kid (or none) may still verify it; any other failure is final.
        if (!(err instanceof jwt.JsonWebTokenError && err.message === 'invalid signature')) break;
      }
    }
    throw this.describe(error);
  }

  private async keysOf(iss: string, alg: string, kid: string | undefined): Promise<PublicJwk[]> {
    if (iss === this.deps.urls.issuer) {
      const own = this.deps.ownKey();
      return candidateKeys([{ kid: own.kid, key: own.publicKey, alg: own.alg }], alg, kid);
    }
    if (this.deps.externalKeys && iss === this.deps.externalIssuer) return this.deps.externalKeys.keysFor(alg, kid);
    throw this.fail('the issuer is not trusted');
  }

  private describe(err: unknown): FhirError {
    if (err instanceof jwt.TokenExpiredError) return this.fail('expired');
    if (err instanceof jwt.NotBeforeError) return this.fail('not yet valid (nbf)');
    if (err instanceof jwt.JsonWebTokenError) {
      if (err.message.startsWith('jwt audience invalid')) return this.fail('wrong audience (aud)');
      if (err.message.startsWith('jwt issuer invalid')) return this.fail('wrong issuer (iss)');
      if (err.message === 'invalid signature') return this.fail('bad signature');
      return this.fail('not a valid JWT');
    }
    if (err instanceof FhirError) return err;
    return this.fail('could not be verified');
  }

  private fail(description: string): FhirError {
    return invalidToken(description, this.deps.urls.audience);
  }

  private remember(token: string, context: AccessContext, untilMs: number): void {
    if (this.cache.size >= this.cacheSize) this.cache.delete(this.cache.keys().next().value as string);
    this.cache.set(token, { context, untilMs });
  }
}

