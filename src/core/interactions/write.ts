import type { Parameters, FhirResource } from 'fhir/r4';
import { FhirError } from '../../fhir/errors';
import { applyFhirPathPatch } from '../../fhir/fhirpath-patch';
import { applyJsonPatch } from '../../fhir/json-patch';
import { assertValidResource } from '../../fhir/validate';
import type { OpResult, WriteOp } from '../../store/types';
import { conditionFrom, queryPairs, versionFromETag } from '../conditions';
import { parsePrefer } from '../prefer';
import { writeResponse } from '../respond';
import type { Route } from '../route';
import type { Context, FhirRequest, FhirResponse } from '../types';

/**
 * Write interactions as plans: the store op to commit, and how to answer once it is committed. A single request
 * commits one plan; a transaction bundle commits all its plans at once (src/core/interactions/bundle.ts).
 */
export interface WritePlan {
  op: WriteOp;
  /** Checks that need the store, run before the commit (a transaction runs every entry's first). */
  precheck?: () => Promise<void>;
  respond(result: OpResult): FhirResponse;
}

export async function runWrite(plan: WritePlan, ctx: Context): Promise<FhirResponse> {
  await plan.precheck?.();
  const [result] = await ctx.store.commit([plan.op]);
  return plan.respond(result);
}

/** POST [base]/[type]: https://hl7.org/fhir/R4/http.html#create */
export function planCreate(req: FhirRequest, route: Route, ctx: Context): WritePlan {
  const resource = resourceBody(req, route.type!);
  const { id: _ignored, ...withoutId } = resource;
  const ifNoneExist = req.headers['if-none-exist'];
  const op: WriteOp = {
    kind: 'create',
    resource: withoutId as FhirResource,
    ifNoneExist: ifNoneExist ? conditionFrom(route.type!, queryPairs(ifNoneExist), ctx.store.searchParameters()) : undefined,
  };
  const prefer = parsePrefer(req.headers.prefer);
  return {
    op,
    respond: (r) =>
      r.outcome === 'existing'
        ? writeResponse(200, r.version!, ctx.config.baseUrl, prefer, 'A matching resource exists; nothing was created')
        : writeResponse(201, r.version!, ctx.config.baseUrl, prefer, 'Created'),
  };
}

/** PUT [base]/[type]/[id] and conditional PUT [base]/[type]?params: https://hl7.org/fhir/R4/http.html#update */
export function planUpdate(req: FhirRequest, route: Route, ctx: Context): WritePlan {
  // A conditional PUT may write over a match; an append-only type allows PUT only as a create (precheck).
  if (route.id === undefined) checkMutable(route.type!);
  const resource = resourceBody(req, route.type!);
  const conditional = route.id === undefined;
  if (!conditional) {
    if (resource.id === undefined) throw new FhirError('invalid', { diagnostics: 'The resource has no id; PUT requires one matching the URL', expression: [`${route.type}.id`] });
    if (resource.id !== route.id) throw new FhirError('invalid', { diagnostics: `The resource id '${resource.id}' does not match the URL id '${route.id}'`, expression: [`${route.type}.id`] });
  }
  const op: WriteOp = { kind: 'update', ...target(req, route, ctx), resource };
  const prefer = parsePrefer(req.headers.prefer);
  return {
    op,
    // An append-only type may be created with a chosen id (PUT), never written over.
    precheck: APPEND_ONLY.has(route.type!) ? () => checkAbsent(ctx, route.type!, route.id!) : undefined,
    respond: (r) => writeResponse(r.outcome === 'created' ? 201 : 200, r.version!, ctx.config.baseUrl, prefer, r.outcome === 'created' ? 'Created' : 'Updated'),
  };
}

/** The resource an instance-level or conditional (type-level with search parameters) write targets. */
function target(req: FhirRequest, route: Route, ctx: Context) {
  return {
    type: route.type!,
    id: route.id,
    condition: route.id === undefined ? conditionFrom(route.type!, req.query, ctx.store.searchParameters()) : undefined,
    ifMatch: versionFromETag(req.headers['if-match']),
  };
}

/** DELETE [base]/[type]/[id] and conditional DELETE [base]/[type]?params: https://hl7.org/fhir/R4/http.html#delete */
export function planDelete(req: FhirRequest, route: Route, ctx: Context): WritePlan {
  checkMutable(route.type!);
  const op: WriteOp = { kind: 'delete', ...target(req, route, ctx), maxMatches: ctx.config.maxConditionalDeletes };
  return { op, respond: (r) => deleteResponse(r) };
}

function deleteResponse(r: OpResult): FhirResponse {
  const headers: Record<string, string> = {};
  if (r.outcome === 'deleted' && r.version) headers.ETag = `W/"${r.version.versionId}"`;
  const text = r.outcome === 'deleted' ? `Deleted ${r.ids.length} resource(s)` : 'Nothing to delete';
  return {
    status: 200,
    headers,
    body: { resourceType: 'OperationOutcome', issue: [{ severity: 'information', code: 'informational', diagnostics: text }] },
  };
}

/** PATCH [base]/[type]/[id] (and conditional) with JSON Patch or FHIRPath Patch: https://hl7.org/fhir/R4/http.html#patch */
export function planPatch(req: FhirRequest, route: Route, ctx: Context): WritePlan {
  checkMutable(route.type!);
  const transform = patchTransform(req, route.type!);
  const op: WriteOp = { kind: 'update', ...target(req, route, ctx), transform };
  const prefer = parsePrefer(req.headers.prefer);
  return {
    op,
    respond: (r) => writeResponse(200, r.version!, ctx.config.baseUrl, prefer, 'Patched'),
  };
}

/** The patched resource must still be a valid resource of the same type and id. */
function patchTransform(req: FhirRequest, type: string): (current: FhirResource) => FhirResource {
  const apply = patchFunction(req);
  return (current) => {
    const patched = apply(current);
    if (!patched || typeof patched !== 'object' || (patched as FhirResource).resourceType !== type || (patched as FhirResource).id !== current.id) {
      throw new FhirError('unprocessable', 'A patch may not change the resource type or id');
    }
    assertValidResource(patched, { expectedType: type });
    return patched;
  };
}

function patchFunction(req: FhirRequest): (current: FhirResource) => FhirResource {
  if (req.bodyKind === 'json-patch') return (current) => applyJsonPatch(current, req.body);
  const body = req.body as Parameters | undefined;
  if (body?.resourceType !== 'Parameters') {
    throw new FhirError('unsupported-media', 'PATCH takes application/json-patch+json, or a FHIRPath Patch Parameters resource as application/fhir+json');
  }
  return (current) => applyFhirPathPatch(current, body);
}

/** The request body as a valid resource of the URL's type; 400 when it is not a resource, 422 when invalid. */
export function resourceBody(req: FhirRequest, type: string): FhirResource {
  if (req.body === undefined) throw new FhirError('invalid', 'The request has no body');
  assertValidResource(req.body, { expectedType: type });
  return req.body as FhirResource;
}

/** Types kept as written: the audit trail (EHDS Art. 9) cannot be changed or removed through the API. */
const APPEND_ONLY: ReadonlySet<string> = new Set(['AuditEvent']);

function checkMutable(type: string): void {
  if (APPEND_ONLY.has(type)) throw new FhirError('method', `${type} resources are append-only: they cannot be updated, patched or deleted`);
}

async function checkAbsent(ctx: Context, type: string, id: string): Promise<void> {
  if (await ctx.store.read(type, id)) checkMutable(type);
}
