/**
 * Issue 8: fewer, smaller subgraph calls. On the heavy benchmark's federation (four subgraphs,
 * entity fetches across three of them, the same products referenced again and again), the engine
 * must answer exactly what stock @apollo/gateway answers while sending fewer requests (sibling
 * entity fetches to one subgraph merged into one) and each distinct representation once per fetch.
 * Counted on the subgraphs themselves, never timed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Supergraph } from '@apollo/federation-internals';
import type { GatewayInterface } from '@apollo/server-gateway-interface';
import { parse, type GraphQLSchema } from 'graphql';
import { gatewayEnv } from '../../common/config.ts';
import { readEnv } from '../../common/env.ts';
import { createIdentitySigner } from '../../common/identity.ts';
import { createLogger } from '../../common/logger.ts';
import { OperationPlanner } from '../../gateway/plan/index.ts';
import { SubgraphDataSource, createPlanRunner, createSubgraphGuards } from '../../gateway/execute/index.ts';
import { createEngine } from '../../gateway/execute/engine/index.ts';
import { createSubgraphClient } from '../../gateway/execute/subgraph-client.ts';
import { buildPipeline, type Principal } from '../../gateway/pipeline.ts';
import { heavyQuery, startHeavyFederation, type HeavyFederation } from '../harness/heavy-federation.ts';

const ANONYMOUS: Principal = { id: 'anonymous', kind: 'anonymous', scopes: [] };
const HEAVY = (JSON.parse(heavyQuery.body) as { query: string }).query;

let federation: HeavyFederation;
let planner: OperationPlanner;

function engines(options: { batch?: boolean; dedup?: boolean } = {}) {
  const config = readEnv(gatewayEnv, {});
  const identity = createIdentitySigner(config.gatewaySecret);
  const pipeline = buildPipeline([]);
  const guards = createSubgraphGuards(config);
  const urls = federation.urls as Record<string, string>;
  const sources = new Map(Object.entries(urls).map(([name, url]) => [name, new SubgraphDataSource({ name, url, pipeline, ...guards.of(name), identity })]));
  const logger = createLogger('engine-fetches', 'silent');
  const stock = createPlanRunner({ dataSources: () => sources, logger });
  const client = createSubgraphClient({ urlOf: (name) => urls[name], guards, pipeline, identity, dedup: options.dedup ?? false });
  return { stock, engine: createEngine({ client, fallback: stock, logger, batch: options.batch }), client, close: () => guards.close() };
}

beforeAll(async () => {
  federation = await startHeavyFederation({ inProcess: true });
  const supergraph = Supergraph.build(federation.supergraphSdl);
  const apiSchema = supergraph.apiSchema().toGraphQLJSSchema();
  planner = new OperationPlanner();
  planner.follow({
    onSchemaLoadOrUpdate: (callback: (update: { apiSchema: GraphQLSchema; coreSupergraphSdl: string }) => void) => (callback({ apiSchema, coreSupergraphSdl: federation.supergraphSdl }), () => {}),
  } as unknown as GatewayInterface);
}, 60_000);

afterAll(async () => {
  await federation?.close();
});

function run(runner: { run: ReturnType<typeof createPlanRunner>['run'] }, query = HEAVY, variables: Record<string, unknown> = {}) {
  const planned = planner.plan(query, parse(query), undefined);
  return runner.run({ planned, variables, context: { principal: ANONYMOUS } });
}

describe('the engine on the heavy query', () => {
  it('answers what stock answers, with fewer requests and no repeated representation', async () => {
    const { stock, engine, close } = engines();
    await federation.resetStats();
    const expected = await run(stock);
    const stockCalls = await federation.stats();
    await federation.resetStats();
    const answer = await run(engine);
    const engineCalls = await federation.stats();
    await close();

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
    const { stock, engine, close } = engines({ batch: false });
    await federation.resetStats();
    const expected = await run(stock);
    const stockCalls = await federation.stats();
    await federation.resetStats();
    const answer = await run(engine);
    const engineCalls = await federation.stats();
    await close();
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
