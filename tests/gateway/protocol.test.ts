/** The streaming protocol vocabulary is consistent: codes are distinct, documented and fit the wire. */
import { describe, expect, it } from 'vitest';
import { CloseCode as GraphQLWsCloseCode } from 'graphql-ws';
import { errorCatalogue } from '../../common/errors.ts';
import { CloseCode, TERMINATIONS } from '../../gateway/stream/index.ts';
import { readFileSync } from 'node:fs';

describe('Close codes', () => {
  it('gives the gateway’s own codes values graphql-ws does not use', () => {
    const theirs = new Set<number>(Object.values(GraphQLWsCloseCode).filter((value) => typeof value === 'number'));
    expect(theirs.has(CloseCode.SubscriberTooSlow)).toBe(false);
    expect(theirs.has(CloseCode.CredentialsExpired)).toBe(false);
    expect(CloseCode.Unauthorized).toBe(GraphQLWsCloseCode.Unauthorized);
  });

  it('maps every termination to a catalogue error code and a close reason that fits a close frame', () => {
    for (const [code, { reason }] of Object.entries(TERMINATIONS)) {
      expect(errorCatalogue).toHaveProperty(code);
      expect(Buffer.byteLength(reason)).toBeLessThanOrEqual(123);
    }
  });

  it('documents every close code in the protocol file', () => {
    const source = readFileSync(new URL('../../gateway/stream/protocol.ts', import.meta.url), 'utf8');
    for (const code of Object.values(CloseCode)) expect(source).toMatch(new RegExp(`\\| ${code} \\|`));
  });
});
