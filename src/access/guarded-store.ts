import type { FhirResource } from 'fhir/r4';
import { FhirError } from '../fhir/errors';
import type { IndexExtractor } from '../search/extract';
import type { Filter, SearchQuery } from '../search/model';
import type { SearchParameters } from '../search/parameters';
import type {
  CommitOptions, Condition, HistoryOptions, OpResult, Page, ReindexOptions, ReindexPlan, Store, StoredVersion, WriteOp,
} from '../store/types';
import type { Permission } from './access-context';
import { patientCompartmentFilter, type AccessPolicy, type Restriction } from './access-policy';
import { withinReach } from './resource-reach';

/**
 * The one place access is enforced: the store as one caller may use it. Every interaction and operation reaches
 * data through the store of its request's context, so read, search with its chains and `_has`, `_include` and
 * `_revinclude` (readMany and search), history, conditional interactions, batch and transaction entries and every
 * operation are limited by this code and nothing else.
 *
 * What lies outside the caller's reach looks as if it did not exist: a read answers nothing (404), a search does not
 * match it, a condition does not see it. Only a type the caller has no grant for at all is a 403, which names the
 * type and so reveals nothing about any resource.
 */
export function guardedStore(store: Store, policy: AccessPolicy, extractor: IndexExtractor): Store {
  return policy.unrestricted ? store : new GuardedStore(store, policy, extractor);
}

/** Resources checked per `_id` query when filtering many (readMany). */
const ID_CHUNK = 500;

class GuardedStore implements Store {
  constructor(
    private readonly store: Store,
    private readonly policy: AccessPolicy,
    private readonly extractor: IndexExtractor,
  ) {}

  async read(type: string, id: string): Promise<StoredVersion | undefined> {
    const reach = this.policy.require(type, 'r');
    const current = await this.store.read(type, id);
    if (!current || isWhole(reach)) return current;
    return !current.deleted && (await this.reaches(type, [id], reach)).has(id) ? current : undefined;
  }

  /** A past version is reached when the resource as it is now is: a resource that left the reach takes its history along. */
  async vread(type: string, id: string, versionId: string): Promise<StoredVersion | undefined> {
    const reach = this.policy.require(type, 'r');
    if (!isWhole(reach) && !(await this.read(type, id))) return undefined;
    return this.store.vread(type, id, versionId);
  }

  async history(scope: { type?: string; id?: string }, options: HistoryOptions): Promise<Page<StoredVersion>> {
    if (scope.type && scope.id) {
      const reach = this.policy.require(scope.type, 'r');
      if (!isWhole(reach)) {
        const current = await this.store.read(scope.type, scope.id);
        if (!current || current.deleted || !(await this.reaches(scope.type, [scope.id], reach)).has(scope.id)) return { entries: [] };
      }
      return this.store.history(scope, options);
    }
    // A type's or the system's history holds versions that no longer match any restriction: only a caller granted
    // the whole type (or everything) may page through it.
    const whole = scope.type ? isWhole(this.policy.require(scope.type, 'r')) : this.policy.isSystemWide('r');
    if (!whole) throw new FhirError('forbidden', `${scope.type ? 'Type' : 'System'}-level history needs access to every resource of ${scope.type ?? 'every type'}; ask for the history of one resource`);
    return this.store.history(scope, options);
  }

  async search(query: SearchQuery): Promise<Page<StoredVersion>> {
    return this.store.search(this.restrict(query, 's'));
  }

  async readMany(refs: Array<{ type: string; id: string }>): Promise<StoredVersion[]> {
    const byType = new Map<string, string[]>();
    for (const { type, id } of refs) {
      if (!this.policy.reach(type, 'r')) continue;
      const ids = byType.get(type) ?? [];
      ids.push(id);
      byType.set(type, ids);
    }
    const allowed: Array<{ type: string; id: string }> = [];
    for (const [type, ids] of byType) {
      const reach = this.policy.reach(type, 'r')!;
      const within = isWhole(reach) ? new Set(ids) : await this.reaches(type, ids, reach);
      for (const id of ids) if (within.has(id)) allowed.push({ type, id });
    }
    return allowed.length > 0 ? this.store.readMany(allowed) : [];
  }

  async commit(ops: WriteOp[], options: CommitOptions = {}): Promise<OpResult[]> {
    const guarded: WriteOp[] = [];
    for (let i = 0; i < ops.length; i++) {
      try {
        guarded.push(await this.guardOp(ops[i]));
      } catch (err) {
        if (err instanceof FhirError && err.opIndex === undefined) err.opIndex = i;
        throw err;
      }
    }
    const finalize = options.finalize;
    return this.store.commit(guarded, {
      finalize: (placements) => {
        finalize?.(placements);
        // References are final only now (a transaction rewrites urn:uuid ones in finalize): check what is written.
        guarded.forEach((op, i) => {
          if ((op.kind === 'create' || op.kind === 'update') && op.resource && placements[i].writes) {
            this.checkContent({ ...op.resource, id: placements[i].id ?? op.resource.id } as FhirResource, op.kind === 'create' ? 'c' : 'u', i);
          }
        });
      },
    });
  }

  searchParameters(): SearchParameters {
    return this.store.searchParameters();
  }

  reindex(plan: (current: SearchParameters) => ReindexPlan, options?: ReindexOptions): Promise<{ resources: number }> {
    if (!this.policy.isSystemWide('u')) {
      return Promise.reject(new FhirError('forbidden', 'Rebuilding the search index needs a system-level scope granting updates on every type (system/*.u)'));
    }
    return this.store.reindex(plan, options);
  }

  ready(): Promise<boolean> {
    return this.store.ready();
  }

  close(): Promise<void> {
    return this.store.close();
  }

  /** The op as this caller may make it: conditions confined to the caller's reach, targets checked and pinned. */
  private async guardOp(op: WriteOp): Promise<WriteOp> {
    switch (op.kind) {
      case 'create':
        this.policy.require(op.resource.resourceType, 'c');
        return op.ifNoneExist ? { ...op, ifNoneExist: this.confine(op.ifNoneExist, op.resource.resourceType, 's') } : op;
      case 'resolve':
        return { ...op, condition: this.confine(op.condition, op.type, this.policy.reach(op.type, 's') ? 's' : 'r') };
      case 'update':
        return this.guardUpdate(op);
      case 'delete':
        return this.guardDelete(op);
    }
  }

  private async guardUpdate(op: Extract<WriteOp, { kind: 'update' }>): Promise<WriteOp> {
    const reach = this.policy.require(op.type, 'u');
    const mayCreate = this.policy.reach(op.type, 'c') !== undefined;
    const transform = op.transform && this.checkedTransform(op.transform);
    if (op.condition) {
      // No match would create: a caller that may not create must not be able to tell "none" from "not yours".
      if (!mayCreate) throw new FhirError('forbidden', `A conditional update may create a ${op.type}, which your scopes do not grant`);
      return { ...op, transform, condition: this.confine(op.condition, op.type, 'u') };
    }
    if (isWhole(reach)) {
      if (!mayCreate && op.id && !(await this.exists(op.type, op.id))) {
        throw new FhirError('forbidden', `Updating a ${op.type} that does not exist creates it, which your scopes do not grant`);
      }
      return { ...op, transform };
    }
    // Restricted: only resources already in reach can be updated (no create-on-update, which would tell an id in use
    // by someone else from a free one), and the version checked is the one written over.
    const current = op.id ? await this.store.read(op.type, op.id) : undefined;
    if (!current || current.deleted || !(await this.reaches(op.type, [op.id!], reach)).has(op.id!)) {
      throw new FhirError('not-found', `${op.type}/${op.id} not found`);
    }
    return { ...op, transform, ifMatch: op.ifMatch ?? current.versionId };
  }

  private async guardDelete(op: Extract<WriteOp, { kind: 'delete' }>): Promise<WriteOp> {
    const reach = this.policy.require(op.type, 'd');
    if (op.condition) return { ...op, condition: this.confine(op.condition, op.type, 'd') };
    if (isWhole(reach) || !op.id) return op;
    const current = await this.store.read(op.type, op.id);
    if (!current || current.deleted || !(await this.reaches(op.type, [op.id], reach)).has(op.id)) {
      throw new FhirError('not-found', `${op.type}/${op.id} not found`);
    }
    return { ...op, ifMatch: op.ifMatch ?? current.versionId };
  }

  private checkedTransform(transform: (current: FhirResource) => FhirResource): (current: FhirResource) => FhirResource {
    return (current) => {
      const next = transform(current);
      this.checkContent(next, 'u');
      return next;
    };
  }

  /** A written resource must stay inside the reach it is written under (a patient app cannot file data elsewhere). */
  private checkContent(resource: FhirResource, permission: Permission, opIndex?: number): void {
    const reach = this.policy.require(resource.resourceType, permission);
    if (withinReach(resource, reach, this.extractor)) return;
    const err = new FhirError('forbidden', `The ${resource.resourceType} would lie outside what your scopes grant (another patient's compartment, or outside a scope's search constraints)`);
    if (opIndex !== undefined) err.opIndex = opIndex;
    throw err;
  }

  private confine(condition: Condition, type: string, permission: Permission): Condition {
    return { query: this.restrict({ ...condition.query, types: [type] }, permission) };
  }

  /**
   * The query as the caller may run it: each searched type's restriction added, and the inner filters of chains and
   * `_has` confined to what the caller may search on their own types, so that no filter tests a resource the
   * caller could not have found directly.
   */
  private restrict(query: SearchQuery, permission: Permission): SearchQuery {
    const types = query.types.length === 1 ? query.types : query.types.filter((t) => this.policy.reach(t, permission));
    if (types.length === 0) throw new FhirError('forbidden', 'Your scopes grant none of the types searched');
    const filters = query.filters.map((f) => this.confineNested(f));
    const restriction = this.restrictionOf(types, permission);
    return { ...query, types, filters: [...filters, ...restriction] };
  }

  /** One restriction for all `types`: the same for each, or one Patient compartment spanning them. */
  private restrictionOf(types: string[], permission: Permission): Restriction {
    const each = types.map((t) => this.policy.searchRestriction(t, permission));
    if (each.every((r) => r.length === 0)) return [];
    if (types.length === 1) return each[0];
    const patient = this.policy.patient;
    if (patient && each.every((r) => r.length === 0 || (r.length === 1 && r[0].kind === 'compartment'))) {
      // Under patient scopes a search over several types finds the patient's compartment and nothing else.
      const paramsByType = Object.assign({}, ...types.map((t) => patientCompartmentFilter(t, patient).paramsByType));
      return [{ kind: 'compartment', compartmentType: 'Patient', id: patient, paramsByType }];
    }
    throw new FhirError('forbidden', 'Your scopes restrict these types differently; search one type at a time');
  }

  private confineNested(f: Filter): Filter {
    switch (f.kind) {
      case 'chain': {
        const targetTypes = f.targetTypes.filter((t) => this.policy.reach(t, 's'));
        if (targetTypes.length === 0) throw new FhirError('forbidden', `The chain '${f.param}' leads to ${f.targetTypes.join(', ')}, which your scopes do not grant`);
        const inner = this.confineNested(f.filter);
        const restriction = this.nestedRestriction(targetTypes, f.param);
        return { ...f, targetTypes: restriction.types, filter: restriction.filters.length > 0 ? { kind: 'all', filters: [inner, ...restriction.filters] } : inner };
      }
      case 'has': {
        const restriction = this.policy.searchRestriction(f.type, 's');
        const inner = this.confineNested(f.filter);
        return { ...f, filter: restriction.length > 0 ? { kind: 'all', filters: [inner, ...restriction] } : inner };
      }
      case 'all':
        return { ...f, filters: f.filters.map((inner) => this.confineNested(inner)) };
      default:
        return f;
    }
  }

  /**
   * The targets a chain may follow and the filters they must match. A reference that may point at several types
   * (`subject`) keeps, when those are restricted, only the types under one patient compartment.
   */
  private nestedRestriction(types: string[], param: string): { types: string[]; filters: Filter[] } {
    const each = types.map((t) => ({ type: t, restriction: this.policy.searchRestriction(t, 's') }));
    if (each.every((e) => e.restriction.length === 0)) return { types, filters: [] };
    if (each.length === 1) return { types, filters: each[0].restriction };
    const patient = this.policy.patient;
    const confined = each.filter((e) => e.restriction.length === 1 && e.restriction[0].kind === 'compartment');
    if (patient && confined.length === each.filter((e) => e.restriction.length > 0).length) {
      const kept = confined.map((e) => e.type);
      const paramsByType = Object.assign({}, ...kept.map((t) => patientCompartmentFilter(t, patient).paramsByType));
      return { types: kept, filters: [{ kind: 'compartment', compartmentType: 'Patient', id: patient, paramsByType }] };
    }
    throw new FhirError('forbidden', `Your scopes restrict the types '${param}' may lead to differently; name one with :Type`);
  }

  /** Which of `ids` (of one type) the caller reaches under `reach`. */
  private async reaches(type: string, ids: string[], reach: Restriction[]): Promise<Set<string>> {
    const found = new Set<string>();
    for (let i = 0; i < ids.length; i += ID_CHUNK) {
      const chunk = ids.slice(i, i + ID_CHUNK);
      const idFilter: Filter = { kind: 'param', param: '_id', type: 'token', values: chunk.map((value) => ({ kind: 'id', value })) };
      for (const restriction of reach) {
        const page = await this.store.search({ types: [type], filters: [idFilter, ...restriction], sort: [], count: chunk.length, total: 'none' });
        for (const v of page.entries) found.add(v.id);
      }
    }
    return found;
  }

  private async exists(type: string, id: string): Promise<boolean> {
    const current = await this.store.read(type, id);
    return current !== undefined && !current.deleted;
  }
}

function isWhole(reach: Restriction[]): boolean {
  return reach.some((r) => r.length === 0);
}
