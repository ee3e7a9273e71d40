/**
 * The public-data cache's store, run against both implementations (in process; Redis behind its
 * local layer, on a private redis-server): fresh copies, expiry, bounds, tags and their
 * invalidation stream (a toy subgraph serving it over graphql-ws), and Redis going away.
 */
import { createHash } from 'node:crypto';
import { Writable } from 'node:stream';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { signIdentity } from '../../common/identity.ts';
import type { PublicDataCache } from '../../gateway/execute/cache/index.ts';
import { startPrivateRedis, waitFor, type PrivateRedis } from '../requests/subscriptions-harness.ts';
import { GATEWAY_KEY, newCache, startDurableRedis, startToyInvalidations, taggedToySupergraph } from './public-cache-harness.ts';

let redis: PrivateRedis;
let stream: Awaited<ReturnType<typeof startToyInvalidations>>;
beforeAll(async () => {
  [redis, stream] = await Promise.all([startPrivateRedis(), startToyInvalidations()]);
});
afterAll(async () => {
  await stream?.close();
  await redis?.stop();
});

const opened: PublicDataCache[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((cache) => cache.close()));
});

const anonymous = () => signIdentity(GATEWAY_KEY, { id: 'anonymous', kind: 'anonymous', scopes: [] }).token;

interface Clock {
  now: () => number;
  advance(seconds: number): void;
}

function fakeClock(): Clock {
  let at = Date.UTC(2026, 0, 1);
  return { now: () => at, advance: (seconds) => (at += seconds * 1000) };
}

/** Stands for the engine: a miss (which dates the fetch), then the store of its result. */
async function fetchThrough(cache: PublicDataCache, key: string, value: unknown, maxAgeS = 60, tags: string[] = []): Promise<void> {
  expect(await cache.getMany([key])).toEqual([undefined]);
  cache.setMany([{ key, value, maxAgeS, tags }]);
}

const implementations = [
  { name: 'in process', redisUrl: () => undefined },
  { name: 'Redis', redisUrl: () => redis.url },
] as const;

describe.each(implementations)('Public cache store ($name)', ({ name, redisUrl }) => {
  const open = (options: Parameters<typeof newCache>[0] = {}) => {
    const cache = newCache({ redisUrl: redisUrl(), invalidation: { identity: anonymous, timeoutMs: 5000 }, ...options });
    opened.push(cache);
    return cache;
  };
  /** A cache following the toy invalidation stream, once it is live. */
  const following = async (options: Parameters<typeof newCache>[0] = {}) => {
    const cache = open(options);
    cache.follow(taggedToySupergraph(stream.url));
    await waitFor(() => cache.invalidationsLive(), 'the invalidation stream to be live');
    return cache;
  };
  const unique = (label: string) => `${name}\0${label}\0${Math.random()}`;

  it('hands out a fresh parsed copy on every read', async () => {
    const cache = open();
    const key = unique('fresh');
    await fetchThrough(cache, key, { communes: [{ code: '93066', population: 1 }] });
    const [first] = (await cache.getMany([key])) as [{ communes: { population: number }[] }];
    first.communes[0]!.population = 999;
    expect(await cache.getMany([key])).toEqual([{ communes: [{ code: '93066', population: 1 }] }]);
    expect(cache.stats()).toMatchObject({ hits: 2, misses: 1 });
  });

  it('expires an entry after its max-age, capped by PUBLIC_CACHE_MAX_AGE_S', async () => {
    const clock = fakeClock();
    const cache = open({ now: clock.now, maxAgeCapS: 30 });
    const [short, long] = [unique('short'), unique('long')];
    await fetchThrough(cache, short, 'a', 10);
    await fetchThrough(cache, long, 'b', 3600);
    clock.advance(9);
    expect(await cache.getMany([short, long])).toEqual(['a', 'b']);
    clock.advance(2);
    expect(await cache.getMany([short, long])).toEqual([undefined, 'b']);
    clock.advance(20);
    expect(await cache.getMany([long])).toEqual([undefined]);
  });

  it('keeps at most PUBLIC_CACHE_MAX_ENTRIES in process, the least recently used going first', async () => {
    const cache = open({ maxEntries: 2 });
    const [a, b, c] = [unique('a'), unique('b'), unique('c')];
    await fetchThrough(cache, a, 'A');
    await fetchThrough(cache, b, 'B');
    await cache.getMany([a]);
    await fetchThrough(cache, c, 'C');
    // In process, B is gone; in front of Redis, only from the local layer (Redis still has it).
    if (redisUrl()) await waitFor(async () => (await cache.getMany([b]))[0] === 'B', 'B from Redis');
    else expect(await cache.getMany([b])).toEqual([undefined]);
    expect(await cache.getMany([a, c])).toEqual(['A', 'C']);
  });

  it('never uses a tagged entry without a live invalidation stream', async () => {
    const cache = open();
    const key = unique('untracked');
    await fetchThrough(cache, key, 1, 60, ['count:paris']);
    expect(await cache.getMany([key])).toEqual([undefined]);
  });

  it('drops the entries of an invalidated tag, and only those', async () => {
    const cache = await following();
    const toy = taggedToySupergraph(stream.url);
    const policy = cache.policyOf(toy, 'counts', '{count(place:"paris")}')!;
    const [paris, lyon] = [unique('paris'), unique('lyon')];
    await fetchThrough(cache, paris, 10, policy.maxAgeS, policy.tags({}));
    await fetchThrough(cache, lyon, 20, 60, ['count:lyon']);
    expect(await cache.getMany([paris, lyon])).toEqual([10, 20]);
    stream.push(['count:paris']);
    await waitFor(async () => (await cache.getMany([paris]))[0] === undefined, 'the paris entry to go');
    expect(await cache.getMany([lyon])).toEqual([20]);
    // Counted once Redis, too, has answered.
    await waitFor(() => cache.stats().invalidations >= 1, 'the invalidation to be counted');
  });

  it('refuses to store a result fetched before an invalidation of its tag', async () => {
    const cache = await following();
    const [witness, raced] = [unique('witness'), unique('raced')];
    await fetchThrough(cache, witness, 'w', 60, ['count:paris']);
    expect(await cache.getMany([raced])).toEqual([undefined]);
    stream.push(['count:paris']);
    await waitFor(async () => (await cache.getMany([witness]))[0] === undefined, 'the invalidation to arrive');
    // The fetch of `raced` began before the change: its result may predate it.
    cache.setMany([{ key: raced, value: 'stale', maxAgeS: 60, tags: ['count:paris'] }]);
    expect(await cache.getMany([raced])).toEqual([undefined]);
    // Fetched after it: stored.
    cache.setMany([{ key: raced, value: 'fresh', maxAgeS: 60, tags: ['count:paris'] }]);
    expect(await cache.getMany([raced])).toEqual(['fresh']);
  });

  it('drops every tagged entry when the invalidation stream ends, and follows it again', async () => {
    const cache = await following();
    const [tagged, plain] = [unique('tagged'), unique('plain')];
    await fetchThrough(cache, tagged, 'T', 60, ['count:lyon']);
    await fetchThrough(cache, plain, 'P');
    expect(await cache.getMany([tagged, plain])).toEqual(['T', 'P']);
    stream.end();
    await waitFor(async () => (await cache.getMany([tagged]))[0] === undefined, 'the tagged entry to go');
    await waitFor(() => cache.invalidationsLive(), 'the stream to be followed again');
    expect(await cache.getMany([tagged, plain])).toEqual([undefined, 'P']);
  });
});

describe('Public cache in Redis, shared by the replicas', () => {
  const open = (logger?: pino.Logger, url = redis.url) => {
    const cache = newCache({ redisUrl: url, invalidation: { identity: anonymous, timeoutMs: 5000 }, ...(logger ? { logger } : {}) });
    opened.push(cache);
    return cache;
  };

  it('serves on one replica what another stored', async () => {
    const [a, b] = [open(), open()];
    const key = `shared\0${Math.random()}`;
    await fetchThrough(a, key, { n: 1 });
    await waitFor(async () => (await b.getMany([key]))[0] !== undefined, 'replica B to read what A stored');
    expect(await b.getMany([key])).toEqual([{ n: 1 }]);
  });

  it('fails open while Redis is down: misses and dropped writes, one warning; used again once it is back', async () => {
    const lines: string[] = [];
    const logger = pino({ level: 'info' }, new Writable({ write: (chunk, _, done) => (lines.push(String(chunk)), done()) }));
    const cache = open(logger);
    const [stored, later] = [`down\0${Math.random()}`, `back\0${Math.random()}`];
    await fetchThrough(cache, stored, 1);
    const other = open();
    await waitFor(async () => (await other.getMany([stored]))[0] === 1, 'the entry in Redis');
    await redis.kill();
    try {
      expect(await cache.getMany([`missing\0${Math.random()}`])).toEqual([undefined]);
      await fetchThrough(cache, later, 2);
      await fetchThrough(cache, `third\0${Math.random()}`, 3);
      await waitFor(() => lines.some((line) => line.includes('Redis unavailable')), 'the warning');
      expect(lines.filter((line) => line.includes('Redis unavailable'))).toHaveLength(1);
    } finally {
      await redis.start();
    }
    await waitFor(() => lines.some((line) => line.includes('Redis is back')), 'Redis to be back');
    const key = `after\0${Math.random()}`;
    await fetchThrough(cache, key, 4);
    await waitFor(async () => (await other.getMany([key]))[0] === 4, 'a write to reach Redis again');
  });

  it('after an invalidation Redis did not take, uses none of its tagged entries', async () => {
    const durable = await startDurableRedis();
    try {
      const [a, b] = [open(undefined, durable.url), open(undefined, durable.url)];
      for (const cache of [a, b]) cache.follow(taggedToySupergraph(stream.url));
      await waitFor(() => a.invalidationsLive() && b.invalidationsLive(), 'both replicas to follow the stream');
      const key = `unsure\0${Math.random()}`;
      await fetchThrough(a, key, 'old', 60, ['count:nantes']);
      await waitFor(async () => (await b.getMany([key]))[0] === 'old', 'replica B to read it');
      // The change is announced while Redis is down; it comes back with everything it held.
      await durable.kill();
      stream.push(['count:nantes']);
      await waitFor(async () => (await a.getMany([key]))[0] === undefined && (await b.getMany([key]))[0] === undefined, 'the local copies to go');
      await durable.start();
      const admin = new Redis(durable.url);
      try {
        expect(await admin.exists(`passerelle:cache:v1:e:${createHash('sha256').update(key).digest('base64url')}`)).toBe(1);
      } finally {
        admin.disconnect();
      }
      // Both replicas use Redis again (what one writes, the other reads) …
      await waitFor(async () => {
        const probe = `probe\0${Math.random()}`;
        await fetchThrough(a, probe, 'p');
        await new Promise((resolve) => setTimeout(resolve, 50));
        return (await b.getMany([probe]))[0] === 'p';
      }, 'the replicas to reach Redis again');
      // … and neither serves the entry the lost deletion left there.
      expect(await a.getMany([key])).toEqual([undefined]);
      expect(await b.getMany([key])).toEqual([undefined]);
    } finally {
      await durable.stop();
    }
  });
});
