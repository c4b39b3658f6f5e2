import assert from 'node:assert/strict';
import type { FhirResource } from 'fhir/r4';
import { generatePopulation, seedPeriod, type SeedOptions } from '../../src/seed/generate';
import { populationStats, type PopulationStats } from './population-stats';

/**
 * The population stays within the bounds README.md ("Synthetic data") states, measured from the FHIR resources
 * alone. Bounds are Swedish/Halland figures with room for the sampling noise of 2,000 patients.
 */
describe('seed: distributions', function () {
  this.timeout(60_000);
  let stats: PopulationStats;
  before(() => {
    const options: SeedOptions = { patients: 2000, seed: 2, fromYear: 2019, toYear: 2025 };
    const resources: FhirResource[] = [];
    for (const group of generatePopulation(options)) for (const r of group) if (r.resourceType === 'Patient' || r.resourceType === 'Condition' || r.resourceType === 'Encounter') resources.push(r);
    stats = populationStats(resources, seedPeriod(options));
  });

  const within = (name: string, value: number, low: number, high: number) =>
    assert.ok(value >= low && value <= high, `${name} = ${value.toFixed(4)}, expected ${low}–${high}`);

  it('has the age and sex structure of a Swedish county', () => {
    within('share aged 0–19', stats.ageShares.under20, 0.2, 0.26);
    within('share aged 20–64', stats.ageShares.from20to64, 0.53, 0.61);
    within('share aged 65+', stats.ageShares.over65, 0.17, 0.24);
    within('share aged 80+', stats.ageShares.over80, 0.04, 0.07);
    within('share of women', stats.femaleShare, 0.47, 0.53);
  });

  it('spreads people over the six municipalities of Halland by population', () => {
    const bounds: Record<string, [number, number]> = {
      1380: [0.27, 0.34], 1384: [0.22, 0.29], 1383: [0.16, 0.23], 1382: [0.11, 0.17], 1381: [0.055, 0.1], 1315: [0.02, 0.05],
    };
    assert.deepEqual([...stats.municipalityShares.keys()].sort(), Object.keys(bounds).sort());
    for (const [code, [low, high]] of Object.entries(bounds)) within(`share in ${code}`, stats.municipalityShares.get(code)!, low, high);
  });

  it('has each chronic disease at its stated prevalence, and the cardiometabolic ones together', () => {
    const bounds: Record<string, [number, number]> = {
      I10: [0.13, 0.21], E11: [0.035, 0.075], I50: [0.01, 0.032], I48: [0.018, 0.045], J44: [0.014, 0.036], F32: [0.035, 0.07],
    };
    for (const [code, [low, high]] of Object.entries(bounds)) within(`prevalence of ${code}`, stats.prevalence.get(code)!, low, high);
    assert.ok(stats.comorbidityRatio('I10', 'E11') > 1.5, 'diabetes clusters with hypertension');
    assert.ok(stats.comorbidityRatio('I50', 'I48') > 1.5, 'atrial fibrillation clusters with heart failure');
  });

  it('has the stated contacts per person-year at each care level', () => {
    within('encounters per person-year', stats.encountersPerPersonYear, 2.0, 3.2);
    within('primary care', stats.encountersByLevel.get('primary-care')!, 1.4, 2.4);
    within('specialist outpatient', stats.encountersByLevel.get('specialist-outpatient')!, 0.2, 0.45);
    within('emergency', stats.encountersByLevel.get('emergency')!, 0.15, 0.35);
    within('inpatient stays', stats.encountersByLevel.get('inpatient')!, 0.07, 0.15);
  });

  it('censors person-time by deaths, moves out of the county and births at Swedish rates', () => {
    within('deaths per 1000 person-years', stats.deathsPer1000PersonYears, 7, 13);
    within('moved out per 1000 person-years', (stats.movedOut / stats.personYears) * 1000, 8, 25);
    within('born per 1000 person-years', (stats.born / stats.personYears) * 1000, 6, 14);
  });
});
