/**
 * The one typed configuration, read from the environment (and CLI flags that override it) once, at start, and
 * validated then: nothing else reads process.env.
 */
export interface Config {
  port: number;
  host: string;
  /** `sqlite:<path>`, `sqlite::memory:`; `mongodb://…` arrives with the MongoDB adapter. */
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
  };
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
