import { MongoClient, type Db } from 'mongodb';

/** An open connection and what the deployment behind it can do. */
export interface MongoConnection {
  client: MongoClient;
  db: Db;
  /**
   * Multi-document transactions: replica sets and sharded clusters have them, a standalone server (and FerretDB)
   * does not. https://www.mongodb.com/docs/manual/core/transactions/#transactions-and-replica-sets
   */
  transactions: boolean;
}

export interface ConnectOptions {
  /** Give up on an unreachable server after this long instead of the driver's 30 s. */
  serverSelectionTimeoutMS?: number;
}

/** Connects to `mongodb://host:port/dbname`; the database is the URL's path (`region-fhir` when it names none). */
export async function connectMongo(url: string, options: ConnectOptions = {}): Promise<MongoConnection> {
  const client = new MongoClient(url, {
    serverSelectionTimeoutMS: options.serverSelectionTimeoutMS ?? 10_000,
    // Writes are acknowledged by a majority: an acknowledged commit survives the loss of the primary.
    writeConcern: { w: 'majority' },
    ignoreUndefined: true,
  });
  try {
    await client.connect();
    const db = client.db(databaseName(url));
    const hello = await db.admin().command({ hello: 1 });
    return { client, db, transactions: supportsTransactions(hello) };
  } catch (err) {
    await client.close().catch(() => undefined);
    throw new Error(`cannot connect to MongoDB at ${redact(url)}: ${(err as Error).message}`);
  }
}

/** A replica set member answers `setName`, a mongos `msg: 'isdbgrid'`; either runs transactions. */
export function supportsTransactions(hello: Record<string, unknown>): boolean {
  return typeof hello.setName === 'string' || hello.msg === 'isdbgrid';
}

export function databaseName(url: string): string {
  // Not `new URL`: a seed list (`host1:27017,host2:27017`) is not a WHATWG host.
  const path = /^mongodb(?:\+srv)?:\/\/[^/]*\/([^?]*)/.exec(url)?.[1] ?? '';
  return decodeURIComponent(path) || 'region-fhir';
}

/** The URL without credentials, for messages and logs. */
export function redact(url: string): string {
  return url.replace(/\/\/[^@/]*@/, '//***@');
}
