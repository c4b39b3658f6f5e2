import { randomBytes } from 'node:crypto';
import { MongoClient } from 'mongodb';
import { testConfig } from '../../src/config';
import { openStore } from '../../src/store/open';
import type { Store } from '../../src/store/types';

/**
 * The store adapters the contract suite (test/store/contract/) runs against. SQLite always runs, in memory; MongoDB
 * runs when MONGODB_URL names a server (a replica set, or a standalone or FerretDB for the non-transactional path),
 * each opened store on a database of its own that is dropped when the store is disposed.
 */
export interface StoreAdapter {
  name: string;
  /** Why this adapter's cases do not run here; undefined when they do. */
  skipReason?: string;
  /** A new, empty store. */
  open(): Promise<OpenedStore>;
}

export interface OpenedStore {
  store: Store;
  /**
   * Another store on the same data, as a second server process would open it; absent when the deployment does not
   * support several writing instances on one data set, and then `singleWriter` says why.
   */
  openAnother?: () => Promise<Store>;
  singleWriter?: string;
  /** Closes the store and removes whatever it left behind. */
  dispose(): Promise<void>;
}

export function storeAdapters(env: NodeJS.ProcessEnv = process.env): StoreAdapter[] {
  return [sqliteAdapter(), mongoAdapter(env.MONGODB_URL)];
}

function sqliteAdapter(): StoreAdapter {
  return {
    name: 'SQLite',
    async open() {
      const store = await openStore(testConfig({ storeUrl: 'sqlite::memory:' }));
      return { store, singleWriter: 'an embedded SQLite store belongs to one process', dispose: () => store.close() };
    },
  };
}

function mongoAdapter(serverUrl: string | undefined): StoreAdapter {
  if (!serverUrl) return { name: 'MongoDB', skipReason: 'MONGODB_URL not set', open: () => Promise.reject(new Error('MONGODB_URL not set')) };
  return {
    name: 'MongoDB',
    async open() {
      const url = withDatabase(serverUrl, uniqueDatabaseName());
      const store = await openStore(testConfig({ storeUrl: url }));
      const others: Store[] = [];
      const standalone = !(await runsTransactions(url));
      return {
        store,
        singleWriter: standalone ? 'a standalone MongoDB (or FerretDB) takes one writing process, docs/store-mongo.md' : undefined,
        openAnother: standalone ? undefined : async () => {
          const other = await openStore(testConfig({ storeUrl: url }));
          others.push(other);
          return other;
        },
        async dispose() {
          await Promise.all([store, ...others].map((s) => s.close()));
          await dropDatabase(url);
        },
      };
    },
  };
}

/** Short enough for MongoDB's 64-byte database name limit, unique across parallel runs on one server. */
function uniqueDatabaseName(): string {
  return `contract_${process.pid}_${randomBytes(6).toString('hex')}`;
}

/** `mongodb://host:port[/anything][?options]` with its path replaced by `/name`, options kept. */
export function withDatabase(serverUrl: string, name: string): string {
  const m = /^(mongodb(?:\+srv)?:\/\/[^/?]+)(?:\/[^?]*)?(\?.*)?$/.exec(serverUrl);
  if (!m) throw new Error('MONGODB_URL must look like mongodb://host:port[/db][?options]');
  return `${m[1]}/${name}${m[2] ?? ''}`;
}

async function dropDatabase(url: string): Promise<void> {
  await withClient(url, (client) => client.db().dropDatabase());
}

/** A replica set member or a mongos: the deployments on which several server processes may write. */
async function runsTransactions(url: string): Promise<boolean> {
  const hello = await withClient(url, (client) => client.db().admin().command({ hello: 1 }));
  return typeof hello.setName === 'string' || hello.msg === 'isdbgrid';
}

async function withClient<T>(url: string, use: (client: MongoClient) => Promise<T>): Promise<T> {
  const client = new MongoClient(url, { serverSelectionTimeoutMS: 5000 });
  try {
    await client.connect();
    return await use(client);
  } finally {
    await client.close();
  }
}
