/**
 * Two gateway replicas, each in front of its own requests-subgraph replica, on one Redis: a change
 * written straight into the GRC database reaches a subscriber on either gateway, exactly once.
 * Only one replica captures the change (it holds the capture lease); the other learns it from Redis.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launch, type LaunchedProcess } from '../../scripts/launcher.ts';
import { startTestSystem, type TestSystem } from '../harness/system.ts';
import { startPrivateRedis, trackingToken, subscribe, waitFor, type PrivateRedis, type Recording } from '../requests/subscriptions-harness.ts';

const TRACK = /* GraphQL */ `
  subscription Track($reference: String!, $after: String) {
    requestUpdated(reference: $reference, after: $after) { reference status cursor commune { name } }
  }`;
/** The feed's origin: the subscription replays the request's history, then goes live, so no change races its set-up. */
const ORIGIN = Buffer.from('j:0:0').toString('base64url');

let redis: PrivateRedis;
let system: TestSystem;
const extra: LaunchedProcess[] = [];
let secondGateway: string;
const recordings: Recording[] = [];

beforeAll(async () => {
  redis = await startPrivateRedis();
  system = await startTestSystem({ REDIS_URL: redis.url });
  const requests2 = await launch({
    name: 'requests-2',
    entry: 'subgraphs/requests/main.ts',
    env: {
      LOG_LEVEL: 'warn',
      REQUESTS_SUBGRAPH_PORT: '0',
      REDIS_URL: redis.url,
      GRC_DATABASE_URL: system.legacy.grc,
      GEO_API_URL: system.legacy.geoApi,
      LYCEES_API_URL: system.legacy.lyceesApi,
    },
  });
  extra.push(requests2);
  const subgraphs = { ...system.subgraphs, requests: requests2.urls.graphql! };
  const gateway2 = await launch({
    name: 'gateway-2',
    entry: 'gateway/main.ts',
    env: { LOG_LEVEL: 'warn', PORT: '0', REDIS_URL: redis.url, SUBGRAPH_URLS: Object.entries(subgraphs).map(([n, u]) => `${n}=${u}`).join(',') },
  });
  extra.push(gateway2);
  secondGateway = gateway2.urls.graphql!;
});

afterAll(async () => {
  await Promise.allSettled(recordings.map((r) => r.dispose()));
  for (const process of extra.reverse()) await process.stop();
  await system?.stop();
  await redis?.stop();
});

describe('Replicas on one Redis', () => {
  it('delivers a change written into the database to a subscriber on either gateway, once', async () => {
    const db = new pg.Client(system.legacy.grc);
    await db.connect();
    // The citizen who filed an open request follows it, with the tracking token submitRequest gave them.
    const open = await db.query<{ num_demande: string }>(`SELECT num_demande FROM t_demande WHERE code_statut = 'ENC' ORDER BY id_demande LIMIT 1`);
    const reference = open.rows[0]!.num_demande;
    const token = await trackingToken(reference);
    const onFirst = subscribe(system.gateway, TRACK, { reference, after: ORIGIN }, token);
    const onSecond = subscribe(secondGateway, TRACK, { reference, after: ORIGIN }, token);
    recordings.push(onFirst, onSecond);

    try {
      await db.query(`UPDATE t_demande SET code_statut = 'ATT' WHERE num_demande = $1`, [reference]);
    } finally {
      await db.end();
    }
    const waiting = (recording: Recording) => recording.requests().filter((r) => r.status === 'WAITING_FOR_CITIZEN');
    await waitFor(() => waiting(onFirst).length > 0 && waiting(onSecond).length > 0, 'the change on both gateways');
    // Let any duplicate arrive before counting.
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(waiting(onFirst)).toHaveLength(1);
    expect(waiting(onSecond)).toHaveLength(1);
    expect(waiting(onFirst)[0]).toEqual(waiting(onSecond)[0]);
    expect(onFirst.codes()).toEqual([]);
    expect(onSecond.codes()).toEqual([]);
  });
});
