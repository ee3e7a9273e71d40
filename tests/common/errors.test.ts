/** The error catalogue: every code is defined once, and every code is documented in the README. */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { errorCatalogue, httpStatusOf, badUserInput } from '../../common/errors.ts';

const readme = readFileSync(resolve(import.meta.dirname, '../../README.md'), 'utf8');

describe('Error catalogue', () => {
  it('documents every code in the README', () => {
    const missing = Object.keys(errorCatalogue).filter((code) => !readme.includes(`\`${code}\``));
    expect(missing).toEqual([]);
  });

  it('maps each code to an HTTP status, and unknown codes to 500', () => {
    for (const { status } of Object.values(errorCatalogue)) expect(status).toBeGreaterThanOrEqual(200);
    expect(httpStatusOf('NOT_A_CODE')).toBe(500);
  });

  it('names the argument of a BAD_USER_INPUT error', () => {
    const error = badUserInput('uai', 'is not a UAI code');
    expect(error.extensions).toEqual({ code: 'BAD_USER_INPUT', argument: 'uai' });
    expect(error.message).toContain('uai');
  });
});
