import type { Metrics } from '../metrics';
import type { Store } from './types';

/** Wraps a store so every call is timed into the metrics; behaviour is unchanged. */
export function timedStore(store: Store, metrics: Metrics): Store {
  const time = <A extends unknown[], R>(name: string, fn: (...a: A) => Promise<R>) => async (...args: A): Promise<R> => {
    const start = process.hrtime.bigint();
    try {
      return await fn(...args);
    } finally {
      metrics.recordStore(name, Number(process.hrtime.bigint() - start) / 1e9);
    }
  };
  return {
    commit: time('commit', store.commit.bind(store)),
    read: time('read', store.read.bind(store)),
    vread: time('vread', store.vread.bind(store)),
    history: time('history', store.history.bind(store)),
    search: time('search', store.search.bind(store)),
    readMany: time('readMany', store.readMany.bind(store)),
    searchParameters: store.searchParameters.bind(store),
    reindex: time('reindex', store.reindex.bind(store)),
    ready: store.ready.bind(store),
    close: store.close.bind(store),
  };
}
