import type { FhirResource } from 'fhir/r4';
import { validateResource } from '../fhir/validate';
import type { Store, WriteOp } from '../store/types';

/**
 * Loads the generated stream into a store through the store port: each resource validated like any write, then
 * written as an update at its own id (create-on-update), many patients per commit so that the per-commit cost
 * (transaction, fsync at checkpoints) is shared. Index values are extracted by the store as for any write.
 */

export interface LoadOptions {
  /** Resources per commit (whole groups are kept together, so a commit may hold a little more). */
  batchSize?: number;
  /** Called after each commit with the groups and resources written so far. */
  onProgress?: (groups: number, resources: number) => void;
}

export interface LoadResult {
  groups: number;
  resources: number;
}

export async function loadIntoStore(store: Store, groups: Iterable<FhirResource[]>, options: LoadOptions = {}): Promise<LoadResult> {
  const batchSize = options.batchSize ?? 2000;
  let ops: WriteOp[] = [];
  let groupCount = 0;
  let resources = 0;
  const commit = async () => {
    if (ops.length === 0) return;
    await store.commit(ops);
    resources += ops.length;
    ops = [];
    options.onProgress?.(groupCount, resources);
  };
  for (const group of groups) {
    for (const resource of group) {
      const issues = validateResource(resource);
      if (issues.length) {
        // The generator made an invalid resource: a defect to fix, never data to store.
        throw new Error(`generated ${resource.resourceType}/${resource.id} is invalid: ${issues[0].diagnostics} at ${issues[0].expression?.[0] ?? ''}`);
      }
      ops.push({ kind: 'update', type: resource.resourceType, id: resource.id!, resource });
    }
    groupCount++;
    if (ops.length >= batchSize) await commit();
  }
  await commit();
  return { groups: groupCount, resources };
}
