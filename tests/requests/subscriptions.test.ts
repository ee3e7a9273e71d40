/**
 * Real-time tracking through the requests subgraph's graphql-ws endpoint, on both storages:
 * changes written straight into the GRC (as the old back office does) reach `requestUpdated` and
 * `serviceQueue` subscribers; a client resuming with its last cursor gets exactly what it missed,
 * in order, then live changes; only entitled callers may subscribe.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { implementations, startTestGrc, startTestSubgraph, type Grc, type Storage, type Subgraph } from './harness.ts';
import { operatorCredentials } from './identity.ts';
import { REQUEST_UPDATED, SERVICE_QUEUE, agentToken, subgraphSubscribe, trackingToken, waitFor, type Recording } from './subscriptions-harness.ts';

describe.each(implementations)('Subscriptions on $name', (implementation) => {
  let storage: Storage;
  let grc: Grc;
  let subgraph: Subgraph;
  const open: Recording[] = [];
  let lastRequestId = 0;

  /** A request no other test touches, still open, with its service. */
  const freshRequest = async () => {
    const [row] = await grc.sql<{ id_demande: number; num_demande: string; code_service: string }>(
      `SELECT d.id_demande, d.num_demande, s.code_service FROM t_demande d JOIN t_service s USING (id_service)
       WHERE d.code_statut IN ('NOU', 'QUA') AND d.id_demande > $1 ORDER BY d.id_demande LIMIT 1`,
      [lastRequestId],
    );
    lastRequestId = row!.id_demande;
    return { reference: row!.num_demande, service: row!.code_service };
  };
  /** How many streams were opened so far (each reads the journal's head once, through the proxy). */
  const streamsOpened = async () => (await grc.calls()).byRoute.journalHead ?? 0;
  /** Subscribes without `after` and waits until the stream is live, so no change can precede it. */
  const subscribeLive = async (query: string, variables: Record<string, unknown>, authorization: string) => {
    const before = await streamsOpened();
    const recording = subgraphSubscribe(subgraph.url, query, variables, authorization);
    open.push(recording);
    await waitFor(async () => (await streamsOpened()) > before, 'the stream to start');
    return recording;
  };
  const setStatus = (reference: string, code: string) => grc.sql(`UPDATE t_demande SET code_statut = $2 WHERE num_demande = $1`, [reference, code]);

  beforeAll(async () => {
    storage = await implementation.createStorage();
    grc = await startTestGrc(storage);
    subgraph = await startTestSubgraph(grc.urls.postgres!);
  });
  afterAll(async () => {
    await Promise.all(open.map((recording) => recording.dispose()));
    await subgraph?.close();
    await grc?.close();
    await storage?.drop();
  });

  describe('Subscribe', () => {
    it('refuses an anonymous caller (UNAUTHENTICATED) and another request\'s tracking token (FORBIDDEN)', async () => {
      const { reference } = await freshRequest();
      const other = await freshRequest();
      const anonymous = subgraphSubscribe(subgraph.url, REQUEST_UPDATED, { reference });
      const stranger = subgraphSubscribe(subgraph.url, REQUEST_UPDATED, { reference }, await trackingToken(other.reference));
      open.push(anonymous, stranger);
      await waitFor(() => anonymous.completed && stranger.completed, 'both refusals');
      expect(anonymous.codes()).toEqual(['UNAUTHENTICATED']);
      expect(stranger.codes()).toEqual(['FORBIDDEN']);
    });

    it('refuses a malformed cursor with BAD_USER_INPUT naming `after`', async () => {
      const { reference } = await freshRequest();
      const recording = subgraphSubscribe(subgraph.url, REQUEST_UPDATED, { reference, after: 'not-a-cursor' }, await agentToken());
      open.push(recording);
      await waitFor(() => recording.completed, 'the refusal');
      expect(recording.codes()).toEqual(['BAD_USER_INPUT']);
      expect(recording.results[0]!.errors![0]!.extensions).toMatchObject({ argument: 'after' });
    });

    it('over plain HTTP, a subscription is refused (BAD_REQUEST); request(reference) gives the feed position as its cursor, other paths none', async () => {
      const { reference } = await freshRequest();
      const overHttp = await subgraph.query(`subscription($ref: String!) { requestUpdated(reference: $ref) { reference } }`, { ref: reference });
      expect(overHttp.errors?.map((e) => e.extensions?.code)).toEqual(['BAD_REQUEST']);
      const query = await subgraph.query<{ request: { reference: string; cursor: string | null } }>(
        `query($ref: String!) { request(reference: $ref) { reference cursor } }`,
        { ref: reference },
      );
      expect(query.errors).toBeUndefined();
      expect(query.data!.request.reference).toBe(reference);
      // A feed cursor: accepted as `after` by requestUpdated (tests/e2e/tracking.test.ts follows from it).
      expect(Buffer.from(query.data!.request.cursor!, 'base64url').toString('utf8')).toMatch(/^j:\d+:\d+$/);
      const listed = await subgraph.query<{ requests: { edges: { node: { cursor: string | null } }[] } }>('{ requests(first: 1) { edges { node { cursor } } } }');
      expect(listed.data!.requests.edges.map((edge) => edge.node.cursor)).toEqual([null]);
    });

    it('serviceQueue is for agents only, and names an unknown service', async () => {
      const { reference } = await freshRequest();
      const citizen = subgraphSubscribe(subgraph.url, SERVICE_QUEUE, { service: 'TRANSPORTS' }, await trackingToken(reference));
      const unknown = subgraphSubscribe(subgraph.url, SERVICE_QUEUE, { service: 'NOPE' }, await agentToken());
      open.push(citizen, unknown);
      await waitFor(() => citizen.completed && unknown.completed, 'both refusals');
      expect(citizen.codes()).toEqual(['FORBIDDEN']);
      expect(unknown.codes()).toEqual(['BAD_USER_INPUT']);
    });
  });

  describe('Changes made behind Passerelle\'s back', () => {
    it('a direct UPDATE of t_demande, without any event row, reaches a requestUpdated subscriber', async () => {
      const { reference } = await freshRequest();
      const recording = await subscribeLive(REQUEST_UPDATED, { reference }, await trackingToken(reference));
      await setStatus(reference, 'ENC');
      await waitFor(() => recording.results.length >= 1, 'the change');
      expect(recording.codes()).toEqual([]);
      expect(recording.requests()).toEqual([expect.objectContaining({ reference, status: 'IN_PROGRESS', cursor: expect.any(String) })]);
    });

    it('an UPDATE and its event row in one transaction arrive once, as the transaction left the request', async () => {
      const { reference } = await freshRequest();
      const recording = await subscribeLive(REQUEST_UPDATED, { reference }, operatorCredentials());
      await grc.sql(`WITH d AS (UPDATE t_demande SET code_statut = 'ATT' WHERE num_demande = $1 RETURNING id_demande)
        INSERT INTO t_evenement (id_demande, date_evenement, type_evenement, code_statut_avant, code_statut_apres, commentaire, visible_usager, auteur)
        SELECT id_demande, now(), 'STA', 'QUA', 'ATT', 'Merci de nous envoyer une photo.', true, 'AG0001' FROM d`, [reference]);
      await setStatus(reference, 'ENC');
      await waitFor(() => recording.results.length >= 2, 'both changes');
      expect(recording.requests().map((r) => r.status)).toEqual(['WAITING_FOR_CITIZEN', 'IN_PROGRESS']);
      // Fields other than the snapshot's resolve as usual: the event row is in the timeline.
      expect((recording.requests()[0]!.timeline as { status: string }[]).at(-1)).toEqual({ status: 'WAITING_FOR_CITIZEN' });
    });
  });

  describe('Resume', () => {
    it('a client that drops gets exactly the three changes it missed, in order, then live ones', async () => {
      const { reference } = await freshRequest();
      const token = await trackingToken(reference);
      const first = await subscribeLive(REQUEST_UPDATED, { reference }, token);
      await setStatus(reference, 'QUA');
      await waitFor(() => first.results.length === 1, 'the first change');
      const cursor = first.requests()[0]!.cursor;
      await first.dispose();

      for (const code of ['ENC', 'ATT', 'ENC']) await setStatus(reference, code);
      const resumed = subgraphSubscribe(subgraph.url, REQUEST_UPDATED, { reference, after: cursor }, token);
      open.push(resumed);
      await waitFor(() => resumed.results.length >= 3, 'the missed changes');
      await setStatus(reference, 'RES');
      await waitFor(() => resumed.results.length >= 4, 'the live change');
      const received = resumed.requests();
      expect(received.map((r) => r.status)).toEqual(['IN_PROGRESS', 'WAITING_FOR_CITIZEN', 'IN_PROGRESS', 'RESOLVED']);
      expect(new Set(received.map((r) => r.cursor)).size).toBe(4);
      expect(received.map((r) => r.cursor)).not.toContain(cursor);
      // Each version is the request as that change left it.
      const updatedAt = received.map((r) => Date.parse(r.updatedAt as string));
      expect(updatedAt).toEqual([...updatedAt].sort((a, b) => a - b));
    });
  });

  describe('serviceQueue', () => {
    it('gets the changes of its service only, including a request that leaves it', async () => {
      const mine = await freshRequest();
      let foreign = await freshRequest();
      while (foreign.service === mine.service) foreign = await freshRequest();
      const [target] = await grc.sql<{ id: number; code: string }>(
        `SELECT id_service AS id, code_service AS code FROM t_service WHERE code_service NOT IN ($1, $2) ORDER BY id_service LIMIT 1`,
        [mine.service, foreign.service],
      );
      const queue = await subscribeLive(SERVICE_QUEUE, { service: mine.service }, operatorCredentials());
      await setStatus(foreign.reference, 'ENC');
      await setStatus(mine.reference, 'ENC');
      await grc.sql(`UPDATE t_demande SET id_service = $2 WHERE num_demande = $1`, [mine.reference, target!.id]);
      await waitFor(() => queue.results.length >= 2, 'both changes of the service');
      // The foreign change was committed first: had it been delivered, it would be here by now.
      expect(queue.requests()).toEqual([
        expect.objectContaining({ reference: mine.reference, status: 'IN_PROGRESS', service: { code: mine.service } }),
        expect.objectContaining({ reference: mine.reference, service: { code: target!.code } }),
      ]);
    });
  });
});
