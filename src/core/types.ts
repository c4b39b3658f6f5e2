import type { CapabilityStatementRestSecurity, FhirResource } from 'fhir/r4';
import type { AccessContext } from '../access/access-context';
import type { IndexExtractor } from '../search/extract';
import type { Store } from '../store/types';

/**
 * The core's own request and response: no HTTP library types. The express adapter, batch/transaction entries and
 * tests all build these and call `handle` (src/core/handle.ts).
 */
export interface FhirRequest {
  method: 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Path below the FHIR base, without leading slash: `Patient/1/_history/2`, `metadata`, `` for the base. */
  path: string;
  query: Array<[string, string]>;
  /** Header names in lower case. */
  headers: Record<string, string | undefined>;
  /** Parsed JSON body, if any. */
  body?: unknown;
  /** What the body is: a FHIR resource, a JSON Patch document, or form-encoded search parameters. */
  bodyKind?: 'resource' | 'json-patch' | 'form';
}

export interface FhirResponse {
  status: number;
  headers: Record<string, string>;
  body?: FhirResource;
  /**
   * The body already serialized (a stored resource sent as stored), so the adapter need not parse and re-serialize
   * it. When set, it is the JSON of `body`.
   */
  bodyJson?: string;
  /** Which interaction or operation answered, for metrics and logs (never ids or values). */
  interaction?: string;
  /** An unexpected error behind a 500, for the adapter to log with the request id; never sent to the client. */
  internalError?: unknown;
}

export interface CoreConfig {
  /** Public base URL of the FHIR endpoint, without trailing slash (used in fullUrl, Location, links). */
  baseUrl: string;
  /** The most resources one conditional delete may remove. */
  maxConditionalDeletes: number;
  /** The most entries one batch or transaction may hold. */
  maxBundleEntries: number;
  /** CapabilityStatement.rest.security: how clients authenticate (SMART on FHIR), or that nobody needs to. */
  security?: CapabilityStatementRestSecurity;
}

/** What every interaction gets: passed down explicitly, never reached for. */
export interface Context {
  store: Store;
  config: CoreConfig;
  /** Search values of a resource (for _include); the same extraction the store indexes with. */
  extractor: IndexExtractor;
  /**
   * Who is calling (set per request by src/access/request-context.ts, whose `store` then enforces it); for audit and
   * for operations that shape their answer by role. Absent in the app-wide context.
   */
  access?: AccessContext;
}
