import type { Context } from '../core/types';
import type { AccessContext } from './access-context';
import { AccessPolicy } from './access-policy';
import { guardedStore } from './guarded-store';

/**
 * The context one request is handled in: the app's, with the store seen through the caller's access. Built once
 * per request, before any handler runs, and passed down unchanged (batch and transaction entries, includes and
 * operations all use it), so nothing below can reach the unguarded store.
 */
export function requestContext(app: Context, access: AccessContext): Context {
  if (access.mode === 'off') return { ...app, access };
  const policy = new AccessPolicy(access, app.store.searchParameters());
  return { ...app, store: guardedStore(app.store, policy, app.extractor), access };
}
