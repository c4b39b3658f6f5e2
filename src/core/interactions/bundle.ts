import type { Bundle, BundleEntry, FhirResource } from 'fhir/r4';
import { bundleOf } from '../../fhir/bundle';
import { FhirError, asFhirError } from '../../fhir/errors';
import { conditionalReferences, rewriteReferences } from '../../fhir/references';
import type { Placement, WriteOp } from '../../store/types';
import { conditionFrom, queryPairs } from '../conditions';
import { parseRoute } from '../route';
import { errorResponse } from '../error-response';
import type { Context, FhirRequest, FhirResponse } from '../types';
import { planCreate, planDelete, planPatch, planUpdate, type WritePlan } from './write';

/**
 * Batch and transaction: https://hl7.org/fhir/R4/http.html#transaction
 * Entries become core requests. A batch runs each through `handle` on its own; a transaction plans every write,
 * commits them in one atomic store commit (with references rewritten to the final ids inside that commit), then
 * runs its reads.
 */
export type Handler = (req: FhirRequest, ctx: Context) => Promise<FhirResponse>;

/** Processing order for transactions (and batches): DELETE, POST, PUT/PATCH, GET/HEAD. */
const METHOD_ORDER: Record<string, number> = { DELETE: 0, POST: 1, PUT: 2, PATCH: 2, GET: 3, HEAD: 3 };

interface EntryRequest {
  index: number;
  fullUrl?: string;
  req: FhirRequest;
}

export async function processBundle(req: FhirRequest, ctx: Context, handle: Handler): Promise<FhirResponse> {
  const bundle = checkBundle(req.body, ctx);
  const transaction = bundle.type === 'transaction';
  const responses = new Map<number, FhirResponse>();
  const entries: EntryRequest[] = [];
  (bundle.entry ?? []).forEach((e, index) => {
    try {
      entries.push(entryRequest(e, index, req, ctx.config.baseUrl));
    } catch (err) {
      // A transaction fails whole; a batch answers the malformed entry alone.
      if (transaction) throw err;
      responses.set(index, errorResponse(err));
    }
  });
  const ordered = [...entries].sort((a, b) => METHOD_ORDER[a.req.method] - METHOD_ORDER[b.req.method] || a.index - b.index);
  const results = transaction ? await runTransaction(ordered, ctx, handle) : await runBatch(ordered, ctx, handle);
  results.forEach((r, index) => responses.set(index, r));
  const out = (bundle.entry ?? []).map((_e, index) => responseEntry(responses.get(index)!));
  return { status: 200, headers: {}, body: bundleOf(transaction ? 'transaction-response' : 'batch-response', out) };
}

function checkBundle(body: unknown, ctx: Context): Bundle {
  const bundle = body as Bundle | undefined;
  if (!bundle || bundle.resourceType !== 'Bundle') throw new FhirError('invalid', 'POST to the base takes a Bundle');
  if (bundle.type !== 'batch' && bundle.type !== 'transaction') {
    throw new FhirError('invalid', { diagnostics: `Bundle.type must be batch or transaction, got '${bundle.type}'`, expression: ['Bundle.type'] });
  }
  // Only the envelope is checked here: each entry's resource is validated once, by the interaction it goes to.
  if (bundle.entry !== undefined && (!Array.isArray(bundle.entry) || !bundle.entry.every((e) => e !== null && typeof e === 'object'))) {
    throw new FhirError('invalid', { diagnostics: 'Bundle.entry must be an array of entries', expression: ['Bundle.entry'] });
  }
  if ((bundle.entry?.length ?? 0) > ctx.config.maxBundleEntries) {
    throw new FhirError('too-large', `A bundle may hold at most ${ctx.config.maxBundleEntries} entries`);
  }
  return bundle;
}

function entryRequest(entry: BundleEntry, index: number, outer: FhirRequest, baseUrl: string): EntryRequest {
  const r = entry.request;
  const where = `Bundle.entry[${index}]`;
  if (!r?.method || !r.url) throw new FhirError('invalid', { diagnostics: `${where}: request.method and request.url are required`, expression: [`${where}.request`] });
  if (!(r.method in METHOD_ORDER)) throw new FhirError('invalid', { diagnostics: `${where}: unsupported method ${r.method}`, expression: [`${where}.request.method`] });
  const url = relativeUrl(r.url, baseUrl, where);
  const q = url.indexOf('?');
  const req: FhirRequest = {
    method: r.method as FhirRequest['method'],
    path: q < 0 ? url : url.slice(0, q),
    query: q < 0 ? [] : queryPairs(url.slice(q + 1)),
    headers: {
      'if-match': r.ifMatch, 'if-none-exist': r.ifNoneExist, 'if-none-match': r.ifNoneMatch,
      'if-modified-since': r.ifModifiedSince, prefer: outer.headers.prefer,
    },
    body: entry.resource,
    bodyKind: entry.resource?.resourceType === 'Binary' && r.method === 'PATCH' ? 'json-patch' : 'resource',
  };
  return { index, fullUrl: entry.fullUrl, req };
}

/**
 * Entry urls are relative to the base. An absolute url under this server's base is made relative; one naming
 * another server cannot be acted on here, so it is refused rather than silently written locally.
 */
function relativeUrl(url: string, baseUrl: string, where: string): string {
  if (url.startsWith(`${baseUrl}/`) || url.startsWith(`${baseUrl}?`)) return url.slice(baseUrl.length + 1);
  if (/^[a-z][a-z0-9+.-]*:/i.test(url)) {
    throw new FhirError('invalid', { diagnostics: `${where}: request.url '${url}' is not on this server (${baseUrl})`, expression: [`${where}.request.url`] });
  }
  return url.replace(/^\//, '');
}

async function runBatch(entries: EntryRequest[], ctx: Context, handle: Handler): Promise<Map<number, FhirResponse>> {
  const out = new Map<number, FhirResponse>();
  for (const e of entries) out.set(e.index, await handle(e.req, ctx));
  return out;
}

interface PlannedEntry extends EntryRequest {
  plan: WritePlan;
}

async function runTransaction(entries: EntryRequest[], ctx: Context, handle: Handler): Promise<Map<number, FhirResponse>> {
  checkUniqueFullUrls(entries);
  const writes = entries.filter(isWrite).map((e) => planEntry(e, ctx));
  const condRefs = [...new Set(writes.flatMap((w) => [...conditionalReferences(w.plan.op.kind === 'delete' ? undefined : opResource(w.plan.op))]))];
  const ops: WriteOp[] = [...writes.map((w) => w.plan.op), ...condRefs.map((r) => resolveOp(r, ctx))];
  const finalize = (placements: Placement[]): void => rewriteAll(writes, condRefs, placements);
  let results;
  try {
    for (const [i, w] of writes.entries()) await w.plan.precheck?.().catch((err: unknown) => Promise.reject(withOpIndex(err, i)));
    results = await ctx.store.commit(ops, { finalize });
  } catch (err) {
    throw entryError(err, (i) => (i < writes.length ? writes[i].index : undefined));
  }
  const out = new Map<number, FhirResponse>();
  writes.forEach((w, i) => out.set(w.index, w.plan.respond(results[i])));
  for (const e of entries) if (!out.has(e.index)) out.set(e.index, await handle(e.req, ctx));
  return out;
}

/** Reads and operations run through `handle` after the commit; everything else is planned into it. */
function isWrite(e: EntryRequest): boolean {
  return e.req.method !== 'GET' && e.req.method !== 'HEAD' && !/(^|\/)\$/.test(e.req.path);
}

function planEntry(e: EntryRequest, ctx: Context): PlannedEntry {
  try {
    const route = parseRoute(e.req.path);
    if (!route.type || route.target || route.level === 'version') throw new FhirError('invalid', `Unsupported url for ${e.req.method} in a transaction`);
    const plan = e.req.method === 'POST' ? planCreate(e.req, route, ctx)
      : e.req.method === 'PUT' ? planUpdate(e.req, route, ctx)
      : e.req.method === 'PATCH' ? planPatch(e.req, route, ctx)
      : planDelete(e.req, route, ctx);
    // The entry resources belong to this request alone, so references are rewritten in place (a copy would also
    // drop the decimal precision remembered on them: src/fhir/json.ts).
    return { ...e, plan };
  } catch (err) {
    throw entryError(err, () => e.index);
  }
}

function opResource(op: WriteOp): FhirResource | undefined {
  return op.kind === 'create' || op.kind === 'update' ? op.resource : undefined;
}

function resolveOp(reference: string, ctx: Context): WriteOp {
  const type = reference.slice(0, reference.indexOf('?'));
  return { kind: 'resolve', type, condition: conditionFrom(type, queryPairs(reference), ctx.store.searchParameters()) };
}

function rewriteAll(writes: PlannedEntry[], condRefs: string[], placements: Placement[]): void {
  const targets = new Map<string, string>();
  writes.forEach((w, i) => {
    const p = placements[i];
    if (w.fullUrl && p.id) targets.set(w.fullUrl, `${p.type}/${p.id}`);
  });
  condRefs.forEach((ref, j) => {
    const p = placements[writes.length + j];
    targets.set(ref, `${p.type}/${p.id}`);
  });
  for (const w of writes) rewriteReferences(opResource(w.plan.op), targets);
}

function checkUniqueFullUrls(entries: EntryRequest[]): void {
  const seen = new Set<string>();
  for (const e of entries) {
    if (!e.fullUrl) continue;
    if (seen.has(e.fullUrl)) throw new FhirError('invalid', { diagnostics: `Duplicate fullUrl '${e.fullUrl}' in the transaction`, expression: [`Bundle.entry[${e.index}].fullUrl`] });
    seen.add(e.fullUrl);
  }
}

/** A failed transaction reports the entry that failed and keeps that entry's status. */
function entryError(err: unknown, indexOf: (opIndex: number) => number | undefined): FhirError {
  const e = asFhirError(err);
  const entryIndex = e.opIndex !== undefined ? indexOf(e.opIndex) : indexOf(-1);
  if (entryIndex === undefined || e.category === 'exception') return e;
  const [first, ...rest] = e.issues;
  const issue = { ...first, diagnostics: `Bundle.entry[${entryIndex}]: ${first.diagnostics ?? ''}`, expression: first.expression ?? [`Bundle.entry[${entryIndex}]`] };
  return new FhirError(e.category, { diagnostics: issue.diagnostics, code: issue.code, expression: issue.expression }, rest.map((i) => ({ diagnostics: i.diagnostics ?? '', code: i.code, expression: i.expression })));
}

const REASONS: Record<number, string> = {
  200: 'OK', 201: 'Created', 204: 'No Content', 304: 'Not Modified', 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden',
  404: 'Not Found', 405: 'Method Not Allowed', 409: 'Conflict', 410: 'Gone', 412: 'Precondition Failed', 413: 'Payload Too Large',
  415: 'Unsupported Media Type', 422: 'Unprocessable Entity', 500: 'Internal Server Error',
};

function responseEntry(r: FhirResponse): BundleEntry {
  const response: NonNullable<BundleEntry['response']> = { status: `${r.status} ${REASONS[r.status] ?? ''}`.trim() };
  if (r.headers.Location) response.location = r.headers.Location;
  if (r.headers.ETag) response.etag = r.headers.ETag;
  const body = r.body;
  const lastUpdated = body?.meta?.lastUpdated;
  if (lastUpdated) response.lastModified = lastUpdated;
  const entry: BundleEntry = { response };
  if (body?.resourceType === 'OperationOutcome') response.outcome = body;
  else if (body) {
    entry.resource = body;
    if (body.id) entry.fullUrl = r.headers.Location?.replace(/\/_history\/[^/]+$/, '');
  }
  return entry;
}

function withOpIndex(err: unknown, index: number): unknown {
  if (err instanceof FhirError && err.opIndex === undefined) err.opIndex = index;
  return err;
}
