import type { Operation } from './types';
import { reindexOperation } from './reindex/reindex';
import { validateOperation } from './validate/validate';

/** Every operation the server offers; routing and /metadata both read this list. */
export const OPERATIONS: Operation[] = [validateOperation, reindexOperation];

export function findOperation(code: string, level: 'system' | 'type' | 'instance'): Operation | undefined {
  return OPERATIONS.find((op) => op.definition.code === code && op.definition[level] === true);
}
