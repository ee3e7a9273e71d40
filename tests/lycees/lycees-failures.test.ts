/**
 * Failures of the Lycées numériques API, as the subgraph reports them: 503s are retried, and a
 * system still failing after the retries is LEGACY_UNAVAILABLE naming "lycees-api". Faults are
 * deterministic (`failNext`, or a failure rate of 1), so nothing here depends on chance.
 */
import { createServer, type AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { lyceesSubgraphEnv } from '../../common/config.ts';
import { readEnv } from '../../common/env.ts';
import { createLogger } from '../../common/logger.ts';
import { startLyceesSubgraph } from '../../subgraphs/lycees/index.ts';
import { db, startLycees, type LyceesHarness } from './harness.ts';
import { identityHeaders } from '../harness/identity.ts';

let h: LyceesHarness;
beforeAll(async () => {
  h = await startLycees({ subgraph: { UPSTREAM_RETRIES: '2' } });
});
afterAll(() => h.close());
beforeEach(async () => {
  await h.setFaults({ failureRate: 0, failNext: 0 });
  await h.resetCalls();
});

const LYCEE = 'query ($uai: String!) { lycee(uai: $uai) { uai name } }';
const LIST = 'query { lycees(first: 3) { totalCount edges { node { uai } } } }';
const uai = db.etablissements[0]!.uai;

describe('Retries', () => {
  it('absorbs 503s within the retry budget, one extra call per failure', async () => {
    await h.setFaults({ failNext: 2 });
    const response = await h.query(LYCEE, { uai });
    expect(response.errors).toBeUndefined();
    expect(response.data!.lycee).toEqual({ uai, name: db.etablissements[0]!.nom });
    expect((await h.calls()).byRoute).toEqual({ 'POST /api/v1/etablissements/batch': 3 });
  });

  it('retries the paginated list too', async () => {
    await h.setFaults({ failNext: 1 });
    const response = await h.query(LIST);
    expect(response.errors).toBeUndefined();
    expect((await h.calls()).byRoute).toEqual({ 'GET /api/v1/etablissements': 2 });
  });
});

describe('Unavailable system', () => {
  it('reports LEGACY_UNAVAILABLE naming lycees-api once the retries are spent', async () => {
    await h.setFaults({ failNext: 3 });
    const response = await h.query(LYCEE, { uai });
    expect(response.data?.lycee ?? null).toBeNull();
    expect(response.errors![0]!.extensions).toMatchObject({ code: 'LEGACY_UNAVAILABLE', system: 'lycees-api' });
    expect((await h.calls()).total).toBe(3);
  });

  it('reports LEGACY_UNAVAILABLE on every route when every call fails', async () => {
    await h.setFaults({ failureRate: 1 });
    for (const [query, variables] of [
      [LYCEE, { uai }],
      [LIST, {}],
      ['query ($r: [_Any!]!) { _entities(representations: $r) { ... on Commune { lycees { uai } } } }', { r: [{ __typename: 'Commune', code: '75056' }] }],
    ] as const) {
      const response = await h.query(query, variables);
      expect(response.errors?.[0]?.extensions, query).toMatchObject({ code: 'LEGACY_UNAVAILABLE', system: 'lycees-api' });
    }
  });

  it('reports LEGACY_UNAVAILABLE when the API drops every connection', async () => {
    // A listener that hangs up at once stands for a crashed API, without racing for a freed port.
    const dropper = createServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => dropper.listen(0, '127.0.0.1', resolve));
    const { port } = dropper.address() as AddressInfo;
    const subgraph = await startLyceesSubgraph(
      readEnv(lyceesSubgraphEnv, { LYCEES_SUBGRAPH_PORT: '0', LYCEES_API_URL: `http://127.0.0.1:${port}`, UPSTREAM_RETRIES: '0' }),
      createLogger('lycees-test', 'silent'),
    );
    try {
      const response = await fetch(subgraph.urls.graphql!, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...identityHeaders() },
        body: JSON.stringify({ query: LYCEE, variables: { uai } }),
      });
      const body = (await response.json()) as { errors?: { extensions?: Record<string, unknown> }[] };
      expect(body.errors?.[0]?.extensions).toMatchObject({ code: 'LEGACY_UNAVAILABLE', system: 'lycees-api' });
    } finally {
      await subgraph.close();
      await new Promise<void>((resolve) => dropper.close(() => resolve()));
    }
  });
});
