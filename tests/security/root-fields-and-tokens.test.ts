/** MAX_ROOT_FIELDS and MAX_TOKENS hold exactly at their edge, over HTTP, graphql-ws and SSE. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Lexer, Source, TokenKind } from 'graphql';
import { errorCodes, graphql } from '../harness/graphql.ts';
import { startToyFederation, type ToyFederation } from '../harness/toy-federation.ts';
import { endingCodes, subscribeSse, subscribeWs, waitFor } from '../harness/streams.ts';

function tokenCount(query: string): number {
  const lexer = new Lexer(new Source(query));
  let count = 0;
  while (lexer.advance().kind !== TokenKind.EOF) count += 1;
  return count;
}

// Long enough for the root-field documents below to stay within it.
const AT_TOKEN_LIMIT = `{ product(id: "1") { name } products { name ${'__typename '.repeat(60)}} }`;
const MAX_TOKENS = tokenCount(AT_TOKEN_LIMIT);
// One token more: one more field name.
const OVER_TOKEN_LIMIT = `{ product(id: "1") { name } products { name ${'__typename '.repeat(61)}} }`;

let toy: ToyFederation;
beforeAll(async () => {
  toy = await startToyFederation({ MAX_ROOT_FIELDS: '2', MAX_TOKENS: String(MAX_TOKENS) });
});
afterAll(() => toy?.stop());

describe('Root fields', () => {
  it('accepts MAX_ROOT_FIELDS root fields and refuses one more, aliases and fragments included', async () => {
    expect((await graphql(toy.gatewayUrl, '{ a: product(id: "1") { name } b: product(id: "2") { name } }')).body.errors).toBeUndefined();
    const three = await graphql(toy.gatewayUrl, '{ a: product(id: "1") { name } ...Q } fragment Q on Query { b: product(id: "2") { name } topReview { stars } }');
    expect(three.status).toBe(400);
    expect(errorCodes(three)).toEqual(['MAX_ROOT_FIELDS_EXCEEDED']);
  });

  it('does not count __typename, nor the same field selected twice', async () => {
    const result = await graphql(toy.gatewayUrl, '{ __typename products { id } products { name } topReview { stars } }');
    expect(result.body.errors).toBeUndefined();
  });
});

describe('Tokens', () => {
  it(`accepts a document of exactly MAX_TOKENS (${MAX_TOKENS}) tokens`, async () => {
    expect(tokenCount(OVER_TOKEN_LIMIT)).toBe(MAX_TOKENS + 1);
    const result = await graphql(toy.gatewayUrl, AT_TOKEN_LIMIT);
    expect(result.body.errors).toBeUndefined();
  });

  it('refuses one token more with MAX_TOKENS_EXCEEDED (400), not a generic syntax error', async () => {
    const result = await graphql(toy.gatewayUrl, OVER_TOKEN_LIMIT);
    expect(result.status).toBe(400);
    expect(errorCodes(result)).toEqual(['MAX_TOKENS_EXCEEDED']);
    expect(result.body.errors![0]!.extensions!.limit).toBe(MAX_TOKENS);
  });

  it('stops parsing a huge directive flood at the limit', async () => {
    const flood = `{ products @a${' @a'.repeat(100_000)} { name } }`;
    expect(errorCodes(await graphql(toy.gatewayUrl, flood))).toEqual(['MAX_TOKENS_EXCEEDED']);
  });

  it('refuses it over graphql-ws and SSE alike', async () => {
    for (const subscribe of [subscribeWs, subscribeSse]) {
      const client = subscribe(toy.gatewayUrl, { query: OVER_TOKEN_LIMIT });
      await waitFor(() => client.error !== undefined || client.completed, 'the refusal');
      expect(endingCodes(client)).toEqual(['MAX_TOKENS_EXCEEDED']);
      client.dispose();
    }
  });
});
