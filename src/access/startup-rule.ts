import net from 'node:net';
import type { Config } from '../config';
import type { Logger } from '../log';

/**
 * Whether the server may start with this authentication setting: AUTH=off is for a developer's own machine, so it
 * is allowed only on a loopback address, unless the operator says `--insecure-no-auth` in so many words. Returns
 * the reason to refuse, or undefined (after warning, when authentication is off).
 */
export function authStartupRefusal(config: Config, insecureNoAuth: boolean, log: Logger): string | undefined {
  if (config.authMode === 'smart') return undefined;
  const loopback = isLoopback(config.host);
  if (!loopback && !insecureNoAuth) {
    return `AUTH=off is allowed only on a loopback address, not on '${config.host}': set AUTH=smart (docs/security.md), ` +
      'or start with --insecure-no-auth to serve every caller without authentication';
  }
  log.warn('AUTHENTICATION IS OFF: every caller has full access to all data', {
    host: config.host, loopback, insecureNoAuth, hint: 'set AUTH=smart (docs/security.md)',
  });
  return undefined;
}

export function isLoopback(host: string): boolean {
  if (host === 'localhost' || host === '::1' || host === '[::1]') return true;
  if (net.isIPv4(host)) return host.startsWith('127.');
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(host);
  return mapped !== null && mapped[1].startsWith('127.');
}
