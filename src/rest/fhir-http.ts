import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import { errorResponse, handle } from '../core/handle';
import type { AccessContext } from '../access/access-context';
import { requestContext } from '../access/request-context';
import type { Context, FhirRequest, FhirResponse } from '../core/types';
import { FhirError } from '../fhir/errors';
import type { Logger } from '../log';
import type { Metrics } from '../metrics';
import { parseBody } from './body';
import { stringifyFhirJson } from '../fhir/json';
import { negotiate } from './negotiate';
import { securityHeaders } from './security-headers';

/**
 * The HTTP adapter for the FHIR endpoint, on node:http directly: parse the URL once, read the body with a size
 * limit, call the core, write one head and one body. Express serves the other endpoints; on this path its router
 * and per-request middleware cost more than a whole read (see bench/crud.ts), so the FHIR path does without them.
 */
export interface FhirHttpDeps {
  ctx: Context;
  log: Logger;
  metrics: Metrics;
  maxBodyBytes: number;
  /** URL path prefix of the FHIR base, e.g. `/fhir`. */
  mount: string;
  /** The caller of a request from its Authorization header; rejects with a 401 FhirError. */
  authenticate: (authorization: string | undefined, remoteAddress?: string) => Promise<AccessContext>;
  /** Records who accessed what (src/access/audit-trail.ts); the answer waits for it. */
  audit?: (exchange: { request: FhirRequest; response: FhirResponse; access: AccessContext }) => Promise<void>;
}

/** Paths below the base any client may read before it has a token: https://hl7.org/fhir/smart-app-launch/conformance.html */
const PUBLIC_PATHS = new Set(['metadata', '.well-known/smart-configuration']);

const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE']);

export function fhirHttpHandler(deps: FhirHttpDeps): (req: IncomingMessage, res: ServerResponse) => void {
  const security = securityHeaders();
  return function fhirEndpoint(req, res) {
    const started = process.hrtime.bigint();
    const requestId = requestIdOf(req);
    const url = splitUrl(req.url ?? '/', deps.mount);
    const pretty = url.query.get('_pretty') === 'true';
    // The caller is known before the body is read, so an unauthenticated client cannot make the server buffer one.
    const isPublic = req.method === 'GET' && PUBLIC_PATHS.has(url.path);
    (isPublic ? Promise.resolve(undefined) : deps.authenticate(req.headers.authorization, req.socket.remoteAddress))
      .then(async (access) => {
        const raw = await readBody(req, deps.maxBodyBytes);
        negotiate(url.query.get('_format') ?? undefined, req.headers.accept);
        const request = toFhirRequest(req, url, raw);
        const response = await handle(request, access ? requestContext(deps.ctx, access) : deps.ctx);
        if (access && deps.audit) await recordOrRefuse(deps.audit, { request, response, access });
        return response;
      })
      .catch((err: unknown) => errorResponse(err))
      .then((response) => {
        send(res, response, { ...security, 'X-Request-Id': requestId }, pretty);
        observe(deps, req.method ?? 'GET', requestId, response, started);
      })
      // Writing the answer can fail too (a socket gone, a body that cannot be serialized); an unhandled rejection
      // would end the process, so it is logged and the connection dropped instead.
      .catch((err: unknown) => {
        deps.log.error('response failed', { requestId, error: describe(err) });
        if (!res.headersSent) res.writeHead(500).end();
        else res.destroy();
      });
  };
}

/** An answer whose access cannot be recorded is not given: a 503, and nothing of the data leaves. */
async function recordOrRefuse(audit: NonNullable<FhirHttpDeps['audit']>, exchange: Parameters<NonNullable<FhirHttpDeps['audit']>>[0]): Promise<void> {
  try {
    await audit(exchange);
  } catch {
    throw new FhirError('unavailable', 'The access could not be recorded in the audit trail, so it was not answered; try again');
  }
}

interface SplitUrl {
  path: string;
  query: URLSearchParams;
}

function splitUrl(raw: string, mount: string): SplitUrl {
  const q = raw.indexOf('?');
  const pathname = q < 0 ? raw : raw.slice(0, q);
  return { path: pathname.slice(mount.length).replace(/^\/+/, ''), query: new URLSearchParams(q < 0 ? '' : raw.slice(q + 1)) };
}

function toFhirRequest(req: IncomingMessage, url: SplitUrl, raw: Buffer | undefined): FhirRequest {
  if (!METHODS.has(req.method ?? '')) throw new FhirError('method', `${req.method} is not a FHIR method`);
  const headers: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(req.headers)) headers[k] = Array.isArray(v) ? v.join(', ') : v;
  return {
    method: req.method as FhirRequest['method'],
    path: url.path,
    query: [...url.query],
    headers,
    ...parseBody(raw, req.headers['content-type']),
  };
}

/** The body, or undefined when there is none; 413 past the limit, before reading it when Content-Length says so. */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (req.method === 'GET' || req.method === 'HEAD') {
    if (!declared && !req.headers['transfer-encoding']) return Promise.resolve(undefined);
  }
  if (declared > limit) return Promise.reject(tooLarge(req, limit));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        reject(tooLarge(req, limit));
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(size === 0 ? undefined : Buffer.concat(chunks)));
    req.on('error', () => reject(new FhirError('invalid', 'The request body could not be read')));
  });
}

function tooLarge(req: IncomingMessage, limit: number): FhirError {
  // The rest of the body is not read: the connection closes after the answer.
  req.pause();
  (req as IncomingMessage & { tooLarge?: boolean }).tooLarge = true;
  return new FhirError('too-large', `The body is larger than ${limit} bytes`);
}

function send(res: ServerResponse, r: FhirResponse, base: Record<string, string>, pretty: boolean): void {
  const headers: Record<string, string | number> = { ...base, ...r.headers };
  const closing = (res.req as IncomingMessage & { tooLarge?: boolean }).tooLarge === true;
  if (closing) headers.Connection = 'close';
  // bodyJson first: `body` may be a getter that parses the stored JSON, which a plain read never needs.
  if (r.status === 304 || (r.bodyJson === undefined && r.body === undefined)) {
    res.writeHead(r.status, headers).end();
  } else {
    const text = r.bodyJson !== undefined && !pretty ? r.bodyJson : stringifyFhirJson(r.body, pretty ? 2 : undefined);
    headers['Content-Type'] = 'application/fhir+json; charset=utf-8';
    headers['Content-Length'] = Buffer.byteLength(text);
    res.writeHead(r.status, headers).end(text);
  }
  if (closing) res.once('finish', () => res.req.socket?.destroy());
}

function observe(deps: FhirHttpDeps, method: string, requestId: string, r: FhirResponse, started: bigint): void {
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const interaction = r.interaction ?? 'unknown';
  deps.metrics.recordRequest(interaction, r.status, seconds);
  const fields = { requestId, method, interaction, status: r.status, ms: Math.round(seconds * 1000) };
  if (r.internalError) deps.log.error('request failed', { ...fields, error: describe(r.internalError) });
  else deps.log.info('request', fields);
}

function describe(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}\n${err.stack ?? ''}` : String(err);
}

export function requestIdOf(req: IncomingMessage): string {
  const given = req.headers['x-request-id'];
  return typeof given === 'string' && /^[A-Za-z0-9._-]{1,128}$/.test(given) ? given : randomUUID();
}
