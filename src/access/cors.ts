import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * CORS for browser SMART apps (https://fetch.spec.whatwg.org/#http-cors-protocol). Only origins in `CORS_ORIGINS`
 * (or any, with `*`) get the headers; tokens travel in the Authorization header, never in cookies, so credentials
 * mode is not needed and `*` is safe to answer.
 */
const ALLOWED_METHODS = 'GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS';
const ALLOWED_HEADERS = 'Authorization, Content-Type, Accept, If-Match, If-None-Match, If-None-Exist, If-Modified-Since, Prefer, X-Request-Id';
const EXPOSED_HEADERS = 'Location, Content-Location, ETag, Last-Modified, X-Request-Id, WWW-Authenticate, Retry-After';
const MAX_AGE_S = '600';

export class CorsPolicy {
  private readonly any: boolean;
  private readonly origins: ReadonlySet<string>;

  constructor(origins: readonly string[]) {
    this.any = origins.includes('*');
    this.origins = new Set(origins);
  }

  get enabled(): boolean {
    return this.any || this.origins.size > 0;
  }

  /**
   * Adds the CORS headers an allowed origin needs to `res`; answers a preflight itself (204 when allowed, 403 when
   * not) and then returns true, so the caller stops there.
   */
  apply(req: IncomingMessage, res: ServerResponse): boolean {
    if (!this.enabled) return false;
    const origin = req.headers.origin;
    const preflight = req.method === 'OPTIONS' && origin !== undefined && req.headers['access-control-request-method'] !== undefined;
    const allowed = origin !== undefined && (this.any || this.origins.has(origin));
    if (allowed) {
      res.setHeader('Access-Control-Allow-Origin', this.any ? '*' : origin);
      if (!this.any) res.setHeader('Vary', 'Origin');
      res.setHeader('Access-Control-Expose-Headers', EXPOSED_HEADERS);
    }
    if (!preflight) return false;
    if (allowed) {
      res.setHeader('Access-Control-Allow-Methods', ALLOWED_METHODS);
      res.setHeader('Access-Control-Allow-Headers', ALLOWED_HEADERS);
      res.setHeader('Access-Control-Max-Age', MAX_AGE_S);
    }
    res.writeHead(allowed ? 204 : 403).end();
    return true;
  }
}
