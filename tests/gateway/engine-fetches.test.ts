/**
 * Issue 8: fewer, smaller subgraph calls. On the heavy benchmark's federation (four subgraphs,
 * entity fetches across three of them, the same products referenced again and again), the engine
 * must answer exactly what stock @apollo/gateway answers while sending fewer requests (sibling
 * entity fetches to one subgraph merged into one) and each distinct representation once per fetch.
 * Counted on the subgraphs themselves, never timed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'graphql';
import { OperationPlanner } from '../../gateway/plan/index.ts';
import type { Principal } from '../../gateway/pipeline.ts';
import type { PlanRunner } from '../../gateway/execute/index.ts';
import { plannerFor, stockAndEngine } from '../harness/engines.ts';
import { heavyQuery, startHeavyFederation, type HeavyFederation } from '../harness/heavy-federation.ts';

const ANONYMOUS: Principal = { id: 'anonymous', kind: 'anonymous', scopes: [] };
const HEAVY = (JSON.parse(heavyQuery.body) as { query: string }).query;

let federation: HeavyFederation;
let planner: OperationPlanner;

const engines = (options: { batch?: boolean; dedup?: boolean } = {}) => stockAndEngine(federation.urls, options);

beforeAll(async () => {
  federation = await startHeavyFederation({ inProcess: true });
  planner = await plannerFor(federation.supergraphSdl);
}, 60_000);

afterAll(async () => {
  await federation?.close();
});

function run(runner: Pick<PlanRunner, 'run'>, query = HEAVY, variables: Record<string, unknown> = {}) {
  const planned = planner.plan(query, parse(query), undefined);
  return runner.run({ planned, variables, context: { principal: ANONYMOUS } });
}

/** The heavy query on stock, then on the engine, with what each made the subgraphs receive. */
async function stockThenEngine(options: { batch?: boolean } = {}) {
  const { stock, engine, close } = engines(options);
  try {
    await federation.resetStats();
    const expected = await run(stock);
    const stockCalls = await federation.stats();
    await federation.resetStats();
    const answer = await run(engine);
    const engineCalls = await federation.stats();
    return { expected, stockCalls, answer, engineCalls };
  } finally {
    await close();
  }
}

describe('the engine on the heavy query', () => {
  it('answers what stock answers, with fewer requests and no repeated representation', async () => {
    const { expected, stockCalls, answer, engineCalls } = await stockThenEngine();

    expect(expected.errors).toBeUndefined();
    expect(answer.errors).toBeUndefined();
    expect(JSON.stringify(answer.data)).toBe(JSON.stringify(expected.data));
    expect(JSON.stringify(answer.data).length).toBeGreaterThan(10_000);

    const total = (calls: typeof stockCalls, key: 'requests' | 'representations' | 'requestBytes') => Object.values(calls).reduce((sum, stats) => sum + stats[key], 0);
    // Sibling entity fetches to one subgraph go as one request: strictly fewer requests in all.
    expect(total(engineCalls, 'requests')).toBeLessThan(total(stockCalls, 'requests'));
    // Each distinct representation once per fetch: stock repeats the same few products many times.
    expect(total(engineCalls, 'representations')).toBeLessThan(total(stockCalls, 'representations') / 2);
    expect(total(engineCalls, 'requestBytes')).toBeLessThan(total(stockCalls, 'requestBytes') / 2);
    for (const name of Object.keys(stockCalls) as (keyof typeof stockCalls)[]) {
      expect(engineCalls[name].requests, name).toBeLessThanOrEqual(stockCalls[name].requests);
    }
  });

  it('without batching, the same requests as stock but each representation once', async () => {
    const { expected, stockCalls, answer, engineCalls } = await stockThenEngine({ batch: false });
    expect(JSON.stringify(answer.data)).toBe(JSON.stringify(expected.data));
    for (const name of Object.keys(stockCalls) as (keyof typeof stockCalls)[]) {
      expect(engineCalls[name].requests, name).toBe(stockCalls[name].requests);
      expect(engineCalls[name].representations, name).toBeLessThanOrEqual(stockCalls[name].representations);
    }
  });

  it('identical concurrent operations share their subgraph requests (in-flight de-duplication)', async () => {
    const alone = engines({ dedup: true });
    await federation.resetStats();
    await run(alone.engine);
    const one = await federation.stats();
    await federation.resetStats();
    const answers = await Promise.all(Array.from({ length: 5 }, () => run(alone.engine)));
    const five = await federation.stats();
    await alone.close();
    for (const answer of answers) expect(JSON.stringify(answer.data)).toBe(JSON.stringify(answers[0]!.data));
    const requests = (calls: typeof one) => Object.values(calls).reduce((sum, stats) => sum + stats.requests, 0);
    // Five callers at once cost fewer requests than five callers one after the other would.
    expect(requests(five)).toBeLessThan(5 * requests(one));
  });

  it('a trivial one-subgraph query is one request', async () => {
    const { engine, close } = engines();
    await federation.resetStats();
    const answer = await run(engine, '{ topProducts { upc name } }');
    const calls = await federation.stats();
    await close();
    expect(answer.errors).toBeUndefined();
    expect(Object.values(calls).reduce((sum, stats) => sum + stats.requests, 0)).toBe(1);
  });
});
