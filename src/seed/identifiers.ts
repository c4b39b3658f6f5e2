/**
 * Swedish national identifiers of the synthetic population. Every number made here has a valid check digit and is
 * still synthetic: the resources carrying it are tagged (meta.tag data-origin#synthetic), see terminology/README.md.
 *
 * Personnummer (Skatteverket, SKV 704): YYYYMMDD + a three-digit birth number + a check digit. The birth number's
 * last digit is odd for men and even for women; the check digit is the Luhn (mod 10) digit of the ten digits
 * YYMMDDNNN. A samordningsnummer (coordination number) is built the same way with 60 added to the day of birth.
 */

export const PERSONNUMMER_SYSTEM = 'http://electronichealth.se/identifier/personnummer';
export const SAMORDNINGSNUMMER_SYSTEM = 'http://electronichealth.se/identifier/samordningsnummer';
export const HSA_SYSTEM = 'urn:oid:1.2.752.129.2.1.4.1';
/** Region Halland's organisation number: the HSA-ids of its units begin with SE2321000115-. */
export const REGION_ORG_NUMBER = '2321000115';

/** The Luhn check digit of a string of digits (the digit that makes the whole string pass the Luhn test). */
export function luhnDigit(digits: string): number {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = digits.charCodeAt(i) - 48;
    // Weights 2,1,2,1,... counted from the rightmost digit, which sits next to the check digit.
    if ((digits.length - 1 - i) % 2 === 0) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return (10 - (sum % 10)) % 10;
}

/**
 * A 12-digit personnummer (or samordningsnummer) for a birth date (YYYY-MM-DD), a sex and a serial 0–499 that
 * tells apart people born on the same day (each serial gives a distinct birth number for that sex).
 */
export function personnummer(birthDate: string, sex: 'male' | 'female', serial: number, coordination = false): string {
  if (!Number.isInteger(serial) || serial < 0 || serial > 499) throw new Error(`serial must be 0..499, got ${serial}`);
  const [yyyy, mm, dd] = birthDate.split('-');
  const day = Number(dd) + (coordination ? 60 : 0);
  const birthNumber = String(serial * 2 + (sex === 'male' ? 1 : 0)).padStart(3, '0');
  const ten = `${yyyy.slice(2)}${mm}${String(day).padStart(2, '0')}${birthNumber}`;
  return `${yyyy}${ten.slice(2)}${luhnDigit(ten)}`;
}

/** True when a 12-digit personnummer or samordningsnummer has a real calendar date and a correct check digit. */
export function isValidPersonnummer(value: string): boolean {
  if (!/^\d{12}$/.test(value)) return false;
  const year = Number(value.slice(0, 4));
  const month = Number(value.slice(4, 6));
  let day = Number(value.slice(6, 8));
  if (day > 60) day -= 60;
  const date = new Date(Date.UTC(year, month - 1, day));
  if (date.getUTCFullYear() !== year || date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) return false;
  return luhnDigit(value.slice(2, 11)) === Number(value[11]);
}

/** The sex a personnummer encodes (odd birth number: male). */
export function sexOfPersonnummer(value: string): 'male' | 'female' {
  return Number(value[10]) % 2 === 1 ? 'male' : 'female';
}

/** An HSA-id of a unit or person of the region: SE + organisation number + '-' + a local part (letters, digits). */
export function hsaId(localPart: string): string {
  if (!/^[A-Z0-9]{1,20}$/.test(localPart)) throw new Error(`bad HSA-id local part '${localPart}'`);
  return `SE${REGION_ORG_NUMBER}-${localPart}`;
}
