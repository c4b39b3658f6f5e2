import assert from 'node:assert/strict';
import { instantRange } from '../../src/fhir/instants';

// https://hl7.org/fhir/R4/search.html#date: a value is the whole period its precision implies.
describe('FHIR instants: the range a date value stands for', () => {
  const range = (t: string) => {
    const r = instantRange(t);
    return r && [r.low, r.high];
  };

  it('expands each precision to its period', () => {
    assert.deepEqual(range('2024'), ['2024-01-01T00:00:00.000Z', '2024-12-31T23:59:59.999Z']);
    assert.deepEqual(range('2024-02'), ['2024-02-01T00:00:00.000Z', '2024-02-29T23:59:59.999Z']);
    assert.deepEqual(range('2024-03-01'), ['2024-03-01T00:00:00.000Z', '2024-03-01T23:59:59.999Z']);
    assert.deepEqual(range('2024-03-01T10:00Z'), ['2024-03-01T10:00:00.000Z', '2024-03-01T10:00:59.999Z']);
    assert.deepEqual(range('2024-03-01T10:00:05+02:00'), ['2024-03-01T08:00:05.000Z', '2024-03-01T08:00:05.999Z']);
    assert.deepEqual(range('2024-03-01T10:00:05.123Z'), ['2024-03-01T10:00:05.123Z', '2024-03-01T10:00:05.123Z']);
  });

  it('handles years before 1900 and below 100', () => {
    assert.deepEqual(range('1850-03-01'), ['1850-03-01T00:00:00.000Z', '1850-03-01T23:59:59.999Z']);
    assert.deepEqual(range('0001'), ['0001-01-01T00:00:00.000Z', '0001-12-31T23:59:59.999Z']);
    assert.deepEqual(range('0050-06'), ['0050-06-01T00:00:00.000Z', '0050-06-30T23:59:59.999Z']);
  });

  it('rejects what is not a date', () => {
    for (const bad of ['2023-02-30', '2023-13', '20230101', 'yesterday', '2024-01-01T25:00Z', '']) assert.equal(instantRange(bad), undefined, bad);
  });
});
