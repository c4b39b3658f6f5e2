import { FhirError } from '../fhir/errors';
import { errorResponse } from './error-response';
import { findOperation } from '../operations/registry';
import { allowedMethods, findInteraction } from './interactions/table';
import { parseRoute, type Route } from './route';
import type { Context, FhirRequest, FhirResponse } from './types';

/**
 * The core's single entry point: a FHIR request in, a FHIR response out, never a thrown error. The HTTP adapter,
 * batch/transaction entries and tests all come through here.
 */
export async function handle(req: FhirRequest, ctx: Context): Promise<FhirResponse> {
  let label = 'unknown';
  let res: FhirResponse;
  try {
    const route = parseRoute(req.path);
    if (route.target?.startsWith('$')) {
      label = `operation:${route.target}`;
      res = await runOperation(req, route, ctx);
    } else {
      const interaction = findInteraction(req.method, route);
      if (!interaction) throw methodNotAllowed(req, route);
      label = interaction.code;
      res = await interaction.handler(req, route, ctx, handle);
    }
    if (req.method === 'HEAD') res = { status: res.status, headers: res.headers };
  } catch (err) {
    res = errorResponse(err);
  }
  res.interaction = label;
  return res;
}

async function runOperation(req: FhirRequest, route: Route, ctx: Context): Promise<FhirResponse> {
  const code = route.target!.slice(1);
  const level = route.level === 'version' || route.level === 'compartment' ? 'instance' : route.level;
  const op = findOperation(code, level);
  if (!op) throw new FhirError('not-found', `Unknown operation '$${code}' at ${level} level`);
  if (op.resourceTypes !== 'all' && route.type && !op.resourceTypes.includes(route.type)) {
    throw new FhirError('not-found', `Operation '$${code}' is not defined for ${route.type}`);
  }
  // https://hl7.org/fhir/R4/operations.html#executing: an operation that changes state must be a POST.
  if (op.definition.affectsState && req.method !== 'POST') {
    throw new FhirError('method', `$${code} changes the server's state; use POST`);
  }
  return op.handler(req, route, ctx);
}

function methodNotAllowed(req: FhirRequest, route: Route): FhirError {
  const allowed = allowedMethods(route);
  const err = new FhirError('method', `${req.method} is not allowed here; allowed: ${allowed.join(', ') || 'none'}`);
  return err;
}

export { errorResponse };
