/**
 * Automatic persisted queries, resolved in the receive stage (Apollo Server's own APQ is off): a
 * hash alone is PERSISTED_QUERY_NOT_FOUND until the text has been sent with it once; then the hash
 * alone runs it, on POST, GET and SSE; a hash that does not match its text is BAD_REQUEST. With
 * Redis the registrations are shared by every replica.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256 } from '../../gateway/receive/index.ts';
import { startPrivateRedis, type PrivateRedis } from '../requests/subscriptions-harness.ts';
import { startToyFederation, type ToyFederation } from '../harness/toy-federation.ts';

type Body = { data?: unknown; errors?: { extensions: { code: string } }[] };
const persisted = (query: string) => ({ persistedQuery: { version: 1, sha256Hash: sha256(query) } });
const post = async (url: string, body: unknown, accept?: string) => {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...(accept ? { accept } : {}) }, body: JSON.stringify(body) });
  return { status: response.status, text: await response.text() };
};
const json = (text: string) => JSON.parse(text) as Body;

describe('In process (no Redis)', () => {
  let toy: ToyFederation;
  beforeAll(async () => {
    toy = await startToyFederation({ RATE_LIMIT_ANONYMOUS: '0' });
  });
  afterAll(async () => {
    await toy?.stop();
  });

  it('answers an unknown hash with PERSISTED_QUERY_NOT_FOUND, registers it with its text, then runs the hash alone', async () => {
    const query = '{ product(id: "2") { name } }';
    const unknown = await post(toy.gatewayUrl, { extensions: persisted(query) });
    expect(json(unknown.text).errors?.[0]?.extensions.code).toBe('PERSISTED_QUERY_NOT_FOUND');
    const registered = await post(toy.gatewayUrl, { query, extensions: persisted(query) });
    expect(json(registered.text)).toEqual({ data: { product: { name: 'Chair' } } });
    const again = await post(toy.gatewayUrl, { extensions: persisted(query) });
    expect(again.status).toBe(200);
    expect(json(again.text)).toEqual({ data: { product: { name: 'Chair' } } });
    const get = await fetch(`${toy.gatewayUrl}?extensions=${encodeURIComponent(JSON.stringify(persisted(query)))}`, { headers: { 'apollo-require-preflight': '1' } });
    expect(await get.json()).toEqual({ data: { product: { name: 'Chair' } } });
    const sse = await post(toy.gatewayUrl, { extensions: persisted(query) }, 'text/event-stream');
    expect(sse.text).toContain('"name":"Chair"');
  });

  it('refuses a hash that is not the text’s sha256, and a malformed persistedQuery, with BAD_REQUEST', async () => {
    const wrong = await post(toy.gatewayUrl, { query: '{ products { id } }', extensions: persisted('{ other }') });
    expect(wrong.status).toBe(400);
    expect(json(wrong.text).errors?.[0]?.extensions.code).toBe('BAD_REQUEST');
    const malformed = await post(toy.gatewayUrl, { extensions: { persistedQuery: { version: 1, sha256Hash: 'abc' } } });
    expect(malformed.status).toBe(400);
    expect(json(malformed.text).errors?.[0]?.extensions.code).toBe('BAD_REQUEST');
  });

  it('does not register a text that does not parse', async () => {
    const query = '{ product(id: "1") { name ';
    const sent = await post(toy.gatewayUrl, { query, extensions: persisted(query) });
    expect(json(sent.text).errors?.[0]?.extensions.code).toBe('GRAPHQL_PARSE_FAILED');
    const hash = await post(toy.gatewayUrl, { extensions: persisted(query) });
    expect(json(hash.text).errors?.[0]?.extensions.code).toBe('PERSISTED_QUERY_NOT_FOUND');
  });
});

describe('Shared by replicas through Redis', () => {
  let redis: PrivateRedis;
  let replicas: ToyFederation[];
  beforeAll(async () => {
    redis = await startPrivateRedis();
    replicas = await Promise.all([0, 1].map(() => startToyFederation({ REDIS_URL: redis.url, RATE_LIMIT_ANONYMOUS: '0' })));
  });
  afterAll(async () => {
    await Promise.allSettled((replicas ?? []).map((toy) => toy.stop()));
    await redis?.stop();
  });

  it('runs on one replica a hash registered on the other', async () => {
    const [a, b] = replicas as [ToyFederation, ToyFederation];
    const query = '{ product(id: "3") { name } }';
    await post(a.gatewayUrl, { query, extensions: persisted(query) });
    expect(json((await post(b.gatewayUrl, { extensions: persisted(query) })).text)).toEqual({ data: { product: { name: 'Lamp' } } });
  });
});
