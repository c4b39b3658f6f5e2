import assert from 'node:assert/strict';
import { describeContract, ids, put } from './harness';
import { LIVE_PATIENTS, LOINC, MRN, PNR, UCUM, V2_0203, seedSearchData } from './search-data';

/**
 * Each search parameter type with each of its prefixes and modifiers, queries written as FHIR query strings and
 * parsed by the real parser. https://hl7.org/fhir/R4/search.html#ptypes, #prefix, #modifiers
 */

const without = (all: string[], ...gone: string[]) => all.filter((id) => !gone.includes(id)).sort();

describeContract('search: parameter types, prefixes and modifiers', (c) => {
  before(async () => {
    await seedSearchData(c);
  });
  const search = (type: string, q: string) => ids(c.store, type, q);

  describe('token', () => {
    it('code, system|code, |code, system|, several values', async () => {
      assert.deepEqual(await search('Patient', 'gender=female'), ['pat-1'], 'deleted pat-del and updated pat-upd do not match');
      assert.deepEqual(await search('Patient', 'gender=female,male'), ['pat-1', 'pat-2']);
      assert.deepEqual(await search('Patient', `identifier=${PNR}|197005141234`), ['pat-1']);
      assert.deepEqual(await search('Patient', 'identifier=|197005141234'), [], 'the identifier has a system');
      assert.deepEqual(await search('Patient', `identifier=${PNR}|`), ['pat-1', 'pat-2']);
      assert.deepEqual(await search('Patient', 'identifier=198501015678'), ['pat-2']);
      assert.deepEqual(await search('Patient', `identifier=${MRN}|MRN-2`), ['pat-2']);
      assert.deepEqual(await search('Patient', `identifier=${PNR}|MRN-2`), [], 'system and value must come from one identifier');
      assert.deepEqual(await search('Observation', `code=${LOINC}|29463-7`), ['obs-grp', 'obs-wt1', 'obs-wt2']);
      assert.deepEqual(await search('Observation', 'code=http://snomed.info/sct|29463-7'), []);
      assert.deepEqual(await search('Observation', 'status=preliminary,amended'), ['obs-grp', 'obs-sys']);
    });

    it('boolean, ContactPoint and Coding values', async () => {
      assert.deepEqual(await search('Patient', 'active=true'), ['pat-1']);
      assert.deepEqual(await search('Patient', 'active=false'), ['pat-2']);
      assert.deepEqual(await search('Patient', 'phone=070-111 22'), ['pat-1']);
      assert.deepEqual(await search('Patient', 'email=karin@example.se'), ['pat-1']);
      assert.deepEqual(await search('Patient', 'telecom=karin@example.se'), ['pat-1']);
      assert.deepEqual(await search('Patient', 'phone=karin@example.se'), [], 'phone only indexes phone numbers');
      assert.deepEqual(await search('Encounter', 'class=http://terminology.hl7.org/CodeSystem/v3-ActCode|IMP'), ['enc2']);
    });

    it('_id', async () => {
      assert.deepEqual(await search('Patient', '_id=pat-2'), ['pat-2']);
      assert.deepEqual(await search('Patient', '_id=pat-2,pat-3,nobody'), ['pat-2', 'pat-3']);
      assert.deepEqual(await search('Patient', '_id=pat-del'), [], 'deleted');
      assert.deepEqual(await search('Observation', '_id=pat-2'), [], 'another type\'s id');
    });

    it(':not keeps resources without the parameter and drops those with the code', async () => {
      assert.deepEqual(await search('Patient', 'gender:not=male'), without(LIVE_PATIENTS, 'pat-2'));
      assert.deepEqual(await search('Observation', `code:not=${LOINC}|29463-7`), ['obs-bp', 'obs-chol', 'obs-ext', 'obs-sys']);
    });

    it(':text matches display and text, folded, from the start of the text', async () => {
      assert.deepEqual(await search('Observation', 'code:text=blood PRESS'), ['obs-bp']);
      assert.deepEqual(await search('Observation', 'code:text=cholesterol'), ['obs-ext']);
      assert.deepEqual(await search('Observation', 'code:text=weight'), [], 'not from a later word');
    });

    it(':of-type: identifier type, system and value together', async () => {
      assert.deepEqual(await search('Patient', `identifier:of-type=${V2_0203}|MR|197005141234`), ['pat-1']);
      assert.deepEqual(await search('Patient', `identifier:of-type=${V2_0203}|SS|197005141234`), []);
      assert.deepEqual(await search('Patient', `identifier:of-type=${V2_0203}|MR|198501015678`), []);
    });

    it(':missing', async () => {
      assert.deepEqual(await search('Patient', 'gender:missing=true'), ['pat-3', 'pat-upd']);
      assert.deepEqual(await search('Patient', 'gender:missing=false'), ['pat-1', 'pat-2', 'pat-4']);
      assert.deepEqual(await search('Patient', 'identifier:missing=true'), ['pat-3', 'pat-4', 'pat-upd']);
    });
  });

  describe('string', () => {
    it('default: case- and accent-insensitive starts-with on any part of the name', async () => {
      assert.deepEqual(await search('Patient', 'name=and'), ['pat-2']);
      assert.deepEqual(await search('Patient', 'name=AST'), ['pat-1'], 'Åström folds to astrom');
      assert.deepEqual(await search('Patient', 'given=mar'), ['pat-1'], 'the second given name');
      assert.deepEqual(await search('Patient', 'name=lissi'), ['pat-4'], 'HumanName.text');
      assert.deepEqual(await search('Patient', 'family=von'), ['pat-4']);
      assert.deepEqual(await search('Patient', 'name=ber,kar'), ['pat-1', 'pat-3']);
      assert.deepEqual(await search('Patient', 'address-city=malmo'), ['pat-1']);
      assert.deepEqual(await search('Patient', 'family=strom'), [], 'not a prefix');
    });

    it('an update replaces the values, a delete removes them', async () => {
      assert.deepEqual(await search('Patient', 'family=old'), []);
      assert.deepEqual(await search('Patient', 'family=new'), ['pat-upd']);
      assert.deepEqual(await search('Patient', 'family=gone'), []);
    });

    it(':exact: the whole value as written', async () => {
      assert.deepEqual(await search('Patient', 'family:exact=Åström'), ['pat-1']);
      assert.deepEqual(await search('Patient', 'family:exact=åström'), []);
      assert.deepEqual(await search('Patient', 'family:exact=Åstr'), []);
      assert.deepEqual(await search('Patient', 'address-city:exact=Malmö'), ['pat-1']);
    });

    it(':contains: a folded substring anywhere; wildcard characters are plain', async () => {
      assert.deepEqual(await search('Patient', 'name:contains=ERS'), ['pat-2']);
      assert.deepEqual(await search('Patient', 'name:contains=str'), ['pat-1']);
      assert.deepEqual(await search('Patient', 'address-city:contains=halm'), ['pat-2']);
      assert.deepEqual(await search('Patient', 'name:contains=100%'), []);
      assert.deepEqual(await search('Patient', 'name:contains=_'), []);
      assert.deepEqual(await search('Patient', 'name:contains=.*'), []);
    });

    it(':missing', async () => {
      assert.deepEqual(await search('Patient', 'given:missing=true'), ['pat-3', 'pat-upd']);
      assert.deepEqual(await search('Patient', 'given:missing=false'), ['pat-1', 'pat-2', 'pat-4']);
    });
  });

  describe('date', () => {
    const birth = (q: string) => search('Patient', `birthdate=${q}`);
    it('every prefix against the range a date stands for', async () => {
      assert.deepEqual(await birth('eq1970'), ['pat-1']);
      assert.deepEqual(await birth('1970-05-14'), ['pat-1']);
      assert.deepEqual(await birth('eq1990-02-10'), [], 'a month is not within a day');
      assert.deepEqual(await birth('ne1970'), ['pat-2', 'pat-3', 'pat-4']);
      assert.deepEqual(await birth('gt1980'), ['pat-2', 'pat-3', 'pat-4']);
      assert.deepEqual(await birth('lt1985'), ['pat-1']);
      assert.deepEqual(await birth('ge1985'), ['pat-2', 'pat-3', 'pat-4']);
      assert.deepEqual(await birth('le1985'), ['pat-1', 'pat-2']);
      assert.deepEqual(await birth('sa1985'), ['pat-3', 'pat-4']);
      assert.deepEqual(await birth('eb1985'), ['pat-1']);
      assert.deepEqual(await birth('ap1988'), ['pat-2', 'pat-3'], '±10% of the distance to now');
      assert.deepEqual(await birth('lt1960,gt2000'), ['pat-4']);
      assert.deepEqual(await search('Patient', 'birthdate=ge1980&birthdate=lt1995'), ['pat-2', 'pat-3'], 'two parameters are ANDed');
    });

    it('dateTime, Period and instant values with time zones', async () => {
      const when = (q: string) => search('Observation', `date=${q}`);
      assert.deepEqual(await when('eq2024-01'), ['obs-wt1'], 'the period lies within January');
      assert.deepEqual(await when('eq2024-01-15'), [], 'the period is not within one day');
      assert.deepEqual(await when('ge2024-01-15'), ['obs-bp', 'obs-wt1'], 'the period reaches past the day');
      assert.deepEqual(await when('lt2024-01-15'), ['obs-grp', 'obs-sys', 'obs-wt1', 'obs-wt2']);
      assert.deepEqual(await when('2023-07-01'), ['obs-wt2'], '23:30+02:00 is 21:30Z');
      assert.deepEqual(await when('2024-03-01T11:00:00%2B01:00'), ['obs-bp'], 'the same instant in another zone');
      assert.deepEqual(await when('eq2022-05-05T05:05:05.555Z'), ['obs-grp']);
      assert.deepEqual(await when('sa2023-12-31'), ['obs-bp', 'obs-wt1']);
      assert.deepEqual(await when('eb2023-01-01'), ['obs-grp']);
    });

    it('an open-ended Period reaches into the future', async () => {
      assert.deepEqual(await search('Encounter', 'date=gt2030-01-01'), ['enc2']);
      assert.deepEqual(await search('Encounter', 'date=eq2024-03-01'), ['enc1']);
      assert.deepEqual(await search('Encounter', 'date=lt2023-01-01'), []);
    });

    it(':missing', async () => {
      assert.deepEqual(await search('Observation', 'date:missing=true'), ['obs-chol', 'obs-ext']);
      assert.deepEqual(await search('Patient', 'birthdate:missing=true'), ['pat-upd']);
    });
  });

  describe('_lastUpdated', () => {
    it('compares with the version\'s lastUpdated', async () => {
      await new Promise((resolve) => setTimeout(resolve, 5));
      const [late] = await put(c.store, { resourceType: 'Group', id: 'grp-late', type: 'animal', actual: false });
      const stamp = late.version!.lastUpdated;
      assert.deepEqual(await search('Group', `_lastUpdated=ge${stamp}`), ['grp-late']);
      assert.deepEqual(await search('Group', `_lastUpdated=eq${stamp}`), ['grp-late']);
      assert.deepEqual(await search('Group', `_lastUpdated=lt${stamp}`), ['grp1']);
      assert.deepEqual(await search('Group', `_lastUpdated=gt${new Date(Date.parse(stamp) + 3_600_000).toISOString()}`), []);
      assert.deepEqual(await search('Group', `_lastUpdated=ge${stamp.slice(0, 4)}`), ['grp-late', 'grp1'], 'the whole year');
    });
  });

  describe('number', () => {
    const prob = (q: string) => search('RiskAssessment', `probability=${q}`);
    it('eq/ne/ap use the precision of the value as written; gt/lt/ge/le/sa/eb compare the value', async () => {
      assert.deepEqual(await prob('0.25'), ['ra1']);
      assert.deepEqual(await prob('eq0.3'), ['ra1'], '0.3 is [0.25, 0.35)');
      assert.deepEqual(await prob('eq0.2'), [], '0.2 is [0.15, 0.25)');
      assert.deepEqual(await prob('ne0.25'), ['ra2']);
      assert.deepEqual(await prob('gt0.5'), ['ra2']);
      assert.deepEqual(await prob('lt0.5'), ['ra1']);
      assert.deepEqual(await prob('ge0.8'), ['ra2']);
      assert.deepEqual(await prob('le0.25'), ['ra1']);
      assert.deepEqual(await prob('sa0.5'), ['ra2']);
      assert.deepEqual(await prob('eb0.5'), ['ra1']);
      assert.deepEqual(await prob('ap0.27'), ['ra1']);
      assert.deepEqual(await prob('gt1'), []);
    });

    it(':missing', async () => {
      assert.deepEqual(await search('RiskAssessment', 'probability:missing=true'), ['ra3']);
      assert.deepEqual(await search('RiskAssessment', 'probability:missing=false'), ['ra1', 'ra2']);
    });
  });

  describe('quantity', () => {
    const value = (q: string) => search('Observation', `value-quantity=${q}`);
    it('number|system|code, number||code (code or unit), prefixes', async () => {
      assert.deepEqual(await value(`72.5|${UCUM}|kg`), ['obs-wt1']);
      assert.deepEqual(await value('72.5||kg'), ['obs-wt1']);
      assert.deepEqual(await value('90||kg'), ['obs-wt2'], 'no system: the unit as written');
      assert.deepEqual(await value('72.5|http://other.org|kg'), []);
      assert.deepEqual(await value('gt100'), ['obs-sys']);
      assert.deepEqual(await value(`lt100|${UCUM}|kg`), ['obs-wt1']);
      assert.deepEqual(await value('le90'), ['obs-grp', 'obs-wt1', 'obs-wt2']);
      assert.deepEqual(await value(`ne140|${UCUM}|mm[Hg]`), []);
      assert.deepEqual(await value('ap5'), ['obs-grp']);
      assert.deepEqual(await value('ge140,lt10'), ['obs-grp', 'obs-sys']);
      assert.deepEqual(await value(`120|${UCUM}|mm[Hg]`), [], 'a component value is not the value');
    });

    it(':missing', async () => {
      assert.deepEqual(await search('Observation', 'value-quantity:missing=true'), ['obs-bp', 'obs-chol', 'obs-ext']);
    });
  });

  describe('uri', () => {
    it('exact, :below, :above, :missing', async () => {
      assert.deepEqual(await search('ValueSet', 'url=http://acme.org/fhir/ValueSet/123'), ['vs1']);
      assert.deepEqual(await search('ValueSet', 'url=http://acme.org/fhir/ValueSet/12'), []);
      assert.deepEqual(await search('ValueSet', 'url=HTTP://ACME.ORG/fhir/ValueSet/123'), [], 'uris compare as written');
      assert.deepEqual(await search('ValueSet', 'url:below=http://acme.org/fhir/'), ['vs1', 'vs2']);
      assert.deepEqual(await search('ValueSet', 'url:below=http://acme.org/fhir/ValueSet/123'), ['vs1']);
      assert.deepEqual(await search('ValueSet', 'url:above=http://acme.org/fhir/ValueSet/123/_history/5'), ['vs1']);
      assert.deepEqual(await search('ValueSet', 'url:above=http://acme.org/fhir/ValueSet'), []);
      assert.deepEqual(await search('ValueSet', 'url:missing=true'), ['vs4']);
    });
  });

  describe('reference', () => {
    const subject = (q: string) => search('Observation', q);
    it('Type/id, id, absolute URL, this server\'s base, :[type]', async () => {
      assert.deepEqual(await subject('subject=Patient/pat-1'), ['obs-bp', 'obs-wt1']);
      assert.deepEqual(await subject('subject=pat-2'), ['obs-sys', 'obs-wt2']);
      assert.deepEqual(await subject('subject=Group/pat-2'), []);
      assert.deepEqual(await subject('subject=https://other.example/fhir/Patient/x9'), ['obs-ext']);
      assert.deepEqual(await subject('subject=http://test.local/fhir/Patient/pat-1'), ['obs-bp', 'obs-wt1']);
      assert.deepEqual(await subject('subject:Patient=pat-1'), ['obs-bp', 'obs-wt1']);
      assert.deepEqual(await subject('subject:Group=grp1'), ['obs-grp']);
      assert.deepEqual(await subject('patient=pat-1,pat-2'), ['obs-bp', 'obs-sys', 'obs-wt1', 'obs-wt2']);
      assert.deepEqual(await subject('performer=Practitioner/dr1'), ['obs-bp']);
    });

    it(':identifier matches a logical reference', async () => {
      assert.deepEqual(await subject(`subject:identifier=${PNR}|197005141234`), ['obs-chol']);
      assert.deepEqual(await subject('subject:identifier=197005141234'), ['obs-chol']);
      assert.deepEqual(await subject(`subject:identifier=${MRN}|197005141234`), []);
    });

    it('canonical references with and without |version', async () => {
      const q = (v: string) => search('QuestionnaireResponse', `questionnaire=${v}`);
      assert.deepEqual(await q('http://acme.org/Questionnaire/q1'), ['qr1']);
      assert.deepEqual(await q('http://acme.org/Questionnaire/q1|2.0'), ['qr1']);
      assert.deepEqual(await q('http://acme.org/Questionnaire/q1|3.0'), []);
      assert.deepEqual(await q('http://acme.org/Questionnaire/q2'), ['qr2']);
    });

    it(':missing', async () => {
      assert.deepEqual(await search('Patient', 'general-practitioner:missing=false'), ['pat-1']);
      assert.deepEqual(await search('Patient', 'organization:missing=true'), ['pat-3', 'pat-upd']);
    });
  });

  describe('composite', () => {
    it('every component within one tuple; code-value-quantity and component-code-value-quantity apart', async () => {
      const q = (param: string, code: string, value: string) => search('Observation', `${param}=${LOINC}|${code}$${value}|${UCUM}|mm[Hg]`);
      assert.deepEqual(await q('code-value-quantity', '8480-6', '140'), ['obs-sys']);
      assert.deepEqual(await q('code-value-quantity', '8480-6', '120'), [], '120 is a component value of obs-bp');
      assert.deepEqual(await q('component-code-value-quantity', '8480-6', '120'), ['obs-bp']);
      assert.deepEqual(await q('component-code-value-quantity', '8480-6', '80'), [], '80 belongs to the 8462-4 component');
      assert.deepEqual(await q('component-code-value-quantity', '8462-4', '80'), ['obs-bp']);
      assert.deepEqual(await q('combo-code-value-quantity', '8480-6', 'gt100'), ['obs-bp', 'obs-sys']);
      assert.deepEqual(await q('component-code-value-quantity', '8480-6', 'lt130'), ['obs-bp']);
      assert.deepEqual(await search('Observation', `code-value-quantity=${LOINC}|29463-7$gt80,${LOINC}|8480-6$gt80`), ['obs-sys', 'obs-wt2']);
    });

    it(':missing', async () => {
      assert.deepEqual(await search('Observation', 'code-value-quantity:missing=false'), ['obs-grp', 'obs-sys', 'obs-wt1', 'obs-wt2']);
      assert.deepEqual(await search('Observation', 'component-code-value-quantity:missing=false'), ['obs-bp']);
    });
  });

  describe('special', () => {
    it('_list: the items of a current List', async () => {
      assert.deepEqual(await search('Patient', '_list=list1'), ['pat-1', 'pat-3']);
      assert.deepEqual(await search('Observation', '_list=list1'), ['obs-bp']);
      assert.deepEqual(await search('Patient', '_list=nolist'), []);
    });
  });

  describe('edge values', () => {
    it('tokens are case-sensitive; string folding also covers decomposed accents', async () => {
      assert.deepEqual(await search('Patient', 'gender=FEMALE'), []);
      assert.deepEqual(await search('Patient', `identifier=${MRN}|mrn-2`), []);
      assert.deepEqual(await search('Patient', `name=${encodeURIComponent('A\u030Astro\u0308m')}`), ['pat-1'], 'NFD input');
    });

    it('a long string (under the 1024 code points :exact keeps, src/search/normalize.ts) is found by prefix and :exact', async () => {
      const family = `Lång${'x'.repeat(1000)}son`;
      await put(c.store, { resourceType: 'Practitioner', id: 'dr-long', name: [{ family }] });
      assert.deepEqual(await search('Practitioner', 'family=lang'), ['dr-long']);
      assert.deepEqual(await search('Practitioner', `family:exact=${encodeURIComponent(family)}`), ['dr-long']);
      assert.deepEqual(await search('Practitioner', `family:exact=${encodeURIComponent(family.slice(0, -1))}`), []);
      assert.deepEqual(await search('Practitioner', 'family:contains=ngxxx'), ['dr-long']);
      assert.equal((await c.store.read('Practitioner', 'dr-long'))!.json?.includes(family) ?? true, true, 'stored whole');
    });
  });

  describe('values are only values', () => {
    it('query-language characters in values match literally or not at all', async () => {
      assert.deepEqual(await search('Organization', 'name:exact=A.B $Corp {x}'), ['org-odd']);
      assert.deepEqual(await search('Organization', 'name=a.b $'), ['org-odd']);
      assert.deepEqual(await search('Organization', 'identifier=urn:x.y$z|$ne'), ['org-odd']);
      assert.deepEqual(await search('Organization', 'identifier=$ne'), ['org-odd']);
      for (const hostile of ['$where', '{"$ne":null}', '$gt', '.*', '^', 'a.b', '$regex', '[object Object]', '__proto__', 'constructor']) {
        const v = encodeURIComponent(hostile);
        assert.deepEqual(await search('Patient', `family=${v}`), [], `family=${hostile}`);
        assert.deepEqual(await search('Patient', `name:contains=${v}`), [], `name:contains=${hostile}`);
        assert.deepEqual(await search('Patient', `identifier=${v}|${v}`), [], `identifier=${hostile}|${hostile}`);
        assert.deepEqual(await search('Patient', `identifier=${v}`), [], `identifier=${hostile}`);
        assert.deepEqual(await search('ValueSet', `url:below=${v}`), [], `url:below=${hostile}`);
        assert.deepEqual(await search('Observation', `subject:identifier=${v}|x`), [], `subject:identifier=${hostile}|x`);
      }
    });
  });
});
