/**
 * Real-time request tracking, end to end through the gateway, as a citizen lives it: file a
 * request, follow it, and see a change made straight in the GRC database (as the old back office
 * does) arrive whole — with fields from the lycées and geo subgraphs. Nothing is lost: across a
 * dropped client, a gateway restart and a Redis restart, resuming from the last cursor gives
 * exactly the missed changes, in order, then the live ones.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launch, type LaunchedProcess } from '../../scripts/launcher.ts';
import { graphql } from '../harness/graphql.ts';
import { startTestSystem, type TestSystem } from '../harness/system.ts';
import { agentOf, agentToken, startPrivateRedis, subscribe, waitFor, type PrivateRedis, type Recording } from '../requests/subscriptions-harness.ts';

const TRACK = /* GraphQL */ `
  subscription Track($reference: String!, $after: String) {
    requestUpdated(reference: $reference, after: $after) {
      reference cursor status
      estimatedCompletion { medianDays basedOn }
      timeline { at status message }
      lycee { name commune { name population } }
    }
  }`;

const QUEUE = /* GraphQL */ `
  subscription Queue($service: String!, $after: String) { serviceQueue(service: $service, after: $after) { reference status cursor } }`;

/**
 * The origin of the change feed: resuming from it replays a request's whole history, then goes
 * live — so a test never races a change against the subscription being set up.
 */
const ORIGIN = Buffer.from('j:0:0').toString('base64url');

interface Tracked {
  reference: string;
  cursor: string;
  status: string;
  timeline: unknown[];
  lycee: { name: string; commune: { name: string; population: number } } | null;
}

let redis: PrivateRedis;
let system: TestSystem;
let db: pg.Client;
let gateway: string;
let extraGateway: LaunchedProcess | undefined;
let lycee: { uai: string; commune: { code: string } };
const recordings: Recording[] = [];

const tracked = (recording: Recording) => recording.requests() as unknown as Tracked[];

interface Filed {
  reference: string;
  serviceCode: string;
  token: string;
  follow(after?: string): Recording;
  /** A change made behind Passerelle's back: the old back office writes the table directly. */
  backOffice(status: string): Promise<unknown>;
}

/** Files a new request about a lycée, through the gateway, as a citizen would. */
async function fileRequest(key: string): Promise<Filed> {
  const submitted = await graphql<{ submitRequest: { trackingToken: string; request: { reference: string; service: { code: string } } } }>(
    gateway,
    `mutation Submit($input: SubmitRequestInput!, $key: String!) {
      submitRequest(input: $input, idempotencyKey: $key) { trackingToken request { reference service { code } } }
    }`,
    {
      key,
      input: {
        subject: 'Chauffage en panne au CDI',
        description: 'Le chauffage du CDI ne fonctionne plus depuis lundi, les élèves ont froid.',
        commune: lycee.commune.code,
        lycee: lycee.uai,
        contact: { name: 'Camille Martin', email: 'camille.martin@example.org' },
        channel: 'WEB',
      },
    },
  );
  expect(submitted.body.errors).toBeUndefined();
  const { trackingToken, request } = submitted.body.data!.submitRequest;
  return {
    reference: request.reference,
    serviceCode: request.service.code,
    token: trackingToken,
    follow(after) {
      const recording = subscribe(gateway, TRACK, { reference: request.reference, after }, `Bearer ${trackingToken}`);
      recordings.push(recording);
      return recording;
    },
    backOffice: (status) => db.query('UPDATE t_demande SET code_statut = $1 WHERE num_demande = $2', [status, request.reference]),
  };
}

/** Follows a request until one change has arrived, and returns that change's cursor. */
async function firstCursor(filed: Filed): Promise<string> {
  const live = filed.follow(ORIGIN);
  await filed.backOffice('QUA');
  await waitFor(() => tracked(live).some((u) => u.status === 'QUALIFIED'), 'the first change');
  await live.dispose();
  return tracked(live).at(-1)!.cursor;
}
const subscriptionCounts = async () =>
  ((await (await fetch(gateway.replace('/graphql', '/health'))).json()) as { subscriptions: { upstream: number; subscribers: number } }).subscriptions;

beforeAll(async () => {
  redis = await startPrivateRedis();
  system = await startTestSystem({ REDIS_URL: redis.url });
  gateway = system.gateway;
  db = new pg.Client(system.legacy.grc);
  await db.connect();

  const lycees = await graphql<{ lycees: { edges: { node: { uai: string; commune: { code: string } } }[] } }>(
    gateway,
    '{ lycees(filter: { departement: "93" }, first: 1) { edges { node { uai commune { code } } } } }',
  );
  lycee = lycees.body.data!.lycees.edges[0]!.node;
});

afterAll(async () => {
  await Promise.allSettled(recordings.map((r) => r.dispose()));
  await db?.end();
  await extraGateway?.stop();
  await system?.stop();
  await redis?.stop();
});

describe('Tracking a request through the gateway', () => {
  it('reads a request with the feed position it is consistent with: following from it misses no change made after the read', async () => {
    const filed = await fileRequest('e2e-read-then-follow');
    const read = await graphql<{ request: { status: string; cursor: string | null } }>(
      gateway,
      'query($r: String!) { request(reference: $r) { status cursor } }',
      { r: filed.reference },
      { headers: { authorization: `Bearer ${filed.token}` } },
    );
    expect(read.body.errors).toBeUndefined();
    expect(read.body.data!.request.status).toBe('NEW');
    const position = read.body.data!.request.cursor;
    expect(position).toBeTruthy();
    // The change lands between the read and the subscription: the gap a page opened "from now on" would have.
    await filed.backOffice('QUA');
    const live = filed.follow(position!);
    await waitFor(() => tracked(live).some((u) => u.status === 'QUALIFIED'), 'the change made after the read');
    expect(tracked(live).map((u) => u.status)).toEqual(['QUALIFIED']);
    await live.dispose();
  });

  it('delivers a change made straight in the GRC database, whole, across subgraphs', async () => {
    const filed = await fileRequest('e2e-whole');
    const live = filed.follow(ORIGIN);
    const queue = subscribe(gateway, QUEUE, { service: filed.serviceCode, after: ORIGIN }, await agentToken(await agentOf(db, filed.serviceCode)));
    recordings.push(queue);
    await filed.backOffice('QUA');
    await waitFor(() => tracked(live).some((u) => u.status === 'QUALIFIED'), 'the change');
    const update = tracked(live).find((u) => u.status === 'QUALIFIED');
    expect(tracked(live).filter((u) => u.status === 'NEW').length).toBeGreaterThan(0);
    expect(live.codes()).toEqual([]);
    expect(update).toMatchObject({ reference: filed.reference, status: 'QUALIFIED' });
    expect(update!.cursor).toBeTruthy();
    expect(update!.lycee?.name).toBeTruthy();
    expect(update!.lycee?.commune.population).toBeGreaterThan(0);
    expect(update!.timeline.length).toBeGreaterThan(0);
    await waitFor(() => queue.requests().some((r) => r.reference === filed.reference && r.status === 'QUALIFIED'), 'the service queue');

    await live.dispose();
    await queue.dispose();
    await waitFor(async () => (await subscriptionCounts()).upstream === 0, 'upstream subscriptions closed with their clients');
  });

  it('replays exactly the three changes a dropped client missed, in order, then goes live', async () => {
    const filed = await fileRequest('e2e-replay');
    const cursor = await firstCursor(filed);
    for (const status of ['ENC', 'ATT', 'ENC']) await filed.backOffice(status);
    const resumed = filed.follow(cursor);
    await waitFor(() => tracked(resumed).length >= 3, 'the three missed changes');
    await filed.backOffice('RES');
    await waitFor(() => tracked(resumed).length >= 4, 'the live change');
    expect(tracked(resumed).map((u) => u.status)).toEqual(['IN_PROGRESS', 'WAITING_FOR_CITIZEN', 'IN_PROGRESS', 'RESOLVED']);
    expect(new Set(tracked(resumed).map((u) => u.cursor)).size).toBe(4);
  });

  it('resumes the same way on a new gateway after a gateway restart', async () => {
    const filed = await fileRequest('e2e-gateway-restart');
    const cursor = await firstCursor(filed);
    const current = extraGateway ?? system.processes.find((p) => p.name === 'gateway')!;
    await current.stop();
    await filed.backOffice('ENC');
    await filed.backOffice('ATT');
    extraGateway = await launch({
      name: 'gateway-restarted',
      entry: 'gateway/main.ts',
      env: {
        PORT: '0',
        LOG_LEVEL: 'warn',
        REDIS_URL: redis.url,
        SUBGRAPH_URLS: Object.entries(system.subgraphs).map(([name, url]) => `${name}=${url}`).join(','),
      },
    });
    gateway = extraGateway.urls.graphql!;
    const resumed = filed.follow(cursor);
    await waitFor(() => tracked(resumed).length >= 2, 'the changes made while the gateway was down');
    expect(tracked(resumed).map((u) => u.status)).toEqual(['IN_PROGRESS', 'WAITING_FOR_CITIZEN']);
    await resumed.dispose();
  });

  it('loses nothing when Redis restarts mid-stream', async () => {
    const filed = await fileRequest('e2e-redis-restart');
    const live = filed.follow(ORIGIN);
    await filed.backOffice('QUA');
    await waitFor(() => tracked(live).some((u) => u.status === 'QUALIFIED'), 'a first live change');
    const before = tracked(live).length;
    await redis.kill();
    await filed.backOffice('ENC');
    await filed.backOffice('RES');
    await redis.start();
    await waitFor(() => tracked(live).length >= before + 2, 'the changes made while Redis was down');
    await filed.backOffice('CLO');
    await waitFor(() => tracked(live).length >= before + 3, 'a live change after the restart');
    expect(tracked(live).slice(before - 1).map((u) => u.status)).toEqual(['QUALIFIED', 'IN_PROGRESS', 'RESOLVED', 'CLOSED']);
    expect(live.codes()).toEqual([]);
  });
});
