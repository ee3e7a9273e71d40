/**
 * Rule: a failing legacy system opens its own circuit breaker in the subgraph that calls it; while
 * open, the fields needing it fail at once with LEGACY_UNAVAILABLE naming it (`reason:
 * "breaker-open"`, the system is not called any more), the rest of the answer comes back, and the
 * subgraph's /health/ready is 503 naming it; once the system is healthy again a half-open probe
 * closes the breaker. Each UPSTREAM_* setting takes effect at its edge.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insightsSubgraphEnv } from '../../common/config.ts';
import { readEnv } from '../../common/env.ts';
import { createLogger } from '../../common/logger.ts';
import { startInsightsSubgraph } from '../../subgraphs/insights/index.ts';
import { graphql } from '../harness/graphql.ts';
import { waitFor } from '../harness/streams.ts';
import { startTestSystem, type TestSystem } from '../harness/system.ts';
import { startInsightsStack, type InsightsStack } from '../insights/harness.ts';

const health = async (graphqlUrl: string, path: 'ready' | 'live') => {
  const response = await fetch(graphqlUrl.replace(/\/graphql$/, `/health/${path}`));
  return { status: response.status, body: (await response.json()) as { status: string; down: string[]; breakers: Record<string, string> } };
};

type Extensions = { code?: string; system?: string; reason?: string };
const firstError = (result: { body: { errors?: { extensions?: Record<string, unknown> }[] } }) => result.body.errors?.[0]?.extensions as Extensions | undefined;

describe('Legacy circuit breakers, end to end through the gateway', () => {
  let system: TestSystem;
  beforeAll(async () => {
    system = await startTestSystem({
      UPSTREAM_RETRIES: '0',
      UPSTREAM_BREAKER_MIN_REQUESTS: '3',
      UPSTREAM_BREAKER_HALF_OPEN_AFTER_MS: '1500',
      RATE_LIMIT_ANONYMOUS: '0',
      // Each query must reach the legacy systems: the public-data cache would answer what it served before.
      PUBLIC_CACHE: 'off',
    });
  }, 120_000);
  afterAll(() => system?.stop());

  /** Queries until a field fails with breaker-open (each failure before it reached the system). */
  async function openBreaker(query: string, legacy: string) {
    for (let i = 0; i < 20; i++) {
      const result = await graphql<{ commune: { name: string } | null }>(system.gateway, query);
      const error = firstError(result);
      expect(error).toMatchObject({ code: 'LEGACY_UNAVAILABLE', system: legacy });
      if (error?.reason === 'breaker-open') return;
    }
    throw new Error(`the breaker of ${legacy} never opened`);
  }

  it('open data failing: insights fails at once, geo still answers, ready is 503, then a probe closes it', async () => {
    const query = '{ commune(code: "93066") { name investments(year: 2025) { amountEur } } }';
    const healthy = await graphql<{ commune: { name: string } }>(system.gateway, query);
    expect(healthy.body.errors).toBeUndefined();
    const name = healthy.body.data!.commune.name;
    expect((await health(system.subgraphs.insights, 'ready')).status).toBe(200);

    await system.setFaults('opendata-api', { failureRate: 1 });
    await openBreaker(query, 'opendata-api');
    const callsWhenOpen = (await system.calls())['opendata-api'];
    for (let i = 0; i < 5; i++) {
      const refused = await graphql<{ commune: { name: string } }>(system.gateway, query);
      expect(refused.body.data?.commune.name).toBe(name);
      expect(firstError(refused)).toMatchObject({ code: 'LEGACY_UNAVAILABLE', system: 'opendata-api', reason: 'breaker-open' });
    }
    expect((await system.calls())['opendata-api']).toBe(callsWhenOpen);
    const ready = await health(system.subgraphs.insights, 'ready');
    expect(ready.status).toBe(503);
    expect(ready.body.down).toEqual(['opendata-api']);
    expect((await health(system.subgraphs.insights, 'live')).status).toBe(200);
    expect((await health(system.subgraphs.geo, 'ready')).status).toBe(200);

    await system.setFaults('opendata-api', { failureRate: 0 });
    await waitFor(async () => (await graphql(system.gateway, query)).body.errors === undefined, 'the open data breaker to close', 20_000);
    expect((await system.calls())['opendata-api']).toBeGreaterThan(callsWhenOpen);
    const after = await health(system.subgraphs.insights, 'ready');
    expect(after.status).toBe(200);
    expect(after.body.breakers['opendata-api']).toBe('closed');
  });

  it('GRC failing: request statistics fail at once naming the GRC, geo still answers, then it closes', async () => {
    const query = '{ commune(code: "93066") { name requestStats { open } } }';
    expect((await graphql(system.gateway, query)).body.errors).toBeUndefined();
    await system.setFaults('grc', { failureRate: 1 });
    try {
      await openBreaker(query, 'grc');
      const callsWhenOpen = (await system.calls()).grc;
      const refused = await graphql<{ commune: { name: string } }>(system.gateway, query);
      expect(refused.body.data?.commune.name).toBeTruthy();
      expect(firstError(refused)).toMatchObject({ code: 'LEGACY_UNAVAILABLE', system: 'grc', reason: 'breaker-open' });
      expect((await system.calls()).grc).toBe(callsWhenOpen);
      const ready = await health(system.subgraphs.requests, 'ready');
      expect(ready.status).toBe(503);
      expect(ready.body.down).toContain('grc');
    } finally {
      await system.setFaults('grc', { failureRate: 0 });
    }
    await waitFor(async () => (await graphql(system.gateway, query)).body.errors === undefined, 'the GRC breaker to close', 20_000);
    expect((await health(system.subgraphs.requests, 'ready')).status).toBe(200);
  });
});

describe('UPSTREAM_* settings at their edges (insights over the open data stand-in)', () => {
  let stack: InsightsStack;
  beforeAll(async () => {
    stack = await startInsightsStack();
  });
  afterAll(() => stack.stop());

  const PROGRAMMES = '{ programmes { id } }';
  const outcomes = async (subgraph: { query: (q: string) => Promise<{ body: { errors?: { extensions?: Record<string, unknown> }[] } }> }, n: number) => {
    const seen: string[] = [];
    for (let i = 0; i < n; i++) seen.push(String(firstError(await subgraph.query(PROGRAMMES))?.reason ?? 'failed'));
    return seen;
  };

  it('UPSTREAM_BREAKER_FAILURE_RATIO=1 never opens: every call reaches the system', async () => {
    const subgraph = await stack.subgraph({ UPSTREAM_BREAKER_FAILURE_RATIO: '1', UPSTREAM_BREAKER_MIN_REQUESTS: '1' });
    await stack.setFailureRate(1);
    await stack.resetCalls();
    expect(await outcomes(subgraph, 12)).toEqual(Array(12).fill('failed'));
    expect((await stack.calls()).total).toBe(12);
    expect((await health(subgraph.url, 'ready')).status).toBe(200);
    await stack.setFailureRate(0);
  });

  it('UPSTREAM_BREAKER_MIN_REQUESTS: opens only once that many calls failed', async () => {
    const subgraph = await stack.subgraph({ UPSTREAM_BREAKER_MIN_REQUESTS: '4', UPSTREAM_BREAKER_HALF_OPEN_AFTER_MS: '60000' });
    await stack.setFailureRate(1);
    await stack.resetCalls();
    expect(await outcomes(subgraph, 6)).toEqual(['failed', 'failed', 'failed', 'failed', 'breaker-open', 'breaker-open']);
    expect((await stack.calls()).total).toBe(4);
    await stack.setFailureRate(0);
  });

  it('UPSTREAM_BREAKER_HALF_OPEN_AFTER_MS: after it, ready again (half-open) and the next call probes', async () => {
    const subgraph = await stack.subgraph({ UPSTREAM_BREAKER_MIN_REQUESTS: '1', UPSTREAM_BREAKER_HALF_OPEN_AFTER_MS: '300' });
    await stack.setFailureRate(1);
    expect(await outcomes(subgraph, 2)).toEqual(['failed', 'breaker-open']);
    expect((await health(subgraph.url, 'ready')).body.breakers['opendata-api']).toBe('open');
    await stack.setFailureRate(0);
    await waitFor(async () => (await health(subgraph.url, 'ready')).status === 200, 'half-open', 5_000);
    expect((await subgraph.query(PROGRAMMES)).body.errors).toBeUndefined();
    expect((await health(subgraph.url, 'ready')).body.breakers['opendata-api']).toBe('closed');
  });

  it('UPSTREAM_BULKHEAD_QUEUE=0 with one connection refuses a second call at once', async () => {
    const subgraph = await stack.subgraph({ UPSTREAM_CONNECTIONS: '1', UPSTREAM_BULKHEAD_QUEUE: '0' });
    // Two requests for different communes: two calls (programmes, shared and cached, are warmed first).
    const investments = (code: string) =>
      subgraph.query(`{ _entities(representations: [{ __typename: "Commune", code: "${code}", population: 1, requestStats: { open: 0 } }]) { ... on Commune { investments { id } } } }`);
    expect((await investments('93066')).body.errors).toBeUndefined();
    await stack.setFaults({ latencyMs: [400, 400] });
    try {
      const [a, b] = await Promise.all([investments('93048'), investments('94028')]);
      const reasons = [firstError(a)?.reason, firstError(b)?.reason];
      expect(reasons.filter((reason) => reason === 'bulkhead-full')).toHaveLength(1);
      expect(firstError(a)?.code ?? firstError(b)?.code).toBe('LEGACY_UNAVAILABLE');
    } finally {
      await stack.setFaults({ latencyMs: [0, 0] });
    }
  });

  it('UPSTREAM_RETRY_BUDGET_*: retries come from the budget; an empty one retries nothing', async () => {
    const spendthrift = await stack.subgraph({ UPSTREAM_RETRIES: '2', UPSTREAM_BREAKER_FAILURE_RATIO: '1' });
    const broke = await stack.subgraph({ UPSTREAM_RETRIES: '2', UPSTREAM_BREAKER_FAILURE_RATIO: '1', UPSTREAM_RETRY_BUDGET_RESERVE: '0', UPSTREAM_RETRY_BUDGET_RATIO: '0' });
    await stack.setFailureRate(1);
    await stack.resetCalls();
    await spendthrift.query(PROGRAMMES);
    expect((await stack.calls()).total).toBe(3);
    await stack.resetCalls();
    await broke.query(PROGRAMMES);
    expect((await stack.calls()).total).toBe(1);
    await stack.setFailureRate(0);
  });

  it('SHUTDOWN_DELAY_MS: a closing subgraph says draining on /health/ready while still serving', async () => {
    const config = readEnv(insightsSubgraphEnv, { INSIGHTS_SUBGRAPH_PORT: '0', HOST: '127.0.0.1', OPENDATA_API_URL: stack.apiUrl, SHUTDOWN_DELAY_MS: '500' });
    const running = await startInsightsSubgraph(config, createLogger('insights-drain', 'silent'));
    const url = running.urls.graphql!;
    expect((await health(url, 'ready')).status).toBe(200);
    const closing = running.close();
    const ready = await health(url, 'ready');
    expect(ready.status).toBe(503);
    expect(ready.body.status).toBe('draining');
    expect((await health(url, 'live')).status).toBe(200);
    await closing;
    await expect(fetch(url.replace(/\/graphql$/, '/health/live'))).rejects.toThrow();
  });
});
