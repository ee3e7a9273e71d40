/** Every limit is configurable and holds exactly at its edge: the limit passes, one more is refused. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorCodes, graphql } from '../harness/graphql.ts';
import { startToyFederation, type ToyFederation } from '../harness/toy-federation.ts';
import { endingCodes, subscribeSse, subscribeWs, waitFor } from '../harness/streams.ts';

let toy: ToyFederation;
beforeAll(async () => {
  toy = await startToyFederation({ MAX_DEPTH: '3', MAX_ALIASES: '2', MAX_BODY_BYTES: '400', INTROSPECTION: 'off' });
});
afterAll(() => toy?.stop());

describe('Depth', () => {
  it('accepts an operation exactly MAX_DEPTH deep', async () => {
    const result = await graphql(toy.gatewayUrl, '{ topReview { product { name } } }');
    expect(result.body.errors).toBeUndefined();
  });

  it('refuses one level more with MAX_DEPTH_EXCEEDED, also through fragments', async () => {
    const direct = await graphql(toy.gatewayUrl, '{ topReview { product { reviews { stars } } } }');
    expect(direct.status).toBe(400);
    expect(errorCodes(direct)).toEqual(['MAX_DEPTH_EXCEEDED']);
    const viaFragment = await graphql(
      toy.gatewayUrl,
      'query { topReview { ...R } } fragment R on Review { product { reviews { stars } } }',
    );
    expect(errorCodes(viaFragment)).toEqual(['MAX_DEPTH_EXCEEDED']);
  });
});

describe('Streams', () => {
  it('applies the same limits to operations over graphql-ws and SSE', async () => {
    const tooDeep = 'subscription { reviewAdded(productId: "1") { product { reviews { stars } } } }';
    for (const subscribe of [subscribeWs, subscribeSse]) {
      const client = subscribe(toy.gatewayUrl, { query: tooDeep });
      await waitFor(() => client.error !== undefined || client.completed, 'the refusal');
      expect(endingCodes(client)).toEqual(['MAX_DEPTH_EXCEEDED']);
      client.dispose();
    }
  });
});

describe('Aliases', () => {
  it('accepts MAX_ALIASES aliases and refuses one more', async () => {
    const ok = await graphql(toy.gatewayUrl, '{ a: product(id: "1") { name } b: product(id: "2") { name } }');
    expect(ok.body.errors).toBeUndefined();
    const tooMany = await graphql(toy.gatewayUrl, '{ a: product(id: "1") { name } b: product(id: "2") { name } c: product(id: "3") { name } }');
    expect(errorCodes(tooMany)).toEqual(['MAX_ALIASES_EXCEEDED']);
  });
});

describe('Introspection', () => {
  it('refuses __schema and __type when off, but keeps __typename', async () => {
    expect(errorCodes(await graphql(toy.gatewayUrl, '{ __schema { types { name } } }'))).toEqual(['INTROSPECTION_DISABLED']);
    expect(errorCodes(await graphql(toy.gatewayUrl, '{ __type(name: "Product") { name } }'))).toEqual(['INTROSPECTION_DISABLED']);
    const typename = await graphql(toy.gatewayUrl, '{ __typename }');
    expect(typename.body.data).toEqual({ __typename: 'Query' });
  });
});

describe('Body size', () => {
  const bodyOfSize = (size: number) => {
    const base = JSON.stringify({ query: '{ __typename }', variables: { pad: '' } });
    return JSON.stringify({ query: '{ __typename }', variables: { pad: 'x'.repeat(size - base.length) } });
  };

  it('accepts a body of exactly MAX_BODY_BYTES', async () => {
    const body = bodyOfSize(400);
    expect(Buffer.byteLength(body)).toBe(400);
    const response = await fetch(toy.gatewayUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    expect(response.status).toBe(200);
  });

  it('refuses one byte more with PAYLOAD_TOO_LARGE (413), chunked or not', async () => {
    const body = bodyOfSize(401);
    const response = await fetch(toy.gatewayUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    expect(response.status).toBe(413);
    expect(((await response.json()) as { errors: { extensions: { code: string } }[] }).errors[0]!.extensions.code).toBe('PAYLOAD_TOO_LARGE');

    const stream = new ReadableStream({
      start(controller) {
        controller.enqueue(new TextEncoder().encode(body));
        controller.close();
      },
    });
    const chunked = await fetch(toy.gatewayUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: stream,
      duplex: 'half',
    } as RequestInit);
    expect(chunked.status).toBe(413);
  });
});
