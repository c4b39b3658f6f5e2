import type { Location, Organization } from 'fhir/r4';
import { hsaId, HSA_SYSTEM } from './identifiers';
import { ref, syntheticMeta } from './fhir-helpers';
import { MUNICIPALITIES } from './population';
import type { Terminology } from './terminology';

/**
 * The care units of the synthetic region: the region itself, its primary care centres (vårdcentraler) in each
 * municipality, and two emergency hospitals with their departments and wards. The structure is fixed, not drawn from
 * the seed, so populations made with different seeds share one set of units and staff.
 */

export type HospitalKey = 'halmstad' | 'varberg';
export type DepartmentKind = 'emergency' | 'medicine' | 'cardiology' | 'surgery' | 'orthopaedics' | 'psychiatry' | 'radiology';

export interface Unit {
  id: string;
  hsaId: string;
  name: string;
  kind: 'region' | 'primary-care' | 'hospital' | 'department' | 'ward';
  partOf?: string;
  municipality?: string;
  hospital?: HospitalKey;
  department?: DepartmentKind;
  /** The Location of a ward (its beds). */
  locationId?: string;
}

const CENTRES: Record<string, string[]> = {
  '1380': ['Andersberg', 'Fyllinge', 'Getinge', 'Nyhem', 'Oskarström', 'Söndrum', 'Halmstad centrum'],
  '1315': ['Hyltebruk'],
  '1381': ['Laholm', 'Knäred'],
  '1382': ['Falkenberg', 'Vessigebro', 'Ullared'],
  '1383': ['Varberg centrum', 'Håsten', 'Veddige', 'Träslövsläge'],
  '1384': ['Kungsbacka', 'Onsala', 'Åsa', 'Frillesås', 'Särö'],
};

const DEPARTMENTS: Record<DepartmentKind, { name: string; wards: string[] }> = {
  emergency: { name: 'Akutkliniken', wards: [] },
  medicine: { name: 'Medicinkliniken', wards: ['Medicinavdelning 1', 'Medicinavdelning 2'] },
  cardiology: { name: 'Hjärtkliniken', wards: ['Hjärtavdelningen'] },
  surgery: { name: 'Kirurgkliniken', wards: ['Kirurgavdelningen'] },
  orthopaedics: { name: 'Ortopedkliniken', wards: ['Ortopedavdelningen'] },
  psychiatry: { name: 'Psykiatrin', wards: ['Psykiatriska avdelningen'] },
  radiology: { name: 'Bild- och funktionsmedicin', wards: [] },
};

const HOSPITALS: Record<HospitalKey, string> = { halmstad: 'Hallands sjukhus Halmstad', varberg: 'Hallands sjukhus Varberg' };

export class RegionUnits {
  readonly units: Unit[] = [];
  private readonly byId = new Map<string, Unit>();

  constructor() {
    const region = this.add({ id: 'hal-region', hsaId: hsaId('SYN0001'), name: 'Region Halland', kind: 'region' });
    for (const m of MUNICIPALITIES) {
      CENTRES[m.code].forEach((place, i) => {
        const n = `${m.code}${i + 1}`;
        this.add({ id: `hal-vc-${n}`, hsaId: hsaId(`SYNV${n}`), name: `Vårdcentralen ${place}`, kind: 'primary-care', partOf: region.id, municipality: m.code });
      });
    }
    (Object.keys(HOSPITALS) as HospitalKey[]).forEach((h, hi) => this.addHospital(h, hi + 1, region.id));
  }

  unit(id: string): Unit {
    return this.byId.get(id)!;
  }

  primaryCareCentres(municipality: string): Unit[] {
    return this.units.filter((u) => u.kind === 'primary-care' && u.municipality === municipality);
  }

  department(hospital: HospitalKey, kind: DepartmentKind): Unit {
    return this.units.find((u) => u.kind === 'department' && u.hospital === hospital && u.department === kind)!;
  }

  wards(hospital: HospitalKey, kind: DepartmentKind): Unit[] {
    const dept = this.department(hospital, kind);
    return this.units.filter((u) => u.kind === 'ward' && u.partOf === dept.id);
  }

  organization(unit: Unit, terms: Terminology): Organization {
    const org: Organization = {
      resourceType: 'Organization',
      id: unit.id,
      meta: syntheticMeta(terms),
      identifier: [{ system: HSA_SYSTEM, value: unit.hsaId }],
      active: true,
      type: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/organization-type', code: unit.kind === 'department' || unit.kind === 'ward' ? 'dept' : 'prov' }] }],
      name: unit.name,
    };
    if (unit.partOf) org.partOf = ref('Organization', unit.partOf);
    return org;
  }

  location(unit: Unit, terms: Terminology): Location {
    return {
      resourceType: 'Location',
      id: unit.locationId!,
      meta: syntheticMeta(terms),
      identifier: [{ system: HSA_SYSTEM, value: unit.hsaId }],
      status: 'active',
      name: unit.name,
      mode: 'instance',
      physicalType: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/location-physical-type', code: 'wa', display: 'Ward' }] },
      managingOrganization: ref('Organization', unit.id),
    };
  }

  private addHospital(key: HospitalKey, n: number, regionId: string): void {
    const hospital = this.add({ id: `hal-hosp-${key}`, hsaId: hsaId(`SYNH${n}`), name: HOSPITALS[key], kind: 'hospital', partOf: regionId, hospital: key });
    (Object.keys(DEPARTMENTS) as DepartmentKind[]).forEach((kind, di) => {
      const d = DEPARTMENTS[kind];
      const dept = this.add({ id: `hal-dept-${key}-${kind}`, hsaId: hsaId(`SYNK${n}${di + 1}`), name: `${d.name}, ${HOSPITALS[key]}`, kind: 'department', partOf: hospital.id, hospital: key, department: kind });
      d.wards.forEach((ward, wi) => {
        const id = `hal-ward-${key}-${kind}-${wi + 1}`;
        this.add({ id, hsaId: hsaId(`SYNA${n}${di + 1}${wi + 1}`), name: `${ward}, ${HOSPITALS[key]}`, kind: 'ward', partOf: dept.id, hospital: key, department: kind, locationId: `${id}-beds` });
      });
    });
  }

  private add(unit: Unit): Unit {
    this.units.push(unit);
    this.byId.set(unit.id, unit);
    return unit;
  }
}
