/**
 * Bad input at the HTTP and transport level gets the catalogue's code and status, never a generic
 * 500: an unknown operationName, a mutation over GET, a malformed body or extension, a non-string
 * credential in graphql-ws connectionParams, and upstream failures described without "[object Object]".
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { describeFailure } from '../../gateway/execute/describe-failure.ts';
import { errorCodes, graphql } from '../harness/graphql.ts';
import { wsUrl } from '../harness/streams.ts';
import { startToyFederation, type ToyFederation } from '../harness/toy-federation.ts';

let toy: ToyFederation;
beforeAll(async () => {
  toy = await startToyFederation({ RATE_LIMIT_ANONYMOUS: '0' });
});
afterAll(async () => {
  await toy?.stop();
});

const post = async (body: string, accept?: string) => {
  const response = await fetch(toy.gatewayUrl, { method: 'POST', headers: { 'content-type': 'application/json', ...(accept ? { accept } : {}) }, body });
  return { status: response.status, text: await response.text() };
};

describe('Operation resolution', () => {
  it('answers an operationName naming no operation with OPERATION_RESOLUTION_FAILURE, 400', async () => {
    const answer = await graphql(toy.gatewayUrl, 'query A { products { id } } query B { topReview { id } }', undefined, { operationName: 'C' });
    expect(answer.status).toBe(400);
    expect(errorCodes(answer)).toEqual(['OPERATION_RESOLUTION_FAILURE']);
    const single = await graphql(toy.gatewayUrl, 'query A { products { id } }', undefined, { operationName: 'C' });
    expect(single.status).toBe(400);
    expect(errorCodes(single)).toEqual(['OPERATION_RESOLUTION_FAILURE']);
  });

  it('answers several operations without operationName the same way, over HTTP and SSE', async () => {
    const twoOperations = JSON.stringify({ query: 'query A { products { id } } query B { topReview { id } }' });
    const http = await post(twoOperations);
    expect(http.status).toBe(400);
    expect(http.text).toContain('OPERATION_RESOLUTION_FAILURE');
    expect((await post(twoOperations, 'text/event-stream')).text).toContain('OPERATION_RESOLUTION_FAILURE');
  });
});

describe('Methods', () => {
  it('answers a mutation sent with GET with METHOD_NOT_ALLOWED, 405 (as over SSE)', async () => {
    for (const accept of ['application/json', 'text/event-stream']) {
      const response = await fetch(`${toy.gatewayUrl}?query=${encodeURIComponent('mutation M { __typename }')}`, { headers: { 'apollo-require-preflight': '1', accept } });
      expect(response.status).toBe(405);
      expect(((await response.json()) as { errors: { extensions: { code: string } }[] }).errors[0]!.extensions.code).toBe('METHOD_NOT_ALLOWED');
    }
  });
});

describe('Malformed requests: 400 with a code, never 500', () => {
  const cases: [string, string][] = [
    ['a non-string query', JSON.stringify({ query: 5 })],
    ['a non-string operationName', JSON.stringify({ query: '{ products { id } }', operationName: 5 })],
    ['variables as a string', JSON.stringify({ query: 'query($id: ID!) { product(id: $id) { id } }', variables: '{"id":"1"}' })],
    ['a malformed persistedQuery', JSON.stringify({ extensions: { persistedQuery: { version: 2 } } })],
    ['a batch', JSON.stringify([{ query: '{ products { id } }' }])],
    ['a JSON string', JSON.stringify('hello')],
    ['JSON null', 'null'],
  ];
  for (const [name, body] of cases) {
    it(name, async () => {
      for (const accept of [undefined, 'text/event-stream']) {
        const answer = await post(body, accept);
        expect(answer.status, `${name} (${accept ?? 'json'}): ${answer.text}`).toBe(400);
        expect(answer.text).toMatch(/"code":"(BAD_REQUEST|BAD_USER_INPUT)"/);
      }
    });
  }
});

describe('graphql-ws connectionParams', () => {
  for (const [name, params] of [
    ['a non-string authorization', { authorization: { token: 'x' } }],
    ['a numeric x-api-key', { 'x-api-key': 42 }],
  ] as const) {
    it(`refuses ${name} (it is not silently anonymous)`, async () => {
      const socket = new WebSocket(wsUrl(toy.gatewayUrl), 'graphql-transport-ws');
      const closed = new Promise<number>((resolve) => socket.on('close', (code) => resolve(code)));
      let acknowledged = false;
      socket.on('message', (data) => {
        if ((JSON.parse(String(data)) as { type: string }).type === 'connection_ack') acknowledged = true;
      });
      await new Promise((resolve) => socket.once('open', resolve));
      socket.send(JSON.stringify({ type: 'connection_init', payload: params }));
      expect([4400, 4401]).toContain(await closed);
      expect(acknowledged).toBe(false);
    });
  }
});

describe('Upstream failure descriptions', () => {
  it('never reads "[object Object]" or "undefined"', () => {
    expect(describeFailure(Object.assign(new Error('fetch failed'), { cause: { code: 'ECONNREFUSED' } }))).toBe('ECONNREFUSED');
    expect(describeFailure({ reason: { nested: true } })).toBe('unknown failure');
    expect(describeFailure(new Error(String({})))).toBe('Error');
    expect(describeFailure({ message: { text: 'x' } })).toBe('unknown failure');
    expect(describeFailure('socket hang up')).toBe('socket hang up');
    expect(describeFailure(undefined)).toBe('unknown failure');
  });
});

describe("What Node's HTTP parser refuses", () => {
  it('answers a URL past the 16 KB header limit with 431 HEADERS_TOO_LARGE, a GraphQL-shaped body', async () => {
    const gateway = await startToyFederation();
    try {
      const url = `${gateway.gatewayUrl}?query=${encodeURIComponent(`{ ${'a: __typename '.repeat(2_000)}}`)}`;
      const response = await fetch(url, { headers: { 'graphql-preflight': '1' } });
      expect(response.status).toBe(431);
      const body = (await response.json()) as { errors: { extensions: { code: string } }[] };
      expect(body.errors[0]!.extensions.code).toBe('HEADERS_TOO_LARGE');
    } finally {
      await gateway.stop();
    }
  });
});
