import type { Practitioner, PractitionerRole } from 'fhir/r4';
import { hsaId, HSA_SYSTEM } from './identifiers';
import { FEMALE_NAMES, MALE_NAMES, SURNAMES } from './names';
import { ref, syntheticMeta } from './fhir-helpers';
import type { DepartmentKind, RegionUnits, Unit } from './organizations';
import { Random } from './prng';
import type { Terminology } from './terminology';

/** The care staff of each unit: Practitioners with their profession, and one PractitionerRole at their unit each. */

export type Profession = 'physician' | 'nurse' | 'assistant-nurse' | 'physiotherapist' | 'psychologist';

export interface StaffMember {
  practitionerId: string;
  roleId: string;
  unitId: string;
  profession: Profession;
  hsaId: string;
}

type Headcount = Partial<Record<Profession, number>>;

const PRIMARY_CARE: Headcount = { physician: 3, nurse: 4, 'assistant-nurse': 2, physiotherapist: 1, psychologist: 1 };

const DEPARTMENT_STAFF: Record<DepartmentKind, Headcount> = {
  emergency: { physician: 8, nurse: 10, 'assistant-nurse': 6 },
  medicine: { physician: 8, nurse: 10, 'assistant-nurse': 8, physiotherapist: 2 },
  cardiology: { physician: 5, nurse: 6, 'assistant-nurse': 4, physiotherapist: 1 },
  surgery: { physician: 5, nurse: 6, 'assistant-nurse': 5 },
  orthopaedics: { physician: 5, nurse: 6, 'assistant-nurse': 5, physiotherapist: 2 },
  psychiatry: { physician: 4, nurse: 5, 'assistant-nurse': 3, psychologist: 4 },
  radiology: { physician: 3, nurse: 2, 'assistant-nurse': 2 },
};

const PROFESSIONS: Profession[] = ['physician', 'nurse', 'assistant-nurse', 'physiotherapist', 'psychologist'];

export class RegionStaff {
  readonly members: StaffMember[] = [];
  private readonly byUnit = new Map<string, Map<Profession, StaffMember[]>>();

  constructor(units: RegionUnits) {
    for (const unit of units.units) {
      const headcount = unit.kind === 'primary-care' ? PRIMARY_CARE : unit.kind === 'department' ? DEPARTMENT_STAFF[unit.department!] : undefined;
      if (headcount) this.staffUnit(unit, headcount);
    }
  }

  /** Staff of a profession at a unit (a department's staff also work on its wards). */
  of(unitId: string, profession: Profession): StaffMember[] {
    return this.byUnit.get(unitId)?.get(profession) ?? [];
  }

  practitioner(member: StaffMember, terms: Terminology): Practitioner {
    const rng = new Random(`staff/${member.practitionerId}`);
    const female = rng.chance(member.profession === 'physician' ? 0.5 : 0.8);
    return {
      resourceType: 'Practitioner',
      id: member.practitionerId,
      meta: syntheticMeta(terms),
      identifier: [{ system: HSA_SYSTEM, value: member.hsaId }],
      active: true,
      name: [{ family: rng.pick(SURNAMES), given: [rng.pick(female ? FEMALE_NAMES : MALE_NAMES)] }],
      gender: female ? 'female' : 'male',
      qualification: [{ code: { coding: [terms.coding('profession', member.profession)] } }],
    };
  }

  role(member: StaffMember, terms: Terminology): PractitionerRole {
    return {
      resourceType: 'PractitionerRole',
      id: member.roleId,
      meta: syntheticMeta(terms),
      active: true,
      practitioner: ref('Practitioner', member.practitionerId),
      organization: ref('Organization', member.unitId),
      code: [{ coding: [terms.coding('profession', member.profession)] }],
    };
  }

  private staffUnit(unit: Unit, headcount: Headcount): void {
    const byProfession = new Map<Profession, StaffMember[]>();
    for (const profession of PROFESSIONS) {
      const list: StaffMember[] = [];
      for (let i = 1; i <= (headcount[profession] ?? 0); i++) {
        const n = this.members.length + 1;
        const member: StaffMember = {
          practitionerId: `hal-pr-${n}`,
          roleId: `hal-role-${n}`,
          unitId: unit.id,
          profession,
          hsaId: hsaId(`SYNP${String(n).padStart(5, '0')}`),
        };
        this.members.push(member);
        list.push(member);
      }
      byProfession.set(profession, list);
    }
    this.byUnit.set(unit.id, byProfession);
  }
}
