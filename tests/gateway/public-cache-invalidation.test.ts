/**
 * Invalidation end to end: the gateway's public-data cache follows the requests subgraph's
 * `cacheInvalidations` stream (as the gateway would, over graphql-ws with an anonymous signed
 * identity), and a change made in the GRC — here behind Passerelle's back, as the old back office
 * does — drops the cached request counts of its commune and département, and nothing else. Run with
 * the in-process bus and with Redis (subgraph bus and cache store both on a private redis-server).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signIdentity } from '../../common/identity.ts';
import type { PublicDataCache } from '../../gateway/execute/cache/index.ts';
import { startTestGrc, startTestSubgraph, type Grc, type Subgraph } from '../requests/harness.ts';
import { startPrivateRedis, waitFor, type PrivateRedis } from '../requests/subscriptions-harness.ts';
import { GATEWAY_KEY, loadSupergraph, newCache } from './public-cache-harness.ts';

const STATS = 'query S($representations:[_Any!]!){_entities(representations:$representations){...on Commune{requestStats{open}}...on Departement{requestStats{open}}}}';
const anonymous = () => signIdentity(GATEWAY_KEY, { id: 'anonymous', kind: 'anonymous', scopes: [] }).token;
const region = loadSupergraph();

describe.each([{ bus: 'in-process bus' }, { bus: 'Redis' }])('Public cache invalidation ($bus)', ({ bus }) => {
  let grc: Grc;
  let subgraph: Subgraph;
  let redis: PrivateRedis | undefined;
  let cache: PublicDataCache;
  let subgraphClosed = false;

  beforeAll(async () => {
    if (bus === 'Redis') redis = await startPrivateRedis();
    grc = await startTestGrc({ env: { GRC_DATA_DIR: 'memory' }, drop: async () => undefined });
    subgraph = await startTestSubgraph(grc.urls.postgres!, redis ? { REDIS_URL: redis.url } : {});
    cache = newCache({ ...(redis ? { redisUrl: redis.url } : {}), invalidation: { identity: anonymous, timeoutMs: 5000 } });
    cache.follow(region.schema, (name) => (name === 'requests' ? subgraph.url : undefined));
    await waitFor(() => cache.invalidationsLive(), 'the invalidation stream to be live');
  }, 120_000);
  afterAll(async () => {
    await cache?.close();
    if (!subgraphClosed) await subgraph?.close();
    await grc?.close();
    await redis?.stop();
  });

  /** The engine's part: the entry of one representation, as fetched from the subgraph. */
  async function cacheStats(representation: { __typename: string; code: string }): Promise<string> {
    const policy = cache.policyOf(region.schema, 'requests', STATS)!;
    const key = `requests\0${bus}\0{}\0${JSON.stringify(representation)}`;
    const answer = await subgraph.query<{ _entities: unknown[] }>(STATS, { representations: [representation] });
    expect(answer.errors).toBeUndefined();
    expect(await cache.getMany([key])).toEqual([undefined]);
    cache.setMany([{ key, value: answer.data!._entities[0], maxAgeS: policy.maxAgeS, tags: policy.tags({}, representation) }]);
    expect(await cache.getMany([key])).toEqual([answer.data!._entities[0]]);
    return key;
  }

  it('drops the counts of the commune and département of a request changed in the GRC, and only those', async () => {
    const [request] = await grc.sql<{ id_demande: number; code_insee: string }>(
      `SELECT id_demande, code_insee FROM t_demande WHERE code_statut IN ('NOU', 'QUA') AND code_insee LIKE '93%' ORDER BY id_demande LIMIT 1`,
    );
    const [elsewhere] = await grc.sql<{ code_insee: string }>(`SELECT code_insee FROM t_demande WHERE code_insee LIKE '75%' LIMIT 1`);
    const commune = await cacheStats({ __typename: 'Commune', code: request!.code_insee });
    const departement = await cacheStats({ __typename: 'Departement', code: '93' });
    const other = await cacheStats({ __typename: 'Commune', code: elsewhere!.code_insee });

    // An agent in the old back office: a direct UPDATE, no API involved.
    await grc.sql(`UPDATE t_demande SET code_statut = 'ENC', date_maj = now() WHERE id_demande = $1`, [request!.id_demande]);

    await waitFor(async () => (await cache.getMany([commune, departement])).every((value) => value === undefined), 'the stale counts to go');
    expect((await cache.getMany([other]))[0]).toBeDefined();
    await waitFor(() => cache.stats().invalidations >= 2, 'the invalidations to be counted');
  });

  it('stops using tagged entries when the stream is lost', async () => {
    const [row] = await grc.sql<{ code_insee: string }>(`SELECT code_insee FROM t_demande WHERE code_insee LIKE '94%' LIMIT 1`);
    const key = await cacheStats({ __typename: 'Commune', code: row!.code_insee });
    subgraphClosed = true;
    await subgraph.close();
    await waitFor(() => !cache.invalidationsLive(), 'the stream to be lost');
    expect(await cache.getMany([key])).toEqual([undefined]);
  });
});
