import assert from 'node:assert/strict';
import { parseFhirJson, stringifyFhirJson } from '../../src/fhir/json';
import { FhirError } from '../../src/fhir/errors';

// https://hl7.org/fhir/R4/datatypes.html#decimal: parseFhirJson finds the literals a double would change without
// walking the text character by character; these cases pin down what that search must and must not take for one.
describe('FHIR JSON: finding decimals a double would change', () => {
  const roundTrip = (text: string) => stringifyFhirJson(parseFhirJson(text));

  it('keeps every kind of lossy literal, wherever a value can stand', () => {
    for (const text of ['{"a":-0}', '{"a":[-0]}', '{"a":12345678901234567890}', '{"a":[1,1.0]}', '{"a":1E2}', '{"a":[[{"b":0.10}]]}']) {
      assert.equal(roundTrip(text), text);
    }
    assert.equal(roundTrip('{\n  "a" :\n    -1.0e5 ,\n  "b":\t2.50\n}'), '{"a":-1.0e5,"b":2.50}');
  });

  it('is not misled by numbers written inside strings', () => {
    const text = '{"div":"Person seed: -1624545191170395801, weight: 1.50","ids":["6d23a95e-7e18","1.2.840"],"v":2}';
    assert.equal(roundTrip(text), text);
    assert.deepEqual(parseFhirJson(text), JSON.parse(text));
  });

  it('keeps a lossy literal on a line that also holds a string with a number in it', () => {
    const text = '{\n  "s": "q\\": 1.50 ", "a": 2.10\n}';
    assert.equal(roundTrip(text), '{"s":"q\\": 1.50 ","a":2.10}');
  });

  it('rejects deep nesting whether or not the text holds decimals', () => {
    const deep = (inner: string) => `${'['.repeat(101)}${inner}${']'.repeat(101)}`;
    for (const text of [deep('1'), deep('1.0')]) {
      assert.throws(() => parseFhirJson(text), (e: unknown) => e instanceof FhirError && e.status === 400 && /deeper than 100/.test(e.message));
    }
    assert.doesNotThrow(() => parseFhirJson(`${'['.repeat(100)}1.0${']'.repeat(100)}`));
  });
});
