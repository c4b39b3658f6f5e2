import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import type { Parameters, ParametersParameter, Patient, Resource } from 'fhir/r4';
import { FhirError } from '../../src/fhir/errors';
import { applyFhirPathPatch } from '../../src/fhir/fhirpath-patch';
import { quoteKeywordMembers } from '../../src/fhir/fhirpath-patch-nodes';
import { attribute, childElements, FhirXmlConverter, parseXml, type XmlElement } from '../support/fhir-xml';

/**
 * FHIRPath Patch, http://hl7.org/fhir/R4/fhirpatch.html. The shared cases are the official ones from
 * github.com/FHIR/fhir-test-cases (r4/patch/fhir-patch-tests.xml), read from FHIR XML with test/support/fhir-xml.ts.
 */

const SHARED_FILE = path.resolve(process.cwd(), '..', 'shared', 'data', 'patch-tests', 'fhir-patch-tests.xml');

interface SharedCase {
  name: string;
  mode: string;
  input: Resource;
  diff: Parameters;
  output?: Resource;
  error?: string;
}

function readSharedCases(file: string): SharedCase[] {
  const converter = new FhirXmlConverter();
  const resourceIn = (testCase: XmlElement, wrapper: string): Resource | undefined => {
    const holder = childElements(testCase).find((e) => e.name === wrapper);
    const inner = holder && childElements(holder);
    if (!inner) return undefined;
    assert.equal(inner.length, 1, `<${wrapper}> holds one resource`);
    return converter.resource(inner[0]) as unknown as Resource;
  };
  return childElements(parseXml(fs.readFileSync(file, 'utf8'))).map((testCase) => ({
    name: attribute(testCase, 'name') ?? '(unnamed)',
    mode: attribute(testCase, 'mode') ?? '',
    input: resourceIn(testCase, 'input')!,
    diff: resourceIn(testCase, 'diff') as Parameters,
    output: resourceIn(testCase, 'output'),
    error: childElements(testCase).find((e) => e.name === 'error') && attribute(childElements(testCase).find((e) => e.name === 'error')!, 'msg'),
  }));
}

function expectCategory(category: FhirError['category'], run: () => unknown): FhirError {
  let thrown: unknown;
  try {
    run();
  } catch (err) {
    thrown = err;
  }
  assert.ok(thrown instanceof FhirError, `expected a FhirError, got ${String(thrown)}`);
  assert.equal(thrown.category, category, thrown.message);
  return thrown;
}

// Builders for Parameters, so each test shows only what it is about.
type Part = ParametersParameter;
const op = (type: string, fhirPath: string, ...parts: Part[]): Part => ({
  name: 'operation',
  part: [{ name: 'type', valueCode: type }, { name: 'path', valueString: fhirPath }, ...parts],
});
const patch = (...operations: Part[]): Parameters => ({ resourceType: 'Parameters', parameter: operations });
const name = (value: string): Part => ({ name: 'name', valueString: value });
const index = (part: 'index' | 'source' | 'destination', value: number): Part => ({ name: part, valueInteger: value });
const value = (v: Omit<Part, 'name'>): Part => ({ name: 'value', ...v });

describe('FHIRPath Patch', () => {
  describe('shared FHIR test cases (fhir-patch-tests.xml)', () => {
    if (!fs.existsSync(SHARED_FILE)) {
      it(`skipped: shared test data not found at ${SHARED_FILE}`, function () {
        this.skip();
      });
      return;
    }
    const cases = readSharedCases(SHARED_FILE);

    it('has the 33 published cases', () => {
      assert.equal(cases.length, 33);
    });

    for (const c of cases) {
      it(`${c.name} (${c.mode})`, () => {
        const before = structuredClone(c.input);
        if (c.error !== undefined) {
          const err = expectCategory('unprocessable', () => applyFhirPathPatch(c.input, c.diff));
          assert.match(err.message, /No content found at/);
        } else {
          assert.deepEqual(applyFhirPathPatch(c.input, c.diff), c.output);
        }
        assert.deepEqual(c.input, before, 'the input resource must not change');
      });
    }

    it('reads FHIR XML into FHIR JSON (checks the test support itself)', () => {
      const full = cases.find((c) => c.name === 'Full Resource')!.input as Patient & Record<string, unknown>;
      assert.equal(full.active, true);
      assert.equal(full.deceasedBoolean, false);
      assert.deepEqual(full.name?.[0].given, ['Peter', 'James']);
      assert.deepEqual(full._birthDate, {
        extension: [{ url: 'http://hl7.org/fhir/StructureDefinition/patient-birthTime', valueDateTime: '1974-12-25T14:35:45-05:00' }],
      });
      assert.ok(full.text?.div.startsWith('<div xmlns="http://www.w3.org/1999/xhtml">\n'));
      const replaced = cases.find((c) => c.name === 'Replace Complex')!.output as Patient;
      assert.equal(replaced.maritalStatus?.id, '2');
    });
  });

  describe('add', () => {
    it('adds a primitive, a complex value and a list item', () => {
      const out = applyFhirPathPatch<Patient>({ resourceType: 'Patient', name: [{ family: 'A' }] }, patch(
        op('add', 'Patient', name('birthDate'), value({ valueDate: '2000-01-01' })),
        op('add', 'Patient', name('maritalStatus'), value({ valueCodeableConcept: { text: 'M' } })),
        op('add', 'Patient', name('name'), value({ valueHumanName: { family: 'B' } })),
      ));
      assert.deepEqual(out, {
        resourceType: 'Patient',
        name: [{ family: 'A' }, { family: 'B' }],
        birthDate: '2000-01-01',
        maritalStatus: { text: 'M' },
      });
    });

    it('creates a list for a repeating element, even with one item', () => {
      const out = applyFhirPathPatch<Patient>({ resourceType: 'Patient' }, patch(
        op('add', 'Patient', name('identifier'), value({ valueIdentifier: { value: '1' } })),
      ));
      assert.deepEqual(out.identifier, [{ value: '1' }]);
    });

    it('names a choice element by its base name and takes the JSON name from the value type', () => {
      const out = applyFhirPathPatch({ resourceType: 'Patient' } as Patient, patch(
        op('add', 'Patient', name('deceased'), value({ valueDateTime: '2020-02-02' })),
      ));
      assert.deepEqual(out, { resourceType: 'Patient', deceasedDateTime: '2020-02-02' });
    });

    it('keeps a primitive and its extensions in step (value[x] with _value[x])', () => {
      const out = applyFhirPathPatch<Patient>({ resourceType: 'Patient', name: [{ given: ['A'] }] }, patch(
        op('add', 'Patient.name[0]', name('given'), value({ valueString: 'B', _valueString: { id: 'b' } })),
      ));
      assert.deepEqual(out.name, [{ given: ['A', 'B'], _given: [null, { id: 'b' }] }]);
    });

    it('adds an extension to a primitive, creating its _ sibling', () => {
      const out = applyFhirPathPatch({ resourceType: 'Patient', birthDate: '2000-01-01' } as Patient, patch(
        op('add', 'Patient.birthDate', name('extension'), value({ part: [
          { name: 'url', valueUri: 'http://example.org/x' },
          { name: 'value', valueCode: 'c' },
        ] })),
      ));
      assert.deepEqual(out, {
        resourceType: 'Patient',
        birthDate: '2000-01-01',
        _birthDate: { extension: [{ url: 'http://example.org/x', valueCode: 'c' }] },
      });
    });

    it('builds anonymous (backbone) values from parts, with lists where elements repeat', () => {
      const out = applyFhirPathPatch<Patient>({ resourceType: 'Patient' }, patch(
        op('add', 'Patient', name('contact'), value({ part: [
          { name: 'telecom', valueContactPoint: { value: '1' } },
          { name: 'telecom', valueContactPoint: { value: '2' } },
          { name: 'gender', valueCode: 'other' },
        ] })),
      ));
      assert.deepEqual(out.contact, [{ telecom: [{ value: '1' }, { value: '2' }], gender: 'other' }]);
    });

    it('adds a contained resource', () => {
      const out = applyFhirPathPatch<Patient>({ resourceType: 'Patient' }, patch(
        op('add', 'Patient', name('contained'), value({ resource: { resourceType: 'Organization', id: 'o' } })),
      ));
      assert.deepEqual(out.contained, [{ resourceType: 'Organization', id: 'o' }]);
    });

    it('refuses to add a non-repeating element that is already there (use replace)', () => {
      expectCategory('unprocessable', () =>
        applyFhirPathPatch({ resourceType: 'Patient', deceasedBoolean: true } as Patient, patch(
          op('add', 'Patient', name('deceased'), value({ valueDateTime: '2020' })),
        )),
      );
    });

    it('refuses elements R4 does not define, including prototype names', () => {
      for (const bad of ['colour', '__proto__', 'constructor', 'resourceType']) {
        expectCategory('unprocessable', () =>
          applyFhirPathPatch<Patient>({ resourceType: 'Patient' }, patch(op('add', 'Patient', name(bad), value({ valueString: 'x' })))),
        );
      }
      expectCategory('unprocessable', () =>
        applyFhirPathPatch<Patient>({ resourceType: 'Patient' }, patch(
          op('add', 'Patient', name('contact'), value({ part: [{ name: '__proto__', valueString: 'x' }] })),
        )),
      );
      assert.equal(({} as Record<string, unknown>).x, undefined);
    });

    it('refuses a value of the wrong kind for the element', () => {
      expectCategory('unprocessable', () =>
        applyFhirPathPatch<Patient>({ resourceType: 'Patient' }, patch(op('add', 'Patient', name('birthDate'), value({ valueHumanName: { text: 'x' } })))),
      );
      expectCategory('unprocessable', () =>
        applyFhirPathPatch<Patient>({ resourceType: 'Patient' }, patch(op('add', 'Patient', name('name'), value({ resource: { resourceType: 'Basic', code: {} } })))),
      );
    });

    it('needs the path to match exactly one element', () => {
      const twoNames: Patient = { resourceType: 'Patient', name: [{ family: 'A' }, { family: 'B' }] };
      expectCategory('unprocessable', () => applyFhirPathPatch(twoNames, patch(op('add', 'Patient.name', name('text'), value({ valueString: 't' })))));
      expectCategory('unprocessable', () => applyFhirPathPatch(twoNames, patch(op('add', 'Patient.contact', name('gender'), value({ valueCode: 'male' })))));
    });
  });

  describe('insert', () => {
    const ids: Patient = { resourceType: 'Patient', identifier: [{ value: '1' }, { value: '2' }] };

    it('inserts at an index, and at the end when index equals the length', () => {
      const out = applyFhirPathPatch(ids, patch(
        op('insert', 'Patient.identifier', index('index', 2), value({ valueIdentifier: { value: 'end' } })),
        op('insert', 'Patient.identifier', index('index', 1), value({ valueIdentifier: { value: 'mid' } })),
      ));
      assert.deepEqual(out.identifier?.map((i) => i.value), ['1', 'mid', '2', 'end']);
    });

    it('inserts into an empty list at index 0', () => {
      const out = applyFhirPathPatch<Patient>({ resourceType: 'Patient', name: [{ family: 'A' }] }, patch(
        op('insert', 'Patient.name[0].given', index('index', 0), value({ valueString: 'G' })),
      ));
      assert.deepEqual(out.name, [{ family: 'A', given: ['G'] }]);
    });

    it('keeps _ siblings aligned when inserting into a primitive list', () => {
      const out = applyFhirPathPatch({ resourceType: 'Patient', name: [{ given: ['A', 'B'], _given: [{ id: 'a' }, null] }] } as Patient, patch(
        op('insert', 'Patient.name[0].given', index('index', 0), value({ valueString: 'Z' })),
      ));
      assert.deepEqual(out.name, [{ given: ['Z', 'A', 'B'], _given: [null, { id: 'a' }, null] }]);
    });

    it('is 422 for an index past the end, or a path that is not a whole list', () => {
      expectCategory('unprocessable', () => applyFhirPathPatch(ids, patch(op('insert', 'Patient.identifier', index('index', 3), value({ valueIdentifier: {} })))));
      expectCategory('unprocessable', () => applyFhirPathPatch(ids, patch(op('insert', 'Patient.identifier[0]', index('index', 0), value({ valueIdentifier: {} })))));
      expectCategory('unprocessable', () => applyFhirPathPatch(ids, patch(op('insert', 'Patient.gender', index('index', 0), value({ valueCode: 'male' })))));
      expectCategory('unprocessable', () => applyFhirPathPatch(ids, patch(op('insert', 'Patient.telecom', index('index', 1), value({ valueContactPoint: {} })))));
    });
  });

  describe('delete', () => {
    it('removes a primitive together with its _ sibling', () => {
      const out = applyFhirPathPatch({ resourceType: 'Patient', birthDate: '2000', _birthDate: { id: 'x' } } as Patient, patch(op('delete', 'Patient.birthDate')));
      assert.deepEqual(out, { resourceType: 'Patient' });
    });

    it('splices a list item out of both sides of a primitive list', () => {
      const input = { resourceType: 'Patient', name: [{ given: ['A', 'B', 'C'], _given: [null, { id: 'b' }, { id: 'c' }] }] } as Patient;
      const out = applyFhirPathPatch(input, patch(op('delete', 'Patient.name[0].given[1]')));
      assert.deepEqual(out.name, [{ given: ['A', 'C'], _given: [null, { id: 'c' }] }]);
    });

    it('drops a _ list that is left with nulls only', () => {
      const input = { resourceType: 'Patient', name: [{ given: ['A', 'B'], _given: [null, { id: 'b' }] }] } as Patient;
      const out = applyFhirPathPatch(input, patch(op('delete', 'Patient.name[0].given[1]')));
      assert.deepEqual(out.name, [{ given: ['A'] }]);
    });

    it('removes parents left empty, up to the resource, and empty lists', () => {
      const input: Patient = { resourceType: 'Patient', contact: [{ name: { text: 'n' } }], active: true };
      const out = applyFhirPathPatch(input, patch(op('delete', 'Patient.contact[0].name.text')));
      assert.deepEqual(out, { resourceType: 'Patient', active: true });
    });

    it('removes an extension of a primitive, and the _ sibling it leaves empty', () => {
      const input = { resourceType: 'Patient', birthDate: '2000', _birthDate: { extension: [{ url: 'u', valueString: 'v' }] } } as Patient;
      const out = applyFhirPathPatch(input, patch(op('delete', "Patient.birthDate.extension.where(url = 'u')")));
      assert.deepEqual(out, { resourceType: 'Patient', birthDate: '2000' });
    });

    it('deletes a choice element by its base name', () => {
      const out = applyFhirPathPatch<Patient>({ resourceType: 'Patient', deceasedBoolean: true }, patch(op('delete', 'Patient.deceased')));
      assert.deepEqual(out, { resourceType: 'Patient' });
    });

    it('is a no-op when the path matches nothing, and 422 when it matches several', () => {
      const input: Patient = { resourceType: 'Patient', name: [{ family: 'A' }, { family: 'B' }] };
      assert.deepEqual(applyFhirPathPatch(input, patch(op('delete', 'Patient.birthDate'))), input);
      expectCategory('unprocessable', () => applyFhirPathPatch(input, patch(op('delete', 'Patient.name'))));
    });

    it('cannot delete the resource itself', () => {
      expectCategory('unprocessable', () => applyFhirPathPatch<Patient>({ resourceType: 'Patient' }, patch(op('delete', 'Patient'))));
    });
  });

  describe('replace', () => {
    it('replaces a primitive, dropping the old _ sibling with the old element', () => {
      const input = { resourceType: 'Patient', birthDate: '2000', _birthDate: { id: 'old' } } as Patient;
      const out = applyFhirPathPatch(input, patch(op('replace', 'Patient.birthDate', value({ valueDate: '2001' }))));
      assert.deepEqual(out, { resourceType: 'Patient', birthDate: '2001' });
    });

    it('replaces one item of a list selected with where()', () => {
      const input: Patient = { resourceType: 'Patient', telecom: [{ system: 'phone', value: '1' }, { system: 'email', value: 'a@b' }] };
      const out = applyFhirPathPatch(input, patch(
        op('replace', "Patient.telecom.where(system = 'email')", value({ valueContactPoint: { system: 'email', value: 'c@d' } })),
      ));
      assert.deepEqual(out.telecom?.[1], { system: 'email', value: 'c@d' });
    });

    it('can change the type of a choice element', () => {
      const out = applyFhirPathPatch<Patient>({ resourceType: 'Patient', deceasedBoolean: true }, patch(
        op('replace', 'Patient.deceased', value({ valueDateTime: '2020-01-01' })),
      ));
      assert.deepEqual(out, { resourceType: 'Patient', deceasedDateTime: '2020-01-01' });
      expectCategory('unprocessable', () =>
        applyFhirPathPatch<Patient>({ resourceType: 'Patient', deceasedBoolean: true }, patch(op('replace', 'Patient.deceased', value({ valueString: 'x' })))),
      );
    });

    it('replaces inside a contained resource', () => {
      const input: Patient = { resourceType: 'Patient', contained: [{ resourceType: 'Organization', id: 'o', name: 'Old' }] };
      const out = applyFhirPathPatch(input, patch(op('replace', 'Patient.contained[0].name', value({ valueString: 'New' }))));
      assert.deepEqual(out.contained, [{ resourceType: 'Organization', id: 'o', name: 'New' }]);
    });

    it('is 422 for no match, several matches, the resource itself, or a computed value', () => {
      const input: Patient = { resourceType: 'Patient', name: [{ family: 'A' }, { family: 'B' }] };
      const replaceWith = (p: string): Parameters => patch(op('replace', p, value({ valueString: 'x' })));
      for (const p of ['Patient.birthDate', 'Patient.name.family', 'Patient', "'literal'", "Patient.name.family.first() + 'x'"]) {
        expectCategory('unprocessable', () => applyFhirPathPatch(input, replaceWith(p)));
      }
    });
  });

  describe('move', () => {
    const ids: Patient = { resourceType: 'Patient', identifier: ['a', 'b', 'c'].map((v) => ({ value: v })) };

    it('moves a list item from source to destination', () => {
      const out = applyFhirPathPatch(ids, patch(op('move', 'Patient.identifier', index('source', 0), index('destination', 2))));
      assert.deepEqual(out.identifier?.map((i) => i.value), ['b', 'c', 'a']);
    });

    it('moves a primitive together with its extensions', () => {
      const input = { resourceType: 'Patient', name: [{ given: ['A', 'B'], _given: [{ id: 'a' }, null] }] } as Patient;
      const out = applyFhirPathPatch(input, patch(op('move', 'Patient.name[0].given', index('source', 0), index('destination', 1))));
      assert.deepEqual(out.name, [{ given: ['B', 'A'], _given: [null, { id: 'a' }] }]);
    });

    it('is 422 for indexes out of range or a path that is not a list', () => {
      expectCategory('unprocessable', () => applyFhirPathPatch(ids, patch(op('move', 'Patient.identifier', index('source', 3), index('destination', 0)))));
      expectCategory('unprocessable', () => applyFhirPathPatch(ids, patch(op('move', 'Patient.identifier', index('source', 0), index('destination', 3)))));
      expectCategory('unprocessable', () => applyFhirPathPatch(ids, patch(op('move', 'Patient.telecom', index('source', 0), index('destination', 0)))));
    });
  });

  describe('paths', () => {
    it('escapes FHIRPath keywords used as element names after a dot (Patient.text.div)', () => {
      assert.equal(quoteKeywordMembers('Patient.text.div'), 'Patient.text.`div`');
      assert.equal(quoteKeywordMembers('Patient.text.`div`'), 'Patient.text.`div`');
      assert.equal(quoteKeywordMembers("Patient.name.where(text = 'a.div').given"), "Patient.name.where(text = 'a.div').given");
      assert.equal(quoteKeywordMembers('Patient.name.count() div 2'), 'Patient.name.count() div 2');
      assert.equal(quoteKeywordMembers('Patient.text.divider'), 'Patient.text.divider');
    });

    it('accepts %resource and stays inside the resource being patched', () => {
      const out = applyFhirPathPatch<Patient>({ resourceType: 'Patient', active: true }, patch(op('replace', '%resource.active', value({ valueBoolean: false }))));
      assert.equal(out.active, false);
    });
  });

  describe('the whole patch', () => {
    it('never changes its inputs and shares no objects with them', () => {
      const input: Patient = { resourceType: 'Patient', name: [{ family: 'A' }] };
      const diff = patch(op('add', 'Patient', name('name'), value({ valueHumanName: { family: 'B' } })));
      const before = structuredClone([input, diff]);
      const out = applyFhirPathPatch(input, diff);
      out.name![0].family = 'changed';
      out.name![1].family = 'changed';
      assert.deepEqual([input, diff], before);
    });

    it('applies all operations or none, and names the failing one', () => {
      const input: Patient = { resourceType: 'Patient', active: true };
      const err = expectCategory('unprocessable', () =>
        applyFhirPathPatch(input, patch(op('delete', 'Patient.active'), op('replace', 'Patient.gender', value({ valueCode: 'male' })))),
      );
      assert.deepEqual(err.issues[0].expression, ['Parameters.parameter[1]']);
      assert.deepEqual(input, { resourceType: 'Patient', active: true });
    });

    it('treats an empty Parameters as no change', () => {
      assert.deepEqual(applyFhirPathPatch<Patient>({ resourceType: 'Patient' }, { resourceType: 'Parameters' }), { resourceType: 'Patient' });
    });
  });

  describe('malformed Parameters are 400 (invalid)', () => {
    const p = (...parameters: unknown[]): Parameters => ({ resourceType: 'Parameters', parameter: parameters } as Parameters);
    const cases: Array<[string, unknown]> = [
      ['not a Parameters resource', { resourceType: 'Patient' }],
      ['a parameter not named operation', p({ name: 'op', part: [{ name: 'type', valueCode: 'delete' }] })],
      ['an operation without parts', p({ name: 'operation' })],
      ['a missing type', p({ name: 'operation', part: [{ name: 'path', valueString: 'Patient' }] })],
      ['an unknown type', p(op('upsert', 'Patient'))],
      ['a type given as valueString', p({ name: 'operation', part: [{ name: 'type', valueString: 'delete' }, { name: 'path', valueString: 'Patient.active' }] })],
      ['a missing path', p({ name: 'operation', part: [{ name: 'type', valueCode: 'delete' }] })],
      ['an empty path', p(op('delete', ' '))],
      ['an unknown part', p(op('delete', 'Patient.active', { name: 'colour', valueString: 'red' }))],
      ['a part that does not belong to the type', p(op('delete', 'Patient.active', value({ valueBoolean: true })))],
      ['a repeated part', p(op('replace', 'Patient.active', value({ valueBoolean: true }), value({ valueBoolean: false })))],
      ['add without name', p(op('add', 'Patient', value({ valueBoolean: true })))],
      ['add without value', p(op('add', 'Patient', name('active')))],
      ['insert without index', p(op('insert', 'Patient.name', value({ valueHumanName: {} })))],
      ['a negative index', p(op('insert', 'Patient.name', index('index', -1), value({ valueHumanName: {} })))],
      ['a fractional index', p(op('move', 'Patient.name', index('source', 0.5), index('destination', 0)))],
      ['a value with two value[x]', p(op('replace', 'Patient.active', value({ valueBoolean: true, valueString: 'x' })))],
      ['a value of an unknown type', p(op('replace', 'Patient.active', value({ valueWidget: 1 } as Omit<Part, 'name'>)))],
      ['a value of a resource type', p(op('replace', 'Patient.active', value({ valuePatient: {} } as Omit<Part, 'name'>)))],
      ['a primitive value that is an object', p(op('replace', 'Patient.active', value({ valueBoolean: {} as unknown as boolean })))],
      ['a value with both value[x] and parts', p(op('replace', 'Patient.active', value({ valueBoolean: true, part: [{ name: 'x' }] })))],
      ['an anonymous part without a name', p(op('add', 'Patient', name('contact'), value({ part: [{ valueCode: 'male' } as Part] })))],
      ['an unparsable FHIRPath', p(op('delete', 'Patient.name.where('))],
    ];
    for (const [label, diff] of cases) {
      it(label, () => {
        expectCategory('invalid', () => applyFhirPathPatch<Patient>({ resourceType: 'Patient', active: true }, diff as Parameters));
      });
    }
  });
});
