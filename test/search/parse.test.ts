import assert from 'node:assert/strict';
import { resourceTypes, searchParametersFor } from '../../src/fhir/definitions';
import { FhirError } from '../../src/fhir/errors';
import type { ChainFilter, Filter, FilterValue, HasFilter, ParamFilter } from '../../src/search/model';
import { DEFAULT_COUNT, MAX_COUNT, parseSearch, SEARCH_LIMITS, splitOr, type ParsedSearch } from '../../src/search/parse';
import { searchParamSupport, supportedSearchParams } from '../../src/search/parameters';
import type { ParamSupport } from '../../src/search/support';

// The R4 search grammar: https://hl7.org/fhir/R4/search.html

type Pairs = Array<[string, string]>;

function parse(params: Pairs, types = ['Patient'], strict = false, baseUrl?: string): ParsedSearch {
  return parseSearch(types, params, strict, { baseUrl });
}

/** The single filter of `name=value` on `type`. */
function one(type: string, name: string, value: string): Filter {
  const { query, ignored } = parse([[name, value]], [type], true);
  assert.deepEqual(ignored, []);
  assert.equal(query.filters.length, 1);
  return query.filters[0];
}

function values(type: string, name: string, value: string): FilterValue[] {
  const f = one(type, name, value);
  assert.equal(f.kind, 'param');
  return (f as ParamFilter).values;
}

/** Asserts a 400 FhirError of the category, optionally with a diagnostic matching `text`. */
function rejects(run: () => unknown, category: 'invalid' | 'not-supported' | 'too-costly' = 'invalid', text?: RegExp): void {
  assert.throws(run, (e: unknown) => {
    assert.ok(e instanceof FhirError, `expected a FhirError, got ${String(e)}`);
    assert.equal(e.category, category, e.message);
    assert.equal(e.status, 400);
    if (text) assert.match(e.message, text);
    return true;
  });
}

describe('search: parse', () => {
  describe('string (https://hl7.org/fhir/R4/search.html#string)', () => {
    it('takes the value as written, unescaped, with :exact, :contains and :missing', () => {
      assert.deepEqual(one('Patient', 'name', 'Eve'), { kind: 'param', param: 'name', type: 'string', values: [{ kind: 'string', value: 'Eve' }] });
      assert.deepEqual(one('Patient', 'family:exact', 'Ek'), {
        kind: 'param', param: 'family', type: 'string', modifier: 'exact', values: [{ kind: 'string', value: 'Ek' }],
      });
      assert.equal((one('Patient', 'name:contains', 'v') as ParamFilter).modifier, 'contains');
      assert.deepEqual(values('Patient', 'name:missing', 'false'), [{ kind: 'missing', value: false }]);
    });

    it('rejects modifiers of other types', () => {
      rejects(() => parse([['name:text', 'x']]), 'invalid', /Unknown modifier ':text'/);
      rejects(() => parse([['name:below', 'x']]), 'invalid');
      rejects(() => parse([['name:missing', 'maybe']]), 'invalid', /true or false/);
    });
  });

  describe('escaping and OR (https://hl7.org/fhir/R4/search.html#escaping)', () => {
    it('splits OR lists at unescaped commas only', () => {
      assert.deepEqual(splitOr('a,b\\,c,d\\\\,e'), ['a', 'b\\,c', 'd\\\\', 'e']);
      assert.deepEqual(values('Patient', 'name', 'a\\,b,c'), [{ kind: 'string', value: 'a,b' }, { kind: 'string', value: 'c' }]);
    });

    it('removes \\, \\$ \\| \\\\ and leaves other backslashes', () => {
      assert.deepEqual(values('Patient', 'name', 'a\\$b\\|c\\\\d\\e'), [{ kind: 'string', value: 'a$b|c\\d\\e' }]);
    });

    it('keeps an escaped | inside a token code', () => {
      assert.deepEqual(values('Patient', 'identifier', 'sys|a\\|b'), [{ kind: 'token', value: { system: 'sys', code: 'a|b' } }]);
    });

    it('repeated parameters are separate (ANDed) filters', () => {
      const { query } = parse([['name', 'a'], ['name', 'b']]);
      assert.equal(query.filters.length, 2);
    });
  });

  describe('token (https://hl7.org/fhir/R4/search.html#token)', () => {
    it('reads system|code, |code, system| and code', () => {
      const t = (v: string) => (values('Observation', 'code', v)[0] as { value: unknown }).value;
      assert.deepEqual(t('http://loinc.org|1234-5'), { system: 'http://loinc.org', code: '1234-5' });
      assert.deepEqual(t('|1234-5'), { system: '', code: '1234-5' });
      assert.deepEqual(t('http://loinc.org|'), { system: 'http://loinc.org' });
      assert.deepEqual(t('1234-5'), { code: '1234-5' });
    });

    it('reads :text as a string, :not as tokens, :missing as a boolean', () => {
      assert.deepEqual(one('Observation', 'code:text', 'haemoglobin'), {
        kind: 'param', param: 'code', type: 'token', modifier: 'text', values: [{ kind: 'string', value: 'haemoglobin' }],
      });
      assert.deepEqual(values('Patient', 'gender:not', 'male'), [{ kind: 'token', value: { code: 'male' } }]);
      assert.deepEqual(values('Patient', 'gender:missing', 'true'), [{ kind: 'missing', value: true }]);
    });

    it('reads :of-type typeSystem|typeCode|value on identifier parameters only', () => {
      const sys = 'http://terminology.hl7.org/CodeSystem/v2-0203';
      assert.deepEqual(one('Patient', 'identifier:of-type', `${sys}|MR|4460`), {
        kind: 'param', param: 'identifier', type: 'token', modifier: 'of-type',
        values: [{ kind: 'composite', value: [{ kind: 'token', value: { system: sys, code: 'MR' } }, { kind: 'token', value: { code: '4460' } }] }],
      });
      rejects(() => parse([['identifier:of-type', `${sys}|MR`]]), 'invalid', /typeSystem\|typeCode\|value/);
      rejects(() => parse([['identifier:of-type', `|MR|1`]]), 'invalid');
      rejects(() => parse([['gender:of-type', `${sys}|MR|1`]]), 'invalid', /Unknown modifier/);
      rejects(() => parse([['response-id:of-type', 'a|b|c']], ['MessageHeader']), 'invalid', /Unknown modifier/);
    });

    it('answers :above, :below, :in, :not-in with not-supported, "not supported yet"', () => {
      for (const m of ['above', 'below', 'in', 'not-in']) {
        rejects(() => parse([[`code:${m}`, 'http://snomed.info/sct|1']], ['Observation']), 'not-supported', /not supported yet/);
      }
      const doc = searchParamSupport('Observation', 'code')!.documentation;
      assert.match(doc, /:above, :below, :in, :not-in are not supported yet/);
    });

    it('_id takes ids, _tag and _security are tokens', () => {
      assert.deepEqual(values('Patient', '_id', 'a,b-1.2'), [{ kind: 'id', value: 'a' }, { kind: 'id', value: 'b-1.2' }]);
      rejects(() => parse([['_id', 'a b']]), 'invalid', /not a valid resource id/);
      rejects(() => parse([['_id', 'x'.repeat(65)]]), 'invalid');
      rejects(() => parse([['_id:missing', 'true']]), 'invalid');
      assert.deepEqual(values('Patient', '_tag', 'http://t|x'), [{ kind: 'token', value: { system: 'http://t', code: 'x' } }]);
      assert.equal((one('Patient', '_security:not', 'R') as ParamFilter).type, 'token');
    });
  });

  describe('prefixes and dates (https://hl7.org/fhir/R4/search.html#prefix, #date)', () => {
    it('reads every prefix and defaults to eq', () => {
      for (const prefix of ['eq', 'ne', 'gt', 'lt', 'ge', 'le', 'sa', 'eb', 'ap']) {
        const [v] = values('Patient', 'birthdate', `${prefix}2020-01-02`);
        assert.deepEqual(v, { kind: 'date', value: { prefix, low: '2020-01-02T00:00:00.000Z', high: '2020-01-02T23:59:59.999Z' } });
      }
      assert.deepEqual(values('Patient', 'birthdate', '2020')[0], {
        kind: 'date', value: { prefix: 'eq', low: '2020-01-01T00:00:00.000Z', high: '2020-12-31T23:59:59.999Z' },
      });
    });

    it('reads instants with offsets as UTC ranges', () => {
      const [v] = values('Patient', '_lastUpdated', 'ge2020-06-01T10:00:00+02:00');
      assert.deepEqual(v, { kind: 'date', value: { prefix: 'ge', low: '2020-06-01T08:00:00.000Z', high: '2020-06-01T08:00:00.999Z' } });
    });

    it('answers malformed dates and unknown prefixes with 400', () => {
      for (const bad of ['2020-13', '2020-02-30', 'xx2020', 'gt', 'yesterday', '20200101', '2020-01-01T25:00:00Z', 'GT2020', 'eq 2020']) {
        rejects(() => parse([['birthdate', bad]]), 'invalid', /not a valid date/);
      }
    });
  });

  describe('number (https://hl7.org/fhir/R4/search.html#number)', () => {
    const n = (v: string) => (values('RiskAssessment', 'probability', v)[0] as { value: unknown }).value;

    it('gives the range the written precision implies', () => {
      assert.deepEqual(n('100'), { prefix: 'eq', value: 100, low: 99.5, high: 100.5 });
      assert.deepEqual(n('100.00'), { prefix: 'eq', value: 100, low: 99.995, high: 100.005 });
      assert.deepEqual(n('1.5'), { prefix: 'eq', value: 1.5, low: 1.45, high: 1.55 });
      assert.deepEqual(n('-1.5'), { prefix: 'eq', value: -1.5, low: -1.55, high: -1.45 });
      assert.deepEqual(n('0'), { prefix: 'eq', value: 0, low: -0.5, high: 0.5 });
    });

    it('reads exponent forms by their significant digits', () => {
      assert.deepEqual(n('1.5e2'), { prefix: 'eq', value: 150, low: 145, high: 155 });
      assert.deepEqual(n('1e2'), { prefix: 'eq', value: 100, low: 50, high: 150 });
      assert.deepEqual(n('2.50E-3'), { prefix: 'eq', value: 0.0025, low: 0.002495, high: 0.002505 });
    });

    it('reads prefixes, including before a negative number', () => {
      assert.deepEqual(n('gt0.8'), { prefix: 'gt', value: 0.8, low: 0.75, high: 0.85 });
      assert.deepEqual(n('le-2'), { prefix: 'le', value: -2, low: -2.5, high: -1.5 });
    });

    it('answers malformed numbers with 400', () => {
      for (const bad of ['abc', '1,5x', '.5', '5.', '1e', 'xx5', 'gt', '1e400', '0x10', 'NaN', 'Infinity', '1'.repeat(65)]) {
        rejects(() => parse([['probability', bad]], ['RiskAssessment']), 'invalid');
      }
    });
  });

  describe('quantity (https://hl7.org/fhir/R4/search.html#quantity)', () => {
    const q = (v: string) => (values('Observation', 'value-quantity', v)[0] as { value: unknown }).value;

    it('reads value|system|code, value||code and a bare value, with prefixes', () => {
      assert.deepEqual(q('5.4|http://unitsofmeasure.org|mg'), {
        prefix: 'eq', value: 5.4, low: 5.35, high: 5.45, system: 'http://unitsofmeasure.org', code: 'mg',
      });
      assert.deepEqual(q('lt5.4||mg'), { prefix: 'lt', value: 5.4, low: 5.35, high: 5.45, code: 'mg' });
      assert.deepEqual(q('ap5'), { prefix: 'ap', value: 5, low: 4.5, high: 5.5 });
    });

    it('answers other shapes with 400', () => {
      for (const bad of ['5.4|mg', '5|a|b|c', 'mg', '|http://unitsofmeasure.org|mg']) {
        rejects(() => parse([['value-quantity', bad]], ['Observation']), 'invalid');
      }
    });
  });

  describe('uri (https://hl7.org/fhir/R4/search.html#uri)', () => {
    it('takes the value literally with :above and :below; _profile and _source are uris', () => {
      assert.deepEqual(values('ValueSet', 'url:below', 'http://acme.org/fhir/'), [{ kind: 'uri', value: 'http://acme.org/fhir/' }]);
      assert.equal((one('ValueSet', 'url:above', 'http://acme.org/fhir/ValueSet/x') as ParamFilter).modifier, 'above');
      assert.deepEqual(values('Patient', '_profile', 'http://x/a\\,b'), [{ kind: 'uri', value: 'http://x/a,b' }]);
      assert.equal((one('Patient', '_source', 'http://src') as ParamFilter).type, 'uri');
    });
  });

  describe('reference (https://hl7.org/fhir/R4/search.html#reference)', () => {
    const r = (v: string, name = 'subject', type = 'Observation') => values(type, name, v).map((x) => (x as { value: unknown }).value);

    it('reads Type/id, id, absolute URLs, canonical url|version and versioned references', () => {
      assert.deepEqual(r('Patient/123'), [{ type: 'Patient', id: '123' }]);
      assert.deepEqual(r('123'), [{ id: '123' }]);
      assert.deepEqual(r('http://other.org/fhir/Patient/1'), [{ url: 'http://other.org/fhir/Patient/1' }]);
      assert.deepEqual(r('urn:uuid:0d2d0f5e-0b37-4b8d-9a0d-4d5f9d2f1a11'), [{ url: 'urn:uuid:0d2d0f5e-0b37-4b8d-9a0d-4d5f9d2f1a11' }]);
      assert.deepEqual(r('Patient/1/_history/2'), [{ type: 'Patient', id: '1', version: '2' }]);
      assert.deepEqual(r('http://x.org/Questionnaire/q|2.0', 'questionnaire', 'QuestionnaireResponse'), [{ url: 'http://x.org/Questionnaire/q', version: '2.0' }]);
    });

    it('reads absolute references to this server as Type/id', () => {
      const { query } = parse([['subject', 'https://fhir.example/r4/Patient/9']], ['Observation'], true, 'https://fhir.example/r4');
      assert.deepEqual((query.filters[0] as ParamFilter).values, [{ kind: 'reference', value: { type: 'Patient', id: '9' } }]);
    });

    it('folds a :[type] modifier into the values', () => {
      assert.deepEqual(one('Observation', 'subject:Patient', '123,Patient/7'), {
        kind: 'param', param: 'subject', type: 'reference',
        values: [{ kind: 'reference', value: { type: 'Patient', id: '123' } }, { kind: 'reference', value: { type: 'Patient', id: '7' } }],
      });
      rejects(() => parse([['subject:Patient', 'Group/1']], ['Observation']), 'invalid', /only matches Patient/);
      rejects(() => parse([['subject:Organization', '1']], ['Observation']), 'invalid', /Unknown modifier/);
    });

    it('reads :identifier as a token and :missing as a boolean', () => {
      assert.deepEqual(one('Observation', 'subject:identifier', 'http://pnr|19121212-1212'), {
        kind: 'param', param: 'subject', type: 'reference', modifier: 'identifier',
        values: [{ kind: 'token', value: { system: 'http://pnr', code: '19121212-1212' } }],
      });
      assert.deepEqual(values('Observation', 'subject:missing', 'true'), [{ kind: 'missing', value: true }]);
    });

    it('answers references that cannot be right with 400', () => {
      for (const bad of ['Foo/1', 'Organization/1', 'Patient/', 'Patient/a b', 'a/b/c', 'Patient/1|2', 'x|y|z', "1' OR '1'='1"]) {
        rejects(() => parse([['subject', bad]], ['Observation']), 'invalid');
      }
    });
  });

  describe('composite (https://hl7.org/fhir/R4/search.html#composite)', () => {
    it('splits on unescaped $ and reads each component by its own type', () => {
      assert.deepEqual(one('Observation', 'code-value-quantity', 'http://loinc.org|8480-6$gt140|http://unitsofmeasure.org|mm[Hg]'), {
        kind: 'param', param: 'code-value-quantity', type: 'composite',
        values: [{
          kind: 'composite',
          value: [
            { kind: 'token', value: { system: 'http://loinc.org', code: '8480-6' } },
            { kind: 'quantity', value: { prefix: 'gt', value: 140, low: 139.5, high: 140.5, system: 'http://unitsofmeasure.org', code: 'mm[Hg]' } },
          ],
        }],
      });
      const [v] = values('Observation', 'code-value-string', 'http://loinc.org|x$a\\$b');
      assert.deepEqual(v, { kind: 'composite', value: [{ kind: 'token', value: { system: 'http://loinc.org', code: 'x' } }, { kind: 'string', value: 'a$b' }] });
      const [d] = values('Observation', 'code-value-date', 'c$ge2020');
      assert.equal((d as { value: FilterValue[] }).value[1].kind, 'date');
    });

    it('handles three components and reference components', () => {
      const [v] = values('MolecularSequence', 'chromosome-variant-coordinate', '1$gt123$lt345');
      assert.deepEqual((v as { value: FilterValue[] }).value.map((c) => c.kind), ['token', 'number', 'number']);
      const [rel] = values('DocumentReference', 'relationship', 'DocumentReference/1$replaces');
      assert.deepEqual(rel, { kind: 'composite', value: [{ kind: 'reference', value: { type: 'DocumentReference', id: '1' } }, { kind: 'token', value: { code: 'replaces' } }] });
    });

    it('answers a wrong number of components or a bad component with 400; takes :missing', () => {
      rejects(() => parse([['code-value-quantity', 'a']], ['Observation']), 'invalid', /2 non-empty components/);
      rejects(() => parse([['code-value-quantity', 'a$1$2']], ['Observation']), 'invalid');
      rejects(() => parse([['code-value-quantity', 'a$']], ['Observation']), 'invalid');
      rejects(() => parse([['code-value-quantity', 'a$lots']], ['Observation']), 'invalid', /not a valid number/);
      rejects(() => parse([['code-value-quantity:exact', 'a$1']], ['Observation']), 'invalid');
      assert.deepEqual(values('Observation', 'code-value-quantity:missing', 'true'), [{ kind: 'missing', value: true }]);
    });
  });

  describe('special parameters _list and _has forms', () => {
    it('models _list as a special filter with id values', () => {
      assert.deepEqual(one('Patient', '_list', '42'), { kind: 'param', param: '_list', type: 'special', values: [{ kind: 'id', value: '42' }] });
      rejects(() => parse([['_list', '$current-problems']]), 'not-supported');
      rejects(() => parse([['_list', 'a/b']]), 'invalid');
    });

    it('answers near, _text, _content and _query as unknown: ignored, or not-supported when strict', () => {
      for (const [type, name] of [['Location', 'near'], ['Patient', '_text'], ['Patient', '_content'], ['Patient', '_query']]) {
        assert.deepEqual(parse([[name, 'x']], [type]).ignored, [name]);
        rejects(() => parse([[name, 'x']], [type], true), 'not-supported', /not supported/);
        assert.equal(searchParamSupport(type, name), undefined);
      }
    });
  });

  describe('chains (https://hl7.org/fhir/R4/search.html#chaining)', () => {
    it('follows an explicit :Type', () => {
      assert.deepEqual(one('Observation', 'subject:Patient.name', 'Eve'), {
        kind: 'chain', param: 'subject', targetTypes: ['Patient'],
        filter: { kind: 'param', param: 'name', type: 'string', values: [{ kind: 'string', value: 'Eve' }] },
      });
    });

    it('narrows several targets to those that have the chained parameter', () => {
      const f = one('Observation', 'subject.name', 'x') as ChainFilter;
      assert.deepEqual(f.targetTypes, ['Patient', 'Location']);
      const all = one('Observation', 'subject._id', 'x') as ChainFilter;
      assert.deepEqual(all.targetTypes, ['Group', 'Device', 'Patient', 'Location']);
    });

    it('chains to any depth up to the limit, with modifiers on the last link', () => {
      const f = one('Observation', 'patient.organization.name:exact', 'Acme') as ChainFilter;
      assert.equal(f.param, 'patient');
      const inner = f.filter as ChainFilter;
      assert.deepEqual([inner.kind, inner.param, inner.targetTypes], ['chain', 'organization', ['Organization']]);
      assert.deepEqual(inner.filter, { kind: 'param', param: 'name', type: 'string', modifier: 'exact', values: [{ kind: 'string', value: 'Acme' }] });
      const four = 'subject:Patient.organization.partof.partof.name';
      assert.equal(one('Observation', four, 'x').kind, 'chain');
      rejects(() => parse([['subject:Patient.organization.partof.partof.partof.name', 'x']], ['Observation']), 'too-costly', /4 links/);
      assert.equal(SEARCH_LIMITS.maxChainDepth, 4);
    });

    it('answers broken chains with 400, even under lenient handling', () => {
      rejects(() => parse([['subject.nosuch', 'x']], ['Observation']), 'invalid', /not a search parameter of any target/);
      rejects(() => parse([['code.name', 'x']], ['Observation']), 'invalid', /not a reference parameter/);
      rejects(() => parse([['subject:Organization.name', 'x']], ['Observation']), 'invalid', /cannot refer to 'Organization'/);
      rejects(() => parse([['subject:Patient.', 'x']], ['Observation']), 'invalid');
      rejects(() => parse([['subject:Patient.name:nosuch', 'x']], ['Observation']), 'invalid', /Unknown modifier/);
      rejects(() => parse([['subject:Patient.birthdate', 'notadate']], ['Observation']), 'invalid', /not a valid date/);
    });

    it('leaves a chain whose first parameter is unknown to lenient handling', () => {
      assert.deepEqual(parse([['nosuch.name', 'x']], ['Observation']).ignored, ['nosuch.name']);
    });
  });

  describe('_has (https://hl7.org/fhir/R4/search.html#has)', () => {
    it('reads a reverse chain and a nested one', () => {
      assert.deepEqual(one('Patient', '_has:Observation:patient:code', '1234-5'), {
        kind: 'has', type: 'Observation', param: 'patient',
        filter: { kind: 'param', param: 'code', type: 'token', values: [{ kind: 'token', value: { code: '1234-5' } }] },
      });
      const nested = one('Patient', '_has:Observation:patient:_has:AuditEvent:entity:agent', 'Practitioner/1') as HasFilter;
      assert.equal(nested.filter.kind, 'has');
      assert.deepEqual((nested.filter as HasFilter).filter, {
        kind: 'param', param: 'agent', type: 'reference', values: [{ kind: 'reference', value: { type: 'Practitioner', id: '1' } }],
      });
    });

    it('allows modifiers and chains inside', () => {
      const f = one('Patient', '_has:Observation:patient:code:text', 'hb') as HasFilter;
      assert.equal((f.filter as ParamFilter).modifier, 'text');
      const c = one('Patient', '_has:Encounter:patient:service-provider.name', 'x') as HasFilter;
      assert.equal(c.filter.kind, 'chain');
    });

    it('bounds the depth and answers malformed _has with 400', () => {
      const three = '_has:Observation:patient:_has:Provenance:target:_has:AuditEvent:entity:agent';
      assert.equal(one('Patient', three, 'Practitioner/1').kind, 'has');
      rejects(() => parse([[`_has:Observation:patient:_has:Provenance:target:_has:Provenance:target:_has:AuditEvent:entity:agent`, 'Practitioner/1']]), 'too-costly', /3 levels/);
      for (const bad of ['_has', '_has:Observation', '_has:Observation:patient', '_has:Nope:patient:code', '_has:Observation:code:code', '_has:Observation:nosuch:code', '_has:Observation:patient:nosuch']) {
        rejects(() => parse([[bad, 'x']]), 'invalid');
      }
      rejects(() => parse([['_has:Observation:patient:code', 'x']], ['Organization']), 'invalid', /cannot refer to Organization/);
    });
  });

  describe('_include and _revinclude (https://hl7.org/fhir/R4/search.html#include)', () => {
    it('reads Type:param, Type:param:Target, Type:* and *, with :iterate and :recurse', () => {
      const { query, applied } = parse([
        ['_include', 'MedicationRequest:patient'],
        ['_include', 'MedicationRequest:requester:Practitioner'],
        ['_include:iterate', 'Patient:general-practitioner'],
        ['_include:recurse', 'Organization:partof'],
        ['_revinclude', 'Provenance:target'],
        ['_revinclude:iterate', 'AuditEvent:entity:Provenance'],
        ['_include', 'MedicationRequest:*'],
      ], ['MedicationRequest'], true);
      assert.deepEqual(query.includes, [
        { sourceType: 'MedicationRequest', param: 'patient', iterate: false },
        { sourceType: 'MedicationRequest', param: 'requester', targetType: 'Practitioner', iterate: false },
        { sourceType: 'Patient', param: 'general-practitioner', iterate: true },
        { sourceType: 'Organization', param: 'partof', iterate: true },
        { sourceType: 'MedicationRequest', param: '*', iterate: false },
      ]);
      assert.deepEqual(query.revincludes, [
        { sourceType: 'Provenance', param: 'target', iterate: false },
        { sourceType: 'AuditEvent', param: 'entity', targetType: 'Provenance', iterate: true },
      ]);
      assert.equal(applied.length, 7);
      assert.deepEqual(parse([['_include', '*']], ['Observation']).query.includes, [{ sourceType: 'Observation', param: '*', iterate: false }]);
      assert.equal(parse([]).query.includes, undefined);
    });

    it('answers unknown params, wrong sources and wrong targets with 400', () => {
      const bad: Array<[string, string]> = [
        ['_include', 'MedicationRequest:nosuch'],
        ['_include', 'MedicationRequest:code'],
        ['_include', 'Patient:organization'],
        ['_include', 'Nope:patient'],
        ['_include', 'MedicationRequest'],
        ['_include', 'MedicationRequest:requester:Location'],
        ['_include', 'MedicationRequest:requester:Nope'],
        ['_include', 'a:b:c:d'],
        ['_include:deep', 'MedicationRequest:patient'],
        ['_revinclude', 'Provenance:nosuch'],
        ['_revinclude', 'Provenance'],
      ];
      for (const pair of bad) rejects(() => parse([pair], ['MedicationRequest']), 'invalid');
      rejects(() => parse([['_revinclude', '*']], ['MedicationRequest']), 'not-supported');
    });

    it('expands _revinclude=Type:* into the reference parameters of Type', () => {
      const { query } = parse([['_revinclude', 'Provenance:*:MedicationRequest']], ['MedicationRequest'], true);
      const params = (query.revincludes ?? []).map((i) => i.param).sort();
      assert.deepEqual(params, ['entity', 'target']);
      assert.ok((query.revincludes ?? []).every((i) => i.sourceType === 'Provenance' && i.targetType === 'MedicationRequest' && !i.iterate));
      const all = parse([['_revinclude', 'Provenance:*']], ['MedicationRequest']).query.revincludes ?? [];
      assert.deepEqual(all.map((i) => i.param).sort(), ['agent', 'entity', 'location', 'patient', 'target']);
    });
  });

  describe('_sort, _count, _total (https://hl7.org/fhir/R4/search.html#sort, #count)', () => {
    it('reads a sort list with - for descending, on any sortable parameter', () => {
      const { query } = parse([['_sort', '-birthdate,name,_id,identifier,general-practitioner,_lastUpdated']]);
      assert.deepEqual(query.sort, [
        { param: 'birthdate', type: 'date', descending: true }, { param: 'name', type: 'string', descending: false },
        { param: '_id', type: 'token', descending: false }, { param: 'identifier', type: 'token', descending: false },
        { param: 'general-practitioner', type: 'reference', descending: false }, { param: '_lastUpdated', type: 'date', descending: false },
      ]);
      assert.deepEqual(parse([['_sort', 'probability,-_profile']], ['RiskAssessment']).query.sort.length, 2);
      assert.deepEqual(parse([['_sort', 'value-quantity']], ['Observation']).query.sort, [{ param: 'value-quantity', type: 'quantity', descending: false }]);
    });

    it('answers unsortable or unknown sort keys with 400', () => {
      rejects(() => parse([['_sort', 'code-value-quantity']], ['Observation']), 'invalid', /Cannot sort/);
      rejects(() => parse([['_sort', '_has']]), 'invalid');
      rejects(() => parse([['_sort', 'nosuch']]), 'invalid');
      rejects(() => parse([['_sort', 'name,']]), 'invalid');
      rejects(() => parse([['_sort', '-']]), 'invalid');
      rejects(() => parse([['_sort', '_text']]), 'invalid');
    });

    it('reads _count between 0 and the maximum and _total', () => {
      assert.equal(parse([]).query.count, DEFAULT_COUNT);
      assert.equal(DEFAULT_COUNT, 20);
      assert.equal(parse([['_count', '0']]).query.count, 0);
      assert.equal(parse([['_count', '50']]).query.count, 50);
      assert.equal(parse([['_count', '5000']]).query.count, MAX_COUNT);
      assert.equal(parse([['_count', '9'.repeat(400)]]).query.count, MAX_COUNT);
      for (const bad of ['-1', '1.5', '', 'ten', '1e3', ' 5']) rejects(() => parse([['_count', bad]]), 'invalid', /_count/);
      assert.equal(parse([['_total', 'accurate']]).query.total, 'accurate');
      rejects(() => parse([['_total', 'all']]), 'invalid');
    });

    it('passes _summary, _elements, _contained, _format, _pretty and _cursor through', () => {
      const { query, applied, ignored } = parse([
        ['_summary', 'count'], ['_elements', 'name'], ['_contained', 'both'], ['_containedType', 'container'],
        ['_format', 'json'], ['_pretty', 'true'], ['_cursor', 'abc'],
      ], ['Patient'], true);
      assert.equal(query.filters.length, 0);
      assert.equal(query.cursor, 'abc');
      assert.deepEqual(ignored, []);
      assert.deepEqual(applied.map(([n]) => n), ['_summary', '_elements', '_contained', '_containedType']);
    });
  });

  describe('system-level search and _type (https://hl7.org/fhir/R4/search.html#all)', () => {
    const all = () => resourceTypes();

    it('searches every type unless _type narrows them', () => {
      assert.equal(parse([], all()).query.types.length, 147);
      const { query, applied } = parse([['_type', 'Patient,Observation'], ['_lastUpdated', 'gt2020']], all(), true);
      assert.deepEqual(query.types, ['Observation', 'Patient']);
      assert.deepEqual(applied, [['_type', 'Patient,Observation'], ['_lastUpdated', 'gt2020']]);
    });

    it('takes only parameters common to all searched types', () => {
      assert.equal(parse([['_id', 'a'], ['_tag', 'x'], ['_profile', 'http://p']], all(), true).query.filters.length, 3);
      assert.deepEqual(parse([['name', 'x']], all()).ignored, ['name']);
      rejects(() => parse([['name', 'x']], all(), true), 'invalid', /Unknown or unsupported/);
      const two = parse([['_type', 'Observation,Encounter'], ['patient', 'Patient/1'], ['_sort', '-date']], all(), true);
      assert.deepEqual((two.query.filters[0] as ParamFilter).values, [{ kind: 'reference', value: { type: 'Patient', id: '1' } }]);
      rejects(() => parse([['_type', 'Observation,Patient'], ['_sort', 'code']], all()), 'invalid', /Cannot sort/);
    });

    it('intersects _type with a type-level search and answers bad _type with 400', () => {
      assert.deepEqual(parse([['_type', 'Patient,Observation']]).query.types, ['Patient']);
      rejects(() => parse([['_type', 'Observation']]), 'invalid', /excludes/);
      rejects(() => parse([['_type', 'Nope']], all()), 'invalid', /not a resource type/);
      rejects(() => parse([['_type', '']], all()), 'invalid');
      rejects(() => parse([['_type:not', 'Patient']], all()), 'invalid');
    });
  });

  describe('unknown parameters (https://hl7.org/fhir/R4/search.html#errors)', () => {
    it('ignores them under lenient handling and rejects them under strict, listing what was applied', () => {
      const lenient = parse([['name', 'x'], ['nosuch', '1'], ['_count', '5'], ['foo:exact', 'y']]);
      assert.deepEqual(lenient.ignored, ['nosuch', 'foo:exact']);
      assert.deepEqual(lenient.applied, [['name', 'x'], ['_count', '5']]);
      rejects(() => parse([['nosuch', '1']], ['Patient'], true), 'invalid', /Unknown or unsupported search parameter 'nosuch'/);
    });

    it('rejects unknown modifiers on known parameters even when lenient', () => {
      rejects(() => parse([['name:foo', 'x']]), 'invalid', /Unknown modifier/);
      rejects(() => parse([['birthdate:exact', '2020']]), 'invalid');
    });
  });

  describe('limits', () => {
    it('answers a 10,000-value OR list with 400 too-costly, and takes 1,000', () => {
      const ids = (n: number) => Array.from({ length: n }, (_, i) => `id${i}`).join(',');
      rejects(() => parse([['_id', ids(10_000)]]), 'too-costly', /At most 1000/);
      assert.equal((one('Patient', '_id', ids(SEARCH_LIMITS.maxOrValues)) as ParamFilter).values.length, 1000);
      rejects(() => parse([['_sort', Array(1001).fill('name').join(',')]]), 'too-costly');
    });

    it('answers more than 100 parameters or an overlong name with 400', () => {
      const many: Pairs = Array.from({ length: 101 }, () => ['name', 'x']);
      rejects(() => parse(many), 'too-costly', /At most 100/);
      assert.equal(parse(many.slice(1)).query.filters.length, 100);
      rejects(() => parse([['a'.repeat(300), 'x']]), 'invalid', /longer than/);
    });
  });

  describe('bad input', () => {
    it('never throws anything but a 400 FhirError and never crashes', () => {
      const nasty: Array<[string, string, string]> = [
        ['Patient', 'birthdate', 'ge'], ['Patient', 'birthdate', 'ne-1'], ['Patient', 'name', ''], ['Patient', 'name', ','],
        ['Patient', 'identifier', '\\'], ['Patient', 'name', '\\'], ['Observation', 'subject', '../../etc/passwd'],
        ['Observation', 'subject', 'Patient/1; DROP TABLE resources'], ['Observation', 'code-value-quantity', '$$$'],
        ['Observation', 'value-quantity', '1|2|3|4'], ['Patient', '_has:', 'x'], ['Patient', '__proto__', 'x'],
        ['Patient', 'constructor.name', 'x'], ['Patient', 'name:', 'x'], ['Patient', ':', 'x'], ['Patient', '.', 'x'],
        ['Patient', 'organization.', 'x'], ['Patient', 'organization..name', 'x'], ['Patient', '_include', ':'],
        ['Patient', '_include', '::'], ['Patient', '_sort', ','], ['Patient', '_count', '-1'], ['Patient', '_id', "1' OR 1=1--"],
        ['Patient', 'general-practitioner:__proto__', 'x'], ['Patient', '_has:__proto__:x:y', 'z'], ['Patient', 'birthdate', '2020-01-01T10:00+01:00:00'],
        ['RiskAssessment', 'probability', '1e99999999999999999'], ['Patient', '_type', ',,,'], ['Patient', '_list', ''],
      ];
      for (const [type, name, value] of nasty) {
        try {
          const { query } = parse([[name, value]], [type]);
          assert.ok(query);
        } catch (e) {
          assert.ok(e instanceof FhirError, `${name}=${value} threw ${String(e)}`);
          assert.equal(e.status, 400, `${name}=${value}`);
        }
      }
    });

    it('takes SQL- and operator-looking values literally where the grammar allows them', () => {
      assert.deepEqual(values('Patient', 'name', "'; DROP TABLE resources; --"), [{ kind: 'string', value: "'; DROP TABLE resources; --" }]);
      assert.deepEqual(values('Patient', 'identifier', '{"$gt":""}'), [{ kind: 'token', value: { code: '{"$gt":""}' } }]);
    });
  });

  describe('the support table', () => {
    const unsupported = new Set(['_text', '_content', '_query', 'near']);

    it('lists every R4 parameter of every type except those without an index, plus _has and _list', () => {
      for (const type of resourceTypes()) {
        const listed = new Set(supportedSearchParams(type).map((p) => p.code));
        for (const code of searchParametersFor(type).keys()) {
          assert.equal(listed.has(code), !unsupported.has(code), `${type}.${code}`);
        }
        assert.ok(listed.has('_has') && listed.has('_list'), type);
        assert.equal(listed.size, [...searchParametersFor(type).keys()].filter((c) => !unsupported.has(c)).length + 2, type);
      }
    });

    it('resolves every composite component and gives every parameter documentation', () => {
      for (const type of resourceTypes()) {
        for (const { code, support } of supportedSearchParams(type)) {
          assert.ok(support.documentation.length > 10, `${type}.${code}`);
          for (const c of support.components ?? []) assert.notEqual(c.type, 'special', `${type}.${code}`);
          assert.ok(Object.isFrozen(support) && Object.isFrozen(support.modifiers), `${type}.${code} is shared, so frozen`);
        }
      }
    });

    it('parses a simple well-formed value of every supported parameter of every type', function () {
      this.timeout(20_000);
      let count = 0;
      for (const type of resourceTypes()) {
        for (const { code, support } of supportedSearchParams(type)) {
          if (code === '_has') continue; // a name form, covered above
          const { query } = parse([[code, sampleValue(code, support)], [`${code}:missing`, 'true']].slice(0, code.startsWith('_') ? 1 : 2) as Pairs, [type], true);
          assert.equal(query.filters.length, code.startsWith('_') ? 1 : 2, `${type}.${code}`);
          count++;
        }
      }
      assert.ok(count > 2500, `${count} parameters parsed`);
    });
  });
});

/** A well-formed value of each parameter type. */
function sampleValue(code: string, support: ParamSupport): string {
  if (code === '_id' || code === '_list') return 'a1';
  if (support.type === 'composite') return (support.components ?? []).map((c) => sampleOf(c.type, c.targets)).join('$');
  return sampleOf(support.type, support.targets);
}

function sampleOf(type: string, targets?: readonly string[]): string {
  switch (type) {
    case 'token': return 'http://example.org|a';
    case 'string': return 'abc';
    case 'date': return 'ge2020-01-01';
    case 'number': return 'lt10.5';
    case 'quantity': return '5.4|http://unitsofmeasure.org|mg';
    case 'uri': return 'http://example.org/x';
    case 'reference': return targets && targets.length > 0 ? `${targets[0]}/1` : 'http://example.org/Library/x|1.0';
    default: return 'a1';
  }
}

describe('search parsing: the paging cursor', () => {
  it('carries _cursor into the query and keeps it out of the applied list', () => {
    const { query, applied } = parseSearch(['Patient'], [['_count', '2'], ['_cursor', 'WzJd']], true);
    assert.equal(query.cursor, 'WzJd');
    assert.deepEqual(applied, [['_count', '2']]);
  });
});
