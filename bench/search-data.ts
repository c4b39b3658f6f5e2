import fs from 'node:fs';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import Database from 'better-sqlite3';
import type { FhirResource } from 'fhir/r4';
import { parseFhirJson } from '../src/fhir/json';
import { openStore } from '../src/store/open';
import type { WriteOp } from '../src/store/types';
import { fixed, positiveIntFromEnv } from './ingest';

/**
 * The data set of `npm run bench:search`: the Synthea transaction bundles of ../shared/data/synthea replicated until
 * there are at least BENCH_RESOURCES resources (default 1,000,000), each replica with new ids (fullUrls and the
 * references to them rewritten alike) and with patient, practitioner and organization names and patient identifiers
 * marked by a replica tag, so that a search for one replica's name or identifier selects a few resources rather than
 * one per replica. Written straight through the store port (no validation, indexed exactly as the server indexes)
 * into BENCH_DB (default data/bench/search-1m.db), which later runs reuse while it holds enough resources.
 * `node dist/bench/search-data.js` builds the file alone.
 */

export interface DataSet {
  file: string;
  resources: number;
  /** Seconds spent building it in this run; undefined when an existing file was reused. */
  buildSeconds?: number;
}

interface Template {
  name: string;
  /** The bundle's JSON text with every entry's UUID replaced by `@@<k>@@` and its `urn:uuid:` fullUrl by `Type/@@<k>@@`. */
  text: string;
  uuids: number;
  entries: number;
}

/** Resources per commit: large enough that the commit overhead vanishes, small enough to keep memory flat. */
const COMMIT_RESOURCES = 2000;

export function syntheaDir(): string | undefined {
  const dir = path.resolve(process.cwd(), '..', 'shared', 'data', 'synthea');
  return fs.existsSync(dir) ? dir : undefined;
}

export function dataSetOptions(): { file: string; resources: number } {
  const resources = positiveIntFromEnv('BENCH_RESOURCES', 1_000_000);
  const fallback = resources === 1_000_000 ? 'search-1m.db' : `search-${resources}.db`;
  return { file: path.resolve(process.env.BENCH_DB ?? path.join('data', 'bench', fallback)), resources };
}

/** Resources stored in a data set file, 0 when there is none (or it is not one). */
export function storedResources(file: string): number {
  if (!fs.existsSync(file)) return 0;
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    return (db.prepare('SELECT count(*) AS n FROM resources WHERE deleted = 0').get() as { n: number }).n;
  } catch {
    return 0;
  } finally {
    db.close();
  }
}

/** Reuses `file` when it holds at least `resources` resources; otherwise builds it (into a side file, renamed at the end). */
export async function ensureDataSet(file: string, resources: number, log: (line: string) => void): Promise<DataSet> {
  const existing = storedResources(file);
  if (existing >= resources) return { file, resources: existing };
  const dir = syntheaDir();
  if (!dir) throw new Error('no Synthea bundles at ../shared/data/synthea; bench:search builds its data from them');
  const templates = loadTemplates(dir);
  const perReplica = templates.reduce((n, t) => n + t.entries, 0);
  const replicas = Math.ceil(resources / perReplica);
  log(`building ${file}: ${templates.length} Synthea bundles x ${replicas} replicas = ${perReplica * replicas} resources`);
  const building = `${file}.building`;
  for (const f of [building, `${building}-wal`, `${building}-shm`]) fs.rmSync(f, { force: true });
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const started = Date.now();
  const store = await openStore({ storeUrl: `sqlite:${building}`, sqliteSynchronous: 'NORMAL' });
  let written = 0;
  let ops: WriteOp[] = [];
  let lastLog = Date.now();
  for (let r = 0; r < replicas; r++) {
    for (const t of templates) {
      for (const resource of replicate(t, r)) ops.push({ kind: 'create', resource });
      if (ops.length >= COMMIT_RESOURCES) {
        await store.commit(ops);
        written += ops.length;
        ops = [];
        if (Date.now() - lastLog > 10_000) {
          lastLog = Date.now();
          log(`  ${written} resources, ${fixed(written / ((lastLog - started) / 1000))}/s`);
        }
      }
    }
  }
  if (ops.length > 0) await store.commit(ops);
  written += ops.length;
  await store.close();
  fs.renameSync(building, file);
  for (const f of [`${building}-wal`, `${building}-shm`]) fs.rmSync(f, { force: true });
  const buildSeconds = (Date.now() - started) / 1000;
  log(`built ${written} resources in ${fixed(buildSeconds)} s (${fixed(written / buildSeconds)} resources/s)`);
  return { file, resources: written, buildSeconds };
}

const UUID = /urn:uuid:([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})/g;

function loadTemplates(dir: string): Template[] {
  return fs.readdirSync(dir).filter((f) => f.endsWith('.json')).sort().map((name) => {
    let text = fs.readFileSync(path.join(dir, name), 'utf8');
    const bundle = JSON.parse(text) as { entry?: Array<{ fullUrl?: string; resource: { resourceType: string } }> };
    const types = new Map<string, string>();
    for (const e of bundle.entry ?? []) {
      const m = /^urn:uuid:(.+)$/.exec(e.fullUrl ?? '');
      if (m) types.set(m[1], e.resource.resourceType);
    }
    const keys = new Map<string, number>();
    for (const uuid of types.keys()) keys.set(uuid, keys.size);
    // References first (they need the target's type), then every other mention of the UUID (ids, identifiers).
    text = text.replace(UUID, (whole, uuid: string) => (keys.has(uuid) ? `${types.get(uuid)}/@@${keys.get(uuid)}@@` : whole));
    for (const [uuid, k] of keys) text = text.split(uuid).join(`@@${k}@@`);
    return { name, text, uuids: keys.size, entries: bundle.entry?.length ?? 0 };
  });
}

/** Three letters per replica (aaa, aab, …): a fixed width, so no replica's tag is a prefix of another's. */
export function replicaTag(replica: number): string {
  const a = 'a'.charCodeAt(0);
  return String.fromCharCode(a + Math.floor(replica / 676) % 26, a + Math.floor(replica / 26) % 26, a + (replica % 26));
}

function replicate(t: Template, replica: number): FhirResource[] {
  const ids = Array.from({ length: t.uuids }, () => randomUUID());
  const text = t.text.replace(/@@(\d+)@@/g, (_, k: string) => ids[Number(k)]);
  const bundle = parseFhirJson(text) as { entry?: Array<{ resource: FhirResource }> };
  const tag = replicaTag(replica);
  return (bundle.entry ?? []).map((e) => mark(e.resource, tag));
}

/** Makes the names and identifiers a search selects by differ from one replica to the next. */
function mark(resource: FhirResource, tag: string): FhirResource {
  switch (resource.resourceType) {
    case 'Patient':
      for (const n of resource.name ?? []) if (n.family) n.family += tag;
      for (const i of resource.identifier ?? []) if (i.value) i.value += `-${tag}`;
      break;
    case 'Practitioner':
      for (const n of resource.name ?? []) if (n.family) n.family += tag;
      break;
    case 'Organization':
      if (resource.name) resource.name += ` ${tag.toUpperCase()}`;
      break;
    default:
      break;
  }
  return resource;
}

if (require.main === module) {
  const { file, resources } = dataSetOptions();
  ensureDataSet(file, resources, (line) => process.stdout.write(`bench:search: ${line}\n`)).then(
    (set) => process.stdout.write(`bench:search: ${set.file} holds ${set.resources} resources\n`),
    (err) => {
      process.stderr.write(`bench:search: ${(err as Error).stack ?? err}\n`);
      process.exit(1);
    },
  );
}
