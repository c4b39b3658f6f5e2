import type { Address, Patient } from 'fhir/r4';
import { date, dateTime, DAY_MS, MUNICIPALITY_EXTENSION, ref, syntheticMeta, YEAR_MS } from './fhir-helpers';
import { PERSONNUMMER_SYSTEM, SAMORDNINGSNUMMER_SYSTEM } from './identifiers';
import type { Person } from './life';
import { FEMALE_NAMES, MALE_NAMES, STREETS, SURNAMES } from './names';
import type { Random } from './prng';
import type { Terminology } from './terminology';

/** The Patient resource of a person: identifier, name, sex, birth, death, home address with its municipality. */
export function patientResource(rng: Random, id: string, person: Person, nationalId: string, centreId: string, terms: Terminology): Patient {
  const female = person.sex === 'female';
  const given = [rng.pick(female ? FEMALE_NAMES : MALE_NAMES)];
  if (rng.chance(0.3)) given.push(rng.pick(female ? FEMALE_NAMES : MALE_NAMES));
  const patient: Patient = {
    resourceType: 'Patient',
    id,
    meta: syntheticMeta(terms),
    identifier: [{ system: person.coordinationNumber ? SAMORDNINGSNUMMER_SYSTEM : PERSONNUMMER_SYSTEM, value: nationalId }],
    active: true,
    name: [{ use: 'official', family: rng.pick(SURNAMES), given }],
    gender: person.sex,
    birthDate: date(person.birthMs),
    address: [homeAddress(rng, person, terms)],
    generalPractitioner: [ref('Organization', centreId)],
    managingOrganization: ref('Organization', 'hal-region'),
  };
  if (person.exitReason === 'death') patient.deceasedDateTime = dateTime(person.exitMs);
  return patient;
}

/** The home address, valid from moving in (or birth) and, for people who moved out of the county, ended then. */
function homeAddress(rng: Random, person: Person, terms: Terminology): Address {
  const m = person.municipality;
  // A resident moved to the current address some time after birth and before the period.
  const startMs = person.entryKind === 'resident'
    ? Math.max(person.birthMs, person.entryMs - Math.floor(rng.next() * 30) * YEAR_MS - rng.int(0, 364) * DAY_MS)
    : person.entryMs;
  const address: Address = {
    extension: [{ url: MUNICIPALITY_EXTENSION, valueCoding: terms.coding('municipality', m.code) }],
    use: 'home',
    type: 'physical',
    line: [`${rng.pick(STREETS)} ${rng.int(1, 120)}`],
    city: m.name,
    district: 'Hallands län',
    postalCode: `${rng.pick(m.postalPrefixes)} ${String(rng.int(10, 99)).padStart(2, '0')}`,
    country: 'SE',
    period: { start: date(startMs) },
  };
  if (person.exitReason === 'moved-out') address.period!.end = date(person.exitMs);
  return address;
}
