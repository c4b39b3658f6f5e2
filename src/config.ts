/**
 * The one typed configuration, read from the environment (and CLI flags that override it) once, at start, and
 * validated then: nothing else reads process.env.
 */
export interface Config {
  port: number;
  host: string;
  /** `sqlite:<path>`, `sqlite::memory:`, or `mongodb://host:port/db` (docs/store-mongo.md). */
  storeUrl: string;
  /** Public base of the FHIR endpoint (fullUrl, Location, links), without trailing slash. */
  baseUrl: string;
  logLevel: LogLevel;
  /** Largest accepted request body in bytes. */
  maxBodyBytes: number;
  maxConditionalDeletes: number;
  maxBundleEntries: number;
  /** SQLite durability: NORMAL survives a killed process, FULL also survives power loss. */
  sqliteSynchronous: 'NORMAL' | 'FULL';
  /** `off`: no authentication, allowed on a loopback host only; `smart`: SMART on FHIR bearer tokens (docs/security.md). */
  authMode: 'off' | 'smart';
  /** An external token issuer trusted besides the server's own (its `iss`); needs `authJwks`. */
  authIssuer?: string;
  /** The external issuer's keys: a JWKS file path or an http(s) URL. */
  authJwks?: string;
  /** The `aud` every access token must carry; the base URL when unset. */
  authAudience?: string;
  /** The registered clients file (JSON, see docs/security.md). */
  authClients?: string;
  /** The server's token signing key: PEM text or a PEM file path; generated into the data directory when unset. */
  authSigningKey?: string;
  /** The key of research pseudonyms (HMAC); at least 32 characters. */
  pseudonymKey?: string;
  /** Requests per second per client with a burst allowance; undefined when unlimited. */
  rateLimit?: { perSecond: number; burst: number };
  /** Origins browser apps may call from (CORS); `*` for any; empty for none. */
  corsOrigins: string[];
  /** An AuditEvent per authenticated FHIR interaction (AUDIT=on|off; on by default with AUTH=smart). */
  audit: boolean;
}

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

const LOG_LEVELS: LogLevel[] = ['debug', 'info', 'warn', 'error', 'silent'];

/** Flag names are the env names in lower case with dashes: `--store-url`, `--port`. */
export function loadConfig(env: Record<string, string | undefined>, flags: Record<string, string> = {}): Config {
  const get = (name: string): string | undefined => flags[name.toLowerCase().replace(/_/g, '-')] ?? env[name];
  const port = integer('PORT', get('PORT') ?? '8080', 0, 65535);
  const host = get('HOST') ?? '127.0.0.1';
  const baseUrl = (get('BASE_URL') ?? `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}/fhir`).replace(/\/+$/, '');
  if (!/^https?:\/\/[^\s]+$/.test(baseUrl)) throw new Error(`BASE_URL must be an http(s) URL, got '${baseUrl}'`);
  const logLevel = (get('LOG_LEVEL') ?? 'info') as LogLevel;
  if (!LOG_LEVELS.includes(logLevel)) throw new Error(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}`);
  const storeUrl = get('STORE_URL') ?? 'sqlite:./data/region-fhir.db';
  if (!/^(sqlite:|mongodb(\+srv)?:\/\/)/.test(storeUrl)) throw new Error(`STORE_URL must start with sqlite: or mongodb://, got '${storeUrl}'`);
  const sync = (get('SQLITE_SYNCHRONOUS') ?? 'NORMAL').toUpperCase();
  if (sync !== 'NORMAL' && sync !== 'FULL') throw new Error('SQLITE_SYNCHRONOUS must be NORMAL or FULL');
  return {
    port,
    host,
    storeUrl,
    baseUrl,
    logLevel,
    maxBodyBytes: integer('MAX_BODY_BYTES', get('MAX_BODY_BYTES') ?? String(32 * 1024 * 1024), 1024, 1024 ** 3),
    maxConditionalDeletes: integer('MAX_CONDITIONAL_DELETES', get('MAX_CONDITIONAL_DELETES') ?? '100', 1, 100000),
    maxBundleEntries: integer('MAX_BUNDLE_ENTRIES', get('MAX_BUNDLE_ENTRIES') ?? '10000', 1, 1000000),
    sqliteSynchronous: sync,
    ...authSettings(get),
    audit: onOff('AUDIT', get('AUDIT'), (get('AUTH') ?? 'off').toLowerCase() === 'smart'),
  };
}

type AuthSettings = Pick<Config, 'authMode' | 'authIssuer' | 'authJwks' | 'authAudience' | 'authClients' | 'authSigningKey'
  | 'pseudonymKey' | 'rateLimit' | 'corsOrigins'>;

function authSettings(get: (name: string) => string | undefined): AuthSettings {
  const authMode = (get('AUTH') ?? 'off').toLowerCase();
  if (authMode !== 'off' && authMode !== 'smart') throw new Error(`AUTH must be off or smart, got '${authMode}'`);
  const authIssuer = get('AUTH_ISSUER') || undefined;
  const authJwks = get('AUTH_JWKS') || undefined;
  if (authIssuer && !authJwks) throw new Error('AUTH_ISSUER needs AUTH_JWKS (the issuer\'s keys: a file path or an http(s) URL)');
  if (authJwks && !authIssuer) throw new Error('AUTH_JWKS needs AUTH_ISSUER (the issuer whose keys they are)');
  const pseudonymKey = get('PSEUDONYM_KEY') || undefined;
  if (pseudonymKey !== undefined && pseudonymKey.length < 32) throw new Error('PSEUDONYM_KEY must be at least 32 characters');
  return {
    authMode,
    authIssuer,
    authJwks,
    authAudience: get('AUTH_AUDIENCE')?.replace(/\/+$/, '') || undefined,
    authClients: get('AUTH_CLIENTS') || undefined,
    authSigningKey: get('AUTH_SIGNING_KEY') || undefined,
    pseudonymKey,
    rateLimit: rateLimit(get('RATE_LIMIT')),
    corsOrigins: corsOrigins(get('CORS_ORIGINS')),
  };
}

/** `RATE_LIMIT=50` (50 requests/s, bursts of 100) or `RATE_LIMIT=50:200`; `0` or unset: unlimited. */
function rateLimit(raw: string | undefined): Config['rateLimit'] {
  if (!raw || raw === '0') return undefined;
  const m = /^(\d+(?:\.\d+)?)(?::(\d+))?$/.exec(raw);
  const perSecond = m ? Number(m[1]) : NaN;
  const burst = m?.[2] !== undefined ? Number(m[2]) : Math.max(1, Math.ceil(perSecond * 2));
  if (!m || !(perSecond > 0) || burst < 1) throw new Error(`RATE_LIMIT must be <requests per second>[:<burst>], got '${raw}'`);
  return { perSecond, burst };
}

function corsOrigins(raw: string | undefined): string[] {
  const origins = (raw ?? '').split(',').map((o) => o.trim().replace(/\/+$/, '')).filter(Boolean);
  for (const o of origins) {
    if (o !== '*' && !/^https?:\/\/[^/\s]+$/.test(o)) throw new Error(`CORS_ORIGINS must list origins (scheme://host[:port]) or *, got '${o}'`);
  }
  return origins;
}

function onOff(name: string, raw: string | undefined, fallback: boolean): boolean {
  if (raw === undefined || raw === '') return fallback;
  if (raw === 'on' || raw === 'off') return raw === 'on';
  throw new Error(`${name} must be on or off, got '${raw}'`);
}

function integer(name: string, raw: string, min: number, max: number): number {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) throw new Error(`${name} must be an integer from ${min} to ${max}, got '${raw}'`);
  return n;
}

/** A config for tests: in-memory store, silent logs; override what the test needs. */
export function testConfig(overrides: Partial<Config> = {}): Config {
  return { ...loadConfig({ STORE_URL: 'sqlite::memory:', LOG_LEVEL: 'silent' }), ...overrides };
}
