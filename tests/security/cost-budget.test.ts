/**
 * The budget of estimated cost per window (COST_BUDGET_<ROLE>): each operation weighs its estimate,
 * so a caller may send many small operations or a few large ones, not hundreds of the largest one.
 * The region's gateway runs with no subgraph reachable: only the gateway's decisions are measured.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readEnv } from '../../common/env.ts';
import { gatewayEnv } from '../../common/config.ts';
import { createLogger } from '../../common/logger.ts';
import { startGateway, type RunningGateway } from '../../gateway/index.ts';
import { errorCodes, graphql } from '../harness/graphql.ts';
import { agentToken } from '../requests/subscriptions-harness.ts';

const NOWHERE = 'http://127.0.0.1:9/graphql';
const SUBGRAPH_URLS = ['geo', 'lycees', 'requests', 'insights'].map((name) => `${name}=${NOWHERE}`).join(',');
const env = (extra: Record<string, string>) =>
  readEnv(gatewayEnv, { PORT: '0', LOG_LEVEL: 'silent', SUBGRAPH_URLS, SUBGRAPH_TIMEOUT_MS: '2000', RATE_LIMIT_WINDOW_S: '60', ...extra });

// commune (1) + Commune.lycees @listSize(assumedSize: 100) × Lycee (1) = 101.
const COST_101 = '{ commune(code: "75056") { lycees { name } } }';
const COST_1 = '{ commune(code: "75056") { code } }';

describe('Cost budget per window', () => {
  let gateway: RunningGateway;
  beforeAll(async () => {
    gateway = await startGateway(env({ MAX_COST_ANONYMOUS: '101', COST_BUDGET_ANONYMOUS: '250' }), createLogger('budget-test', 'silent'));
  });
  afterAll(() => gateway?.close());

  it('lets operations through while their estimated costs fit in the budget, then refuses with 429 RATE_LIMITED and Retry-After', async () => {
    for (let i = 0; i < 2; i++) expect(errorCodes(await graphql(gateway.url, COST_101))).not.toContain('RATE_LIMITED');
    const refused = await graphql(gateway.url, COST_101);
    expect(refused.status).toBe(429);
    expect(errorCodes(refused)).toEqual(['RATE_LIMITED']);
    expect(refused.body.errors![0]!.extensions).toMatchObject({ budget: 250, cost: 101, windowS: 60 });
    const retryAfter = Number(refused.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(0);
    expect(refused.body.errors![0]!.extensions!.retryAfter).toBe(retryAfter);
  });

  it('gives back what a refused operation would have cost: a cheaper one still fits', async () => {
    // 202 spent of 250: the refused 101 was not kept, so a cost-1 operation passes.
    expect(errorCodes(await graphql(gateway.url, COST_1))).not.toContain('RATE_LIMITED');
  });

  it("does not touch another caller's budget", async () => {
    const agent = await graphql(gateway.url, COST_101, undefined, { headers: { authorization: await agentToken() } });
    expect(errorCodes(agent)).not.toContain('RATE_LIMITED');
  });
});

describe('Cost budget configuration', () => {
  it('refuses a budget smaller than one allowed operation, naming both variables', async () => {
    await expect(startGateway(env({ MAX_COST_ANONYMOUS: '1000', COST_BUDGET_ANONYMOUS: '999' }), createLogger('budget-test', 'silent'))).rejects.toThrow(
      /COST_BUDGET_ANONYMOUS=999 is below MAX_COST_ANONYMOUS=1000/,
    );
  });

  it('is off with 0', async () => {
    const gateway = await startGateway(env({ MAX_COST_ANONYMOUS: '101', COST_BUDGET_ANONYMOUS: '0' }), createLogger('budget-test', 'silent'));
    try {
      for (let i = 0; i < 5; i++) expect(errorCodes(await graphql(gateway.url, COST_101))).not.toContain('RATE_LIMITED');
    } finally {
      await gateway.close();
    }
  });
});
