import type { FhirResource } from 'fhir/r4';
import type { AcuteProblem } from './acute';
import { disease, DISEASES, type DiseaseCode } from './chronic';
import { conditionResource, imagingStudyResource, immunizationResource, observationResource, procedureResource } from './clinical';
import { encounterResource, outpatientTeam, pickStaff, type Diagnosis, type EncounterSpec, type Participation } from './encounter';
import { DAY_MS, MINUTE_MS, YEAR_MS } from './fhir-helpers';
import type { CareLevel, Contact, Person } from './life';
import { dispenseResource, dispenseTimes, regimen, requestResource, VALIDITY_DAYS, type RequestSpec } from './medications';
import type { DepartmentKind, RegionUnits, Unit } from './organizations';
import type { Random } from './prng';
import type { Profession, RegionStaff } from './staff';
import type { Terminology } from './terminology';

/**
 * Turns one person's planned contacts into FHIR resources, in time order: the Encounter of each contact followed by
 * what happened in it (diagnoses, results, procedures, imaging, prescriptions and their dispensings, vaccines).
 * Every id is derived from the patient's id and a per-type counter, so the same plan always gives the same ids.
 */

export interface RecordContext {
  terms: Terminology;
  units: RegionUnits;
  staff: RegionStaff;
  periodEndMs: number;
}

/** Surgical procedures are done on the ward, never at the emergency visit that led to the admission. */
const WARD_PROCEDURES = new Set(['JEA01', 'JKA21', 'NFB49', 'FNG05', 'DF027']);
/** ICD-10-SE reason of a vaccination visit, by vaccine (childhood vaccines are given at planned child health visits). */
const VACCINATION_REASONS: Record<string, string> = { J07BB02: 'Z25.1', J07AL02: 'Z23.8' };
const STAY_DAYS: Record<DiseaseCode, number> = { I10: 3, E11: 4, I50: 6, I48: 2, J44: 5, F32: 14 };

interface Visit {
  encounterId: string;
  startMs: number;
  performerId: string;
  primaryConditionId?: string;
}

export class PatientRecord {
  readonly resources: FhirResource[] = [];
  private readonly counters = new Map<string, number>();
  private readonly chronicIds = new Map<DiseaseCode, string>();
  private readonly lastRenewal = new Map<DiseaseCode, number>();
  private readonly variant: number;
  private lastEmergencyEndMs = 0;

  constructor(private readonly rng: Random, private readonly ctx: RecordContext, private readonly person: Person, readonly patientId: string, private readonly centre: Unit) {
    this.variant = rng.next();
  }

  /** Chronic diagnoses made before the person entered the observed period, then every contact. */
  build(contacts: Contact[]): void {
    for (const [code, onsetMs] of this.person.onsets) if (onsetMs < this.person.entryMs) this.chronicCondition(code, onsetMs);
    for (const c of contacts) this.contact(c);
  }

  private contact(c: Contact): void {
    if (c.reason.kind === 'vaccination') return this.vaccination(c, c.reason.vaccines);
    if (c.level === 'inpatient') return this.stay(c);
    const startMs = c.level === 'emergency' ? c.startMs : officeHours(this.rng, c.startMs);
    if (c.level === 'emergency') this.emergencyVisit(c, startMs);
    else this.outpatientVisit(c, startMs);
  }

  private outpatientVisit(c: Contact, startMs: number): void {
    const primary = c.level === 'primary-care';
    const unit = primary ? this.centre : this.department(this.departmentOf(c));
    const labs = this.labsFor(c, primary ? 0.5 : 0.7);
    const plan = this.visitPlan(c, primary);
    if (labs.length && primary) plan.push(['assistant-nurse', 5, 15]);
    const team = outpatientTeam(this.rng, this.ctx.staff, unit.id, startMs, plan);
    if (team.endMs >= this.person.exitMs) return;
    const visit = this.encounter(c, { level: c.level, startMs, endMs: team.endMs, unit, participants: team.participants }, 'CC');
    this.results(visit, labs);
    this.proceduresAt(c, visit, team.participants[0].member.profession);
    this.prescribe(c, visit);
  }

  private emergencyVisit(c: Contact, startMs: number): Visit | undefined {
    const unit = this.department('emergency');
    const lengthMin = this.rng.int(120, 480);
    const endMs = startMs + lengthMin * MINUTE_MS;
    if (endMs >= this.person.exitMs && !c.death) return undefined;
    const offset = () => startMs + this.rng.int(0, Math.floor(lengthMin / 2)) * MINUTE_MS;
    const participants: Participation[] = [
      { member: pickStaff(this.rng, this.ctx.staff, unit.id, 'nurse'), type: 'SPRF', startMs, minutes: this.rng.int(30, 90) },
      { member: pickStaff(this.rng, this.ctx.staff, unit.id, 'physician'), type: 'PPRF', startMs: offset(), minutes: this.rng.int(20, 60) },
      { member: pickStaff(this.rng, this.ctx.staff, unit.id, 'assistant-nurse'), type: 'SPRF', startMs: offset(), minutes: this.rng.int(20, 60) },
    ];
    this.lastEmergencyEndMs = endMs;
    const visit = this.encounter(c, { level: 'emergency', startMs, endMs, unit, participants }, 'CC', participants[1].member.practitionerId);
    const age = (startMs - this.person.birthMs) / YEAR_MS;
    this.results(visit, age >= 50 && this.rng.chance(0.5) ? ['14682-9', '2823-3'] : []);
    this.proceduresAt(c, visit, 'physician');
    if (!(c.reason.kind === 'acute' && c.reason.problem.admit === 1)) this.prescribe(c, visit);
    return visit;
  }

  private stay(c: Contact): void {
    let startMs = c.startMs;
    const planned = c.reason.kind === 'acute' && c.reason.problem.planned;
    if (planned) startMs = Math.floor(startMs / DAY_MS) * DAY_MS + this.rng.int(7 * 60, 9 * 60) * MINUTE_MS;
    if (c.viaEmergency) {
      if (!this.emergencyVisit({ ...c, level: 'emergency' }, startMs)) return;
      startMs = this.lastEmergencyEndMs;
    } else if (c.fromEmergencyContact) {
      startMs = Math.max(startMs, this.lastEmergencyEndMs);
    }
    const days = c.death ? 0 : Math.max(1, Math.round(this.meanStay(c) * Math.exp(0.4 * this.rng.normal())));
    const endMs = c.death ? this.person.exitMs : startMs + days * DAY_MS + this.rng.int(-180, 180) * MINUTE_MS;
    if (endMs <= startMs || (endMs >= this.person.exitMs && !c.death)) return;
    const dept = this.department(this.departmentOf(c));
    const ward = this.rng.pick(this.ctx.units.wards(dept.hospital!, dept.department!));
    const physician = () => pickStaff(this.rng, this.ctx.staff, dept.id, 'physician');
    const participants: Participation[] = [
      { member: physician(), type: 'ADM', startMs, minutes: this.rng.int(30, 60) },
      { member: pickStaff(this.rng, this.ctx.staff, dept.id, 'nurse'), type: 'ATND', startMs, minutes: this.rng.int(30, 45) },
    ];
    const surgery = this.wardProcedure(c);
    if (surgery) participants.push({ member: physician(), type: 'PPRF', startMs: startMs + 3 * 3_600_000, minutes: this.rng.int(60, 150) });
    participants.push({ member: physician(), type: 'DIS', startMs: endMs - 40 * MINUTE_MS, minutes: this.rng.int(20, 40) });
    const admitted = c.viaEmergency || c.fromEmergencyContact;
    const visit = this.encounter(c, {
      level: 'inpatient', startMs, endMs, unit: dept, participants, ward,
      admitSource: admitted ? 'emd' : 'gp', discharge: c.death ? 'exp' : 'home',
    }, 'DD', participants[0].member.practitionerId);
    this.results(visit, this.labsFor(c, 1, ['14682-9', '2823-3']));
    if (surgery) this.procedure(visit, surgery, participants[2].member.practitionerId, startMs + 3 * 3_600_000);
    if (!admitted) this.imagingFor(c, visit);
    if (c.reason.kind === 'follow-up' && c.reason.disease === 'I50' && this.rng.chance(0.6)) this.imaging(visit, 'AG015', visit.startMs + 2 * 3_600_000);
  }

  private vaccination(c: Contact, vaccines: string[]): void {
    const team = outpatientTeam(this.rng, this.ctx.staff, this.centre.id, c.startMs, [['nurse', 5, 15]]);
    if (team.endMs >= this.person.exitMs) return;
    const reasons = vaccines.flatMap((atc) => (VACCINATION_REASONS[atc] ? [this.ctx.terms.coding('icd10', VACCINATION_REASONS[atc])] : []));
    const id = this.nextId('e');
    this.add(encounterResource({ id, patientId: this.patientId, level: 'primary-care', startMs: c.startMs, endMs: team.endMs, unit: this.centre, participants: team.participants, diagnoses: [], reasonCodes: reasons.length ? reasons : undefined }, this.ctx.terms));
    for (const atc of vaccines) {
      this.add(immunizationResource({ id: this.nextId('im'), patientId: this.patientId, encounterId: id, atc, atMs: c.startMs, performerId: team.participants[0].member.practitionerId }, this.ctx.terms));
    }
  }

  /** The encounter with its diagnoses (creating the Conditions it needs); returns what later resources link to. */
  private encounter(c: Contact, spec: Omit<EncounterSpec, 'id' | 'patientId' | 'diagnoses'>, role: Diagnosis['role'], performerId?: string): Visit {
    const id = this.nextId('e');
    const diagnoses = this.diagnoses(c, id, spec.startMs, role, spec.level);
    this.add(encounterResource({ ...spec, id, patientId: this.patientId, diagnoses }, this.ctx.terms));
    return { encounterId: id, startMs: spec.startMs, performerId: performerId ?? spec.participants[0].member.practitionerId, primaryConditionId: diagnoses[0]?.conditionId };
  }

  private diagnoses(c: Contact, encounterId: string, startMs: number, role: Diagnosis['role'], level: CareLevel): Diagnosis[] {
    const out: Diagnosis[] = [];
    const reason = c.reason;
    if (reason.kind === 'onset') out.push({ conditionId: this.chronicCondition(reason.disease, startMs, encounterId), role });
    else if (reason.kind === 'acute') out.push({ conditionId: this.acuteCondition(reason.problem.code, startMs, encounterId), role });
    else if (reason.kind === 'follow-up') {
      const exacerbation = reason.disease === 'J44' && (level === 'inpatient' || level === 'emergency');
      if (exacerbation) out.push({ conditionId: this.acuteCondition('J44.1', startMs, encounterId), role });
      out.push({ conditionId: this.chronicIds.get(reason.disease) ?? this.chronicCondition(reason.disease, startMs, encounterId), role: exacerbation ? 'CM' : role });
    }
    if (level !== 'primary-care') {
      for (const [code, id] of this.chronicIds) {
        if (out.length >= 3) break;
        if (!out.some((d) => d.conditionId === id) && (this.person.onsets.get(code) ?? Infinity) <= startMs) out.push({ conditionId: id, role: 'CM' });
      }
    }
    return out;
  }

  private chronicCondition(code: DiseaseCode, onsetMs: number, encounterId?: string): string {
    const id = this.nextId('c');
    const d = disease(code);
    // A depressive episode goes into remission after about a year and a half; the other diseases stay.
    const remission = code === 'F32' ? onsetMs + 1.5 * YEAR_MS : undefined;
    const abatementMs = remission !== undefined && remission < this.person.exitMs ? remission : undefined;
    this.add(conditionResource({ id, patientId: this.patientId, code: d.reportedCode, category: code, encounterId, onsetMs, recordedMs: onsetMs, abatementMs, chronic: true }, this.ctx.terms));
    this.chronicIds.set(code, id);
    return id;
  }

  private acuteCondition(code: string, startMs: number, encounterId: string): string {
    const id = this.nextId('c');
    const onsetMs = startMs - this.rng.int(0, 5) * DAY_MS;
    const abatement = startMs + this.rng.int(7, 28) * DAY_MS;
    const abatementMs = abatement < this.ctx.periodEndMs ? abatement : undefined;
    this.add(conditionResource({ id, patientId: this.patientId, code, encounterId, onsetMs, recordedMs: startMs, abatementMs, chronic: false }, this.ctx.terms));
    return id;
  }

  private labsFor(c: Contact, p: number, always: string[] = []): string[] {
    const codes = new Set(always);
    if (c.reason.kind === 'onset' || c.reason.kind === 'follow-up') {
      for (const loinc of disease(c.reason.disease).labs) {
        if (loinc === '85354-9' && c.level === 'inpatient') continue;
        if (c.reason.kind === 'onset' || this.rng.chance(p)) codes.add(loinc);
      }
    }
    return [...codes];
  }

  private results(visit: Visit, loincs: string[]): void {
    const diseases = new Set(DISEASES.map((d) => d.code).filter((code) => (this.person.onsets.get(code) ?? Infinity) <= visit.startMs));
    for (const loinc of loincs) {
      const atMs = visit.startMs + this.rng.int(5, 30) * MINUTE_MS;
      this.add(observationResource(this.rng, { id: this.nextId('o'), patientId: this.patientId, encounterId: visit.encounterId, loinc, atMs, diseases, sex: this.person.sex }, this.ctx.terms));
    }
  }

  /** Procedures and imaging of an outpatient or emergency contact. */
  private proceduresAt(c: Contact, visit: Visit, profession: Profession): void {
    const at = visit.startMs + 10 * MINUTE_MS;
    if (c.reason.kind === 'acute') {
      const kva = c.reason.problem.procedure;
      const needsProfession = c.reason.problem.profession;
      if (kva && !WARD_PROCEDURES.has(kva) && (!needsProfession || needsProfession === profession)) this.procedure(visit, kva, visit.performerId, at);
      this.imagingFor(c, visit);
      return;
    }
    if (c.reason.kind === 'vaccination') return;
    const code = c.reason.disease;
    if (c.reason.kind === 'onset') {
      if (code === 'I48') this.procedure(visit, 'AF001', visit.performerId, at);
      if (code === 'J44') this.procedure(visit, 'GB004', visit.performerId, at);
      if (code === 'I50') this.imaging(visit, 'AF037', at);
    } else if (code === 'I50' && c.level === 'specialist-outpatient' && this.rng.chance(0.25)) {
      this.imaging(visit, 'AF037', at);
    } else if (code === 'F32' && profession === 'psychologist') {
      this.procedure(visit, 'DU011', visit.performerId, at);
    }
  }

  private wardProcedure(c: Contact): string | undefined {
    if (c.reason.kind === 'acute' && c.reason.problem.procedure && WARD_PROCEDURES.has(c.reason.problem.procedure)) return c.reason.problem.procedure;
    if (c.reason.kind === 'follow-up' && c.reason.disease === 'I48' && this.rng.chance(0.5)) return 'DF027';
    return undefined;
  }

  private imagingFor(c: Contact, visit: Visit): void {
    if (c.reason.kind === 'acute' && c.reason.problem.imaging) this.imaging(visit, c.reason.problem.imaging, visit.startMs + 30 * MINUTE_MS);
  }

  private procedure(visit: Visit, kva: string, performerId: string, atMs: number): void {
    this.add(procedureResource({ id: this.nextId('x'), patientId: this.patientId, encounterId: visit.encounterId, kva, atMs, performerId, reasonConditionId: visit.primaryConditionId }, this.ctx.terms));
  }

  private imaging(visit: Visit, kva: string, atMs: number): void {
    const spec = { id: this.nextId('i'), patientId: this.patientId, encounterId: visit.encounterId, kva, atMs, performerId: visit.performerId, reasonConditionId: visit.primaryConditionId };
    this.add(imagingStudyResource(this.rng, spec, this.ctx.terms));
  }

  /** Acute prescriptions, chronic regimens started at diagnosis and renewed yearly at follow-up visits. */
  private prescribe(c: Contact, visit: Visit): void {
    if (!visit.primaryConditionId) return;
    if (c.reason.kind === 'acute') {
      const med = c.reason.problem.medication;
      if (med && this.rng.chance(med.p)) this.request(visit, med.atc, visit.primaryConditionId, 30, 0);
      return;
    }
    if (c.reason.kind !== 'onset' && c.reason.kind !== 'follow-up') return;
    const code = c.reason.disease;
    const last = this.lastRenewal.get(code);
    if (last !== undefined && visit.startMs - last < 330 * DAY_MS) return;
    this.lastRenewal.set(code, visit.startMs);
    const years = (visit.startMs - this.person.onsets.get(code)!) / YEAR_MS;
    const reasonId = this.chronicIds.get(code)!;
    for (const atc of regimen(code, years, this.variant)) this.request(visit, atc, reasonId, VALIDITY_DAYS, 3);
  }

  private request(visit: Visit, atc: string, reasonConditionId: string, validityDays: number, repeats: number): void {
    const spec: RequestSpec = {
      id: this.nextId('mr'), patientId: this.patientId, encounterId: visit.encounterId, atc, authoredMs: visit.startMs + 15 * MINUTE_MS,
      requesterId: visit.performerId, reasonConditionId, validityDays, repeats, periodEndMs: this.ctx.periodEndMs,
    };
    this.add(requestResource(spec, this.ctx.terms));
    for (const t of dispenseTimes(this.rng, spec, this.person.exitMs)) this.add(dispenseResource(this.nextId('md'), spec, t, this.ctx.terms));
  }

  private visitPlan(c: Contact, primary: boolean): Array<[Profession, number, number]> {
    const reason = c.reason;
    if (reason.kind === 'acute' && reason.problem.profession && this.rng.chance(0.6)) {
      return [[reason.problem.profession, reason.problem.profession === 'psychologist' ? 45 : 30, 60]];
    }
    if (!primary) return this.rng.chance(0.5) ? [['physician', 20, 45], ['nurse', 15, 30]] : [['physician', 20, 45]];
    if (reason.kind === 'acute') return this.rng.chance(0.75) ? [['physician', 15, 30]] : [['nurse', 10, 25]];
    const code = reason.kind === 'onset' || reason.kind === 'follow-up' ? reason.disease : undefined;
    if (code === 'F32' && reason.kind === 'follow-up' && this.rng.chance(0.4)) return [['psychologist', 45, 60]];
    if ((code === 'E11' || code === 'I10') && reason.kind === 'follow-up' && this.rng.chance(0.6)) return [['nurse', 20, 40]];
    return [['physician', 20, 30]];
  }

  private departmentOf(c: Contact): DepartmentKind {
    if (c.reason.kind === 'acute') return c.reason.problem.department ?? 'medicine';
    if (c.reason.kind === 'onset' || c.reason.kind === 'follow-up') {
      const d = disease(c.reason.disease);
      return d.code === 'I50' && c.level === 'inpatient' && this.rng.chance(0.5) ? 'medicine' : d.department;
    }
    return 'medicine';
  }

  private meanStay(c: Contact): number {
    if (c.reason.kind === 'acute') return (c.reason.problem as AcuteProblem).stayDays ?? 4;
    if (c.reason.kind === 'onset' || c.reason.kind === 'follow-up') return STAY_DAYS[c.reason.disease];
    return 4;
  }

  private department(kind: DepartmentKind): Unit {
    return this.ctx.units.department(this.person.municipality.hospital, kind);
  }

  private nextId(kind: string): string {
    const n = (this.counters.get(kind) ?? 0) + 1;
    this.counters.set(kind, n);
    return `${this.patientId}-${kind}${n}`;
  }

  private add(resource: FhirResource): void {
    this.resources.push(resource);
  }
}

/** A planned visit moves to office hours (08–16) on its day. */
function officeHours(rng: Random, ms: number): number {
  return Math.floor(ms / DAY_MS) * DAY_MS + rng.int(8 * 60, 16 * 60 - 30) * MINUTE_MS;
}
