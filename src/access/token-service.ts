import { randomUUID } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { OAuthError } from './auth-errors';
import type { AuthUrls } from './auth-urls';
import { verifyClientAssertion } from './client-assertion';
import type { ClientRegistry, RegisteredClient } from './client-registry';
import { JtiCache } from './jti-cache';
import { grantScopes } from './scope-grant';
import type { SigningKey } from './signing-key';
import { PURPOSE_OF_USE_CLAIM } from './token-claims';

/**
 * The token endpoint's logic (SMART Backend Services, client_credentials with a private_key_jwt assertion):
 * authenticate the client, grant the requested scopes its registration allows, and sign an access token the
 * Authenticator accepts. The HTTP side is in auth-routes.ts.
 */
export interface TokenResponse {
  access_token: string;
  token_type: 'bearer';
  expires_in: number;
  scope: string;
}

export interface TokenServiceDeps {
  urls: AuthUrls;
  clients: ClientRegistry;
  signingKey: () => SigningKey;
  now?: () => number;
  /** How many assertion ids may be remembered at once (see JtiCache). */
  jtiCapacity?: number;
}

/** SMART: access tokens of Backend Services should live no longer than five minutes. */
export const ACCESS_TOKEN_LIFETIME_S = 300;
const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

export class TokenService {
  private readonly jtis: JtiCache;
  private readonly now: () => number;

  constructor(private readonly deps: TokenServiceDeps) {
    this.now = deps.now ?? Date.now;
    this.jtis = new JtiCache(deps.jtiCapacity, this.now);
  }

  async grant(form: Record<string, unknown>): Promise<TokenResponse> {
    const grantType = field(form, 'grant_type');
    if (grantType !== 'client_credentials') throw new OAuthError('unsupported_grant_type', 'grant_type must be client_credentials');
    if (field(form, 'client_assertion_type') !== ASSERTION_TYPE) throw new OAuthError('invalid_request', `client_assertion_type must be ${ASSERTION_TYPE}`);
    const assertion = field(form, 'client_assertion');
    if (!assertion) throw new OAuthError('invalid_request', 'client_assertion is required');
    const requested = field(form, 'scope');
    if (!requested) throw new OAuthError('invalid_scope', 'scope is required');
    const client = await verifyClientAssertion(assertion, {
      clients: this.deps.clients, tokenEndpoint: this.deps.urls.tokenEndpoint, jtis: this.jtis, now: this.now,
    });
    const granted = grantScopes(requested, client.registration.scope);
    if (granted.length === 0) throw new OAuthError('invalid_scope', 'none of the requested scopes is registered for this client');
    const scope = granted.join(' ');
    return { access_token: this.sign(client.registration.client_id, scope, client), token_type: 'bearer', expires_in: ACCESS_TOKEN_LIFETIME_S, scope };
  }

  private sign(clientId: string, scope: string, client: RegisteredClient): string {
    const key = this.deps.signingKey();
    const iat = Math.floor(this.now() / 1000);
    const claims: Record<string, unknown> = {
      scope, client_id: clientId, role: client.registration.role, [PURPOSE_OF_USE_CLAIM]: client.purposeOfUse,
      iat, exp: iat + ACCESS_TOKEN_LIFETIME_S,
    };
    if (client.registration.research_permit) claims.research_permit = client.registration.research_permit;
    return jwt.sign(claims, key.privateKey, {
      algorithm: key.alg, keyid: key.kid, issuer: this.deps.urls.issuer, audience: this.deps.urls.audience,
      subject: clientId, jwtid: randomUUID(),
    });
  }

  /** Assertion ids remembered now (bounded; for tests and metrics). */
  get rememberedAssertions(): number {
    return this.jtis.size;
  }
}

/** A form field given once; a repeated field is a malformed request (RFC 6749 §3.2). */
function field(form: Record<string, unknown>, name: string): string | undefined {
  const v = form[name];
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw new OAuthError('invalid_request', `${name} must be given once`);
  return v;
}
