import express from 'express';
import type { Logger } from '../log';
import { OAuthError } from './auth-errors';
import { JWKS_PATH, SMART_CONFIGURATION_PATH, TOKEN_PATH } from './auth-urls';
import type { AccessServices } from './access-services';

/**
 * The authorization endpoints, on the express app beside the FHIR base: `POST /auth/token` (SMART Backend
 * Services), `GET /.well-known/jwks.json` (the server's public key) and `GET <fhir mount>/.well-known/smart-configuration`.
 * With AUTH=off none of them exists.
 */
const FORM_LIMIT = '16kb';

export function authRouter(access: AccessServices, fhirMount: string, log: Logger): express.Router {
  const router = express.Router();
  if (access.mode === 'off') return router;
  router.post(TOKEN_PATH, throttleByAddress(access), express.urlencoded({ extended: false, limit: FORM_LIMIT }), async function token(req, res, next) {
    try {
      if (!req.is('application/x-www-form-urlencoded') || !req.body) throw new OAuthError('invalid_request', 'the body must be application/x-www-form-urlencoded');
      res.set({ 'Cache-Control': 'no-store', Pragma: 'no-cache' }).json(await access.tokens.grant(req.body as Record<string, unknown>));
    } catch (err) {
      next(err);
    }
  });
  router.get(JWKS_PATH, function jwks(_req, res) {
    res.set('Cache-Control', 'public, max-age=300').json({ keys: [access.signingKey().publicJwk] });
  });
  router.get(`${fhirMount}${SMART_CONFIGURATION_PATH}`, function smartConfiguration(_req, res) {
    res.set('Cache-Control', 'public, max-age=300').json(access.smartConfiguration());
  });
  router.use(TOKEN_PATH, oauthErrors(log));
  return router;
}

/** Token requests cost a signature check each: limited by remote address before anything is parsed. */
function throttleByAddress(access: AccessServices): express.RequestHandler {
  return function throttle(req, res, next) {
    const wait = access.limiter?.take(`token:${req.socket.remoteAddress ?? ''}`) ?? 0;
    if (wait === 0) return next();
    res.status(429).set({ 'Retry-After': String(wait), 'Cache-Control': 'no-store' })
      .json({ error: 'slow_down', error_description: `too many token requests; retry after ${wait} s` });
  };
}

/** Every failure of the token endpoint as an OAuth error body (RFC 6749 §5.2); nothing about the assertion is logged. */
function oauthErrors(log: Logger): express.ErrorRequestHandler {
  return function oauthError(err: unknown, _req, res, _next) {
    const parserStatus = (err as { status?: number; type?: string }).status;
    const known = err instanceof OAuthError || (parserStatus !== undefined && parserStatus < 500);
    if (!known) log.error('token endpoint failed', { error: err instanceof Error ? `${err.name}: ${err.message}` : 'unknown' });
    const e = err instanceof OAuthError ? err
      : parserStatus === 413 ? new OAuthError('invalid_request', `the body is larger than ${FORM_LIMIT}`)
        : known ? new OAuthError('invalid_request', 'the body could not be parsed')
          : new OAuthError('temporarily_unavailable', 'the token could not be issued');
    const status = parserStatus === 413 ? 413 : known ? e.status : 500;
    res.status(status).set({ 'Cache-Control': 'no-store', Pragma: 'no-cache' }).json(e.toJSON());
  };
}
