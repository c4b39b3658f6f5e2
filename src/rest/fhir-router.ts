import express, { type Request, type Response } from 'express';
import { randomUUID } from 'node:crypto';
import { errorResponse, handle } from '../core/handle';
import { findInteraction } from '../core/interactions/table';
import { parseRoute } from '../core/route';
import type { Context, FhirRequest, FhirResponse } from '../core/types';
import { FhirError } from '../fhir/errors';
import type { Logger } from '../log';
import type { Metrics } from '../metrics';
import { parseBody } from './body';
import { negotiate } from './negotiate';

/**
 * The express adapter for the FHIR endpoint: turn an HTTP request into a core request, call the core, write the
 * response. No FHIR logic lives here.
 */
export interface RouterDeps {
  ctx: Context;
  log: Logger;
  metrics: Metrics;
  maxBodyBytes: number;
}

const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE']);

export function fhirRouter(deps: RouterDeps): express.Router {
  const router = express.Router();
  router.use(express.raw({ type: () => true, limit: deps.maxBodyBytes }));
  router.use(async function fhirEndpoint(req: Request, res: Response) {
    const started = process.hrtime.bigint();
    const pretty = queryValue(req, '_pretty') === 'true';
    let response: FhirResponse;
    try {
      negotiate(queryValue(req, '_format'), req.get('accept'));
      response = await handle(toFhirRequest(req), deps.ctx);
    } catch (err) {
      response = errorResponse(err);
    }
    send(res, response, pretty);
    observe(deps, req, res, response, started);
  });
  router.use(function bodyErrors(err: unknown, req: Request, res: Response, _next: express.NextFunction) {
    const e = err as { type?: string; status?: number };
    const fhirErr = e.type === 'entity.too.large'
      ? new FhirError('too-large', `The body is larger than ${deps.maxBodyBytes} bytes`)
      : new FhirError('invalid', 'The request body could not be read');
    const response = errorResponse(fhirErr);
    send(res, response, false);
    observe(deps, req, res, response, process.hrtime.bigint());
  });
  return router;
}

function toFhirRequest(req: Request): FhirRequest {
  if (!METHODS.has(req.method)) throw new FhirError('method', `${req.method} is not a FHIR method`);
  const url = new URL(req.originalUrl, 'http://localhost');
  const headers: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(req.headers)) headers[k] = Array.isArray(v) ? v.join(', ') : v;
  return {
    method: req.method as FhirRequest['method'],
    path: req.path.replace(/^\/+/, ''),
    query: [...url.searchParams.entries()],
    headers,
    ...parseBody(Buffer.isBuffer(req.body) ? req.body : undefined, req.get('content-type')),
  };
}

function queryValue(req: Request, name: string): string | undefined {
  return new URL(req.originalUrl, 'http://localhost').searchParams.get(name) ?? undefined;
}

function send(res: Response, r: FhirResponse, pretty: boolean): void {
  res.status(r.status);
  for (const [k, v] of Object.entries(r.headers)) res.setHeader(k, v);
  if (r.body === undefined || r.status === 304) {
    res.end();
    return;
  }
  res.setHeader('Content-Type', 'application/fhir+json; charset=utf-8');
  res.send(pretty ? JSON.stringify(r.body, null, 2) : JSON.stringify(r.body));
}

function observe(deps: RouterDeps, req: Request, res: Response, r: FhirResponse, started: bigint): void {
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const interaction = interactionLabel(req);
  deps.metrics.recordRequest(interaction, r.status, seconds);
  const fields = { requestId: res.getHeader('X-Request-Id'), method: req.method, interaction, status: r.status, ms: Math.round(seconds * 1000) };
  if (r.internalError) deps.log.error('request failed', { ...fields, error: describe(r.internalError) });
  else deps.log.info('request', fields);
}

/** A label without ids or query values, so metrics and logs never carry patient data. */
function interactionLabel(req: Request): string {
  try {
    const route = parseRoute(req.path);
    if (route.target?.startsWith('$')) return `operation:${route.target}`;
    return findInteraction(req.method as FhirRequest['method'], route)?.code ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

function describe(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}\n${err.stack ?? ''}` : String(err);
}

export function requestId(req: Request, res: Response, next: express.NextFunction): void {
  const given = req.get('x-request-id');
  res.setHeader('X-Request-Id', given && /^[A-Za-z0-9._-]{1,128}$/.test(given) ? given : randomUUID());
  next();
}
