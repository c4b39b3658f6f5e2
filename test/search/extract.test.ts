import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import type { FhirResource } from 'fhir/r4';
import { IndexExtractor, type SkippedParameter } from '../../src/search/extract';
import type { EntryBase, IndexEntries } from '../../src/search/index-model';
import { compileEngine } from '../../src/search/extract-fhirpath';
import { EXACT_MAX_LENGTH, FOLDED_MAX_LENGTH, foldString } from '../../src/search/normalize';
import { MAX_INSTANT, MIN_INSTANT } from '../../src/search/extract-dates';
import { MAX_NUMBER } from '../../src/search/extract-numbers';
import { resourceTypes } from '../../src/fhir/definitions';

/**
 * Index extraction: every R4 SearchParameter evaluated at write time and normalised by type.
 * https://hl7.org/fhir/R4/search.html (parameter types), https://hl7.org/fhir/R4/searchparameter-registry.html
 */

const extractor = new IndexExtractor();

function extract(resource: Record<string, unknown>, using: IndexExtractor = extractor): IndexEntries {
  return using.extract(resource as unknown as FhirResource);
}

/** The entries of one parameter, without the `param` field, so assertions read like the values themselves. */
function of<K extends keyof IndexEntries>(entries: IndexEntries, list: K, param: string): Array<Omit<IndexEntries[K][number], 'param'>> {
  return (entries[list] as EntryBase[]).filter((e) => e.param === param).map(({ param: _p, ...rest }) => rest) as never;
}

function sharedData(...parts: string[]): string | undefined {
  const dir = path.resolve(process.cwd(), '..', 'shared', 'data', ...parts);
  return fs.existsSync(dir) ? dir : undefined;
}

describe('Index extraction: plans', () => {
  const skipped = new Map<string, string>();
  const engine: string[] = [];
  before(() => {
    for (const type of resourceTypes()) {
      for (const p of extractor.describePlan(type)) {
        if (p.route === 'skipped') skipped.set(`${type}.${p.code}`, p.reason ?? '');
        else if (p.route !== 'fast') engine.push(`${type}.${p.code}`);
      }
    }
  });

  it('compiles every parameter of every type except the few that cannot be indexed at write time', () => {
    const unexpected = [...skipped].filter(([key]) => !/\.(_text|_content|_query)$/.test(key) && !/^Observation\.combo-/.test(key));
    assert.deepEqual(
      unexpected.map(([key]) => key),
      ['Bundle.composition', 'Bundle.message', 'DeviceDefinition.classification', 'Location.near'],
      unexpected.map(([k, r]) => `${k}: ${r}`).join('\n'),
    );
  });

  it('reads every expression straight from the JSON except Patient.deceased, which goes to the FHIRPath engine', () => {
    assert.deepEqual(engine, ['Patient.deceased']);
  });

  it('keeps the Resource-level parameters for a type the R4 model lacks (SubscriptionStatus, from R4B)', () => {
    const e = extract({ resourceType: 'SubscriptionStatus', id: 's1', meta: { lastUpdated: '2024-01-02T03:04:05.678Z' } });
    assert.deepEqual(of(e, 'tokens', '_id'), [{ system: '', code: 's1' }]);
    assert.equal(of(e, 'dates', '_lastUpdated').length, 1);
  });
});

describe('Index extraction: string (https://hl7.org/fhir/R4/search.html#string)', () => {
  it('indexes each HumanName part on its own, case- and accent-folded, with the exact text kept', () => {
    const e = extract({ resourceType: 'Patient', name: [{ family: 'Öberg', given: ['Åsa', 'Maria'], prefix: ['Dr.'], text: 'Dr. Åsa  Öberg' }] });
    assert.deepEqual(of(e, 'strings', 'family'), [{ value: 'oberg', exact: 'Öberg' }]);
    assert.deepEqual(of(e, 'strings', 'given'), [{ value: 'asa', exact: 'Åsa' }, { value: 'maria', exact: 'Maria' }]);
    assert.deepEqual(
      of(e, 'strings', 'name').map((s) => s.value),
      ['oberg', 'asa', 'maria', 'dr.', 'dr. asa oberg'],
    );
  });

  it('folds letters that carry no combining mark', () => {
    assert.equal(foldString('Æbeltoft Søren Straße'), 'aebeltoft soren strasse');
    assert.equal(foldString('  Ångström\t\nÄlv  '), 'angstrom alv');
  });

  it('indexes each Address part on its own', () => {
    const e = extract({
      resourceType: 'Patient',
      address: [{ line: ['Storgatan 1', 'Lgh 1102'], city: 'Malmö', postalCode: '211 22', country: 'SE' }],
    });
    assert.deepEqual(
      of(e, 'strings', 'address').map((s) => s.value),
      ['storgatan 1', 'lgh 1102', 'malmo', '211 22', 'se'],
    );
    assert.deepEqual(of(e, 'strings', 'address-city'), [{ value: 'malmo', exact: 'Malmö' }]);
  });

  it('caps very long values', () => {
    const long = 'x'.repeat(5000);
    const [entry] = of(extract({ resourceType: 'Organization', name: long }), 'strings', 'name');
    assert.equal(entry.value.length, FOLDED_MAX_LENGTH);
    assert.equal(entry.exact.length, EXACT_MAX_LENGTH);
  });

  it('reads a string branch of a choice through `(x as string)` and `.text` after it', () => {
    const e = extract({ resourceType: 'Observation', valueCodeableConcept: { text: 'Positiv' } });
    assert.deepEqual(of(e, 'strings', 'value-string'), [{ value: 'positiv', exact: 'Positiv' }]);
  });
});

describe('Index extraction: token (https://hl7.org/fhir/R4/search.html#token)', () => {
  it('gives one entry per coding of a CodeableConcept, with its display as text, and one for CodeableConcept.text', () => {
    const code = { coding: [{ system: 'http://loinc.org', code: '8480-6', display: 'Systolic BP' }, { code: 'local' }], text: 'Blodtryck' };
    assert.deepEqual(of(extract({ resourceType: 'Observation', code }), 'tokens', 'code'), [
      { system: 'http://loinc.org', code: '8480-6', text: 'systolic bp' },
      { system: '', code: 'local' },
      { system: '', code: '', text: 'blodtryck' },
    ]);
  });

  it('gives Identifier.value as code with its type codings for :of-type', () => {
    const identifier = [
      {
        system: 'http://electronichealth.se/identifier/personnummer',
        value: '191212121212',
        type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0203', code: 'NI' }], text: 'Personnummer' },
      },
      { value: 'no-system' },
    ];
    assert.deepEqual(of(extract({ resourceType: 'Patient', identifier }), 'tokens', 'identifier'), [
      {
        system: 'http://electronichealth.se/identifier/personnummer',
        code: '191212121212',
        text: 'personnummer',
        typeSystem: 'http://terminology.hl7.org/CodeSystem/v2-0203',
        typeCode: 'NI',
      },
      { system: '', code: 'no-system' },
    ]);
  });

  it('matches a ContactPoint on its value, and `telecom.where(system=…)` keeps only that system', () => {
    const telecom = [{ system: 'phone', value: '+46 8 123 456' }, { system: 'email', value: 'asa@example.se' }];
    const e = extract({ resourceType: 'Patient', telecom });
    assert.deepEqual(of(e, 'tokens', 'phone'), [{ system: '', code: '+46 8 123 456' }]);
    assert.deepEqual(of(e, 'tokens', 'email'), [{ system: '', code: 'asa@example.se' }]);
    assert.equal(of(e, 'tokens', 'telecom').length, 2);
  });

  it('gives booleans and codes with an empty system', () => {
    const e = extract({ resourceType: 'Patient', active: false, gender: 'female' });
    assert.deepEqual(of(e, 'tokens', 'active'), [{ system: '', code: 'false' }]);
    assert.deepEqual(of(e, 'tokens', 'gender'), [{ system: '', code: 'female' }]);
  });

  it('evaluates Patient.deceased (`exists() and != false`) through the FHIRPath engine', () => {
    const code = (extra: Record<string, unknown>): unknown => of(extract({ resourceType: 'Patient', ...extra }), 'tokens', 'deceased');
    assert.deepEqual(code({}), [{ system: '', code: 'false' }]);
    assert.deepEqual(code({ deceasedBoolean: false }), [{ system: '', code: 'false' }]);
    assert.deepEqual(code({ deceasedBoolean: true }), [{ system: '', code: 'true' }]);
    assert.deepEqual(code({ deceasedDateTime: '2020-02-03' }), [{ system: '', code: 'true' }]);
  });

  it('indexes _id, _tag and _security from Resource', () => {
    const meta = { tag: [{ system: 'urn:t', code: 'x' }], security: [{ system: 'urn:s', code: 'R' }] };
    const e = extract({ resourceType: 'Condition', id: 'c1', meta });
    assert.deepEqual(of(e, 'tokens', '_id'), [{ system: '', code: 'c1' }]);
    assert.deepEqual(of(e, 'tokens', '_tag'), [{ system: 'urn:t', code: 'x' }]);
    assert.deepEqual(of(e, 'tokens', '_security'), [{ system: 'urn:s', code: 'R' }]);
  });
});

describe('Index extraction: date (https://hl7.org/fhir/R4/search.html#date)', () => {
  it('gives a date the whole of its precision', () => {
    assert.deepEqual(of(extract({ resourceType: 'Patient', birthDate: '1974-12' }), 'dates', 'birthdate'), [
      { low: '1974-12-01T00:00:00.000Z', high: '1974-12-31T23:59:59.999Z' },
    ]);
  });

  it('moves a dateTime with an offset to UTC', () => {
    const e = extract({ resourceType: 'Observation', effectiveDateTime: '2013-04-02T10:30:10+01:00' });
    assert.deepEqual(of(e, 'dates', 'date'), [{ low: '2013-04-02T09:30:10.000Z', high: '2013-04-02T09:30:10.999Z' }]);
  });

  it('keeps an instant to the millisecond', () => {
    const e = extract({ resourceType: 'Patient', meta: { lastUpdated: '2024-05-06T07:08:09.123-02:00' } });
    assert.deepEqual(of(e, 'dates', '_lastUpdated'), [{ low: '2024-05-06T09:08:09.123Z', high: '2024-05-06T09:08:09.123Z' }]);
  });

  it('gives a Period its ends, an absent end being open', () => {
    const open = extract({ resourceType: 'Encounter', period: { start: '2024-01-01T08:00:00Z' } });
    assert.deepEqual(of(open, 'dates', 'date'), [{ low: '2024-01-01T08:00:00.000Z', high: MAX_INSTANT }]);
    const closedStart = extract({ resourceType: 'Encounter', period: { end: '2024-01-02' } });
    assert.deepEqual(of(closedStart, 'dates', 'date'), [{ low: MIN_INSTANT, high: '2024-01-02T23:59:59.999Z' }]);
  });

  it('gives a Timing only its outer limits, over its events and bounds', () => {
    const timing = { event: ['2024-03-05', '2024-03-01'], repeat: { boundsPeriod: { start: '2024-02-20', end: '2024-03-02' } } };
    const e = extract({ resourceType: 'ServiceRequest', occurrenceTiming: timing });
    assert.deepEqual(of(e, 'dates', 'occurrence'), [{ low: '2024-02-20T00:00:00.000Z', high: '2024-03-05T23:59:59.999Z' }]);
  });

  it('gives nothing for an Age or Range on a date parameter', () => {
    const e = extract({ resourceType: 'Condition', onsetAge: { value: 52, unit: 'a' }, abatementRange: { low: { value: 1 } } });
    assert.deepEqual(of(e, 'dates', 'onset-date'), []);
    assert.deepEqual(of(e, 'dates', 'abatement-date'), []);
  });
});

describe('Index extraction: number and quantity (https://hl7.org/fhir/R4/search.html#number, #quantity)', () => {
  it('gives a number the range its written precision implies', () => {
    const risk = (probability: number): unknown =>
      of(extract({ resourceType: 'RiskAssessment', prediction: [{ probabilityDecimal: probability }] }), 'numbers', 'probability');
    assert.deepEqual(risk(100), [{ value: 100, low: 99.5, high: 100.5 }]);
    assert.deepEqual(risk(1.5), [{ value: 1.5, low: 1.45, high: 1.55 }]);
    assert.deepEqual(risk(0.02), [{ value: 0.02, low: 0.015, high: 0.025 }]);
    assert.deepEqual(risk(1e-7), [{ value: 1e-7, low: 5e-8, high: 1.5e-7 }]);
  });

  it('gives a Range on a number parameter its ends as the range', () => {
    const e = extract({ resourceType: 'RiskAssessment', prediction: [{ probabilityRange: { low: { value: 0.2 }, high: { value: 0.4 } } }] });
    assert.deepEqual(of(e, 'numbers', 'probability'), [{ value: 0.2, low: 0.15, high: 0.45 }]);
  });

  it('gives a Quantity its value range, system, code and unit', () => {
    const valueQuantity = { value: 6.3, unit: 'mmol/l', system: 'http://unitsofmeasure.org', code: 'mmol/L' };
    assert.deepEqual(of(extract({ resourceType: 'Observation', valueQuantity }), 'quantities', 'value-quantity'), [
      { value: 6.3, low: 6.25, high: 6.35, system: 'http://unitsofmeasure.org', code: 'mmol/L', unit: 'mmol/l' },
    ]);
  });

  it('gives Money the ISO 4217 system and its currency as code', () => {
    assert.deepEqual(of(extract({ resourceType: 'Invoice', totalGross: { value: 48, currency: 'SEK' } }), 'quantities', 'totalgross'), [
      { value: 48, low: 47.5, high: 48.5, system: 'urn:iso:std:iso:4217', code: 'SEK', unit: 'SEK' },
    ]);
  });

  it('gives an Age (a kind of Quantity) and a Range on a quantity parameter', () => {
    const age = extract({ resourceType: 'Condition', onsetAge: { value: 52, unit: 'a', system: 'http://unitsofmeasure.org', code: 'a' } });
    assert.deepEqual(of(age, 'quantities', 'onset-age'), [{ value: 52, low: 51.5, high: 52.5, system: 'http://unitsofmeasure.org', code: 'a', unit: 'a' }]);
    const range = extract({ resourceType: 'Condition', onsetRange: { low: { value: 50, unit: 'a' } } });
    assert.deepEqual(of(range, 'quantities', 'onset-age'), [{ value: 50, low: 49.5, high: MAX_NUMBER, system: '', code: '', unit: 'a' }]);
  });
});

describe('Index extraction: reference and uri (https://hl7.org/fhir/R4/search.html#reference, #uri)', () => {
  it('keeps only references to Patients for `subject.where(resolve() is Patient)`', () => {
    const toPatient = extract({ resourceType: 'Observation', subject: { reference: 'Patient/p1' } });
    assert.deepEqual(of(toPatient, 'references', 'subject'), [{ targetType: 'Patient', targetId: 'p1' }]);
    assert.deepEqual(of(toPatient, 'references', 'patient'), [{ targetType: 'Patient', targetId: 'p1' }]);
    const toGroup = extract({ resourceType: 'Observation', subject: { reference: 'Group/g1' } });
    assert.deepEqual(of(toGroup, 'references', 'subject'), [{ targetType: 'Group', targetId: 'g1' }]);
    assert.deepEqual(of(toGroup, 'references', 'patient'), []);
  });

  it('reads versioned, absolute, urn and logical references; skips contained ones', () => {
    const performer = [
      { reference: 'Practitioner/pr1/_history/3' },
      { reference: 'https://fhir.region.se/fhir/Practitioner/pr2' },
      { reference: 'urn:uuid:8c2a7b8e-1b1f-4b5c-9a65-1f0e4d4b7e11' },
      { reference: '#contained-1' },
      { identifier: { system: 'urn:oid:1.2.752.29.4.19', value: 'SE2321000016-1' }, display: 'Vårdcentralen' },
      { display: 'display only' },
    ];
    assert.deepEqual(of(extract({ resourceType: 'Observation', performer }), 'references', 'performer'), [
      { targetType: 'Practitioner', targetId: 'pr1', version: '3' },
      { targetType: 'Practitioner', targetId: 'pr2', url: 'https://fhir.region.se/fhir/Practitioner/pr2' },
      { url: 'urn:uuid:8c2a7b8e-1b1f-4b5c-9a65-1f0e4d4b7e11' },
      { identifierSystem: 'urn:oid:1.2.752.29.4.19', identifierValue: 'SE2321000016-1' },
    ]);
  });

  it('gives an absolute reference to another service only its url when the local bases are known', () => {
    const local = new IndexExtractor({ localBases: ['https://fhir.region.se/fhir/'] });
    const subject = (reference: string): unknown => of(extract({ resourceType: 'Observation', subject: { reference } }, local), 'references', 'subject');
    assert.deepEqual(subject('https://fhir.region.se/fhir/Patient/p1'), [
      { targetType: 'Patient', targetId: 'p1', url: 'https://fhir.region.se/fhir/Patient/p1' },
    ]);
    assert.deepEqual(subject('https://other.example/fhir/Patient/p1'), [{ url: 'https://other.example/fhir/Patient/p1' }]);
  });

  it('splits a canonical reference into url and version', () => {
    const e = extract({ resourceType: 'QuestionnaireResponse', questionnaire: 'http://region.se/Questionnaire/phq-9|2.1' });
    assert.deepEqual(of(e, 'references', 'questionnaire'), [{ url: 'http://region.se/Questionnaire/phq-9', version: '2.1' }]);
  });

  it('keeps uris as written', () => {
    const e = extract({ resourceType: 'ValueSet', url: 'http://region.se/ValueSet/Kön', meta: { profile: ['http://x/SD|1'] } });
    assert.deepEqual(of(e, 'uris', 'url'), [{ uri: 'http://region.se/ValueSet/Kön' }]);
    assert.deepEqual(of(e, 'uris', '_profile'), [{ uri: 'http://x/SD|1' }]);
  });

  it('lets the FHIRPath engine answer `resolve() is T` from the literal reference', () => {
    const evaluate = compileEngine("Observation.subject.where(resolve() is Patient).reference | Observation.subject.where(resolve() is Group).reference");
    const obs = { resourceType: 'Observation', subject: { reference: 'Patient/p1' } };
    const found = evaluate([], { value: obs, type: 'Observation' });
    assert.deepEqual(found.map((v) => v.value), ['Patient/p1']);
  });
});

describe('Index extraction: composite (https://hl7.org/fhir/R4/search.html#composite)', () => {
  const bloodPressure = {
    resourceType: 'Observation',
    code: { coding: [{ system: 'http://loinc.org', code: '85354-9' }] },
    valueQuantity: { value: 1, unit: 'x' },
    component: [
      { code: { coding: [{ system: 'http://loinc.org', code: '8480-6' }] }, valueQuantity: { value: 120, code: 'mm[Hg]' } },
      { code: { coding: [{ system: 'http://loinc.org', code: '8462-4' }] }, valueQuantity: { value: 80, code: 'mm[Hg]' } },
      { code: { coding: [{ system: 'http://loinc.org', code: '8867-4' }] }, valueString: 'no quantity' },
    ],
  };

  /** The tuples of a composite as "code=value" strings, from its token (component 0) and quantity (1) entries. */
  function tuples(e: IndexEntries, param: string): string[] {
    const codes = e.tokens.filter((t) => t.param === param && t.component === 0);
    const values = e.quantities.filter((q) => q.param === param && q.component === 1);
    return codes.flatMap((c) => values.filter((v) => v.tuple === c.tuple).map((v) => `${c.tuple}:${c.code}=${v.value}`));
  }

  it('pairs Observation.code with Observation.value only, in code-value-quantity', () => {
    assert.deepEqual(tuples(extract(bloodPressure), 'code-value-quantity'), ['0:85354-9=1']);
  });

  it('pairs each component code with its own value, in component-code-value-quantity', () => {
    assert.deepEqual(tuples(extract(bloodPressure), 'component-code-value-quantity'), ['0:8480-6=120', '1:8462-4=80']);
  });

  it('does not store combo-* parameters, whose parts answer them (src/search/aliases.ts)', () => {
    const e = extract(bloodPressure);
    for (const list of Object.values(e)) assert.equal(list.some((x: { param: string }) => x.param.startsWith('combo-')), false);
    assert.deepEqual(tuples(e, 'code-value-quantity'), ['0:85354-9=1']);
  });

  it('stores no part of a tuple that lacks a component', () => {
    const e = extract(bloodPressure);
    assert.equal(e.tokens.some((t) => t.param === 'component-code-value-quantity' && t.code === '8867-4'), false);
  });

  it('evaluates %resource in a component (MolecularSequence variant coordinates)', () => {
    const seq = {
      resourceType: 'MolecularSequence',
      referenceSeq: { chromosome: { coding: [{ code: '9' }] } },
      variant: [{ start: 22125503, end: 22125504 }],
    };
    const e = extract(seq);
    const param = 'chromosome-variant-coordinate';
    assert.deepEqual(e.tokens.filter((t) => t.param === param).map((t) => [t.tuple, t.component, t.code]), [[0, 0, '9']]);
    assert.deepEqual(e.numbers.filter((n) => n.param === param).map((n) => [n.tuple, n.component, n.value]), [
      [0, 1, 22125503],
      [0, 2, 22125504],
    ]);
  });

  it('indexes DocumentReference relationship with each component on the element of its type', () => {
    const e = extract({ resourceType: 'DocumentReference', relatesTo: [{ code: 'replaces', target: { reference: 'DocumentReference/d0' } }] });
    assert.deepEqual(of(e, 'references', 'relationship'), [{ tuple: 0, component: 0, targetType: 'DocumentReference', targetId: 'd0' }]);
    assert.deepEqual(of(e, 'tokens', 'relationship'), [{ tuple: 0, component: 1, system: '', code: 'replaces' }]);
  });
});

describe('Index extraction: robustness', () => {
  it('never throws on values of the wrong shape, and reports no failure for them', () => {
    const skips: SkippedParameter[] = [];
    const strict = new IndexExtractor({ onSkip: (s) => skips.push(s) });
    const odd = {
      resourceType: 'Patient',
      name: 'not a HumanName',
      birthDate: 19741225,
      identifier: [null, 'x', { type: 'y' }],
      telecom: { system: 'phone' },
      managingOrganization: { reference: 42 },
      deceasedBoolean: 'yes',
    };
    assert.doesNotThrow(() => extract(odd, strict));
    assert.deepEqual(skips.filter((s) => s.reason.startsWith('evaluation failed')), []);
  });

  it('gives nothing for a resource type it does not know', () => {
    const e = extract({ resourceType: 'NoSuchType', id: 'x' });
    assert.deepEqual(Object.values(e).flat(), []);
  });
});

describe('Index extraction: the official R4 examples', function () {
  const found = new Map<string, IndexEntries>();
  const skips: SkippedParameter[] = [];

  before(function () {
    const dir = sharedData('r4-examples', 'examples');
    if (!dir) {
      console.log('    skipped: ../shared/data/r4-examples/examples is absent (the official R4 examples are not checked)');
      this.skip();
    }
    const checked = new IndexExtractor({ onSkip: (s) => skips.push(s) });
    for (const file of fs.readdirSync(dir).filter((f) => f.endsWith('.json'))) {
      const resource = JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8')) as FhirResource;
      found.set(file, checked.extract(resource));
    }
  });

  it('extracts every example without an evaluation failure', () => {
    assert.ok(found.size > 800, `only ${found.size} examples`);
    assert.deepEqual(skips.filter((s) => s.reason.startsWith('evaluation failed')), []);
  });

  it('finds Patient-example by family name and identifier type', () => {
    const e = found.get('Patient-example.json')!;
    assert.ok(of(e, 'strings', 'family').some((s) => s.value === 'chalmers' && s.exact === 'Chalmers'));
    assert.ok(of(e, 'tokens', 'identifier').some((t) => t.code === '12345' && t.typeCode === 'MR'));
  });

  it('finds Observation-example by LOINC code, subject and value', () => {
    const e = found.get('Observation-example.json')!;
    assert.ok(of(e, 'tokens', 'code').some((t) => t.system === 'http://loinc.org' && t.code === '29463-7'));
    assert.deepEqual(of(e, 'references', 'subject'), [{ targetType: 'Patient', targetId: 'example' }]);
    assert.deepEqual(of(e, 'references', 'patient'), [{ targetType: 'Patient', targetId: 'example' }]);
    assert.ok(of(e, 'quantities', 'value-quantity').some((q) => q.value === 185 && q.code === '[lb_av]'));
  });

  it('finds Money, numbers and composites in other examples', () => {
    assert.deepEqual(of(found.get('ChargeItem-example.json')!, 'quantities', 'price-override'), [
      { value: 40, low: 39.5, high: 40.5, system: 'urn:iso:std:iso:4217', code: 'EUR', unit: 'EUR' },
    ]);
    assert.deepEqual(of(found.get('MolecularSequence-example.json')!, 'numbers', 'window-start'), [
      { value: 22125500, low: 22125499.5, high: 22125500.5 },
    ]);
    const bp = found.get('Observation-blood-pressure.json')!;
    assert.ok(bp.tokens.some((t) => t.param === 'component-code-value-quantity' && t.code === '8480-6' && t.tuple === 0));
  });
});

describe('Index extraction: throughput on Synthea', function () {
  it('prints resources/s and µs per resource (warm)', function () {
    const dir = sharedData('synthea');
    if (!dir) {
      console.log('    skipped: ../shared/data/synthea is absent');
      this.skip();
    }
    this.timeout(120_000);
    const resources = loadBundles(dir);
    const timed = new IndexExtractor();
    for (const r of resources) timed.extract(r);
    const { perSecond, median, p95, entries } = measure(timed, resources);
    console.log(
      `    ${resources.length} Synthea resources: ${perSecond.toFixed(0)} resources/s, ` +
        `median ${median.toFixed(1)} µs, p95 ${p95.toFixed(1)} µs per resource, ${entries.toFixed(1)} entries each`,
    );
    assert.ok(resources.length > 0);
  });
});

function loadBundles(dir: string): FhirResource[] {
  const resources: FhirResource[] = [];
  for (const file of fs.readdirSync(dir).filter((f) => f.endsWith('.json'))) {
    const bundle = JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8')) as { entry?: Array<{ resource?: FhirResource }> };
    for (const entry of bundle.entry ?? []) if (entry.resource) resources.push(entry.resource);
  }
  return resources;
}

function measure(using: IndexExtractor, resources: FhirResource[]): { perSecond: number; median: number; p95: number; entries: number } {
  const micros: number[] = [];
  let entries = 0;
  const start = process.hrtime.bigint();
  for (const r of resources) {
    const t = process.hrtime.bigint();
    const e = using.extract(r);
    micros.push(Number(process.hrtime.bigint() - t) / 1000);
    entries += Object.values(e).reduce((n, list) => n + list.length, 0);
  }
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  micros.sort((a, b) => a - b);
  return {
    perSecond: resources.length / seconds,
    median: micros[micros.length >> 1],
    p95: micros[Math.floor(micros.length * 0.95)],
    entries: entries / resources.length,
  };
}
