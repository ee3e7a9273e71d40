/**
 * Wrong codes of the requests subgraph (issue 7, attack 11): bad input is BAD_USER_INPUT naming the
 * argument — an invalid DateTime, year 0000, NUL and lone surrogates in any text, cursors whose
 * numbers fit the format but no database type — never LEGACY_ERROR, INTERNAL or a lost subgraph.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requestInput, SUBMIT } from '../requests/intake-harness.ts';
import { subgraphSubscribe, waitFor } from '../requests/subscriptions-harness.ts';
import { startCast, type Cast, type Errors } from './requests-harness.ts';

const b64 = (text: string) => Buffer.from(text).toString('base64url');
const argumentOf = (errors: Errors) => (errors ?? []).map((e) => [e.extensions?.code, e.extensions?.argument]);

describe('Input codes of the requests subgraph', () => {
  let cast: Cast;
  beforeAll(async () => {
    cast = await startCast();
  }, 60_000);
  afterAll(() => cast?.system.close());

  it.each(['not-a-date', '2026-13-45T99:00:00Z', '0000-01-01T00:00:00Z', '10000-01-01'])('since %j → BAD_USER_INPUT on filter.since, literal or variable', async (since) => {
    const literal = await cast.system.call(`{ requests(first: 1, filter: { since: ${JSON.stringify(since)} }) { totalCount } }`, {}, cast.partner);
    expect(argumentOf(literal.errors as Errors)).toEqual([['BAD_USER_INPUT', 'filter.since']]);
    const variable = await cast.system.call(`query Q($since: DateTime) { requests(first: 1, filter: { since: $since }) { totalCount } }`, { since }, cast.partner);
    expect(argumentOf(variable.errors as Errors)).toEqual([['BAD_USER_INPUT', 'filter.since']]);
  });

  it('the first valid year is accepted', async () => {
    const answer = await cast.system.call<{ requests: { totalCount: number } }>(`{ requests(first: 1, filter: { since: "0001-01-01T00:00:00Z" }) { totalCount } }`, {}, cast.partner);
    expect(answer.errors).toBeUndefined();
  });

  it.each([['NUL', 'Bonjour\u0000'], ['lone high surrogate', 'Bonjour \uD800'], ['lone low surrogate', '\uDC00 Bonjour']])('%s in a message → BAD_USER_INPUT on body', async (_, body) => {
    const answer = await cast.system.call(`mutation M($reference: String!, $body: String!) { addMessage(reference: $reference, body: $body, visibleToCitizen: true) { reference } }`, { reference: cast.mine.reference, body }, cast.agentA);
    expect(argumentOf(answer.errors as Errors)).toEqual([['BAD_USER_INPUT', 'body']]);
  });

  it('a well-formed surrogate pair (an emoji) is accepted', async () => {
    const answer = await cast.system.call(`mutation M($reference: String!) { addMessage(reference: $reference, body: "Merci 🙂", visibleToCitizen: false) { reference } }`, { reference: cast.mine.reference }, cast.agentA);
    expect(answer.errors).toBeUndefined();
  });

  it.each([['NUL', 'Sujet\u0000 de test'], ['lone surrogate', 'Sujet \uDBFF de test']])('%s in a submitted subject → BAD_USER_INPUT on input.subject', async (_, subject) => {
    const answer = await cast.system.call(SUBMIT, { input: requestInput({ subject }), key: `key-${Date.now()}-${Math.random()}` });
    expect(argumentOf(answer.errors as Errors)).toEqual([['BAD_USER_INPUT', 'input.subject']]);
  });

  it.each([b64('o:99999999999999999999'), b64('o:2147483647')])('connection cursor %s out of range → BAD_USER_INPUT on after', async (after) => {
    const answer = await cast.system.call(`query Q($after: String) { requests(first: 5, after: $after) { totalCount } }`, { after }, cast.partner);
    expect(argumentOf(answer.errors as Errors)).toEqual([['BAD_USER_INPUT', 'after']]);
  });

  it.each([b64('j:18446744073709551616:1'), b64('j:1:9223372036854775808'), b64('j:99999999999999999999:1')])('feed cursor %s out of range → BAD_USER_INPUT on after', async (after) => {
    const recording = subgraphSubscribe(cast.system.subgraph.url, `subscription F($reference: String!, $after: String) { requestUpdated(reference: $reference, after: $after) { reference } }`, { reference: cast.mine.reference, after }, cast.ws.citizen);
    await waitFor(() => recording.codes().length > 0 || recording.completed, 'the refusal');
    await recording.dispose();
    expect(recording.codes()).toEqual(['BAD_USER_INPUT']);
  });

  it('a malformed entity key answers null, without failing the other members of its batch', async () => {
    const answer = await cast.system.call<{ _entities: unknown[] }>(
      `query E($reps: [_Any!]!) { _entities(representations: $reps) { ... on Request { reference } ... on Commune { requestStats { total } } } }`,
      { reps: [{ __typename: 'Request', id: '99999999999999' }, { __typename: 'Commune', code: 'x\u0000' }, { __typename: 'Commune', code: '93066' }, { __typename: 'Request', reference: cast.mine.reference }] },
      cast.partner,
    );
    expect(answer.errors).toBeUndefined();
    expect(answer.data!._entities).toEqual([null, { requestStats: null }, { requestStats: { total: expect.any(Number) } }, { reference: cast.mine.reference }]);
  });
});
