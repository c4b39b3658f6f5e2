import supertest from 'supertest';
import path from 'node:path';
import fs from 'node:fs';
import { createApp, type App } from '../../src/app';
import { testConfig, type Config } from '../../src/config';
import { openStore } from '../../src/store/open';
import type { Store } from '../../src/store/types';

export interface TestServer {
  app: App;
  store: Store;
  http: ReturnType<typeof supertest>;
  close(): Promise<void>;
}

/** A fresh app on a fresh in-memory store (or the STORE_URL a test run names). */
export async function testServer(overrides: Partial<Config> = {}): Promise<TestServer> {
  const config = testConfig({ baseUrl: 'http://test.local/fhir', ...overrides });
  const store = await openStore(config);
  const app = createApp(config, store);
  return { app, store, http: supertest(app.handler), close: () => store.close() };
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
