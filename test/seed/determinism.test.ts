import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { main } from '../../src/main';
import { parseSeedArgs } from '../../src/cli/seed';
import { generatePopulation } from '../../src/seed/generate';
import { NdjsonWriter } from '../../src/seed/ndjson-writer';

function writeTo(dir: string, seed: number, format: 'ndjson' | 'bundles' = 'ndjson'): void {
  const writer = new NdjsonWriter(dir, format);
  for (const group of generatePopulation({ patients: 60, seed, fromYear: 2019, toYear: 2025 })) writer.writeGroup(group);
  writer.close();
}

function files(dir: string): Map<string, Buffer> {
  return new Map(fs.readdirSync(dir).sort().map((f) => [f, fs.readFileSync(path.join(dir, f))]));
}

describe('seed: determinism and output files', () => {
  let tmp: string;
  beforeEach(() => (tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'region-fhir-seed-'))));
  afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('writes byte-identical NDJSON for the same seed', () => {
    writeTo(path.join(tmp, 'a'), 5);
    writeTo(path.join(tmp, 'b'), 5);
    const a = files(path.join(tmp, 'a'));
    const b = files(path.join(tmp, 'b'));
    assert.deepEqual([...a.keys()], [...b.keys()]);
    assert.ok(a.has('Patient.ndjson') && a.has('Encounter.ndjson') && a.has('MedicationDispense.ndjson'));
    for (const [name, bytes] of a) assert.ok(bytes.equals(b.get(name)!), `${name} differs between two runs`);
  });

  it('writes different data for a different seed', () => {
    writeTo(path.join(tmp, 'a'), 5);
    writeTo(path.join(tmp, 'c'), 6);
    assert.ok(!files(path.join(tmp, 'a')).get('Patient.ndjson')!.equals(files(path.join(tmp, 'c')).get('Patient.ndjson')!));
  });

  it('writes one resource per line, every line a resource of the file type', () => {
    writeTo(tmp, 5);
    for (const [name, bytes] of files(tmp)) {
      const type = name.replace('.ndjson', '');
      const lines = bytes.toString('utf8').trimEnd().split('\n');
      for (const line of lines) assert.equal(JSON.parse(line).resourceType, type);
    }
  });

  it('writes one transaction Bundle of PUTs per patient with --format bundles', () => {
    writeTo(tmp, 5, 'bundles');
    const lines = fs.readFileSync(path.join(tmp, 'bundles.ndjson'), 'utf8').trimEnd().split('\n');
    assert.equal(lines.length, 61);
    const bundle = JSON.parse(lines[1]);
    assert.equal(bundle.type, 'transaction');
    assert.equal(bundle.entry[0].resource.resourceType, 'Patient');
    assert.equal(bundle.entry[0].request.url, `Patient/${bundle.entry[0].resource.id}`);
    assert.equal(bundle.entry[0].request.method, 'PUT');
  });

  it('runs as `region-fhir seed --out` and gives the same bytes as the library', async () => {
    const stderr = process.stderr.write;
    process.stderr.write = () => true;
    try {
      assert.equal(await main(['seed', '--patients', '60', '--seed', '5', '--out', path.join(tmp, 'cli')]), 0);
      assert.equal(await main(['seed', '--patients', '10']), 2);
      assert.equal(await main(['seed', '--patients', 'many', '--out', tmp]), 2);
      assert.equal(await main(['seed', '--patients', '5', '--from', '2025', '--to', '2019', '--out', tmp]), 2);
      assert.equal(await main(['seed', '--patients', '5', '--store', '--store-url', 'postgres://x']), 2);
    } finally {
      process.stderr.write = stderr;
    }
    writeTo(path.join(tmp, 'lib'), 5);
    const cli = files(path.join(tmp, 'cli'));
    for (const [name, bytes] of files(path.join(tmp, 'lib'))) assert.ok(bytes.equals(cli.get(name)!), name);
  });

  it('parses the seed flags', () => {
    const args = parseSeedArgs(['--patients', '10', '--seed=3', '--from', '2020', '--to', '2021', '--store', '--store-url', 'sqlite::memory:']);
    assert.deepEqual(args.options, { patients: 10, seed: 3, fromYear: 2020, toYear: 2021 });
    assert.equal(args.store, true);
    assert.deepEqual(args.configFlags, { 'store-url': 'sqlite::memory:' });
    assert.throws(() => parseSeedArgs(['--patients', '10', '--store', '--out', 'x']), /exactly one/);
  });
});
