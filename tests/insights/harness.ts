/**
 * The insights stack for tests: the open data stand-in and insights subgraphs in this process, on
 * port 0. Each `subgraph()` has its own connector, hence a cold programmes cache.
 */
import { insightsSubgraphEnv, opendataApiEnv } from '../../common/config.ts';
import { startOpendataApi } from '../../legacy/opendata/index.ts';
import { startInsightsSubgraph } from '../../subgraphs/insights/index.ts';
import { startLegacyStack, type LegacyStack, type LegacySubgraph } from '../harness/legacy-stack.ts';

export const SEED = '20260101';
export const RECORDS = '/api/explore/v2.1/catalog/datasets';

export type { Calls } from '../harness/legacy-stack.ts';
export type InsightsSubgraph = LegacySubgraph;
/** `subgraph(env)` starts an insights subgraph over the stand-in, or over `env.OPENDATA_API_URL`. */
export type InsightsStack = LegacyStack;

export function startInsightsStack(): Promise<InsightsStack> {
  return startLegacyStack({
    name: 'insights-test',
    // The seed is pinned so that the generated records the tests query do not move with the production default.
    standIn: { start: startOpendataApi, spec: opendataApiEnv, port: opendataApiEnv.port, env: { SEED } },
    subgraph: {
      start: startInsightsSubgraph,
      spec: insightsSubgraphEnv,
      port: insightsSubgraphEnv.port,
      apiUrl: insightsSubgraphEnv.opendataApiUrl,
      // No retries by default: a failed call shows up once in the counts and tests stay quick.
      env: { UPSTREAM_RETRIES: '0' },
    },
  });
}
