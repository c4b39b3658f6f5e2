import assert from 'node:assert/strict';
import type { Coding, Encounter, FhirResource } from 'fhir/r4';
import { validateResource } from '../../src/fhir/validate';
import { generatePopulation } from '../../src/seed/generate';
import { Terminology } from '../../src/seed/terminology';

/** Every Coding and every Reference.reference anywhere in a resource. */
function walk(value: unknown, codings: Coding[], references: string[]): void {
  if (Array.isArray(value)) for (const v of value) walk(v, codings, references);
  else if (value && typeof value === 'object') {
    const o = value as Record<string, unknown>;
    if (typeof o.system === 'string' && typeof o.code === 'string') codings.push(o as Coding);
    if (typeof o.reference === 'string') references.push(o.reference);
    for (const v of Object.values(o)) walk(v, codings, references);
  }
}

describe('seed: generated resources', () => {
  let resources: FhirResource[];
  before(() => {
    resources = [];
    for (const group of generatePopulation({ patients: 150, seed: 3, fromYear: 2019, toYear: 2025 })) resources.push(...group);
  });

  it('are all valid against the server validator', () => {
    const invalid = resources
      .map((r) => ({ r, issues: validateResource(r) }))
      .filter((x) => x.issues.length)
      .slice(0, 3)
      .map((x) => `${x.r.resourceType}/${x.r.id}: ${x.issues[0].diagnostics} ${x.issues[0].expression ?? ''}`);
    assert.deepEqual(invalid, []);
  });

  it('cover every resource type the issue asks for, each tagged synthetic, with unique ids', () => {
    const types = new Set<string>(resources.map((r) => r.resourceType));
    for (const t of ['Patient', 'Organization', 'Location', 'Practitioner', 'PractitionerRole', 'Encounter', 'Condition', 'Procedure',
      'Observation', 'ImagingStudy', 'MedicationRequest', 'MedicationDispense', 'Immunization', 'CodeSystem']) assert.ok(types.has(t), t);
    const keys = new Set<string>();
    for (const r of resources) {
      const key = `${r.resourceType}/${r.id}`;
      assert.ok(!keys.has(key), `duplicate ${key}`);
      keys.add(key);
      if (r.resourceType !== 'CodeSystem') assert.equal(r.meta?.tag?.[0].code, 'synthetic', key);
    }
  });

  it('only reference resources of the generated set (referential integrity)', () => {
    const keys = new Set(resources.map((r) => `${r.resourceType}/${r.id}`));
    const dangling: string[] = [];
    for (const r of resources) {
      const references: string[] = [];
      walk(r, [], references);
      for (const ref of references) if (!keys.has(ref)) dangling.push(`${r.resourceType}/${r.id} -> ${ref}`);
    }
    assert.deepEqual(dangling.slice(0, 5), []);
  });

  it('take every code of a terminology/ system from those files, with its display', () => {
    const terms = Terminology.load();
    const known = new Map(terms.codeSystems.map((cs) => [cs.url!, new Map((cs.concept ?? []).map((c) => [c.code, c.display]))]));
    const used = new Map<string, Set<string>>();
    for (const r of resources) {
      if (r.resourceType === 'CodeSystem') continue;
      const codings: Coding[] = [];
      walk(r, codings, []);
      for (const c of codings) {
        const concepts = known.get(c.system!);
        if (!concepts) continue;
        assert.ok(concepts.has(c.code!), `${c.system}|${c.code} in ${r.resourceType}/${r.id} is not in terminology/`);
        if (c.display !== undefined) assert.equal(c.display, concepts.get(c.code!));
        used.set(c.system!, (used.get(c.system!) ?? new Set()).add(c.code!));
      }
    }
    for (const url of ['urn:oid:1.2.752.116.1.1.1.1.3', 'urn:oid:1.2.752.116.1.3.2.1.4', 'http://www.whocc.no/atc', 'http://loinc.org']) {
      assert.ok((used.get(url)?.size ?? 0) > 3, `codes of ${url} are used`);
    }
  });

  it('give encounters a care level, provider, participants with minutes and ranked diagnoses', () => {
    const encounters = resources.filter((r): r is Encounter => r.resourceType === 'Encounter');
    const levels = new Set<string>();
    for (const e of encounters) {
      const level = e.type![0].coding![0].code!;
      levels.add(level);
      assert.ok(e.serviceProvider?.reference?.startsWith('Organization/'));
      assert.ok(e.participant!.length > 0);
      for (const p of e.participant!) {
        const minutes = (Date.parse(p.period!.end!) - Date.parse(p.period!.start!)) / 60000;
        assert.ok(minutes >= 5 && minutes <= 180, `participant minutes ${minutes}`);
        assert.ok(p.individual!.reference!.startsWith('Practitioner/'));
      }
      assert.deepEqual((e.diagnosis ?? []).map((d) => d.rank), (e.diagnosis ?? []).map((_, i) => i + 1));
      if (level === 'inpatient') {
        assert.equal(e.length!.code, 'd');
        assert.ok(e.length!.value! >= 1 || e.hospitalization!.dischargeDisposition!.coding![0].code === 'exp');
        assert.ok(e.location![0].location.reference!.startsWith('Location/'));
        assert.ok(e.hospitalization!.admitSource && e.hospitalization!.dischargeDisposition);
        assert.equal(e.diagnosis![0].use!.coding![0].code, 'DD');
      } else {
        assert.equal(e.length!.code, 'min');
      }
    }
    assert.deepEqual([...levels].sort(), ['emergency', 'inpatient', 'primary-care', 'specialist-outpatient']);
  });

  it('keep every encounter inside the patient\'s observed life (after birth, before death or moving out)', () => {
    const patients = new Map(resources.filter((r) => r.resourceType === 'Patient').map((p) => [`Patient/${p.id}`, p]));
    for (const e of resources.filter((r): r is Encounter => r.resourceType === 'Encounter')) {
      const p = patients.get(e.subject!.reference!)! as import('fhir/r4').Patient;
      const end = Date.parse(e.period!.end!);
      assert.ok(Date.parse(e.period!.start!) >= Date.parse(p.birthDate!), `${e.id} before birth`);
      if (p.deceasedDateTime) assert.ok(end <= Date.parse(p.deceasedDateTime), `${e.id} after death`);
      const moved = p.address![0].period!.end;
      if (moved) assert.ok(end <= Date.parse(moved) + 86_400_000, `${e.id} after moving out`);
    }
  });
});
