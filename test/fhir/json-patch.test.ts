import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { FhirError } from '../../src/fhir/errors';
import { applyJsonPatch } from '../../src/fhir/json-patch';

/**
 * JSON Patch (RFC 6902) as used by the FHIR patch interaction, http://hl7.org/fhir/R4/http.html#patch.
 * The shared cases come from github.com/FHIR/fhir-test-cases (r4/patch/json-patch-tests.json).
 */

const SHARED_DIR = path.resolve(process.cwd(), '..', 'shared', 'data', 'patch-tests');
const SHARED_FILE = path.join(SHARED_DIR, 'json-patch-tests.json');

interface SharedCase {
  comment: string;
  doc: unknown;
  patch: unknown;
  expected?: unknown;
  error?: string;
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

describe('JSON Patch (RFC 6902)', () => {
  describe('shared FHIR test cases (json-patch-tests.json)', () => {
    if (!fs.existsSync(SHARED_FILE)) {
      it(`skipped: shared test data not found at ${SHARED_FILE}`, function () {
        this.skip();
      });
      return;
    }
    const cases = JSON.parse(fs.readFileSync(SHARED_FILE, 'utf8')) as SharedCase[];

    it('has the 16 published cases', () => {
      assert.equal(cases.length, 16);
    });

    for (const c of cases) {
      it(c.comment, () => {
        const before = structuredClone(c.doc);
        if (c.error !== undefined) {
          // Every published error case is a well-formed patch that cannot be applied.
          expectCategory('unprocessable', () => applyJsonPatch(c.doc, c.patch));
        } else {
          assert.deepEqual(applyJsonPatch(c.doc, c.patch), c.expected);
        }
        assert.deepEqual(c.doc, before, 'the input document must not change');
      });
    }
  });

  describe('operations', () => {
    const doc = { resourceType: 'Patient', name: [{ family: 'A' }, { family: 'B' }], active: true };

    it('add appends to an array with "-" and inserts at an index', () => {
      const out = applyJsonPatch(doc, [
        { op: 'add', path: '/name/-', value: { family: 'C' } },
        { op: 'add', path: '/name/0', value: { family: 'Z' } },
      ]);
      assert.deepEqual(out.name.map((n) => n.family), ['Z', 'A', 'B', 'C']);
    });

    it('add at the end index (== length) appends', () => {
      const out = applyJsonPatch(doc, [{ op: 'add', path: '/name/2', value: { family: 'C' } }]);
      assert.equal(out.name.length, 3);
    });

    it('add replaces an existing member', () => {
      assert.equal(applyJsonPatch(doc, [{ op: 'add', path: '/active', value: false }]).active, false);
    });

    it('add with the empty pointer replaces the whole document', () => {
      assert.deepEqual(applyJsonPatch(doc, [{ op: 'add', path: '', value: { a: 1 } }]), { a: 1 });
    });

    it('remove deletes a member and shifts array elements', () => {
      const out = applyJsonPatch(doc, [
        { op: 'remove', path: '/active' },
        { op: 'remove', path: '/name/0' },
      ]);
      assert.deepEqual(out, { resourceType: 'Patient', name: [{ family: 'B' }] });
    });

    it('replace changes a member and an array element', () => {
      const out = applyJsonPatch(doc, [
        { op: 'replace', path: '/name/1/family', value: 'X' },
        { op: 'replace', path: '/active', value: null },
      ]);
      assert.equal(out.name[1].family, 'X');
      assert.equal(out.active, null);
    });

    it('move takes a value out and puts it elsewhere', () => {
      const out = applyJsonPatch(doc, [{ op: 'move', from: '/name/0/family', path: '/name/1/given' }]);
      assert.deepEqual(out.name, [{}, { family: 'B', given: 'A' }]);
    });

    it('copy duplicates a value without sharing it', () => {
      const out = applyJsonPatch(doc, [
        { op: 'copy', from: '/name/0', path: '/name/-' },
        { op: 'replace', path: '/name/2/family', value: 'changed' },
      ]);
      assert.deepEqual(out.name.map((n) => n.family), ['A', 'B', 'changed']);
    });

    it('test compares JSON values regardless of member order', () => {
      const out = applyJsonPatch({ a: { x: 1, y: [1, 2] } }, [{ op: 'test', path: '/a', value: { y: [1, 2], x: 1 } }]);
      assert.deepEqual(out, { a: { x: 1, y: [1, 2] } });
    });

    it('understands ~0 and ~1 escapes', () => {
      const out = applyJsonPatch({ 'a/b': 1, 'm~n': 2 }, [
        { op: 'replace', path: '/a~1b', value: 10 },
        { op: 'replace', path: '/m~0n', value: 20 },
      ]);
      assert.deepEqual(out, { 'a/b': 10, 'm~n': 20 });
    });

    it('never modifies the input document or the patch values', () => {
      const input = structuredClone(doc);
      const value = { family: 'New' };
      const out = applyJsonPatch(input, [{ op: 'add', path: '/name/-', value }]);
      out.name[2].family = 'mutated';
      assert.deepEqual(input, doc);
      assert.equal(value.family, 'New');
    });

    it('applies all operations or none', () => {
      const input = structuredClone(doc);
      expectCategory('unprocessable', () =>
        applyJsonPatch(input, [{ op: 'remove', path: '/active' }, { op: 'remove', path: '/missing' }]),
      );
      assert.deepEqual(input, doc);
    });
  });

  describe('malformed patch documents are 400 (invalid)', () => {
    const cases: Array<[string, unknown]> = [
      ['not an array', { op: 'add', path: '/a', value: 1 }],
      ['an operation that is not an object', ['add']],
      ['an unknown op', [{ op: 'merge', path: '/a', value: 1 }]],
      ['a missing op', [{ path: '/a', value: 1 }]],
      ['a missing path', [{ op: 'remove' }]],
      ['a path that is not a string', [{ op: 'remove', path: 3 }]],
      ['a pointer without a leading slash', [{ op: 'remove', path: 'a' }]],
      ['a bad ~ escape', [{ op: 'remove', path: '/a~2' }]],
      ['a trailing ~', [{ op: 'remove', path: '/a~' }]],
      ['add without value', [{ op: 'add', path: '/a' }]],
      ['replace without value', [{ op: 'replace', path: '/a' }]],
      ['test without value', [{ op: 'test', path: '/a' }]],
      ['move without from', [{ op: 'move', path: '/a' }]],
      ['copy with a malformed from', [{ op: 'copy', from: 'a', path: '/b' }]],
      ['a move into its own child', [{ op: 'move', from: '/a', path: '/a/b' }]],
      ['a malformed later operation, even after one that would fail', [{ op: 'remove', path: '/nope' }, { op: 'bogus' }]],
    ];
    for (const [label, patch] of cases) {
      it(label, () => {
        expectCategory('invalid', () => applyJsonPatch({ a: { b: 1 } }, patch));
      });
    }
  });

  describe('prototype pollution is refused (400)', () => {
    for (const segment of ['__proto__', 'constructor', 'prototype']) {
      it(`rejects the segment ${segment}`, () => {
        expectCategory('invalid', () => applyJsonPatch({}, [{ op: 'add', path: `/${segment}/polluted`, value: true }]));
        expectCategory('invalid', () => applyJsonPatch({ a: {} }, [{ op: 'add', path: `/a/${segment}`, value: {} }]));
        expectCategory('invalid', () => applyJsonPatch({ a: 1 }, [{ op: 'copy', from: `/${segment}`, path: '/b' }]));
        assert.equal(({} as Record<string, unknown>).polluted, undefined);
      });
    }
  });

  describe('patches that cannot be applied are 422 (unprocessable)', () => {
    const doc = { a: { b: [1, 2] }, s: 'text' };
    const cases: Array<[string, unknown[]]> = [
      ['add under a missing parent', [{ op: 'add', path: '/x/y', value: 1 }]],
      ['add past the end of an array', [{ op: 'add', path: '/a/b/3', value: 1 }]],
      ['add with a non-numeric array index', [{ op: 'add', path: '/a/b/one', value: 1 }]],
      ['add with a leading-zero array index', [{ op: 'add', path: '/a/b/01', value: 1 }]],
      ['add inside a string', [{ op: 'add', path: '/s/x', value: 1 }]],
      ['remove a missing member', [{ op: 'remove', path: '/a/c' }]],
      ['remove an index out of range', [{ op: 'remove', path: '/a/b/2' }]],
      ['remove "-"', [{ op: 'remove', path: '/a/b/-' }]],
      ['remove the whole document', [{ op: 'remove', path: '' }]],
      ['replace a missing member', [{ op: 'replace', path: '/z', value: 1 }]],
      ['replace an index out of range', [{ op: 'replace', path: '/a/b/2', value: 1 }]],
      ['move from a missing location', [{ op: 'move', from: '/nope', path: '/x' }]],
      ['copy from a missing location', [{ op: 'copy', from: '/a/b/9', path: '/x' }]],
      ['test a different value', [{ op: 'test', path: '/a/b/0', value: 2 }]],
      ['test a number against a string', [{ op: 'test', path: '/a/b/0', value: '1' }]],
      ['test a missing location', [{ op: 'test', path: '/q', value: null }]],
    ];
    for (const [label, patch] of cases) {
      it(label, () => {
        expectCategory('unprocessable', () => applyJsonPatch(doc, patch));
      });
    }
  });
});
