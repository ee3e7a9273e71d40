/**
 * A subgraph that dies under a live subscription costs the client only a pause: the gateway
 * re-subscribes by itself, with backoff, from the last cursor it received, once the requests
 * subgraph is back on its port. The changes made to the GRC while it was down arrive once each, in
 * order, and the client's connection to the gateway never closes.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launch, type LaunchedProcess } from '../../scripts/launcher.ts';
import { graphql } from '../harness/graphql.ts';
import { startTestSystem, type TestSystem } from '../harness/system.ts';
import { subscribeWs, waitFor, type Recording } from '../harness/streams.ts';
import { startPrivateRedis, type PrivateRedis } from '../requests/subscriptions-harness.ts';

const TRACK = /* GraphQL */ `
  subscription Track($reference: String!) {
    requestUpdated(reference: $reference) { reference status lycee { name } }
  }`;

let redis: PrivateRedis;
let system: TestSystem;
let db: pg.Client;
let restarted: LaunchedProcess | undefined;
let client: Recording | undefined;

beforeAll(async () => {
  redis = await startPrivateRedis();
  system = await startTestSystem({ REDIS_URL: redis.url });
  db = new pg.Client(system.legacy.grc);
  await db.connect();
});

afterAll(async () => {
  client?.dispose();
  await db?.end();
  await restarted?.stop();
  await system?.stop();
  await redis?.stop();
});

/** Files a request about a lycée through the gateway, as a citizen would; its reference and tracking token. */
async function fileRequest(): Promise<{ reference: string; token: string }> {
  const lycees = await graphql<{ lycees: { edges: { node: { uai: string; commune: { code: string } } }[] } }>(
    system.gateway,
    '{ lycees(filter: { departement: "93" }, first: 1) { edges { node { uai commune { code } } } } }',
  );
  const lycee = lycees.body.data!.lycees.edges[0]!.node;
  const submitted = await graphql<{ submitRequest: { trackingToken: string; request: { reference: string } } }>(
    system.gateway,
    `mutation Submit($input: SubmitRequestInput!, $key: String!) {
      submitRequest(input: $input, idempotencyKey: $key) { trackingToken request { reference } }
    }`,
    {
      key: 'e2e-upstream-reconnect',
      input: {
        subject: 'Fenêtre cassée en salle 12',
        description: 'Une vitre de la salle 12 est fendue depuis la tempête de mardi dernier.',
        commune: lycee.commune.code,
        lycee: lycee.uai,
        contact: { name: 'Camille Martin', email: 'camille.martin@example.org' },
        channel: 'WEB',
      },
    },
  );
  expect(submitted.body.errors).toBeUndefined();
  const { trackingToken, request } = submitted.body.data!.submitRequest;
  return { reference: request.reference, token: trackingToken };
}

describe('Upstream reconnect', () => {
  it('resumes a live subscription from its last cursor when the requests subgraph is killed and started again', async () => {
    const { reference, token } = await fileRequest();
    const backOffice = (status: string) => db.query('UPDATE t_demande SET code_statut = $1 WHERE num_demande = $2', [status, reference]);
    const statuses = () => client!.results.map((r) => (r.data as { requestUpdated: { status: string } } | undefined)?.requestUpdated.status);

    client = subscribeWs(system.gateway, { query: TRACK, variables: { reference }, authorization: `Bearer ${token}` });
    // Live from now on: a change is sent until the subscription is surely set up upstream.
    await waitFor(async () => {
      if (statuses().includes('QUALIFIED')) return true;
      await backOffice('QUA');
      await new Promise((resolve) => setTimeout(resolve, 200));
      return statuses().includes('QUALIFIED');
    }, 'the first live change');
    // Every 'QUA' the loop wrote is a change of its own (the trigger journals each write): let them
    // all arrive before counting, so that nothing below is mistaken for a duplicate.
    let seen = -1;
    await waitFor(async () => {
      const now = client!.results.length;
      const quiet = now === seen;
      seen = now;
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      return quiet;
    }, 'the first changes to settle');
    const before = client.results.length;

    // Killed, not stopped: no goodbye on the upstream socket.
    const requests = system.processes.find((p) => p.name === 'requests')!;
    const port = new URL(system.subgraphs.requests).port;
    requests.child.kill('SIGKILL');
    await new Promise<void>((resolve) => (requests.child.exitCode !== null || requests.child.signalCode !== null ? resolve() : requests.child.once('exit', () => resolve())));

    await backOffice('ENC');
    await backOffice('ATT');
    restarted = await launch({
      name: 'requests-restarted',
      entry: 'subgraphs/requests/main.ts',
      env: {
        LOG_LEVEL: 'warn',
        REDIS_URL: redis.url,
        REQUESTS_SUBGRAPH_PORT: port,
        GRC_DATABASE_URL: system.legacy.grc,
        GEO_API_URL: system.legacy.geoApi,
        LYCEES_API_URL: system.legacy.lyceesApi,
      },
    });
    await waitFor(() => client!.results.length >= before + 2, 'the changes made while the subgraph was down', 60_000);
    await backOffice('RES');
    await waitFor(() => client!.results.length >= before + 3, 'a live change after the restart', 30_000);

    expect(statuses().slice(before - 1)).toEqual(['QUALIFIED', 'IN_PROGRESS', 'WAITING_FOR_CITIZEN', 'RESOLVED']);
    expect(client.results.every((r) => r.errors === undefined)).toBe(true);
    expect((client.results.at(-1)!.data as { requestUpdated: { lycee: { name: string } } }).requestUpdated.lycee.name).toBeTruthy();
    expect(client.error).toBeUndefined();
    expect(client.completed).toBe(false);
    expect(client.closeCode).toBeUndefined();
  });
});
