'use strict';
// The container's health probe (Dockerfile HEALTHCHECK and the compose files): exits 0 when GET /healthz answers 200
// in time, 1 otherwise. Node makes the request itself, so the image needs no curl.
const http = require('node:http');

const TIMEOUT_MS = 3000;

/** The listen address, or loopback when the server listens on every interface. */
function probeHost(host) {
  if (!host || host === '0.0.0.0' || host === '::' || host === '[::]') return '127.0.0.1';
  return host.replace(/^\[(.*)\]$/, '$1');
}

function fail(reason) {
  process.stderr.write(`healthcheck: ${reason}\n`);
  process.exit(1);
}

const request = http.get({ host: probeHost(process.env.HOST), port: Number(process.env.PORT) || 8080, path: '/healthz', timeout: TIMEOUT_MS }, (res) => {
  res.resume();
  if (res.statusCode === 200) process.exit(0);
  fail(`/healthz answered ${res.statusCode}`);
});
request.on('timeout', () => request.destroy(new Error(`no answer within ${TIMEOUT_MS} ms`)));
request.on('error', (err) => fail(err.message));
