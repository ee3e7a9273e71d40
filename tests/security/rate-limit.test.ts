/**
 * Rate limits per API key, per user and per IP (sliding window, counted in Redis and shared by every
 * replica) and daily quotas per partner key: RateLimit-* headers on every answer, HTTP 429 with
 * Retry-After and RATE_LIMITED / QUOTA_EXCEEDED past the edge, each graphql-ws operation counted,
 * and fail-open onto per-replica counters when Redis is down.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { RateLimiter } from '../../gateway/limit/index.ts';
import { useRateLimit } from '../../gateway/plugins/index.ts';
import type { Admission, Principal } from '../../gateway/pipeline.ts';
import { errorCodes, graphql } from '../harness/graphql.ts';
import { startPrivateRedis, type PrivateRedis } from '../requests/subscriptions-harness.ts';
import { subscribeWs, waitFor } from '../harness/streams.ts';
import { startToyFederation, type ToyFederation } from '../harness/toy-federation.ts';
import { createApiKey, redisApiKeyStore } from '../../gateway/authenticate/api-keys/index.ts';

const QUERY = '{ product(id: "1") { name } }';
const LIMIT = 5;

describe('Counting: sliding window and UTC days', () => {
  it('lets LIMIT hits through in a window and refuses one more, with the time to wait', async () => {
    const limiter = new RateLimiter({ windowS: 60 });
    const start = Date.UTC(2026, 0, 1, 12, 0, 0);
    for (let i = 1; i <= LIMIT; i++) expect(await limiter.hit('k', LIMIT, start + i)).toMatchObject({ allowed: true, remaining: LIMIT - i });
    const refused = await limiter.hit('k', LIMIT, start + 10);
    expect(refused).toMatchObject({ allowed: false, remaining: 0 });
    // The window's hits only fade out as the next window slides over them: about a window and a bit.
    expect(refused.retryAfterS).toBeGreaterThan(60);
    expect(refused.retryAfterS).toBeLessThanOrEqual(120);
  });

  it('weighs the previous window, so a burst at a window edge does not double the limit', async () => {
    const limiter = new RateLimiter({ windowS: 60 });
    const edge = Date.UTC(2026, 0, 1, 12, 1, 0);
    for (let i = 0; i < LIMIT; i++) expect((await limiter.hit('edge', LIMIT, edge - 100)).allowed).toBe(true);
    // Just past the edge, the previous window still weighs almost fully.
    expect((await limiter.hit('edge', LIMIT, edge + 100)).allowed).toBe(false);
    // Half a window later, half of it has slid out: two more pass (5 × 0.5 + 2 = 4.5), a third does not.
    expect((await limiter.hit('edge', LIMIT, edge + 30_000)).allowed).toBe(true);
    expect((await limiter.hit('edge', LIMIT, edge + 30_001)).allowed).toBe(true);
    expect((await limiter.hit('edge', LIMIT, edge + 30_002)).allowed).toBe(false);
  });

  it('resets a daily quota at midnight UTC and says how long until then', async () => {
    const limiter = new RateLimiter({ windowS: 60 });
    const lastSecond = Date.UTC(2026, 0, 1, 23, 59, 59);
    expect(await limiter.spend('q', 2, lastSecond)).toMatchObject({ allowed: true, remaining: 1 });
    expect(await limiter.spend('q', 2, lastSecond)).toMatchObject({ allowed: true, remaining: 0 });
    expect(await limiter.spend('q', 2, lastSecond)).toMatchObject({ allowed: false, resetS: 1 });
    expect(await limiter.spend('q', 2, lastSecond + 2_000)).toMatchObject({ allowed: true, remaining: 1 });
  });
});

describe('Who is counted (the plugin, per principal)', () => {
  const plugin = () =>
    useRateLimit({ windowS: 3600, limits: { anonymous: 2, citizen: 3, partner: 4, agent: 5, operator: 0 }, dailyQuotaPartner: 0 });
  const admit = async (rateLimit: ReturnType<typeof useRateLimit>, principal: Principal, remoteAddress = '10.0.0.1') => {
    const headers: Record<string, string> = {};
    const admission: Admission = {
      principal,
      request: { method: 'POST', path: '/graphql', headers: {}, remoteAddress },
      transport: 'http',
      setHeader: (name, value) => void (headers[name] = value),
    };
    try {
      await rateLimit.onAdmit!(admission);
      return { code: undefined, headers };
    } catch (error) {
      return { code: (error as { extensions: { code: string } }).extensions.code, headers };
    }
  };
  const citizen = (id: string): Principal => ({ id, kind: 'citizen', scopes: [] });
  const anonymous: Principal = { id: 'anonymous', kind: 'anonymous', scopes: [] };

  it('counts each anonymous IP address apart, at its kind’s limit', async () => {
    const rateLimit = plugin();
    expect((await admit(rateLimit, anonymous, '10.0.0.1')).code).toBeUndefined();
    expect((await admit(rateLimit, anonymous, '10.0.0.1')).code).toBeUndefined();
    expect((await admit(rateLimit, anonymous, '10.0.0.1')).code).toBe('RATE_LIMITED');
    expect((await admit(rateLimit, anonymous, '10.0.0.2')).code).toBeUndefined();
  });

  it('counts each user apart, whatever their address, at its kind’s limit', async () => {
    const rateLimit = plugin();
    for (let i = 0; i < 3; i++) expect((await admit(rateLimit, citizen('citizen:A'), `10.0.1.${i}`)).code).toBeUndefined();
    expect((await admit(rateLimit, citizen('citizen:A'), '10.0.1.9')).code).toBe('RATE_LIMITED');
    expect((await admit(rateLimit, citizen('citizen:B'), '10.0.1.9')).code).toBeUndefined();
  });

  it('applies an API key’s own rate over its kind’s, and its daily quota', async () => {
    const rateLimit = plugin();
    const fast: Principal = { id: 'key:fast', kind: 'partner', scopes: [], limits: { rate: 6 } };
    for (let i = 0; i < 6; i++) expect((await admit(rateLimit, fast)).code).toBeUndefined();
    expect((await admit(rateLimit, fast)).code).toBe('RATE_LIMITED');
    const quoted: Principal = { id: 'key:quoted', kind: 'partner', scopes: [], limits: { rate: 100, dailyQuota: 2 } };
    expect((await admit(rateLimit, quoted)).code).toBeUndefined();
    expect((await admit(rateLimit, quoted)).code).toBeUndefined();
    const refused = await admit(rateLimit, quoted);
    expect(refused.code).toBe('QUOTA_EXCEEDED');
    expect(Number(refused.headers['Retry-After'])).toBeGreaterThan(0);
  });

  it('does not limit a kind whose limit is 0', async () => {
    const rateLimit = plugin();
    const operator: Principal = { id: 'op:1', kind: 'operator', scopes: ['operator'] };
    for (let i = 0; i < 20; i++) expect((await admit(rateLimit, operator)).code).toBeUndefined();
  });
});

describe('Two gateway replicas sharing one Redis', () => {
  let redis: PrivateRedis;
  let client: Redis;
  let replicas: ToyFederation[];

  beforeAll(async () => {
    redis = await startPrivateRedis();
    client = new Redis(redis.url);
    client.on('error', () => {}); // the fail-open test kills Redis under it
    const env = { REDIS_URL: redis.url, RATE_LIMIT_WINDOW_S: '3600', RATE_LIMIT_ANONYMOUS: String(LIMIT) };
    replicas = await Promise.all([startToyFederation(env), startToyFederation(env)]);
  });
  afterAll(async () => {
    client?.disconnect();
    await Promise.allSettled((replicas ?? []).map((toy) => toy.stop()));
    await redis?.stop();
  });
  beforeEach(async () => {
    await client.flushall();
  });

  it('shares one count between the replicas: LIMIT pass in all, the next is refused on either', async () => {
    const [a, b] = replicas as [ToyFederation, ToyFederation];
    const remaining: string[] = [];
    for (const toy of [a, b, a, b, a]) {
      const answer = await graphql(toy.gatewayUrl, QUERY);
      expect(answer.status).toBe(200);
      expect(answer.headers.get('ratelimit-limit')).toBe(String(LIMIT));
      remaining.push(answer.headers.get('ratelimit-remaining')!);
      expect(Number(answer.headers.get('ratelimit-reset'))).toBeGreaterThan(0);
    }
    expect(remaining).toEqual(['4', '3', '2', '1', '0']);
    for (const toy of [b, a]) {
      const refused = await graphql(toy.gatewayUrl, QUERY);
      expect(refused.status).toBe(429);
      expect(errorCodes(refused)).toEqual(['RATE_LIMITED']);
      const retryAfter = Number(refused.headers.get('retry-after'));
      expect(retryAfter).toBeGreaterThan(0);
      expect(refused.body.errors?.[0]?.extensions?.retryAfter).toBe(retryAfter);
    }
  });

  it('counts SSE streams and each graphql-ws operation too', async () => {
    const [a, b] = replicas as [ToyFederation, ToyFederation];
    for (let i = 0; i < LIMIT - 1; i++) expect((await graphql(a.gatewayUrl, QUERY)).status).toBe(200);
    const sse = await fetch(b.gatewayUrl, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'text/event-stream' }, body: JSON.stringify({ query: QUERY }) });
    expect(sse.status).toBe(200);
    await sse.text();
    const ws = subscribeWs(a.gatewayUrl, { query: 'subscription { reviewAdded(productId: "1") { id } }' });
    await waitFor(() => ws.error !== undefined, 'the subscribe to be refused');
    expect((ws.error as { extensions: { code: string } }[])[0]!.extensions.code).toBe('RATE_LIMITED');
    ws.dispose();
  });

  it('spends a partner key’s daily quota on every replica, then answers QUOTA_EXCEEDED', async () => {
    const [a, b] = replicas as [ToyFederation, ToyFederation];
    // With REDIS_URL, API keys live in Redis too (gateway/authenticate/api-keys).
    const store = redisApiKeyStore({ url: redis.url });
    const { key } = await createApiKey(store, { name: 'Acme', scopes: [], rate: 100, dailyQuota: 3 });
    await store.close();
    const headers = { 'x-api-key': key };
    for (const toy of [a, b, a]) expect((await graphql(toy.gatewayUrl, QUERY, undefined, { headers })).status).toBe(200);
    const refused = await graphql(b.gatewayUrl, QUERY, undefined, { headers });
    expect(refused.status).toBe(429);
    expect(errorCodes(refused)).toEqual(['QUOTA_EXCEEDED']);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(Number(refused.headers.get('retry-after'))).toBeLessThanOrEqual(86_400);
  });

  it('fails open when Redis is down: each replica keeps counting on its own', async () => {
    const [a] = replicas as [ToyFederation, ToyFederation];
    await redis.kill();
    try {
      for (let i = 0; i < LIMIT; i++) expect((await graphql(a.gatewayUrl, QUERY)).status).toBe(200);
      const refused = await graphql(a.gatewayUrl, QUERY);
      expect(errorCodes(refused)).toEqual(['RATE_LIMITED']);
    } finally {
      await redis.start();
      await waitFor(() => client.status === 'ready', 'the test client to reconnect');
    }
  });
});
