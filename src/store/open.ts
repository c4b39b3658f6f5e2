import fs from 'node:fs';
import path from 'node:path';
import type { Config } from '../config';
import { SqliteStore } from './sqlite/sqlite-store';
import type { Store } from './types';

/** Start-up wiring: the store named by STORE_URL. The only place outside an adapter folder that knows adapters. */
export async function openStore(config: Pick<Config, 'storeUrl' | 'sqliteSynchronous'>): Promise<Store> {
  const url = config.storeUrl;
  if (url.startsWith('sqlite:')) {
    const filename = url.slice('sqlite:'.length);
    if (filename !== ':memory:') fs.mkdirSync(path.dirname(path.resolve(filename)), { recursive: true });
    return new SqliteStore({ filename, synchronous: config.sqliteSynchronous });
  }
  throw new Error(`STORE_URL '${url.replace(/\/\/[^@]*@/, '//***@')}' is not supported yet; use sqlite:<path>`);
}
