import express from 'express';
import helmet from 'helmet';
import type { Config } from './config';
import type { Context } from './core/types';
import { createLogger, type Logger } from './log';
import { Metrics } from './metrics';
import { fhirRouter, requestId } from './rest/fhir-router';
import { timedStore } from './store/timed';
import type { Store } from './store/types';

export interface App {
  express: express.Express;
  ctx: Context;
  log: Logger;
  metrics: Metrics;
}

/** Builds an app from a config and an opened store: no globals, so tests build as many as they like. */
export function createApp(config: Config, store: Store, log: Logger = createLogger(config.logLevel)): App {
  const metrics = new Metrics();
  const ctx: Context = {
    store: timedStore(store, metrics),
    config: { baseUrl: config.baseUrl, maxConditionalDeletes: config.maxConditionalDeletes, maxBundleEntries: config.maxBundleEntries },
  };
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.use(helmet());
  app.use(requestId);
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
  app.use('/fhir', fhirRouter({ ctx, log, metrics, maxBodyBytes: config.maxBodyBytes }));
  app.use(function notFound(_req, res) {
    res.status(404).type('application/fhir+json').send(JSON.stringify({
      resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'not-found', diagnostics: 'Not a FHIR endpoint; the FHIR base is /fhir' }],
    }));
  });
  return { express: app, ctx, log, metrics };
}
