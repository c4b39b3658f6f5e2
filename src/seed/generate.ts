import type { FhirResource } from 'fhir/r4';
import { date } from './fhir-helpers';
import { personnummer } from './identifiers';
import { drawPerson, planContacts, type Period, type Person } from './life';
import { RegionUnits } from './organizations';
import { patientResource } from './patient';
import { Random } from './prng';
import { PatientRecord } from './record';
import { RegionStaff } from './staff';
import { Terminology } from './terminology';

/**
 * The synthetic regional population as a stream of FHIR resources: the code systems, then the region's units and
 * staff, then each patient followed by everything recorded about them. Only one patient's resources are held at a
 * time, so memory does not grow with the population. Patient i is drawn from a random stream keyed by (seed, i)
 * alone: the same seed gives byte-identical resources in the same order.
 */

export interface SeedOptions {
  patients: number;
  seed: number;
  /** First and last calendar year of the period (inclusive). */
  fromYear: number;
  toYear: number;
}

export const DEFAULT_SEED_OPTIONS: SeedOptions = { patients: 1000, seed: 1, fromYear: 2019, toYear: 2025 };

export function seedPeriod(options: SeedOptions): Period {
  return { startMs: Date.UTC(options.fromYear, 0, 1), endMs: Date.UTC(options.toYear + 1, 0, 1) };
}

/** The stream; each yielded batch is one group (the directory, or one patient's record), patient first. */
export function* generatePopulation(options: SeedOptions, terms: Terminology = Terminology.load()): Generator<FhirResource[]> {
  checkSeedOptions(options);
  const units = new RegionUnits();
  const staff = new RegionStaff(units);
  const directory: FhirResource[] = [...terms.codeSystems];
  for (const unit of units.units) {
    directory.push(units.organization(unit, terms));
    if (unit.locationId) directory.push(units.location(unit, terms));
  }
  for (const member of staff.members) directory.push(staff.practitioner(member, terms), staff.role(member, terms));
  yield directory;
  const period = seedPeriod(options);
  const serials = new NationalIdRegistry();
  for (let i = 0; i < options.patients; i++) {
    const rng = new Random(`${options.seed}/patient/${i}`);
    const person = drawPerson(rng, period);
    const id = `s${options.seed}-p${i + 1}`;
    const centre = rng.pick(units.primaryCareCentres(person.municipality.code));
    const nationalId = serials.assign(rng, person);
    const contacts = planContacts(rng, person);
    const record = new PatientRecord(rng, { terms, units, staff, periodEndMs: period.endMs }, person, id, centre);
    record.build(contacts);
    yield [patientResource(rng, id, person, nationalId, centre.id, terms), ...record.resources];
  }
}

/**
 * Hands out national ids so that no two patients of a population share one: a random birth number for the birth
 * date and sex, moved on to the next free one when taken. Holds one entry per patient (a few MB at 100,000).
 */
class NationalIdRegistry {
  private readonly taken = new Set<string>();

  assign(rng: Random, person: Person): string {
    const start = rng.int(0, 499);
    for (let k = 0; k < 500; k++) {
      const value = personnummer(date(person.birthMs), person.sex, (start + k) % 500, person.coordinationNumber);
      if (!this.taken.has(value)) {
        this.taken.add(value);
        return value;
      }
    }
    throw new Error(`more than 500 people of one sex born on ${date(person.birthMs)}`);
  }
}

/** Throws with a message naming the CLI flag when an option is out of range. */
export function checkSeedOptions(o: SeedOptions): void {
  if (!Number.isInteger(o.patients) || o.patients < 1) throw new Error('--patients must be a positive integer');
  if (!Number.isInteger(o.seed) || o.seed < 0) throw new Error('--seed must be a non-negative integer');
  if (!Number.isInteger(o.fromYear) || !Number.isInteger(o.toYear) || o.fromYear < 1900 || o.toYear > 2100 || o.toYear < o.fromYear) {
    throw new Error('--from and --to must be years, from <= to');
  }
}
