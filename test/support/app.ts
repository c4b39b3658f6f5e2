import supertest from 'supertest';
import path from 'node:path';
import fs from 'node:fs';
import { createApp, type App } from '../../src/app';
import { testConfig, type Config } from '../../src/config';
import { openStore } from '../../src/store/open';
import { MongoStore } from '../../src/store/mongo/mongo-store';
import { randomBytes } from 'node:crypto';
import type { Store } from '../../src/store/types';

export interface TestServer {
  app: App;
  store: Store;
  http: ReturnType<typeof supertest>;
  close(): Promise<void>;
}

/**
 * A fresh app on a fresh store: in-memory SQLite, or, when the run sets `STORE_URL=mongodb://…`, a database of its
 * own on that server, dropped on close. A test that names its own `storeUrl` gets that.
 */
export async function testServer(overrides: Partial<Config> = {}): Promise<TestServer> {
  const storeUrl = overrides.storeUrl ?? runStoreUrl();
  const config = testConfig({ baseUrl: 'http://test.local/fhir', ...overrides, ...(storeUrl ? { storeUrl } : {}) });
  const store = await openStore(config);
  const app = createApp(config, store);
  return { app, store, http: supertest(app.handler), close: () => closeStore(store) };
}

/** The MongoDB server a test run names, with a fresh database name; undefined for the default in-memory store. */
export function runStoreUrl(): string | undefined {
  const url = process.env.STORE_URL;
  if (!url || !/^mongodb(\+srv)?:\/\//.test(url)) return undefined;
  return uniqueDatabaseUrl(url);
}

/** `url` with its database replaced by a new, unique one (`rf-test-<hex>`), query string kept. */
export function uniqueDatabaseUrl(url: string): string {
  const m = /^(mongodb(?:\+srv)?:\/\/[^/?]*)\/?([^?]*)(\?.*)?$/.exec(url);
  if (!m) throw new Error('not a mongodb:// URL');
  return `${m[1]}/rf-test-${randomBytes(6).toString('hex')}${m[3] ?? ''}`;
}

async function closeStore(store: Store): Promise<void> {
  if (store instanceof MongoStore) await store.dropDatabase().catch(() => undefined);
  await store.close();
}

export const FHIR_JSON = 'application/fhir+json';

/** The shared external data folder (../shared/data beside the checkout), or undefined when it is absent. */
export function sharedData(...parts: string[]): string | undefined {
  const dir = path.resolve(process.cwd(), '..', 'shared', 'data', ...parts);
  return fs.existsSync(dir) ? dir : undefined;
}

export function patient(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { resourceType: 'Patient', name: [{ family: 'Andersson', given: ['Karin'] }], gender: 'female', birthDate: '1970-05-14', ...extra };
}
