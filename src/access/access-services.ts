import type { CapabilityStatementRestSecurity } from 'fhir/r4';
import type { Config } from '../config';
import { AccessGate } from './access-gate';
import { authUrls, type AuthUrls } from './auth-urls';
import { Authenticator } from './authenticator';
import { ClientRegistry } from './client-registry';
import { CorsPolicy } from './cors';
import { JwksSource } from './jwks-source';
import { RateLimiter } from './rate-limiter';
import { loadSigningKey, type SigningKey } from './signing-key';
import { capabilitySecurity, smartConfiguration, type DiscoveryInput } from './smart-configuration';
import { TokenService } from './token-service';

/**
 * Everything authorization needs, built from one config (no globals: tests build many). Cheap to build with
 * AUTH=off; the signing key is loaded or generated on first use.
 */
export interface AccessServices {
  mode: 'off' | 'smart';
  urls: AuthUrls;
  authenticator: Authenticator;
  gate: AccessGate;
  tokens: TokenService;
  clients: ClientRegistry;
  cors: CorsPolicy;
  /** Limits the token endpoint by remote address (`RATE_LIMIT`); undefined when unlimited. */
  limiter?: RateLimiter;
  signingKey: () => SigningKey;
  smartConfiguration: () => Record<string, unknown>;
  capabilitySecurity: () => CapabilityStatementRestSecurity;
}

export interface AccessOptions {
  now?: () => number;
  /** How often an unknown kid may reload a JWKS (default 30 s). */
  minKeyRefreshMs?: number;
}

export function createAccessServices(config: Config, options: AccessOptions = {}): AccessServices {
  const urls = authUrls(config.baseUrl, config.authAudience);
  const keyOptions = { now: options.now, minRefreshMs: options.minKeyRefreshMs };
  const clients = new ClientRegistry(config.authClients, { now: options.now, minKeyRefreshMs: options.minKeyRefreshMs });
  const signingKey = once(() => loadSigningKey(config.authSigningKey, config.storeUrl));
  // A bad AUTH_SIGNING_KEY or an unwritable data directory stops the server at start, not at the first token;
  // only an in-memory store (tests) waits for first use.
  if (config.authMode === 'smart' && config.storeUrl !== 'sqlite::memory:') signingKey();
  const externalKeys = config.authJwks ? new JwksSource(config.authJwks, keyOptions) : undefined;
  const authenticator = new Authenticator({ urls, ownKey: signingKey, externalIssuer: config.authIssuer, externalKeys, clients, now: options.now });
  const limiter = config.rateLimit ? new RateLimiter(config.rateLimit, options.now) : undefined;
  const cors = new CorsPolicy(config.corsOrigins);
  const discovery: DiscoveryInput = { mode: config.authMode, urls, externalIssuer: config.authIssuer, corsEnabled: cors.enabled };
  return {
    mode: config.authMode,
    urls,
    authenticator,
    gate: new AccessGate(config.authMode, authenticator, limiter),
    tokens: new TokenService({ urls, clients, signingKey, now: options.now }),
    clients,
    cors,
    limiter,
    signingKey,
    smartConfiguration: () => smartConfiguration(discovery),
    capabilitySecurity: () => capabilitySecurity(discovery),
  };
}

function once<T>(make: () => T): () => T {
  let value: T | undefined;
  return () => (value ??= make());
}
