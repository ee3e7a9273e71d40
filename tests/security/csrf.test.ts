/**
 * CSRF prevention on every path that runs an operation (Apollo's rule, in the receive stage): a
 * request a web page could send without a CORS preflight — a simple content type, or a GET — is
 * refused with CSRF_REJECTED (400) unless it carries a non-empty preflight-forcing header.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startToyFederation, type ToyFederation } from '../harness/toy-federation.ts';
import { subscribeWs, waitFor } from '../harness/streams.ts';

const QUERY = '{ product(id: "1") { name } }';
let toy: ToyFederation;
beforeAll(async () => {
  toy = await startToyFederation({ RATE_LIMIT_ANONYMOUS: '0' });
});
afterAll(async () => {
  await toy?.stop();
});

const code = async (response: Response) => ((await response.json()) as { errors?: { extensions: { code: string } }[] }).errors?.[0]?.extensions.code;
const body = JSON.stringify({ query: QUERY });
const stream = () => toy.gatewayUrl.replace(/\/graphql$/, '/graphql/stream');

describe('Refused without a preflight', () => {
  const simple = ['text/plain', 'text/plain; charset=utf-8', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'TEXT/PLAIN'];
  for (const contentType of simple) {
    it(`POST /graphql with ${contentType}`, async () => {
      const response = await fetch(toy.gatewayUrl, { method: 'POST', headers: { 'content-type': contentType }, body });
      expect(response.status).toBe(400);
      expect(await code(response)).toBe('CSRF_REJECTED');
    });
  }

  it('POST /graphql text/plain asking for an event stream (the SSE path)', async () => {
    const response = await fetch(toy.gatewayUrl, { method: 'POST', headers: { 'content-type': 'text/plain', accept: 'text/event-stream' }, body });
    expect(response.status).toBe(400);
    expect(await code(response)).toBe('CSRF_REJECTED');
  });

  it('POST /graphql/stream text/plain', async () => {
    const response = await fetch(stream(), { method: 'POST', headers: { 'content-type': 'text/plain' }, body });
    expect(response.status).toBe(400);
    expect(await code(response)).toBe('CSRF_REJECTED');
  });

  it('GET /graphql and GET /graphql/stream (EventSource) without a header', async () => {
    for (const url of [`${toy.gatewayUrl}?query=${encodeURIComponent(QUERY)}`, `${stream()}?query=${encodeURIComponent(QUERY)}`]) {
      const response = await fetch(url, { headers: { accept: 'text/event-stream' } });
      expect(response.status).toBe(400);
      expect(await code(response)).toBe('CSRF_REJECTED');
    }
  });

  it('a preflight header that is empty does not count', async () => {
    const response = await fetch(toy.gatewayUrl, { method: 'POST', headers: { 'content-type': 'text/plain', 'apollo-require-preflight': '' }, body });
    expect(await code(response)).toBe('CSRF_REJECTED');
  });
});

describe('Accepted', () => {
  it('JSON bodies, on /graphql and over SSE', async () => {
    expect((await fetch(toy.gatewayUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body })).status).toBe(200);
    const sse = await fetch(stream(), { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    expect(sse.status).toBe(200);
    expect(await sse.text()).toContain('event: complete');
  });

  for (const header of ['apollo-require-preflight', 'x-apollo-operation-name', 'graphql-preflight']) {
    it(`a simple request or a GET with a non-empty ${header}`, async () => {
      const post = await fetch(toy.gatewayUrl, { method: 'POST', headers: { 'content-type': 'text/plain', [header]: '1' }, body });
      expect(await code(post)).not.toBe('CSRF_REJECTED');
      const get = await fetch(`${toy.gatewayUrl}?query=${encodeURIComponent(QUERY)}`, { headers: { [header]: '1' } });
      expect(get.status).toBe(200);
    });
  }

  it('WebSocket upgrades (guarded by the Origin check instead)', async () => {
    const ws = subscribeWs(toy.gatewayUrl, { query: QUERY });
    await waitFor(() => ws.completed, 'the query to complete over graphql-ws');
    expect(ws.results[0]?.data).toEqual({ product: { name: 'Table' } });
    ws.dispose();
  });
});
