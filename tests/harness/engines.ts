/**
 * Stock @apollo/gateway's plan walker and Passerelle's engine side by side on the same subgraphs,
 * for tests that run one plan on both and compare (answers, calls reaching each subgraph).
 *
 *   const planner = await plannerFor(supergraphSdl);
 *   const { stock, engine, close } = stockAndEngine(urls);
 *   const planned = planner.plan(query, parse(query), undefined);
 *   await stock.run({ planned, variables: {}, context: { principal } });
 */
import { gatewayEnv } from '../../common/config.ts';
import { readEnv } from '../../common/env.ts';
import { createIdentitySigner } from '../../common/identity.ts';
import { createLogger } from '../../common/logger.ts';
import { OperationPlanner } from '../../gateway/plan/index.ts';
import { SubgraphDataSource, createEngine, createPlanRunner, createSubgraphClient, createSubgraphGuards } from '../../gateway/execute/index.ts';
import { buildPipeline } from '../../gateway/pipeline.ts';

/** A planner holding `supergraphSdl`, as the gateway's does. */
export async function plannerFor(supergraphSdl: string): Promise<OperationPlanner> {
  const planner = new OperationPlanner();
  await planner.load(supergraphSdl);
  return planner;
}

/** Both runners on `urls` (subgraph name → URL), signing as the gateway does with the development secret. */
export function stockAndEngine(urls: Readonly<Record<string, string>>, options: { batch?: boolean; dedup?: boolean } = {}) {
  const config = readEnv(gatewayEnv, {});
  const identity = createIdentitySigner(config.gatewaySecret);
  const pipeline = buildPipeline([]);
  const guards = createSubgraphGuards(config);
  const sources = new Map(Object.entries(urls).map(([name, url]) => [name, new SubgraphDataSource({ name, url, pipeline, ...guards.of(name), identity })]));
  const logger = createLogger('engines', 'silent');
  const stock = createPlanRunner({ dataSources: () => sources, logger });
  const client = createSubgraphClient({ urlOf: (name) => urls[name], guards, pipeline, identity, dedup: options.dedup ?? false });
  const engine = createEngine({ client, fallback: stock, logger, batch: options.batch });
  return { stock, engine, client, close: () => guards.close() };
}
