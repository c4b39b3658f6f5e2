import fs from 'node:fs';
import path from 'node:path';
import type { Config } from '../config';
import { createLogger, type Logger } from '../log';
import { SqliteStore } from './sqlite/sqlite-store';
import { MongoStore } from './mongo/mongo-store';
import { mongoSearch } from './mongo/search-query';
import type { Store } from './types';

/** Start-up wiring: the store named by STORE_URL. The only place outside an adapter folder that knows adapters. */
export async function openStore(
  config: Pick<Config, 'storeUrl' | 'sqliteSynchronous'> & Partial<Pick<Config, 'logLevel'>>,
  log: Logger = createLogger(config.logLevel ?? 'info'),
): Promise<Store> {
  const url = config.storeUrl;
  if (url.startsWith('sqlite:')) {
    const filename = url.slice('sqlite:'.length);
    if (filename !== ':memory:') fs.mkdirSync(path.dirname(path.resolve(filename)), { recursive: true });
    return new SqliteStore({ filename, synchronous: config.sqliteSynchronous });
  }
  if (/^mongodb(\+srv)?:\/\//.test(url)) {
    return MongoStore.open({ url, search: mongoSearch, log });
  }
  throw new Error(`STORE_URL '${url.replace(/\/\/[^@]*@/, '//***@')}' is not supported; use sqlite:<path> or mongodb://host:port/db`);
}
