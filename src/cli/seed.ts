import { loadConfig, type Config } from '../config';
import { checkSeedOptions, generatePopulation, DEFAULT_SEED_OPTIONS, type SeedOptions } from '../seed/generate';
import { NdjsonWriter, type OutputFormat } from '../seed/ndjson-writer';
import { formatSeconds, ProgressBar } from '../seed/progress';
import { loadIntoStore } from '../seed/store-loader';
import { openStore } from '../store/open';

/**
 * `region-fhir seed --patients N [--seed S] [--from 2019 --to 2025] (--out DIR [--format ndjson|bundles] | --store)`:
 * generates the synthetic population and writes it to NDJSON files or into the store named by STORE_URL
 * (or --store-url). Progress goes to stderr when it is a terminal; a summary line always does.
 */

export const SEED_USAGE = `  seed       generate the synthetic regional population:
             --patients N [--seed S] [--from 2019] [--to 2025]
             --out DIR [--format ndjson|bundles]   NDJSON per resource type, or one transaction Bundle per patient
             --store [--store-url URL]             into the store of STORE_URL, through validation and indexing`;

interface SeedArgs {
  options: SeedOptions;
  out?: string;
  format: OutputFormat;
  store: boolean;
  /** Flags for the store configuration (--store-url, --sqlite-synchronous, ...). */
  configFlags: Record<string, string>;
}

export async function seedCommand(args: string[], env: Record<string, string | undefined>): Promise<number> {
  let parsed: SeedArgs;
  let config: Config | undefined;
  try {
    parsed = parseSeedArgs(args);
    if (parsed.store) config = loadConfig(env, parsed.configFlags);
  } catch (err) {
    process.stderr.write(`region-fhir seed: ${(err as Error).message}\n${SEED_USAGE}\n`);
    return 2;
  }
  const started = Date.now();
  const progress = new ProgressBar(process.stderr, parsed.options.patients, 'patients');
  let resources = 0;
  let patients = 0;
  const groups = countingGroups(generatePopulation(parsed.options), (n, r) => {
    patients = n;
    resources = r;
    progress.update(patients, resources);
  });
  if (parsed.out) {
    const writer = new NdjsonWriter(parsed.out, parsed.format);
    try {
      for (const group of groups) writer.writeGroup(group);
    } finally {
      writer.close();
    }
  } else {
    const store = await openStore(config!);
    try {
      await loadIntoStore(store, groups);
    } finally {
      await store.close();
    }
  }
  progress.update(patients, resources, true);
  progress.finish();
  const seconds = (Date.now() - started) / 1000;
  const where = parsed.out ? parsed.out : 'the store';
  process.stderr.write(`seeded ${patients} patients, ${resources} resources into ${where} in ${formatSeconds(seconds)} ` +
    `(${Math.round(resources / seconds)} resources/s)\n`);
  return 0;
}

/** Counts the patients (the first group is the directory of units and staff) and resources passing through. */
function* countingGroups<T extends unknown[]>(groups: Iterable<T>, onGroup: (patients: number, resources: number) => void): Generator<T> {
  let index = 0;
  let resources = 0;
  for (const group of groups) {
    resources += group.length;
    yield group;
    onGroup(index++, resources);
  }
}

export function parseSeedArgs(args: string[]): SeedArgs {
  const options: SeedOptions = { ...DEFAULT_SEED_OPTIONS };
  const result: SeedArgs = { options, format: 'ndjson', store: false, configFlags: {} };
  let patientsGiven = false;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (!arg.startsWith('--')) throw new Error(`unexpected argument '${arg}'`);
    const eq = arg.indexOf('=');
    const name = eq > 0 ? arg.slice(2, eq) : arg.slice(2);
    if (name === 'store' && eq < 0) {
      result.store = true;
      continue;
    }
    const value = eq > 0 ? arg.slice(eq + 1) : args[++i];
    if (value === undefined) throw new Error(`flag --${name} needs a value`);
    switch (name) {
      case 'patients':
        options.patients = integer(name, value);
        patientsGiven = true;
        break;
      case 'seed':
        options.seed = integer(name, value);
        break;
      case 'from':
        options.fromYear = integer(name, value);
        break;
      case 'to':
        options.toYear = integer(name, value);
        break;
      case 'out':
        result.out = value;
        break;
      case 'format':
        if (value !== 'ndjson' && value !== 'bundles') throw new Error('--format must be ndjson or bundles');
        result.format = value;
        break;
      default:
        result.configFlags[name] = value;
    }
  }
  if (!patientsGiven) throw new Error('--patients is required');
  if (result.store === (result.out !== undefined)) throw new Error('give exactly one of --out DIR and --store');
  checkSeedOptions(options);
  return result;
}

function integer(name: string, value: string): number {
  if (!/^\d+$/.test(value)) throw new Error(`--${name} must be a non-negative integer, got '${value}'`);
  return Number(value);
}
