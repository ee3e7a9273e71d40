/**
 * Several replicas of the requests subgraph sharing one Redis (a private redis-server, killed and
 * restarted by the tests, never the machine's own), on both storages: a change written into the
 * GRC reaches a subscriber on any replica exactly once, survives a Redis restart and the leader's
 * departure, and a client that goes away leaves nothing subscribed.
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { implementations, startTestGrc, startTestSubgraph, type Grc, type Storage, type Subgraph } from './harness.ts';
import { operatorCredentials } from './identity.ts';
import { REQUEST_UPDATED, startPrivateRedis, subgraphSubscribe, waitFor, type PrivateRedis, type Recording } from './subscriptions-harness.ts';

describe.each(implementations)('Replicas on one Redis, on $name', (implementation) => {
  let storage: Storage;
  let grc: Grc;
  let redis: PrivateRedis;
  let probe: Redis;
  const replicas: Subgraph[] = [];
  const open: Recording[] = [];
  let lastRequestId = 0;
  let token: string;

  const startReplica = async () => {
    const replica = await startTestSubgraph(grc.urls.postgres!, { REDIS_URL: redis.url, CAPTURE_LEASE_MS: '900' });
    replicas.push(replica);
    return replica;
  };
  const freshReference = async () => {
    const [row] = await grc.sql<{ id_demande: number; num_demande: string }>(
      `SELECT id_demande, num_demande FROM t_demande WHERE id_demande > $1 AND code_statut IN ('NOU', 'QUA') ORDER BY id_demande LIMIT 1`,
      [lastRequestId],
    );
    lastRequestId = row!.id_demande;
    return row!.num_demande;
  };
  const streamsOpened = async () => (await grc.calls()).byRoute.journalHead ?? 0;
  /** Subscribes to `reference` on `replica` and waits until the stream is live. */
  const track = async (replica: Subgraph, reference: string) => {
    const before = await streamsOpened();
    const recording = subgraphSubscribe(replica.url, REQUEST_UPDATED, { reference }, token);
    open.push(recording);
    await waitFor(async () => (await streamsOpened()) > before, 'the stream to start');
    return recording;
  };
  const setStatus = (reference: string, code: string) => grc.sql(`UPDATE t_demande SET code_statut = $2 WHERE num_demande = $1`, [reference, code]);
  const statuses = (recording: Recording) => recording.requests().map((r) => r.status);
  const subscribers = async (reference: string) =>
    Number(((await probe.call('PUBSUB', 'NUMSUB', `passerelle:requests:request:${reference}`)) as [string, number])[1]);

  beforeAll(async () => {
    redis = await startPrivateRedis();
    probe = new Redis(redis.url, { maxRetriesPerRequest: null });
    probe.on('error', () => undefined);
    storage = await implementation.createStorage();
    grc = await startTestGrc(storage);
    token = operatorCredentials();
    await startReplica();
    await startReplica();
  });
  afterAll(async () => {
    await Promise.all(open.map((recording) => recording.dispose()));
    for (const replica of replicas) await replica.close();
    probe?.disconnect();
    await grc?.close();
    await storage?.drop();
    await redis?.stop();
  });

  it('a change written into the database reaches a subscriber on either replica exactly once', async () => {
    const reference = await freshReference();
    const onA = await track(replicas[0]!, reference);
    const onB = await track(replicas[1]!, reference);
    await setStatus(reference, 'ENC');
    await setStatus(reference, 'ATT');
    // A last change, received by both, proves nothing else was still on its way.
    await setStatus(reference, 'RES');
    await waitFor(() => statuses(onA).includes('RESOLVED') && statuses(onB).includes('RESOLVED'), 'the changes on both replicas');
    expect(statuses(onA)).toEqual(['IN_PROGRESS', 'WAITING_FOR_CITIZEN', 'RESOLVED']);
    expect(statuses(onB)).toEqual(statuses(onA));
    expect(onB.requests().map((r) => r.cursor)).toEqual(onA.requests().map((r) => r.cursor));
  });

  it('loses nothing when Redis restarts mid-stream: the missed changes arrive once, in order, then live ones', async () => {
    const reference = await freshReference();
    const onA = await track(replicas[0]!, reference);
    const onB = await track(replicas[1]!, reference);
    await setStatus(reference, 'QUA');
    await waitFor(() => onA.results.length === 1 && onB.results.length === 1, 'the first change');

    await redis.kill();
    for (const code of ['ENC', 'ATT', 'ENC']) await setStatus(reference, code);
    await redis.start();
    await waitFor(() => onA.results.length >= 4 && onB.results.length >= 4, 'the changes made while Redis was down');
    await setStatus(reference, 'RES');
    await waitFor(() => statuses(onA).includes('RESOLVED') && statuses(onB).includes('RESOLVED'), 'the live change');
    const expected = ['QUALIFIED', 'IN_PROGRESS', 'WAITING_FOR_CITIZEN', 'IN_PROGRESS', 'RESOLVED'];
    expect(statuses(onA)).toEqual(expected);
    expect(statuses(onB)).toEqual(expected);
    expect(onA.codes()).toEqual([]);
  });

  it('keeps delivering when the replicas that led are gone (a standby takes the lease over)', async () => {
    const standby = await startReplica();
    const reference = await freshReference();
    const recording = await track(standby, reference);
    // Whichever of the first two leads, it is gone now.
    for (const replica of replicas.splice(0, 2)) await replica.close();
    await setStatus(reference, 'ENC');
    await waitFor(() => recording.results.length === 1, 'the change through the new leader');
    expect(statuses(recording)).toEqual(['IN_PROGRESS']);
  });

  it('a client that goes away leaves its channel: no subscriber left on Redis', async () => {
    const replica = replicas.at(-1)!;
    const reference = await freshReference();
    const recordings = [await track(replica, reference), await track(replica, reference)];
    expect(await subscribers(reference)).toBe(1);
    await Promise.all(recordings.map((recording) => recording.dispose()));
    await waitFor(async () => (await subscribers(reference)) === 0, 'the channel to be left');
  });
});
