/**
 * What `submitRequest` accepts, checked before anything is asked of another system: lengths,
 * formats and codes, every problem reported at once (a form shows them all), each naming its
 * field path (`input.contact.email`). Whether the commune, lycée and category exist is the
 * intake's next step (intake.ts): it needs the other systems.
 */
import { createHash } from 'node:crypto';
import { passerelleError } from '../../../common/errors.ts';
import { COMMUNE_CODE, UAI } from '../../kit/index.ts';
import type { RequestChannel } from '../connector.ts';

export interface SubmitRequestInput {
  subject: string;
  description: string;
  category?: string | null;
  commune: string;
  lycee?: string | null;
  contact: { name: string; email: string; phone?: string | null };
  channel: RequestChannel;
}

/** The input once checked and normalised (trimmed, phone as "0XXXXXXXXX"), as it is written to the GRC. */
export interface Submission {
  subject: string;
  description: string;
  categoryCode: string | null;
  communeCode: string;
  uai: string | null;
  contact: { name: string; email: string; phone: string | null };
  channel: RequestChannel;
}

/** A field that failed, for `extensions.fields`. */
export interface FieldProblem {
  argument: string;
  reason: string;
}

/** Limits of the form, within the GRC's columns (`objet` varchar(200), `contact_*` 120 / 20). */
export const LIMITS = { subject: [5, 200], description: [10, 5000], name: [1, 120], email: [3, 120] } as const;
/** As the GRC writes them (`t_categorie.code_categorie` varchar(20)). */
const CATEGORY_CODE = /^[A-Za-z][A-Za-z0-9_-]{0,19}$/;
/** Pragmatic, not RFC 5322: one @, no spaces, a dot in the domain; the address is not verified. */
const EMAIL = /^[^\s@]+@[^\s@.]+(?:\.[^\s@.]+)+$/;
/** French numbers, national or international: 0X XX XX XX XX, +33 X XX XX XX XX, 0033…. */
const PHONE_FR = /^(?:\+33|0033|0)([1-9]\d{8})$/;
/** Idempotency keys are the client's (a UUID typically); bounded so they index well. */
const IDEMPOTENCY_KEY = /^[A-Za-z0-9._:-]{8,100}$/;
/** Control characters other than tab and line breaks have no place in a request's text. */
const CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/;
/** Half of a UTF-16 surrogate pair on its own: not a character, and PostgreSQL refuses to store it. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Why `value` cannot be stored as text, or null when it can. */
export function unstorableText(value: string): string | null {
  if (CONTROL.test(value)) return 'must not contain control characters (NUL included)';
  if (LONE_SURROGATE.test(value)) return 'must be well-formed Unicode (it holds a lone surrogate)';
  return null;
}

/** The text, when it can be stored: BAD_USER_INPUT on `argument` otherwise (NUL, lone surrogates). */
export function checkText<T extends string | null | undefined>(argument: string, value: T): T {
  const problem = typeof value === 'string' ? unstorableText(value) : null;
  if (problem !== null) throw invalidFields([{ argument, reason: problem }]);
  return value;
}

/** Checks and normalises the input; BAD_USER_INPUT listing every problem, `argument` being the first. */
export function checkSubmission(input: SubmitRequestInput): Submission {
  const problems: FieldProblem[] = [];
  const problem = (argument: string, reason: string) => void problems.push({ argument, reason });
  const text = (argument: string, value: string, [min, max]: readonly [number, number]) => {
    const trimmed = value.trim();
    if (trimmed.length < min || trimmed.length > max) problem(argument, `must be ${min} to ${max} characters long (it has ${trimmed.length})`);
    else if (unstorableText(trimmed) !== null) problem(argument, unstorableText(trimmed)!);
    return trimmed;
  };
  const code = (argument: string, value: string | null | undefined, format: RegExp, what: string) => {
    if (value == null || value.trim() === '') return null;
    const trimmed = value.trim();
    if (!format.test(trimmed)) problem(argument, `${JSON.stringify(trimmed.slice(0, 40))} is not ${what}`);
    return trimmed;
  };

  const subject = text('input.subject', input.subject, LIMITS.subject);
  const description = text('input.description', input.description, LIMITS.description);
  const categoryCode = code('input.category', input.category, CATEGORY_CODE, 'a category code (e.g. "TRA-ABO", see `categories`)');
  const communeCode = code('input.commune', input.commune, COMMUNE_CODE, 'an INSEE commune code (5 characters, e.g. "93066")');
  if (communeCode === null) problem('input.commune', 'is required');
  const uai = code('input.lycee', input.lycee, UAI, 'a UAI code (7 digits and a letter, e.g. "0930124A")');
  const name = text('input.contact.name', input.contact.name, LIMITS.name);
  const email = text('input.contact.email', input.contact.email, LIMITS.email);
  if (email.length >= LIMITS.email[0] && !EMAIL.test(email)) problem('input.contact.email', `${JSON.stringify(email.slice(0, 40))} is not an e-mail address`);
  let phone: string | null = null;
  if (input.contact.phone != null && input.contact.phone.trim() !== '') {
    const match = PHONE_FR.exec(input.contact.phone.replace(/[\s.\-()]/g, ''));
    if (!match) problem('input.contact.phone', `${JSON.stringify(input.contact.phone.slice(0, 40))} is not a French phone number (e.g. "06 12 34 56 78" or "+33 6 12 34 56 78")`);
    else phone = `0${match[1]}`;
  }

  if (problems.length > 0) throw invalidFields(problems);
  return { subject, description, categoryCode, communeCode: communeCode!, uai, contact: { name, email, phone }, channel: input.channel };
}

/** The idempotency key, when well-formed. */
export function checkIdempotencyKey(key: string): string {
  if (!IDEMPOTENCY_KEY.test(key)) {
    throw invalidFields([{ argument: 'idempotencyKey', reason: 'must be 8 to 100 letters, digits or "._:-" (a UUID, typically)' }]);
  }
  return key;
}

/** BAD_USER_INPUT naming the first field in `argument` and all of them in `fields`. */
export function invalidFields(problems: FieldProblem[]) {
  const message = problems.map((p) => `"${p.argument}" ${p.reason}`).join('; ');
  return passerelleError('BAD_USER_INPUT', `Invalid argument ${message}`, { argument: problems[0]!.argument, fields: problems });
}

/** What makes two submissions "the same input" for an idempotency key: the normalised fields. */
export function fingerprint(submission: Submission): string {
  const { subject, description, categoryCode, communeCode, uai, contact, channel } = submission;
  const canonical = JSON.stringify([subject, description, categoryCode, communeCode, uai, contact.name, contact.email, contact.phone, channel]);
  return createHash('sha256').update(canonical).digest('hex');
}
