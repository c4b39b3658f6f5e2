import assert from 'node:assert/strict';
import { parseScope, parseScopes, splitScopes } from '../../src/access/access-context';
import { grantScopes } from '../../src/access/scope-grant';

// SMART App Launch 2.0, scopes: https://hl7.org/fhir/smart-app-launch/scopes-and-launch-context.html
const letters = (text: string) => [...(parseScope(text)?.permissions ?? [])].sort().join('');

describe('SMART scope grammar', () => {
  it('reads v1 scopes: read = r+s, write = c+u+d, * = cruds', () => {
    assert.equal(letters('patient/Observation.read'), 'rs');
    assert.equal(letters('user/*.write'), 'cdu');
    assert.equal(letters('system/*.*'), 'cdrsu');
    const s = parseScope('patient/Observation.read');
    assert.equal(s?.context, 'patient');
    assert.equal(s?.resourceType, 'Observation');
    assert.deepEqual(s?.constraints, []);
    assert.equal(s?.text, 'patient/Observation.read');
  });

  it('reads v2 letter subsets in cruds order and refuses any other order or letter', () => {
    assert.equal(letters('patient/Observation.rs'), 'rs');
    assert.equal(letters('user/Encounter.cruds'), 'cdrsu');
    assert.equal(letters('system/Patient.c'), 'c');
    assert.equal(letters('system/Patient.ud'), 'du');
    for (const bad of ['patient/Observation.sr', 'patient/Observation.rr', 'patient/Observation.x', 'patient/Observation.', 'patient/Observation.rsx']) {
      assert.equal(parseScope(bad), undefined, bad);
    }
  });

  it('reads v2 search constraints, decoded, and only with v2 permissions', () => {
    const s = parseScope('patient/Observation.rs?category=http%3A%2F%2Fterminology.hl7.org%2FCodeSystem%2Fobservation-category%7Claboratory&status=final');
    assert.deepEqual(s?.constraints, [
      ['category', 'http://terminology.hl7.org/CodeSystem/observation-category|laboratory'], ['status', 'final'],
    ]);
    assert.deepEqual(parseScope('patient/Observation.rs?category=laboratory')?.constraints, [['category', 'laboratory']]);
    assert.equal(parseScope('patient/Observation.read?category=laboratory'), undefined);
    assert.equal(parseScope('patient/Observation.rs?category='), undefined);
    assert.equal(parseScope('patient/Observation.rs?=x'), undefined);
  });

  it('refuses unknown contexts and malformed resource types', () => {
    for (const bad of ['group/Observation.rs', 'patient/observation.rs', 'patient/Obs-ervation.rs', 'Observation.read', 'patient/.rs']) {
      assert.equal(parseScope(bad), undefined, bad);
    }
  });

  it('keeps launch and identity scopes aside and reports what it does not know', () => {
    const s = splitScopes('launch/patient openid fhirUser offline_access online_access launch patient/*.rs bogus  user/Patient.read');
    assert.deepEqual(s.resource.map((r) => r.text), ['patient/*.rs', 'user/Patient.read']);
    assert.deepEqual(s.other, ['launch/patient', 'openid', 'fhirUser', 'offline_access', 'online_access', 'launch']);
    assert.deepEqual(s.invalid, ['bogus']);
    assert.equal(parseScopes('openid launch').length, 0);
    assert.deepEqual(parseScopes('').length, 0);
  });
});

describe('granting requested ∩ registered scopes', () => {
  it('grants a requested scope its registration covers, in the words asked', () => {
    assert.deepEqual(grantScopes('system/Observation.rs', 'system/*.rs'), ['system/Observation.rs']);
    assert.deepEqual(grantScopes('system/Observation.read', 'system/*.cruds'), ['system/Observation.read']);
  });

  it('narrows a wider request to what is registered', () => {
    assert.deepEqual(grantScopes('system/*.cruds', 'system/Observation.rs system/Patient.r'), ['system/Observation.rs', 'system/Patient.r']);
    assert.deepEqual(grantScopes('system/*.*', 'system/*.rs?category=laboratory'), ['system/*.rs?category=laboratory']);
    assert.deepEqual(grantScopes('system/Observation.cruds', 'system/*.read'), ['system/Observation.rs']);
  });

  it('grants nothing across contexts, types or permissions', () => {
    assert.deepEqual(grantScopes('user/*.rs', 'system/*.rs'), []);
    assert.deepEqual(grantScopes('system/Patient.rs', 'system/Observation.rs'), []);
    assert.deepEqual(grantScopes('system/*.c', 'system/*.rs'), []);
    assert.deepEqual(grantScopes('launch/patient', 'system/*.rs'), []);
  });
});

describe('granted scopes', () => {
  it('leave out a scope another granted one already covers', () => {
    assert.deepEqual(grantScopes('system/*.rs system/Patient.cruds', 'system/*.rs system/Patient.cruds'), ['system/*.rs', 'system/Patient.cruds']);
    assert.deepEqual(grantScopes('system/*.read system/*.rs', 'system/*.rs'), ['system/*.read']);
    assert.deepEqual(grantScopes('system/Observation.rs?category=laboratory system/Observation.rs', 'system/*.rs'), ['system/Observation.rs']);
  });
});
