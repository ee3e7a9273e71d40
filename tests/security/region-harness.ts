/**
 * One running region (tests/harness/system.ts: every legacy stand-in, subgraph and the gateway as
 * real processes) set up for the attack suites (region-attacks-*.test.ts): a small GRC seed so it
 * starts fast, a private API key file with partner keys, anonymous rate limits high enough that the
 * suite itself is never refused, the GRC's SQL for before/after counts, and the checks every attack
 * ends with — each process still answers, and an innocent caller gets its normal answer.
 */
import pg from 'pg';
import { expect } from 'vitest';
import { requestsSubgraphEnv } from '../../common/config.ts';
import { readEnv } from '../../common/env.ts';
import { agentClaims, signToken, tokenKey } from '../../subgraphs/kit/index.ts';
import { graphql } from '../harness/graphql.ts';
import { startTestSystem, type TestSystem } from '../harness/system.ts';
import { partnerKeys } from './partner-keys.ts';
import { expectInnocentServed } from './harness.ts';

/** The development AUTH_SECRET every process of the test region uses (nothing overrides it). */
export const AUTH_SECRET = readEnv({ authSecret: requestsSubgraphEnv.authSecret }, {}).authSecret;

/** What an innocent caller asks while an attack runs, and what it must get. */
export const INNOCENT = {
  query: '{ commune(code: "93066") { name departement { code } } }',
  expected: { commune: { name: 'Saint-Denis', departement: { code: '93' } } },
};

export interface Region {
  system: TestSystem;
  gateway: string;
  grc: pg.Client;
  /** Partner keys: `partner` (scope requests:read, ordinary limits), `tiny` (rate `TINY_RATE`), `quota` (daily quota `TINY_QUOTA`). */
  keys: { partner: string; tiny: string; quota: string };
  stop(): Promise<void>;
}

export const TINY_RATE = 3;
export const TINY_QUOTA = 2;

/** Starts the region with `env` on top of the suite's defaults, and warms the gateway up. */
export async function startRegion(env: Record<string, string> = {}): Promise<Region> {
  const { path, keys } = await partnerKeys([
    { name: 'Partner (attack suite)', scopes: ['requests:read'] },
    { name: 'Tiny partner (attack suite)', scopes: [], rate: TINY_RATE },
    { name: 'Quota partner (attack suite)', scopes: [], dailyQuota: TINY_QUOTA },
  ]);
  const system = await startTestSystem({
    GRC_SEED_REQUESTS: '300',
    API_KEYS_PATH: path,
    RATE_LIMIT_ANONYMOUS: '100000',
    RATE_LIMIT_CITIZEN: '100000',
    RATE_LIMIT_AGENT: '100000',
    ...env,
  });
  const grc = new pg.Client(system.legacy.grc);
  try {
    await grc.connect();
    await warmUp(system.gateway);
  } catch (error) {
    await grc.end().catch(() => undefined);
    await system.stop();
    throw error;
  }
  return {
    system,
    gateway: system.gateway,
    grc,
    keys: { partner: keys[0]!, tiny: keys[1]!, quota: keys[2]! },
    async stop() {
      await grc.end().catch(() => undefined);
      await system.stop();
    },
  };
}

/**
 * The first operations of a fresh gateway plan queries and compile code paths; a stall then is the
 * start-up's, not an attack's. Every test measures stalls after this.
 */
async function warmUp(gateway: string): Promise<void> {
  for (let round = 0; round < 3; round += 1) {
    const answers = await Promise.all([
      graphql(gateway, INNOCENT.query),
      graphql(gateway, '{ lycees(first: 5) { edges { node { uai name commune { name } } } } }'),
      graphql(gateway, '{ services { code } categories { code } }'),
      graphql(gateway, '{ commune(code: "75056") { lycees { uai } } }'),
    ]);
    for (const answer of answers) expect(answer.status).toBe(200);
  }
}

/** Every process of the region still answers: the gateway, each subgraph (through it and directly), the innocent query. */
export async function expectAllAlive(region: Region): Promise<void> {
  const health = await fetch(region.gateway.replace(/\/graphql$/, '/health/subgraphs'));
  expect(await health.json()).toEqual({ status: 'ok', subgraphs: { geo: 'ok', lycees: 'ok', requests: 'ok', insights: 'ok' } });
  for (const url of Object.values(region.system.subgraphs)) {
    expect((await fetch(url.replace(/\/graphql$/, '/health'))).status).toBe(200);
  }
  expect(Object.keys(await region.system.calls())).toHaveLength(4);
  expectInnocentServed(await graphql(region.gateway, INNOCENT.query), INNOCENT.expected);
}

/** A development agent token (HS256, AUTH_SECRET), as `npm run token -- --agent <matricule>` prints it. */
export async function agentBearer(matricule: string): Promise<string> {
  return `Bearer ${(await signToken(tokenKey(AUTH_SECRET), agentClaims(matricule), new Date(), 600)).token}`;
}

/** Two open requests of two different services, each with an active agent (from the GRC itself). */
export async function twoServices(grc: pg.Client): Promise<{ a: Staffed; b: Staffed }> {
  const { rows } = await grc.query<{ num_demande: string; code_service: string; matricule: string }>(
    `SELECT DISTINCT ON (s.code_service) d.num_demande, s.code_service, a.matricule
     FROM t_demande d JOIN t_service s USING (id_service) JOIN t_agent a ON a.id_service = s.id_service AND a.actif
     WHERE d.code_statut IN ('NOU', 'QUA', 'ENC') ORDER BY s.code_service, d.num_demande, a.matricule LIMIT 2`,
  );
  const [a, b] = rows;
  if (!a || !b) throw new Error('the seeded GRC has no two services with agents and open requests');
  const staffed = (row: typeof a): Staffed => ({ reference: row.num_demande, service: row.code_service, agent: row.matricule });
  return { a: staffed(a), b: staffed(b) };
}

export interface Staffed {
  /** An open request of the service. */
  reference: string;
  service: string;
  /** An active agent of the service. */
  agent: string;
}

/** A valid intake input about Saint-Denis. */
export function requestInput(description = 'Le chauffage du CDI ne fonctionne plus depuis lundi, merci.'): Record<string, unknown> {
  return {
    subject: 'Chauffage en panne',
    description,
    commune: '93066',
    contact: { name: 'Camille Martin', email: 'camille.martin@example.org' },
    channel: 'WEB',
  };
}

export const SUBMIT = `mutation Submit($input: SubmitRequestInput!, $key: String!) {
  submitRequest(input: $input, idempotencyKey: $key) { trackingToken request { reference } }
}`;

/** Files a request through the gateway as a citizen; its reference and tracking token. */
export async function fileRequest(gateway: string, key: string): Promise<{ reference: string; bearer: string }> {
  const answer = await graphql<{ submitRequest: { trackingToken: string; request: { reference: string } } }>(gateway, SUBMIT, { key, input: requestInput() });
  expect(answer.body.errors).toBeUndefined();
  const { trackingToken, request } = answer.body.data!.submitRequest;
  return { reference: request.reference, bearer: `Bearer ${trackingToken}` };
}
