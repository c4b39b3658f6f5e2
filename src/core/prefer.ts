/** The Prefer header's FHIR tokens: https://hl7.org/fhir/R4/http.html#ops */
export interface Preferences {
  return?: 'minimal' | 'representation' | 'OperationOutcome';
  handling?: 'strict' | 'lenient';
  respondAsync?: boolean;
}

export function parsePrefer(header: string | undefined): Preferences {
  const prefs: Preferences = {};
  for (const part of (header ?? '').split(/[,;]/)) {
    const [key, raw] = part.trim().split('=', 2);
    const value = raw?.trim().replace(/^"|"$/g, '');
    if (key === 'return' && (value === 'minimal' || value === 'representation' || value === 'OperationOutcome')) prefs.return = value;
    if (key === 'handling' && (value === 'strict' || value === 'lenient')) prefs.handling = value;
    if (key === 'respond-async') prefs.respondAsync = true;
  }
  return prefs;
}
