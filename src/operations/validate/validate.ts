import type { OperationDefinition, OperationOutcome, Parameters, Resource } from 'fhir/r4';
import { FhirError } from '../../fhir/errors';
import { validateResource } from '../../fhir/validate';
import type { Route } from '../../core/route';
import type { Context, FhirRequest, FhirResponse } from '../../core/types';
import type { Operation } from '../types';

/** $validate: https://hl7.org/fhir/R4/resource-operation-validate.html */
export const definition: OperationDefinition = {
  resourceType: 'OperationDefinition',
  id: 'Resource-validate',
  url: 'http://hl7.org/fhir/OperationDefinition/Resource-validate',
  name: 'Validate',
  status: 'active',
  kind: 'operation',
  code: 'validate',
  resource: ['Resource'],
  system: false,
  type: true,
  instance: true,
  parameter: [
    { name: 'resource', use: 'in', min: 0, max: '1', type: 'Resource' },
    { name: 'mode', use: 'in', min: 0, max: '1', type: 'code' },
    { name: 'profile', use: 'in', min: 0, max: '1', type: 'uri' },
    { name: 'return', use: 'out', min: 1, max: '1', type: 'OperationOutcome' },
  ],
};

type Mode = 'general' | 'create' | 'update' | 'delete';

interface Inputs {
  resource?: Resource;
  mode: Mode;
}

/** The body is either the resource itself or a Parameters with `resource` and `mode`. */
function parseInputs(req: FhirRequest): Inputs {
  const body = req.body as Resource | undefined;
  const queryMode = req.query.find(([k]) => k === 'mode')?.[1];
  if (body?.resourceType === 'Parameters') {
    const params = (body as Parameters).parameter ?? [];
    if (!Array.isArray(params) || !params.every((p) => p !== null && typeof p === 'object')) {
      throw new FhirError('invalid', { diagnostics: 'Parameters.parameter must be an array of parameters', expression: ['Parameters.parameter'] });
    }
    const resource = params.find((p) => p.name === 'resource')?.resource;
    const mode = params.find((p) => p.name === 'mode')?.valueCode ?? queryMode;
    return { resource, mode: checkMode(mode) };
  }
  return { resource: body, mode: checkMode(queryMode) };
}

function checkMode(mode: string | undefined): Mode {
  if (mode === undefined) return 'general';
  if (mode === 'create' || mode === 'update' || mode === 'delete') return mode;
  throw new FhirError('invalid', { diagnostics: `Unknown $validate mode '${mode}'`, expression: ['mode'] });
}

/** The work: validate as the write path would, plus the mode's rules about ids. */
export function validateFor(type: string, id: string | undefined, inputs: Inputs): OperationOutcome {
  if (inputs.mode === 'delete') {
    if (!id) throw new FhirError('invalid', 'mode=delete needs an instance ($validate on [type]/[id])');
    return allOk('The resource may be deleted');
  }
  if (!inputs.resource) throw new FhirError('invalid', 'No resource to validate');
  const issues = validateResource(inputs.resource, { expectedType: type });
  if (inputs.mode === 'update' && !inputs.resource.id) {
    issues.push({ severity: 'error', code: 'required', diagnostics: 'An update needs the resource id', expression: [`${type}.id`] });
  }
  if (inputs.mode === 'update' && id && inputs.resource.id && inputs.resource.id !== id) {
    issues.push({ severity: 'error', code: 'value', diagnostics: `The resource id does not match '${id}'`, expression: [`${type}.id`] });
  }
  return issues.length > 0 ? { resourceType: 'OperationOutcome', issue: issues } : allOk('Validation successful');
}

function allOk(text: string): OperationOutcome {
  return { resourceType: 'OperationOutcome', issue: [{ severity: 'information', code: 'informational', diagnostics: text }] };
}

async function validateHandler(req: FhirRequest, route: Route, ctx: Context): Promise<FhirResponse> {
  const inputs = parseInputs(req);
  if (route.id && !inputs.resource && inputs.mode !== 'delete') {
    const current = await ctx.store.read(route.type!, route.id);
    if (!current || current.deleted) throw new FhirError(current ? 'deleted' : 'not-found', `${route.type}/${route.id} not found`);
    inputs.resource = current.resource;
  }
  if (route.id && inputs.mode === 'delete') {
    const current = await ctx.store.read(route.type!, route.id);
    if (!current || current.deleted) throw new FhirError(current ? 'deleted' : 'not-found', `${route.type}/${route.id} not found`);
  }
  // The outcome is the answer whether or not the resource is valid, so the status is 200 either way.
  return { status: 200, headers: {}, body: validateFor(route.type!, route.id, inputs) };
}

export const validateOperation: Operation = { definition, resourceTypes: 'all', handler: validateHandler };
