import http from 'node:http';
import { createApp } from './app';
import { loadConfig, type Config } from './config';
import { createLogger } from './log';
import { openStore } from './store/open';
import { validateResource } from './fhir/validate';
import { seedCommand, SEED_USAGE } from './cli/seed';
import { clientCommand, CLIENT_USAGE } from './cli/client';
import { authStartupRefusal } from './access/startup-rule';

/** The `region-fhir` CLI. Commands: serve, seed (more arrive with their issues: ingest, import, export). */
const USAGE = `usage: region-fhir <command> [--flag value ...]
commands:
  serve      serve the FHIR API (flags: --port --host --store-url --base-url --log-level --max-body-bytes --auth ...;
             --insecure-no-auth to serve without authentication on a non-loopback host)
${SEED_USAGE}
${CLIENT_USAGE}
flags override the environment variables of the same name (PORT, HOST, STORE_URL, BASE_URL, LOG_LEVEL, ...)`;

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === '--help' || command === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return command ? 0 : 2;
  }
  // seed has flags of its own (--store takes no value), so it parses its arguments itself.
  if (command === 'seed') return seedCommand(rest, process.env);
  if (command === 'client') return clientCommand(rest, process.env);
  // The one flag without a value: serving without authentication on a non-loopback address must be said explicitly.
  const insecureNoAuth = rest.includes('--insecure-no-auth');
  let config: Config;
  try {
    config = loadConfig(process.env, parseFlags(rest.filter((arg) => arg !== '--insecure-no-auth')));
  } catch (err) {
    process.stderr.write(`region-fhir: ${(err as Error).message}\n`);
    return 2;
  }
  if (command === 'serve') return serve(config, insecureNoAuth);
  process.stderr.write(`region-fhir: unknown command '${command}'\n${USAGE}\n`);
  return 2;
}

function parseFlags(args: string[]): Record<string, string> {
  const flags: Record<string, string> = {};
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (!arg.startsWith('--')) throw new Error(`unexpected argument '${arg}'`);
    const eq = arg.indexOf('=');
    if (eq > 0) flags[arg.slice(2, eq)] = arg.slice(eq + 1);
    else if (i + 1 < args.length) flags[arg.slice(2)] = args[++i];
    else throw new Error(`flag ${arg} needs a value`);
  }
  return flags;
}

async function serve(initial: Config, insecureNoAuth: boolean): Promise<number> {
  const log = createLogger(initial.logLevel);
  const refusal = authStartupRefusal(initial, insecureNoAuth, log);
  if (refusal) {
    process.stderr.write(`region-fhir: ${refusal}\n`);
    return 2;
  }
  const store = await openStore(initial);
  warmUp();
  const server = http.createServer();
  server.keepAliveTimeout = 65_000;
  const startDraining = closeConnectionsWhenDraining(server);
  await new Promise<void>((resolve) => server.listen(initial.port, initial.host, resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : initial.port;
  // With --port 0 the default base URL can only name the port once it is bound.
  const config = initial.port === 0 ? { ...initial, baseUrl: initial.baseUrl.replace(/:0(\/|$)/, `:${port}$1`) } : initial;
  server.on('request', createApp(config, store, log).handler);
  log.info('listening', { host: config.host, port, base: config.baseUrl, store: config.storeUrl.split(':')[0] });
  return new Promise<number>((resolve) => {
    const stop = (signal: string) => {
      log.info('shutting down', { signal });
      // Stop accepting, let in-flight requests finish, then close the store so the database is left clean.
      server.close(async () => {
        await store.close();
        log.info('stopped');
        resolve(0);
      });
      startDraining();
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
}

/** Compiles the validator before the first request, so that request does not stall the event loop for a second. */
function warmUp(): void {
  validateResource({ resourceType: 'Patient' });
}

/**
 * A keep-alive client would hold a stopping server open until keepAliveTimeout (65 s): once draining, every answer
 * not yet started says `Connection: close`, and a connection left idle by a finished answer is closed.
 */
function closeConnectionsWhenDraining(server: http.Server): () => void {
  let draining = false;
  const open = new Set<http.ServerResponse>();
  server.on('request', function trackAnswer(_req: http.IncomingMessage, res: http.ServerResponse) {
    if (draining) res.setHeader('Connection', 'close');
    open.add(res);
    res.once('close', () => {
      open.delete(res);
      if (draining) server.closeIdleConnections();
    });
  });
  return function startDraining() {
    draining = true;
    for (const res of open) if (!res.headersSent) res.setHeader('Connection', 'close');
    server.closeIdleConnections();
  };
}

if (require.main === module) {
  main(process.argv.slice(2)).then((code) => process.exit(code), (err) => {
    process.stderr.write(`region-fhir: ${(err as Error).message}\n`);
    process.exit(1);
  });
}
