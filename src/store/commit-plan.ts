import type { FhirResource } from 'fhir/r4';
import { FhirError } from '../fhir/errors';
import type { SearchQuery } from '../search/model';
import type { OpResult, Placement, WriteOp } from './types';

/**
 * Phase one of a commit (docs/store.md, "How a commit works"), without a backend: how each op is resolved against
 * the store's state and where it lands. The planner is a generator that yields the reads it needs, so a synchronous
 * adapter (SQLite, inside its transaction) and an asynchronous one (MongoDB) drive the same decisions.
 */

/** A resource's current state as planning sees it. */
export interface CurrentState {
  type: string;
  id: string;
  version: number;
  deleted: boolean;
}

/** A read the planner needs answered: current matches of a condition (at most `limit`), or one resource's state. */
export type PlanRead =
  | { kind: 'match'; query: SearchQuery; limit: number }
  | { kind: 'current'; type: string; id: string };

/** What phase one decided for one op, before anything is written. */
export interface Plan {
  op: WriteOp;
  placement: Placement;
  current?: CurrentState;
  /** For deletes: every resource to delete, as it stands. */
  targets: CurrentState[];
  outcome: OpResult['outcome'];
}

type Planner = Generator<PlanRead, Plan, unknown>;

function* match(query: SearchQuery, limit: number): Generator<PlanRead, CurrentState[], unknown> {
  return (yield { kind: 'match', query, limit }) as CurrentState[];
}

function* current(type: string, id: string): Generator<PlanRead, CurrentState | undefined, unknown> {
  return (yield { kind: 'current', type, id }) as CurrentState | undefined;
}

export function* planOp(op: WriteOp, newId: () => string): Planner {
  switch (op.kind) {
    case 'create':
      return yield* planCreate(op, newId);
    case 'update':
      return yield* planUpdate(op, newId);
    case 'delete':
      return yield* planDelete(op);
    case 'resolve':
      return yield* planResolve(op);
  }
}

function* planCreate(op: Extract<WriteOp, { kind: 'create' }>, newId: () => string): Planner {
  const type = op.resource.resourceType;
  if (op.ifNoneExist) {
    const found = yield* match(op.ifNoneExist.query, 2);
    if (found.length > 1) throw new FhirError('precondition', 'If-None-Exist matched more than one resource');
    if (found.length === 1) {
      return { op, placement: { type, id: found[0].id, writes: false }, current: found[0], targets: [], outcome: 'existing' };
    }
  }
  // A chosen id is kept unless it was ever used (a tombstone counts): ids are never recycled.
  const chosen = op.resource.id;
  const id = chosen && (yield* current(type, chosen)) === undefined ? chosen : newId();
  return { op, placement: { type, id, writes: true }, targets: [], outcome: 'created' };
}

function* planUpdate(op: Extract<WriteOp, { kind: 'update' }>, newId: () => string): Planner {
  const id = op.condition ? yield* conditionalUpdateTarget(op) : op.id;
  const finalId = id ?? newId();
  const state = id ? yield* current(op.type, id) : undefined;
  const live = liveVersion(state, op.ifMatch);
  if (op.transform && !live) {
    throw new FhirError(state ? 'deleted' : 'not-found', `${op.type}/${finalId} ${state ? 'is deleted' : 'not found'}`);
  }
  return { op, placement: { type: op.type, id: finalId, writes: true }, current: state, targets: [], outcome: live ? 'updated' : 'created' };
}

/** https://hl7.org/fhir/R4/http.html#cond-update: 0 matches creates (with the body's id if any), 1 updates it. */
function* conditionalUpdateTarget(op: Extract<WriteOp, { kind: 'update' }>): Generator<PlanRead, string | undefined, unknown> {
  const found = yield* match(op.condition!.query, 2);
  if (found.length > 1) throw new FhirError('precondition', 'The condition matched more than one resource');
  if (found.length === 1) {
    if (op.resource?.id && op.resource.id !== found[0].id) {
      throw new FhirError('invalid', 'The resource id does not match the resource found by the condition');
    }
    return found[0].id;
  }
  return op.resource?.id;
}

function* planDelete(op: Extract<WriteOp, { kind: 'delete' }>): Planner {
  if (op.condition) {
    const max = op.maxMatches ?? 1;
    const targets = yield* match(op.condition.query, max + 1);
    if (targets.length > max) throw new FhirError('precondition', `The condition matched more than ${max} resources`);
    return { op, placement: { type: op.type, id: targets[0]?.id, writes: targets.length > 0 }, targets, outcome: targets.length ? 'deleted' : 'noop' };
  }
  const state = yield* current(op.type, op.id!);
  const live = liveVersion(state, op.ifMatch);
  return { op, placement: { type: op.type, id: op.id, writes: !!live }, current: state, targets: live ? [live] : [], outcome: live ? 'deleted' : 'noop' };
}

function* planResolve(op: Extract<WriteOp, { kind: 'resolve' }>): Planner {
  const found = yield* match(op.condition.query, 2);
  if (found.length === 0) throw new FhirError('not-found', `No ${op.type} matches the conditional reference`);
  if (found.length > 1) throw new FhirError('precondition', `More than one ${op.type} matches the conditional reference`);
  return { op, placement: { type: op.type, id: found[0].id, writes: false }, targets: [], outcome: 'resolved' };
}

/** The current version unless deleted; checks If-Match against it (412 when absent or another version). */
export function liveVersion<T extends CurrentState>(state: T | undefined, ifMatch: string | undefined): T | undefined {
  const live = state && !state.deleted ? state : undefined;
  if (ifMatch !== undefined && (!live || String(live.version) !== ifMatch)) {
    throw new FhirError('precondition', `Version mismatch: If-Match ${ifMatch}, current ${live ? live.version : 'none'}`);
  }
  return live;
}

/** Plans every op of a commit with a synchronous reader (an adapter inside its own transaction). */
export function planAllSync(ops: WriteOp[], newId: () => string, read: (request: PlanRead) => unknown): Plan[] {
  return ops.map((op, index) => withOpIndex(index, () => {
    const planner = planOp(op, newId);
    let step = planner.next();
    while (!step.done) step = planner.next(read(step.value));
    return step.value;
  }));
}

/** Plans every op of a commit with an asynchronous reader; errors carry the index of the op that raised them. */
export async function planAll(
  ops: WriteOp[],
  newId: () => string,
  read: (request: PlanRead) => Promise<unknown>,
): Promise<Plan[]> {
  const plans: Plan[] = [];
  for (const [index, op] of ops.entries()) {
    plans.push(await withOpIndexAsync(index, async () => {
      const planner = planOp(op, newId);
      let step = planner.next();
      while (!step.done) step = planner.next(await read(step.value));
      return step.value;
    }));
  }
  return plans;
}

/** The resource as stored: the server's id, versionId and lastUpdated (https://hl7.org/fhir/R4/resource.html#Meta). */
export function withMeta(resource: FhirResource, id: string, version: number, lastUpdated: string): FhirResource {
  const meta = { ...(resource.meta ?? {}), versionId: String(version), lastUpdated };
  return { ...resource, id, meta } as FhirResource;
}

/** Tags an error with the op that raised it, so a transaction can say which entry failed. */
export function withOpIndex<T>(index: number, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof FhirError && err.opIndex === undefined) err.opIndex = index;
    throw err;
  }
}

/** withOpIndex for asynchronous work. */
export async function withOpIndexAsync<T>(index: number, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof FhirError && err.opIndex === undefined) err.opIndex = index;
    throw err;
  }
}
