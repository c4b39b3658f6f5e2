import type { FhirResource } from 'fhir/r4';
import { FhirError } from '../../fhir/errors';
import { parseProjection, project } from '../elements';
import { storedBody, versionHeaders } from '../respond';
import type { Route } from '../route';
import type { Context, FhirRequest, FhirResponse } from '../types';
import type { StoredVersion } from '../../store/types';
import { versionFromETag } from '../conditions';

/** GET [base]/[type]/[id]: https://hl7.org/fhir/R4/http.html#read (404 never existed, 410 deleted) */
export async function read(req: FhirRequest, route: Route, ctx: Context): Promise<FhirResponse> {
  const v = await ctx.store.read(route.type!, route.id!);
  if (!v) throw new FhirError('not-found', `${route.type}/${route.id} not found`);
  if (v.deleted) throw deletedError(v);
  if (notModified(req, v)) return { status: 304, headers: versionHeaders(v) };
  return respondWith(req, v);
}

/** GET [base]/[type]/[id]/_history/[vid]: https://hl7.org/fhir/R4/http.html#vread */
export async function vread(req: FhirRequest, route: Route, ctx: Context): Promise<FhirResponse> {
  const v = await ctx.store.vread(route.type!, route.id!, route.versionId!);
  if (!v) throw new FhirError('not-found', `${route.type}/${route.id}/_history/${route.versionId} not found`);
  if (v.deleted) throw deletedError(v);
  return respondWith(req, v);
}

function respondWith(req: FhirRequest, v: StoredVersion): FhirResponse {
  const projection = parseProjection(req.query);
  if (!projection.summary && !projection.elements) return { status: 200, headers: versionHeaders(v), ...storedBody(v) };
  return { status: 200, headers: versionHeaders(v), body: project(v.resource as FhirResource, projection) };
}

function deletedError(v: StoredVersion): FhirError {
  return new FhirError('deleted', `${v.type}/${v.id} was deleted (version ${v.versionId})`);
}

/** If-None-Match and If-Modified-Since: https://hl7.org/fhir/R4/http.html#cread */
function notModified(req: FhirRequest, v: StoredVersion): boolean {
  const inm = req.headers['if-none-match'];
  if (inm !== undefined) return inm.split(',').some((tag) => tag.trim() === '*' || safeVersion(tag) === v.versionId);
  const ims = req.headers['if-modified-since'];
  if (ims !== undefined) {
    const since = Date.parse(ims);
    // HTTP dates have second precision: compare at that precision.
    return !Number.isNaN(since) && Math.floor(Date.parse(v.lastUpdated) / 1000) * 1000 <= since;
  }
  return false;
}

function safeVersion(tag: string): string | undefined {
  try {
    return versionFromETag(tag);
  } catch {
    return undefined;
  }
}
