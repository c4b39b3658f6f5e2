import assert from 'node:assert/strict';
import type { Patient } from 'fhir/r4';
import { generatePopulation } from '../../src/seed/generate';
import { hsaId, isValidPersonnummer, luhnDigit, personnummer, PERSONNUMMER_SYSTEM, SAMORDNINGSNUMMER_SYSTEM, sexOfPersonnummer } from '../../src/seed/identifiers';

// Personnummer rules: Skatteverket SKV 704 (birth date, birth number with sex digit, Luhn check digit; +60 on the
// day for a samordningsnummer).
describe('seed: national identifiers', () => {
  it('computes the Luhn check digit of the published example 811218-987(6)', () => {
    assert.equal(luhnDigit('811218987'), 6);
    assert.ok(isValidPersonnummer('198112189876'));
    assert.ok(!isValidPersonnummer('198112189875'));
  });

  it('encodes birth date, sex and check digit; a samordningsnummer adds 60 to the day', () => {
    const man = personnummer('1970-05-14', 'male', 17);
    assert.match(man, /^19700514\d{4}$/);
    assert.ok(isValidPersonnummer(man));
    assert.equal(sexOfPersonnummer(man), 'male');
    const woman = personnummer('1970-05-14', 'female', 17);
    assert.equal(sexOfPersonnummer(woman), 'female');
    assert.notEqual(man, woman);
    const coordination = personnummer('1985-02-28', 'female', 3, true);
    assert.equal(coordination.slice(6, 8), '88');
    assert.ok(isValidPersonnummer(coordination));
  });

  it('rejects impossible dates and wrong lengths', () => {
    assert.ok(!isValidPersonnummer('19700231' + '1234'));
    assert.ok(!isValidPersonnummer('7005141234'));
    assert.throws(() => personnummer('1970-05-14', 'male', 500));
  });

  it('gives every generated patient a valid, unique identifier matching their sex and birth date', () => {
    const seen = new Set<string>();
    let coordination = 0;
    for (const group of generatePopulation({ patients: 1000, seed: 11, fromYear: 2019, toYear: 2025 })) {
      const p = group[0] as Patient;
      if (p.resourceType !== 'Patient') continue;
      const id = p.identifier![0];
      assert.ok([PERSONNUMMER_SYSTEM, SAMORDNINGSNUMMER_SYSTEM].includes(id.system!), id.system);
      assert.ok(isValidPersonnummer(id.value!), `${id.value} has a bad check digit or date`);
      assert.equal(sexOfPersonnummer(id.value!), p.gender);
      const day = Number(id.value!.slice(6, 8));
      if (id.system === SAMORDNINGSNUMMER_SYSTEM) coordination++;
      assert.equal(id.value!.slice(0, 6) + String(id.system === SAMORDNINGSNUMMER_SYSTEM ? day - 60 : day).padStart(2, '0'), p.birthDate!.replace(/-/g, ''));
      assert.ok(!seen.has(id.value!), `duplicate ${id.value}`);
      seen.add(id.value!);
      assert.deepEqual(p.meta?.tag?.map((t) => t.code), ['synthetic']);
    }
    assert.equal(seen.size, 1000);
    assert.ok(coordination > 0, 'some people moving in have a samordningsnummer');
  });

  it('makes HSA-ids under the region organisation number', () => {
    assert.equal(hsaId('SYNV13801'), 'SE2321000115-SYNV13801');
    assert.throws(() => hsaId('bad-part'));
  });
});
