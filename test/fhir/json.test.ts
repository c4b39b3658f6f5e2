import assert from 'node:assert/strict';
import { parseFhirJson, stringifyFhirJson, withRawJson } from '../../src/fhir/json';
import { FhirError } from '../../src/fhir/errors';

// https://hl7.org/fhir/R4/datatypes.html#decimal: precision is part of the value.
describe('FHIR JSON: decimal precision and stored text', () => {
  const roundTrip = (text: string) => stringifyFhirJson(parseFhirJson(text));

  it('keeps decimals as written, at any depth and in arrays', () => {
    const text = '{"a":105.00,"b":[1.50,2,3.0e2],"c":{"d":-0.10,"e":7},"f":"6.0"}';
    assert.equal(roundTrip(text), text);
  });

  it('keeps integers beyond double precision', () => {
    assert.equal(roundTrip('{"n":12345678901234567890}'), '{"n":12345678901234567890}');
  });

  it('parses like JSON.parse', () => {
    const text = '{"a":1.5,"b":[true,false,null,"x\\"y"],"c":{}}';
    assert.deepEqual(parseFhirJson(text), JSON.parse(text));
    assert.equal(JSON.stringify(parseFhirJson('{"a":1.50,"s":"\\u00e5"}')), JSON.stringify({ a: 1.5, s: 'å' }));
  });

  it('keeps precision through a top-level copy, and drops it for a changed value', () => {
    const r = parseFhirJson('{"v":6.0,"w":6.0}') as Record<string, number>;
    const copy = { ...r, w: 7 };
    assert.equal(stringifyFhirJson(copy), '{"v":6.0,"w":7}');
  });

  it('rejects malformed JSON and deep nesting with a 400 FhirError', () => {
    for (const bad of ['{"a":1.50', '{"a":01.50}', '[1.0,]', '{"a" 1.0}', `${'['.repeat(101)}${']'.repeat(101)}`, '{"a":1}x']) {
      assert.throws(() => parseFhirJson(bad), (e: unknown) => e instanceof FhirError && e.status === 400, bad);
    }
  });

  it('sends stored text as is inside larger answers, unless pretty-printing', () => {
    const stored = '{"resourceType":"Observation","valueQuantity":{"value":105.00}}';
    const resource = withRawJson(parseFhirJson(stored) as object, stored);
    assert.equal(stringifyFhirJson({ entry: [{ resource }] }), `{"entry":[{"resource":${stored}}]}`);
    assert.ok(stringifyFhirJson({ entry: [{ resource }] }, 2).includes('105.00'));
  });

  it('a client string cannot forge a placeholder', () => {
    const text = '{"a":1.50,"s":"\\u0000deadbeef:0\\u0000"}';
    assert.equal(roundTrip(text), text);
  });
});

describe('FHIR JSON: storage serialization', () => {
  it('writes remembered decimals of a resource nested in a bundle, and plain JSON otherwise', () => {
    const { stringifyStored } = require('../../src/fhir/json') as typeof import('../../src/fhir/json');
    const bundle = parseFhirJson('{"entry":[{"resource":{"a":{"v":1.50}}},{"resource":{"a":{"v":2}}}]}') as { entry: Array<{ resource: object }> };
    assert.equal(stringifyStored({ ...bundle.entry[0].resource, id: 'x' }), '{"a":{"v":1.50},"id":"x"}');
    assert.equal(stringifyStored(bundle.entry[1].resource), '{"a":{"v":2}}');
  });
});
