/**
 * Formats of the identifiers the region's systems use. A malformed identifier is a client error
 * (BAD_USER_INPUT naming the argument); a well-formed one that does not exist resolves to null.
 */
import { badUserInput } from '../../common/errors.ts';

/** INSEE commune code: 5 digits, or 2A/2B + 3 digits for Corsica. */
export const COMMUNE_CODE = /^(?:\d{5}|2[AB]\d{3})$/;
/** Département code: 2 digits, 2A/2B, or 3 digits overseas. */
export const DEPARTEMENT_CODE = /^(?:\d{2}|2[AB]|97\d)$/;
export const REGION_CODE = /^\d{2}$/;
/** UAI (ex-RNE) establishment code: 7 digits and a check letter. */
export const UAI = /^\d{7}[A-Z]$/;
/** GRC public request reference, e.g. IDF-2026-000123. */
export const REQUEST_REFERENCE = /^IDF-\d{4}-\d{6}$/;
export const POSTAL_CODE = /^\d{5}$/;

const descriptions = new Map<RegExp, string>([
  [COMMUNE_CODE, 'an INSEE commune code (5 characters, e.g. "93066")'],
  [DEPARTEMENT_CODE, 'a département code (e.g. "93", "2A", "971")'],
  [REGION_CODE, 'a région code (2 digits, e.g. "11")'],
  [UAI, 'a UAI code (7 digits and a letter, e.g. "0930124A")'],
  [REQUEST_REFERENCE, 'a request reference (e.g. "IDF-2026-000123")'],
  [POSTAL_CODE, 'a postal code (5 digits)'],
]);

/** Returns the value when it matches `format`, otherwise throws BAD_USER_INPUT for `argument`. */
export function expectFormat(argument: string, value: string, format: RegExp): string {
  if (!format.test(value)) {
    throw badUserInput(argument, `${JSON.stringify(value.slice(0, 40))} is not ${descriptions.get(format) ?? `in the format ${format}`}`);
  }
  return value;
}

/** Lower-cases and strips accents, for French accent- and case-insensitive matching. */
export function foldText(text: string): string {
  return text.normalize('NFD').replace(/\p{Diacritic}/gu, '').toLowerCase();
}
