import { offAccessContext, type AccessContext } from './access-context';
import { throttled } from './auth-errors';
import type { Authenticator } from './authenticator';
import type { RateLimiter } from './rate-limiter';

/**
 * The one call the HTTP layer makes per FHIR request: who is calling (a verified token, or nobody with AUTH=off)
 * and whether they are within their rate limit. Rejects with a FhirError: 401 (with WWW-Authenticate) or 429 (with
 * Retry-After). An authenticated caller is limited by its client_id, anyone else by remote address; a caller whose
 * token fails is counted against its address, so guessing tokens is limited too.
 */
export class AccessGate {
  constructor(
    private readonly mode: 'off' | 'smart',
    private readonly authenticator: Authenticator,
    private readonly limiter?: RateLimiter,
  ) {}

  async admit(authorization: string | undefined, remoteAddress: string | undefined): Promise<AccessContext> {
    if (this.mode === 'off') {
      this.limit(`addr:${remoteAddress ?? ''}`);
      return offAccessContext();
    }
    let context: AccessContext;
    try {
      context = await this.authenticator.authenticate(authorization);
    } catch (err) {
      this.limit(`addr:${remoteAddress ?? ''}`);
      throw err;
    }
    this.limit(context.clientId ? `client:${context.clientId}` : `sub:${context.subject ?? ''}@${remoteAddress ?? ''}`);
    return context;
  }

  /** Throws 429 when `key` is over its limit. */
  limit(key: string): void {
    const wait = this.limiter?.take(key) ?? 0;
    if (wait > 0) throw throttled(wait);
  }
}
