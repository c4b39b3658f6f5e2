import express from 'express';
import helmet from 'helmet';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { offAccessContext, type AccessContext } from './access/access-context';
import { auditEventOf, resourcesOf } from './access/audit-event';
import { AuditTrail } from './access/audit-trail';
import { createAccessServices, type AccessServices } from './access/access-services';
import { authRouter } from './access/auth-routes';
import { SMART_CONFIGURATION_PATH } from './access/auth-urls';
import type { Config } from './config';
import type { Context } from './core/types';
import { createLogger, type Logger } from './log';
import { Metrics } from './metrics';
import { fhirHttpHandler, requestIdOf, type FhirHttpDeps } from './rest/fhir-http';
import { IndexExtractor } from './search/extract';
import { timedStore } from './store/timed';
import type { Store } from './store/types';

export interface App {
  /** The request listener for node:http (and for supertest): the FHIR endpoint, and express for the rest. */
  handler: (req: IncomingMessage, res: ServerResponse) => void;
  express: express.Express;
  ctx: Context;
  log: Logger;
  metrics: Metrics;
  /** Authentication and its endpoints: `access.gate.admit(authorization, address)` per FHIR request. */
  access: AccessServices;
}

const FHIR_MOUNT = '/fhir';

export interface AppOptions {
  /**
   * Who calls, from a request's Authorization header. Every caller has full access when it is not given (AUTH=off,
   * loopback only); tests give their own to exercise access control without an issuer.
   */
  authenticate?: (authorization: string | undefined, remoteAddress?: string) => Promise<AccessContext>;
  /** Record an AuditEvent for every authenticated FHIR interaction (src/access/audit-trail.ts). */
  audit?: boolean;
}

/** Builds an app from a config and an opened store: no globals, so tests build as many as they like. */
export function createApp(config: Config, store: Store, log: Logger = createLogger(config.logLevel), options: AppOptions = {}): App {
  const metrics = new Metrics();
  const access = createAccessServices(config);
  const ctx: Context = {
    store: timedStore(store, metrics),
    config: {
      baseUrl: config.baseUrl, maxConditionalDeletes: config.maxConditionalDeletes, maxBundleEntries: config.maxBundleEntries,
      security: access.capabilitySecurity(),
    },
    // Includes follow the references of the parameters searches use.
    extractor: new IndexExtractor({ parameters: () => store.searchParameters() }),
  };
  // AUTH=smart: every FHIR request needs a valid token and stays within its client's rate limit (docs/security.md).
  const authenticate = options.authenticate
    ?? (config.authMode === 'smart' ? (authorization, address) => access.gate.admit(authorization, address) : async () => offAccessContext());
  const audit = (options.audit ?? config.audit) ? auditRecorder(ctx) : undefined;
  const fhir = fhirHttpHandler({ ctx, log, metrics, maxBodyBytes: config.maxBodyBytes, mount: FHIR_MOUNT, authenticate, audit });
  const app = operationalApp(store, metrics, authRouter(access, FHIR_MOUNT, log));
  const smartConfiguration = `${FHIR_MOUNT}${SMART_CONFIGURATION_PATH}`;
  const handler = function dispatch(req: IncomingMessage, res: ServerResponse): void {
    // CORS first: a browser's preflight is answered here, whatever the path.
    if (access.cors.apply(req, res)) return;
    const url = req.url ?? '/';
    const isFhir = url === FHIR_MOUNT || url.startsWith(`${FHIR_MOUNT}/`) || url.startsWith(`${FHIR_MOUNT}?`);
    if (isFhir && !url.startsWith(smartConfiguration)) fhir(req, res);
    else app(req, res);
  };
  return { handler, express: app, ctx, log, metrics, access };
}

/** AuditEvents of FHIR interactions, written through the app's own store, whoever the caller. */
function auditRecorder(ctx: Context): NonNullable<FhirHttpDeps['audit']> {
  const trail = new AuditTrail(ctx.store);
  return ({ request, response, access }) => trail.record(auditEventOf({
    interaction: response.interaction ?? 'unknown', method: request.method, path: request.path, query: request.query,
    status: response.status, resources: resourcesOf(response.body), access, recorded: new Date().toISOString(),
  }, ctx.extractor));
}

/** Everything outside the FHIR base: health, readiness, metrics, and a FHIR-shaped 404. */
function operationalApp(store: Store, metrics: Metrics, auth: express.Router): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.use(helmet());
  app.use(function requestId(req, res, next) {
    res.setHeader('X-Request-Id', requestIdOf(req));
    next();
  });
  app.get('/healthz', function healthz(_req, res) {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', async function readyz(_req, res) {
    const ready = await store.ready().catch(() => false);
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'unavailable' });
  });
  app.get('/metrics', function metricsEndpoint(_req, res) {
    res.type('text/plain; version=0.0.4').send(metrics.render());
  });
  app.use(auth);
  app.use(function notFound(_req, res) {
    res.status(404).type('application/fhir+json').send(JSON.stringify({
      resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'not-found', diagnostics: `Not a FHIR endpoint; the FHIR base is ${FHIR_MOUNT}` }],
    }));
  });
  return app;
}
