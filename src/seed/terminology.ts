import fs from 'node:fs';
import path from 'node:path';
import type { CodeSystem, Coding } from 'fhir/r4';

/**
 * The code systems of terminology/ as the generator's only source of codes: every code it writes is looked up here,
 * so a code missing from those files fails generation instead of slipping into the data.
 */

/** The files the generator reads, by the short name the generator uses. */
export const SYSTEM_FILES = {
  icd10: 'icd-10-se.json',
  kva: 'kva.json',
  atc: 'atc.json',
  loinc: 'loinc.json',
  dicom: 'dicom-modality.json',
  profession: 'profession.json',
  careLevel: 'care-level.json',
  municipality: 'municipality.json',
  origin: 'data-origin.json',
} as const;

export type SystemName = keyof typeof SYSTEM_FILES;

export const TERMINOLOGY_DIR = path.resolve(__dirname, '..', '..', '..', 'terminology');

interface Concept {
  display: string;
  properties: Record<string, string>;
}

export class Terminology {
  private readonly concepts = new Map<SystemName, Map<string, Concept>>();

  constructor(readonly codeSystems: readonly CodeSystem[], private readonly names: readonly SystemName[]) {
    codeSystems.forEach((cs, i) => this.concepts.set(names[i], indexConcepts(cs)));
  }

  static load(dir = TERMINOLOGY_DIR): Terminology {
    const names = Object.keys(SYSTEM_FILES) as SystemName[];
    const systems = names.map((n) => JSON.parse(fs.readFileSync(path.join(dir, SYSTEM_FILES[n]), 'utf8')) as CodeSystem);
    return new Terminology(systems, names);
  }

  url(system: SystemName): string {
    return this.codeSystems[this.names.indexOf(system)].url!;
  }

  coding(system: SystemName, code: string): Coding {
    return { system: this.url(system), code, display: this.concept(system, code).display };
  }

  display(system: SystemName, code: string): string {
    return this.concept(system, code).display;
  }

  property(system: SystemName, code: string, name: string): string | undefined {
    return this.concept(system, code).properties[name];
  }

  private concept(system: SystemName, code: string): Concept {
    const found = this.concepts.get(system)?.get(code);
    if (!found) throw new Error(`code '${code}' is not in terminology/${SYSTEM_FILES[system]}`);
    return found;
  }
}

function indexConcepts(cs: CodeSystem): Map<string, Concept> {
  const map = new Map<string, Concept>();
  for (const c of cs.concept ?? []) {
    const properties: Record<string, string> = {};
    for (const p of c.property ?? []) if (p.valueString !== undefined) properties[p.code] = p.valueString;
    map.set(c.code, { display: c.display ?? c.code, properties });
  }
  return map;
}
