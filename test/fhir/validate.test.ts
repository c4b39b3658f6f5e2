import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import type { OperationOutcomeIssue } from 'fhir/r4';
import { fhirJsonSchema, isResourceType, typeStructureDefinitions } from '../../src/fhir/definitions';
import { FhirError } from '../../src/fhir/errors';
import { ID_PATTERN, assertValidResource, isValidId, validateResource } from '../../src/fhir/validate';
import { schemaValidator } from '../../src/fhir/validate-schema';
import { prepareSchema } from '../../src/fhir/validate-schema-prepare';

// Base resource validation: http://hl7.org/fhir/R4/validation.html, JSON rules http://hl7.org/fhir/R4/json.html

type Json = Record<string, any>;

function expectValid(resource: unknown, options?: { expectedType?: string }): void {
  const issues = validateResource(resource, options);
  assert.deepEqual(issues, [], `expected no issues, got ${JSON.stringify(issues, null, 2)}`);
}

/** Asserts an issue at exactly `expression` (and with `code` / text matching `text` when given); returns it. */
function expectIssue(resource: unknown, expression: string | undefined, code?: string, text?: RegExp): OperationOutcomeIssue {
  const issues = validateResource(resource);
  const hit = issues.find(
    (i) => i.expression?.[0] === expression && (!code || i.code === code) && (!text || text.test(i.diagnostics ?? '')),
  );
  assert.ok(hit, `expected a ${code ?? ''} issue at ${expression} ${text ?? ''}, got ${JSON.stringify(issues, null, 2)}`);
  assert.equal(hit.severity, 'error');
  return hit;
}

const patient = (extra: Json = {}): Json => ({ resourceType: 'Patient', id: 'p1', ...extra });
const code = (c: string): Json => ({ coding: [{ system: 'http://loinc.org', code: c }] });
const observation = (extra: Json = {}): Json => ({ resourceType: 'Observation', status: 'final', code: code('8310-5'), ...extra });

/** ../shared/data beside the checkout, found from the working directory or from dist/test/fhir. */
function sharedData(...parts: string[]): string | undefined {
  const candidates = [path.resolve(process.cwd(), '../shared/data'), path.resolve(__dirname, '../../../../shared/data')];
  const base = candidates.find((c) => fs.existsSync(c));
  return base ? path.join(base, ...parts) : undefined;
}

describe('fhir/validate', () => {
  describe('compile and throughput (figures, not assertions on time)', () => {
    it('compiles Patient on first use, quickly, without compiling the other resource types', () => {
      let t = performance.now();
      fhirJsonSchema();
      isResourceType('Patient');
      typeStructureDefinitions();
      const loadMs = performance.now() - t;
      t = performance.now();
      schemaValidator('Patient');
      const patientMs = performance.now() - t;
      t = performance.now();
      schemaValidator('Observation');
      const observationMs = performance.now() - t;
      console.log(
        `      definitions load ${loadMs.toFixed(0)} ms; Patient schema prepare+compile ${patientMs.toFixed(0)} ms;` +
          ` Observation compile ${observationMs.toFixed(0)} ms`,
      );
      // Nested resources are validated separately, so no type's validator reaches the union of all types.
      assert.ok(!JSON.stringify(prepareSchema(fhirJsonSchema()).schema).includes('ResourceList'));
    });

    it('validates 10,000 small Patients', () => {
      const patients = Array.from({ length: 10_000 }, (_, i) =>
        patient({
          id: `p${i}`,
          identifier: [{ system: 'http://electronichealth.se/identifier/personnummer', value: `19800517${i}` }],
          name: [{ family: 'Svensson', given: ['Anna', 'Maria'] }],
          gender: 'female',
          birthDate: '1980-05-17',
          managingOrganization: { reference: 'Organization/org1' },
        }),
      );
      for (const run of ['cold', 'warm']) {
        const t = performance.now();
        const invalid = patients.filter((p) => validateResource(p).length > 0).length;
        const ms = performance.now() - t;
        console.log(`      10,000 Patients (${run}) in ${ms.toFixed(0)} ms: ${Math.round((10_000 / ms) * 1000)} validations/s`);
        assert.equal(invalid, 0);
      }
    });
  });

  describe('ids', () => {
    it('exports the id grammar', () => {
      assert.equal(ID_PATTERN.source, /^[A-Za-z0-9\-.]{1,64}$/.source);
      assert.ok(isValidId('a-B.1'));
      assert.ok(isValidId('x'.repeat(64)));
      for (const bad of ['', 'x'.repeat(65), 'a_b', 'a b', 'a/b', 'å']) assert.equal(isValidId(bad), false, bad);
    });

    it('rejects a resource id outside the grammar', () => {
      expectIssue(patient({ id: 'bad_id' }), 'Patient.id', 'value', /Invalid id 'bad_id'/);
      expectIssue(patient({ id: 'x'.repeat(65) }), 'Patient.id', 'value');
    });
  });

  describe('valid minimal resources', () => {
    const resources: Json[] = [
      { resourceType: 'Patient' },
      observation(),
      { resourceType: 'Encounter', status: 'finished', class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'AMB' } },
      {
        resourceType: 'MedicationRequest',
        status: 'active',
        intent: 'order',
        medicationCodeableConcept: { text: 'Paracetamol 500 mg' },
        subject: { reference: 'Patient/p1' },
      },
      { resourceType: 'Condition', subject: { reference: 'Patient/p1' } },
      { resourceType: 'Organization', name: 'Region Uppsala' },
      { resourceType: 'Binary', contentType: 'text/plain', data: 'aGVsbG8=' },
      { resourceType: 'Bundle', type: 'collection' },
      { resourceType: 'Parameters', parameter: [{ name: 'count', valueInteger: 3 }] },
      { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'invalid' }] },
    ];
    for (const resource of resources) {
      it(`accepts a minimal ${resource.resourceType}`, () => expectValid(resource));
    }

    it('accepts a fuller Patient with extensions, primitive twins and narrative', () => {
      expectValid(
        patient({
          meta: { versionId: '2', lastUpdated: '2024-03-01T10:00:00.123+01:00', profile: ['http://example.org/StructureDefinition/p'] },
          text: { status: 'generated', div: '<div xmlns="http://www.w3.org/1999/xhtml"><p>Anna&#160;Svensson</p></div>' },
          extension: [{ url: 'http://example.org/ext', valueDecimal: 1.5e3 }],
          name: [{ family: 'Svensson', given: ['Anna', null], _given: [null, { extension: [{ url: 'http://example.org/e', valueCode: 'x' }] }] }],
          birthDate: '2024-02-29',
          _birthDate: { extension: [{ url: 'http://example.org/time', valueDateTime: '2024-02-29T23:59:60Z' }] },
          deceasedBoolean: false,
          multipleBirthInteger: 2,
          contact: [{ name: { text: 'Non\u00a0breaking space is not whitespace in FHIR' } }],
          managingOrganization: { reference: 'https://fhir.example.org/Organization/1' },
        }),
      );
    });

    it('accepts a required primitive given only by its extension twin', () => {
      const { status: _status, ...withoutStatus } = observation();
      expectValid({ ...withoutStatus, _status: { extension: [{ url: 'http://example.org/data-absent', valueCode: 'unknown' }] } });
    });

    it('accepts codes of an extensible binding that the schema wrongly lists as an enum (Expression.language)', () => {
      expectValid({
        resourceType: 'Library',
        status: 'draft',
        type: code('logic-library'),
        extension: [{ url: 'http://example.org/e', valueExpression: { language: 'text/cql.identifier', expression: 'X' } }],
      });
    });

    it('accepts the _ twin of a canonical, which the published schema leaves out', () => {
      expectValid({ resourceType: 'Questionnaire', status: 'draft', _url: { extension: [{ url: 'http://example.org/e', valueString: 'x' }] }, _derivedFrom: [{ id: 'a', extension: [{ url: 'http://example.org/e', valueString: 'x' }] }] });
    });
  });

  describe('not a resource', () => {
    const cases: Array<[string, unknown, RegExp]> = [
      ['null', null, /found null/],
      ['an array', [], /found an array/],
      ['a string', 'Patient', /found a string/],
      ['a number', 42, /found a number/],
      ['undefined', undefined, /found a undefined/],
      ['no resourceType', { id: 'x' }, /Missing resourceType/],
      ['an unknown resourceType', { resourceType: 'Chicken' }, /Unknown resourceType/],
      ['a non-string resourceType', { resourceType: 7 }, /Unknown resourceType/],
      ['a resourceType that cannot be printed', { resourceType: 10n }, /Unknown resourceType of type bigint/],
      ['a type outside R4', { resourceType: 'SubscriptionStatus' }, /Unknown resourceType/],
    ];
    for (const [what, input, text] of cases) {
      it(`reports ${what}, without throwing`, () => {
        const issues = validateResource(input);
        assert.equal(issues.length, 1);
        assert.match(issues[0].diagnostics ?? '', text);
      });
    }

    it('reports a resourceType other than the expected one', () => {
      const issues = validateResource(observation(), { expectedType: 'Patient' });
      assert.equal(issues.length, 1);
      assert.equal(issues[0].code, 'invalid');
      expectValid(observation(), { expectedType: 'Observation' });
    });
  });

  describe('assertValidResource', () => {
    it('throws 400 (invalid) when the input is not a resource of the expected type', () => {
      for (const input of [null, 'x', { resourceType: 'Chicken' }, { resourceType: 10n }, {}]) {
        assert.throws(() => assertValidResource(input), (e: unknown) => e instanceof FhirError && e.status === 400);
      }
      assert.throws(
        () => assertValidResource(observation(), { expectedType: 'Patient' }),
        (e: unknown) => e instanceof FhirError && e.category === 'invalid',
      );
    });

    it('throws 422 (unprocessable) carrying every issue when the resource breaks the rules', () => {
      const bad = patient({ gender: 'mal', birthDate: '2023-02-30', foo: 1 });
      assert.throws(
        () => assertValidResource(bad, { expectedType: 'Patient' }),
        (e: unknown) => {
          assert.ok(e instanceof FhirError);
          assert.equal(e.status, 422);
          assert.equal(e.issues.length, 3);
          assert.deepEqual(e.issues.map((i) => i.expression?.[0]).sort(), ['Patient.birthDate', 'Patient.foo', 'Patient.gender']);
          return true;
        },
      );
    });

    it('returns quietly for a valid resource', () => {
      assert.doesNotThrow(() => assertValidResource(patient(), { expectedType: 'Patient' }));
    });
  });

  describe('schema structure', () => {
    it('rejects unknown elements, at any depth', () => {
      expectIssue(patient({ foo: 1 }), 'Patient.foo', 'structure', /Unknown element 'foo'/);
      expectIssue(patient({ name: [{ family: 'X' }, { given: ['A'], nickname: 'B' }] }), 'Patient.name[1].nickname', 'structure');
      expectIssue(observation({ valueQuantity: { value: 1, unitt: 'kg' } }), 'Observation.valueQuantity.unitt', 'structure');
    });

    it('rejects a __proto__ key coming from JSON.parse', () => {
      const parsed = JSON.parse('{"resourceType":"Patient","__proto__":{"active":true}}');
      expectIssue(parsed, 'Patient.__proto__', 'structure');
    });

    it('rejects properties the @medplum copy of the schema adds to R4', () => {
      expectIssue(observation({ subject: { reference: 'Patient/1', resource: { resourceType: 'Patient' } } }), 'Observation.subject.resource', 'structure');
      expectIssue(patient({ meta: { project: 'x' } }), 'Patient.meta.project', 'structure');
    });

    it('rejects modifierExtension on parts typed Element (Timing.repeat)', () => {
      const timing = { repeat: { frequency: 1, period: 1, periodUnit: 'd', modifierExtension: [{ url: 'http://example.org/m', valueBoolean: true }] } };
      expectIssue(observation({ effectiveTiming: timing }), 'Observation.effectiveTiming.repeat.modifierExtension', 'structure');
    });

    it('rejects wrong JSON types with the element path', () => {
      expectIssue(patient({ name: { family: 'X' } }), 'Patient.name', 'structure', /Expected an array/);
      expectIssue(patient({ birthDate: ['1980-01-01'] }), 'Patient.birthDate', 'structure', /found an array/);
      expectIssue(patient({ name: ['Anna'] }), 'Patient.name[0]', 'structure', /JSON object/);
      expectIssue(patient({ active: 'true' }), 'Patient.active', 'structure', /boolean/);
      expectIssue(observation({ valueQuantity: { value: '1.5' } }), 'Observation.valueQuantity.value', 'structure', /decimal/);
    });

    it('rejects a missing required element and a missing required primitive', () => {
      const { code: _code, ...noCode } = observation();
      expectIssue(noCode, 'Observation', 'required', /'code'/);
      const { status: _status, ...noStatus } = observation();
      expectIssue(noStatus, 'Observation', 'required', /'status'/);
      expectIssue(patient({ extension: [{ valueString: 'x' }] }), 'Patient.extension[0]', 'required', /'url'/);
    });

    it('rejects codes outside a required binding', () => {
      expectIssue(patient({ gender: 'mal' }), 'Patient.gender', 'code-invalid', /male, female, other, unknown/);
    });

    it('rejects two types of one choice element, and a missing required choice', () => {
      expectIssue(patient({ deceasedBoolean: true, deceasedDateTime: '2020' }), 'Patient', 'structure', /deceasedBoolean, deceasedDateTime/);
      expectIssue(observation({ valueString: 'a', _valueBoolean: { id: 'x', extension: [{ url: 'http://e.org', valueCode: 'y' }] } }), 'Observation', 'structure');
      const noMedication = { resourceType: 'MedicationRequest', status: 'active', intent: 'order', subject: { reference: 'Patient/1' } };
      expectIssue(noMedication, 'MedicationRequest', 'required', /medication\[x\]/);
    });

    it('checks ext-1: an extension has a value or extensions, not both', () => {
      const both = { url: 'http://example.org/e', valueString: 'x', extension: [{ url: 'http://example.org/f', valueString: 'y' }] };
      expectIssue(patient({ extension: [both] }), 'Patient.extension[0]', 'invariant', /ext-1/);
      expectIssue(patient({ extension: [{ url: 'http://example.org/e' }] }), 'Patient.extension[0]', 'invariant', /ext-1/);
    });
  });

  describe('primitive formats', () => {
    const cases: Array<[string, Json, string, RegExp?]> = [
      ['date pattern', patient({ birthDate: '1980-1-1' }), 'Patient.birthDate', /Invalid date/],
      ['calendar date', patient({ birthDate: '2023-02-30' }), 'Patient.birthDate', /only 28 days/],
      ['leap day in a century year', patient({ birthDate: '2100-02-29' }), 'Patient.birthDate', /only 28 days/],
      ['dateTime with a time but no zone', observation({ effectiveDateTime: '2020-01-01T10:00:00' }), 'Observation.effectiveDateTime', /dateTime/],
      ['calendar dateTime', observation({ effectiveDateTime: '2021-04-31T10:00:00Z' }), 'Observation.effectiveDateTime', /30 days/],
      ['instant without seconds', observation({ issued: '2020-01-01T10:00Z' }), 'Observation.issued', /instant/],
      ['time', observation({ valueTime: '25:00:00' }), 'Observation.valueTime', /time/],
      ['integer with a fraction', observation({ valueInteger: 1.5 }), 'Observation.valueInteger', /integer/],
      ['integer over 32 bits', observation({ valueInteger: 2147483648 }), 'Observation.valueInteger', /out of range/],
      ['positiveInt of zero', { resourceType: 'Encounter', status: 'finished', class: { code: 'AMB' }, diagnosis: [{ condition: { reference: 'Condition/1' }, rank: 0 }] }, 'Encounter.diagnosis[0].rank', /positiveInt/],
      ['negative unsignedInt', { resourceType: 'DocumentReference', status: 'current', content: [{ attachment: { size: -1 } }] }, 'DocumentReference.content[0].attachment.size', /unsignedInt/],
      ['uri with whitespace', patient({ implicitRules: 'http://example.org/a b' }), 'Patient.implicitRules', /uri/],
      ['code with surrounding whitespace', patient({ language: ' sv' }), 'Patient.language', /code/],
      ['code with a double space', observation({ valueQuantity: { value: 1, system: 'http://unitsofmeasure.org', code: 'mm  Hg' } }), 'Observation.valueQuantity.code', /code/],
      ['base64Binary', { resourceType: 'Binary', contentType: 'text/plain', data: 'abc' }, 'Binary.data', /base64Binary/],
      ['base64Binary alphabet', { resourceType: 'Binary', contentType: 'text/plain', data: 'ab$d' }, 'Binary.data', /base64Binary/],
      ['oid', patient({ extension: [{ url: 'http://example.org/e', valueOid: '1.2.3' }] }), 'Patient.extension[0].valueOid', /oid/],
      ['uuid', patient({ extension: [{ url: 'http://example.org/e', valueUuid: 'urn:uuid:ABC' }] }), 'Patient.extension[0].valueUuid', /uuid/],
      ['id element', patient({ extension: [{ url: 'http://example.org/e', valueId: 'a b' }] }), 'Patient.extension[0].valueId', /Invalid id/],
      ['relative Coding.system', observation({ code: { coding: [{ system: 'loinc', code: '1' }] } }), 'Observation.code.coding[0].system', /absolute URI/],
      ['narrative without the xhtml namespace', patient({ text: { status: 'generated', div: '<div>x</div>' } }), 'Patient.text.div', /xmlns/],
      ['narrative with a script', patient({ text: { status: 'generated', div: '<div xmlns="http://www.w3.org/1999/xhtml"><script>alert(1)</script></div>' } }), 'Patient.text.div', /active content/],
      ['narrative with an event handler', patient({ text: { status: 'generated', div: '<div xmlns="http://www.w3.org/1999/xhtml"><img src="x" onerror="alert(1)"/></div>' } }), 'Patient.text.div', /active content/],
      ['string over 1 MB', patient({ name: [{ text: 'x'.repeat(1024 * 1024 + 1) }] }), 'Patient.name[0].text', /exceeds/],
    ];
    for (const [what, resource, expression, text] of cases) {
      it(`rejects an invalid ${what}`, () => {
        expectIssue(resource, expression, undefined, text);
      });
    }

    it('accepts valid edge values', () => {
      expectValid(observation({ valueInteger: -2147483648 }));
      expectValid(observation({ effectiveDateTime: '2024' }));
      expectValid(observation({ effectiveDateTime: '2024-02' }));
      expectValid(observation({ issued: '2024-12-31T23:59:59.999999-14:00' }));
      expectValid({ resourceType: 'Binary', contentType: 'text/plain', data: 'aGVs\nbG8=' });
    });
  });

  describe('JSON format rules', () => {
    it('rejects empty strings, objects and arrays anywhere', () => {
      expectIssue(patient({ name: [{ given: ['Anna', ''] }] }), 'Patient.name[0].given[1]', 'value', /Empty string/);
      expectIssue(patient({ implicitRules: '' }), 'Patient.implicitRules', 'value', /Empty string/);
      assert.equal(validateResource(patient({ text: { status: 'generated', div: '' } })).length, 1);
      expectIssue(patient({ maritalStatus: {} }), 'Patient.maritalStatus', 'structure', /Empty object/);
      expectIssue(patient({ name: [] }), 'Patient.name', 'structure', /Empty array/);
      expectIssue(observation({ code: { coding: [{}] } }), 'Observation.code.coding[0]', 'structure', /Empty object/);
    });

    it('reports an empty value once, not again as a schema error', () => {
      const issues = validateResource(patient({ gender: '' }));
      assert.equal(issues.length, 1, JSON.stringify(issues));
    });

    it('rejects an element that holds only an id (ele-1)', () => {
      expectIssue(patient({ maritalStatus: { id: 'x' } }), 'Patient.maritalStatus', 'structure', /ele-1/);
    });

    it('allows null only to align a primitive array with its _ twin', () => {
      expectIssue(patient({ active: null }), 'Patient.active', 'structure', /null/);
      expectIssue(patient({ name: [{ given: ['A', null] }] }), 'Patient.name[0].given[1]', 'structure', /null/);
      expectIssue(patient({ name: [null] }), 'Patient.name[0]', 'structure', /null/);
      expectIssue(patient({ name: [{ given: ['A', 'B'], _given: [{ id: 'x', extension: [{ url: 'http://e.org', valueCode: 'a' }] }] }] }), 'Patient.name[0].given', 'structure', /align/);
      expectIssue(patient({ name: [{ given: [null], _given: [null] }] }), 'Patient.name[0].given[0]', 'structure', /null/);
    });

    it('rejects values that are not JSON', () => {
      expectIssue(patient({ birthDate: new Date() }), 'Patient.birthDate', 'structure', /Not a JSON value/);
      expectIssue(observation({ valueQuantity: { value: Number.NaN } }), 'Observation.valueQuantity.value', 'value', /NaN/);
      expectIssue(patient({ active: () => true }), 'Patient.active', 'structure', /Not a JSON value/);
    });
  });

  describe('pathological input', () => {
    function nestedExtensions(depth: number): Json {
      let ext: Json = { url: 'http://example.org/leaf', valueString: 'x' };
      for (let i = 0; i < depth; i++) ext = { url: 'http://example.org/n', extension: [ext] };
      return patient({ extension: [ext] });
    }

    it('accepts nesting well within the limit', () => expectValid(nestedExtensions(20)));

    it('reports nesting deeper than 100 levels as one issue, without overflowing the stack', () => {
      for (const depth of [60, 100_000]) {
        const issues = validateResource(nestedExtensions(depth));
        assert.equal(issues.length, 1, `depth ${depth}: ${JSON.stringify(issues).slice(0, 300)}`);
        assert.equal(issues[0].code, 'too-long');
        assert.match(issues[0].expression?.[0] ?? '', /^Patient\.extension\[0\]\.extension\[0\]/);
      }
    });

    it('reports a cyclic object instead of looping', () => {
      const cyclic: Json = patient();
      cyclic.contact = [{ name: { text: 'x' } }];
      cyclic.contact[0].extension = [{ url: 'http://example.org/e', extension: cyclic.contact }];
      const issues = validateResource(cyclic);
      assert.ok(issues.some((i) => i.code === 'too-long'));
    });

    it('handles a wide resource', () => {
      const wide = patient({ name: Array.from({ length: 20_000 }, (_, i) => ({ family: `F${i}` })) });
      expectValid(wide);
    });
  });

  describe('contained resources', () => {
    const withContained = (contained: Json[], extra: Json = {}): Json =>
      observation({ contained, subject: { reference: '#pat' }, ...extra });

    it('validates contained resources by their own type', () => {
      expectValid(withContained([{ resourceType: 'Patient', id: 'pat', name: [{ family: 'X' }] }]));
      expectIssue(withContained([{ resourceType: 'Patient', id: 'pat', gender: 'x' }]), 'Observation.contained[0].gender', 'code-invalid');
      expectIssue(withContained([{ resourceType: 'Patient', id: 'pat', foo: 1 }]), 'Observation.contained[0].foo', 'structure');
      expectIssue(withContained([{ resourceType: 'Chicken', id: 'pat' }]), 'Observation.contained[0]', 'invalid', /Unknown resourceType/);
      expectIssue(withContained([{ id: 'pat' }]), 'Observation.contained[0]', 'required', /resourceType/);
    });

    it('requires an id', () => {
      expectIssue(withContained([{ resourceType: 'Patient', active: true }]), 'Observation.contained[0]', 'required', /must have an id/);
    });

    it('forbids nested contained resources (dom-2)', () => {
      const inner = { resourceType: 'Organization', id: 'org', name: 'X' };
      const pat = { resourceType: 'Patient', id: 'pat', contained: [inner], managingOrganization: { reference: '#org' } };
      expectIssue(withContained([pat]), 'Observation.contained[0].contained', 'invariant', /dom-2/);
    });

    it('forbids meta.versionId, meta.lastUpdated (dom-4) and security labels (dom-5)', () => {
      const meta = { versionId: '1', lastUpdated: '2020-01-01T00:00:00Z', security: [{ code: 'R' }] };
      const resource = withContained([{ resourceType: 'Patient', id: 'pat', meta }]);
      expectIssue(resource, 'Observation.contained[0].meta.versionId', 'invariant', /dom-4/);
      expectIssue(resource, 'Observation.contained[0].meta.lastUpdated', 'invariant', /dom-4/);
      expectIssue(resource, 'Observation.contained[0].meta.security', 'invariant', /dom-5/);
    });

    it('checks that local references name a contained resource (ref-1)', () => {
      expectIssue(withContained([{ resourceType: 'Patient', id: 'pat' }], { performer: [{ reference: '#nobody' }] }), 'Observation.performer[0].reference', 'invariant', /ref-1/);
      expectIssue(observation({ subject: { reference: '#pat' } }), 'Observation.subject.reference', 'invariant', /ref-1/);
    });

    it('requires each contained resource to be referenced or to refer to its container (dom-3)', () => {
      const orphan = { resourceType: 'Organization', id: 'org', name: 'X' };
      expectIssue(withContained([{ resourceType: 'Patient', id: 'pat' }, orphan]), 'Observation.contained[1]', 'invariant', /dom-3/);
      // referenced from a sibling contained resource
      const pat = { resourceType: 'Patient', id: 'pat', managingOrganization: { reference: '#org' } };
      expectValid(withContained([pat, orphan]));
      // referring back to the container with '#'
      const provenance = { resourceType: 'Provenance', id: 'prov', target: [{ reference: '#' }], recorded: '2020-01-01T00:00:00Z', agent: [{ who: { display: 'x' } }] };
      expectValid(withContained([{ resourceType: 'Patient', id: 'pat' }, provenance]));
      // referenced by a canonical '#id'
      const vs = { resourceType: 'ValueSet', id: 'vs', status: 'draft' };
      expectValid({ resourceType: 'Questionnaire', status: 'draft', contained: [vs], item: [{ linkId: '1', type: 'choice', answerValueSet: '#vs' }] });
    });

    it("rejects '#' in a resource that is not contained", () => {
      expectIssue(observation({ subject: { reference: '#' } }), 'Observation.subject.reference', 'value', /not contained/);
    });
  });

  describe('nested resources in Bundle and Parameters', () => {
    it('validates each Bundle entry by its own type, with entry paths', () => {
      const bundle = {
        resourceType: 'Bundle',
        type: 'transaction',
        entry: [
          { fullUrl: 'urn:uuid:0b0a6f8e-52ea-4c6b-8f5c-2b6f0d0d7e01', resource: patient(), request: { method: 'POST', url: 'Patient' } },
          { resource: observation({ status: 'done' }), request: { method: 'POST', url: 'Observation' } },
          { resource: { resourceType: 'Chicken' }, request: { method: 'POST', url: 'Chicken' } },
        ],
      };
      const issues = validateResource(bundle);
      assert.equal(issues.length, 2, JSON.stringify(issues, null, 2));
      expectIssue(bundle, 'Bundle.entry[1].resource.status', 'code-invalid');
      expectIssue(bundle, 'Bundle.entry[2].resource', 'invalid', /Unknown resourceType/);
    });

    it('resolves local references inside each entry against that entry only', () => {
      const entryResource = observation({ contained: [{ resourceType: 'Patient', id: 'pat' }], subject: { reference: '#pat' } });
      expectValid({ resourceType: 'Bundle', type: 'collection', entry: [{ resource: entryResource }] });
      expectIssue(
        { resourceType: 'Bundle', type: 'collection', entry: [{ resource: entryResource }, { resource: observation({ subject: { reference: '#pat' } }) }] },
        'Bundle.entry[1].resource.subject.reference',
        'invariant',
      );
    });

    it('validates Bundles nested in Bundles, and entry.response.outcome', () => {
      const inner = { resourceType: 'Bundle', type: 'collection', entry: [{ resource: patient({ gender: 'x' }) }] };
      expectIssue({ resourceType: 'Bundle', type: 'collection', entry: [{ resource: inner }] }, 'Bundle.entry[0].resource.entry[0].resource.gender', 'code-invalid');
      const response = { status: '400', outcome: { resourceType: 'OperationOutcome', issue: [{ severity: 'fatal', code: 'nope' }] } };
      expectIssue({ resourceType: 'Bundle', type: 'transaction-response', entry: [{ response }] }, 'Bundle.entry[0].response.outcome.issue[0].code', 'code-invalid');
    });

    it('validates Parameters.parameter.resource and parts', () => {
      const parameters = { resourceType: 'Parameters', parameter: [{ name: 'x', part: [{ name: 'y', resource: patient({ birthDate: '2001-13-01' }) }] }] };
      expectIssue(parameters, 'Parameters.parameter[0].part[0].resource.birthDate', 'value');
    });
  });

  describe('references', () => {
    const withRef = (reference: string): Json => observation({ subject: { reference } });

    it('accepts the literal forms, and conditional references', () => {
      for (const reference of [
        'Patient/123',
        'Patient/a.b-C',
        'Patient/123/_history/2',
        'http://example.org/fhir/Patient/123',
        'https://example.org/fhir/Patient/123/_history/1',
        'urn:uuid:0b0a6f8e-52ea-4c6b-8f5c-2b6f0d0d7e01',
        'urn:oid:1.2.752.129.2.1.3.1',
        'resource:0',
        // conditional: resolved by the transaction before storage (http://hl7.org/fhir/R4/http.html#trules)
        'Patient?identifier=http://electronichealth.se/identifier/personnummer|191212121212',
      ]) {
        expectValid(withRef(reference));
      }
    });

    it('rejects malformed references', () => {
      for (const [reference, text] of [
        ['Chicken/1', /not a resource type/],
        ['Patient/a_b', /not a valid id/],
        ['Patient/1/_history/a b', /version id/],
        ['Patient/1/extra', /expected Type\/id/],
        ['Patient', /expected Type\/id/],
        ['urn:uuid:not-a-uuid', /urn:uuid/],
        ['urn:oid:1.02', /urn:oid/],
        ['http://exa mple.org/Patient/1', /http/],
        ['http://', /http/],
        ['Chicken?name=x', /not a resource type/],
      ] as const) {
        expectIssue(withRef(reference), 'Observation.subject.reference', 'value', text);
      }
    });

    it('checks references inside extensions and nested elements too', () => {
      const ext = { url: 'http://example.org/e', valueReference: { reference: 'Chicken/1' } };
      expectIssue(patient({ extension: [ext] }), 'Patient.extension[0].valueReference.reference', 'value');
    });
  });

  describe('the official R4 examples', function () {
    // Examples that are wrong against the R4 specification itself, as published:
    const KNOWN_INVALID: Record<string, string> = {
      'Questionnaire-qs1.json': 'items without the required linkId (Questionnaire.item.linkId is 1..1)',
    };

    it('accepts every official example but the known invalid ones', function () {
      const dir = sharedData('r4-examples', 'examples');
      if (!dir || !fs.existsSync(dir)) this.skip(); // test data lives outside the repository: ../shared/data
      const files = fs.readdirSync(dir!).filter((f) => f.endsWith('.json')).sort();
      const rejected: string[] = [];
      const t = performance.now();
      for (const file of files) {
        const issues = validateResource(JSON.parse(fs.readFileSync(path.join(dir!, file), 'utf8')));
        if (issues.length > 0) {
          rejected.push(file);
          console.log(`      rejected ${file} (${issues.length} issues): ${issues[0].expression?.[0]}: ${issues[0].diagnostics}`);
        }
      }
      console.log(`      ${files.length} examples in ${(performance.now() - t).toFixed(0)} ms, ${rejected.length} rejected`);
      assert.ok(files.length > 800);
      assert.deepEqual(rejected.filter((f) => !KNOWN_INVALID[f]), [], 'examples rejected unexpectedly');
      assert.ok(rejected.length <= 3);
    });
  });

  describe('the FHIR validator test cases (R4, JSON, no profiles or packages)', function () {
    // Cases where the Java validator reports no error and we deliberately do:
    const DISAGREEMENTS: Record<string, string> = {
      'ref-policy-default-r4': "reference 'urn:uuid:…-X' is not a valid urn:uuid (R4 uuid datatype); Java only warns",
    };
    /** Manifest keys that only describe a case; any other key switches a validator option we do not have. */
    const PLAIN_KEYS = new Set(['name', 'file', 'version', 'module', 'java', 'firely-sdk-current', 'firely-sdk-wip', 'description', 'explanation', 'use-test']);

    it('agrees with the Java validator on every case it finds error-free', function () {
      const base = sharedData('validator-cases');
      if (!base || !fs.existsSync(path.join(base, 'r4-json-cases.summary.json'))) this.skip(); // ../shared/data absent
      const summary: Json[] = JSON.parse(fs.readFileSync(path.join(base!, 'r4-json-cases.summary.json'), 'utf8'));
      const manifest: Json[] = JSON.parse(fs.readFileSync(path.join(base!, 'manifest.json'), 'utf8'))['test-cases'];
      const plain = (c: Json): boolean => {
        const entry = manifest.find((m) => m.name === c.name && String(m.version ?? '').startsWith('4.0') && c.file.endsWith(m.file));
        return entry !== undefined && Object.keys(entry).every((k) => PLAIN_KEYS.has(k));
      };
      const cases = summary.filter(
        (c) => !c.supporting?.length && !c.packages?.length && c.expected?.base && !c.expected.profile && typeof c.expected.base.error === 'number' && c['use-test'] !== false,
      );
      const tally = { agree: 0, disagree: 0, unparsable: 0 };
      const wronglyRejected: string[] = [];
      for (const c of cases) {
        let resource: unknown;
        try {
          resource = JSON.parse(fs.readFileSync(path.join(base!, c.file), 'utf8'));
        } catch {
          tally.unparsable++; // the fmt/json5 modules: malformed on purpose, a parser's job
          continue;
        }
        const issues = validateResource(resource);
        const javaErrors = c.expected.base.error as number;
        if ((issues.length > 0) === (javaErrors > 0)) tally.agree++;
        else tally.disagree++;
        if (javaErrors === 0 && issues.length > 0 && plain(c) && !DISAGREEMENTS[c.name]) {
          wronglyRejected.push(`${c.name}: ${issues[0].expression?.[0]}: ${issues[0].diagnostics}`);
        }
      }
      console.log(`      ${cases.length} cases: ${tally.agree} agree on error/no error, ${tally.disagree} differ, ${tally.unparsable} not JSON`);
      assert.deepEqual(wronglyRejected, []);
    });
  });
});
