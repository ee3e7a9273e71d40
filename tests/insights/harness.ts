/**
 * The insights stack for tests: the open data stand-in and insights subgraphs in this process, on
 * port 0. Each `subgraph()` has its own connector, hence a cold programmes cache.
 */
import { insightsSubgraphEnv, opendataApiEnv } from '../../common/config.ts';
import { readEnv } from '../../common/env.ts';
import { createLogger } from '../../common/logger.ts';
import type { Running } from '../../common/service.ts';
import { startOpendataApi } from '../../legacy/opendata/index.ts';
import { startInsightsSubgraph } from '../../subgraphs/insights/index.ts';
import { graphql, type GraphQLResult } from '../harness/graphql.ts';

const logger = createLogger('insights-test', 'silent');
export const SEED = '20260101';
export const RECORDS = '/api/explore/v2.1/catalog/datasets';

export interface Calls {
  total: number;
  byRoute: Record<string, number>;
}

export interface InsightsSubgraph {
  url: string;
  query<T = Record<string, unknown>>(query: string, variables?: Record<string, unknown>): Promise<GraphQLResult<T>>;
}

export interface InsightsStack {
  apiUrl: string;
  /** Starts an insights subgraph over the stand-in (or over `env.OPENDATA_API_URL`). */
  subgraph(env?: Record<string, string>): Promise<InsightsSubgraph>;
  calls(): Promise<Calls>;
  resetCalls(): Promise<void>;
  setFailureRate(failureRate: number): Promise<void>;
  /** GET on the stand-in with query parameters: status and parsed body. */
  api<T = unknown>(path: string, params?: Record<string, string | number>): Promise<{ status: number; body: T }>;
  stop(): Promise<void>;
}

export async function startInsightsStack(): Promise<InsightsStack> {
  const api = await startOpendataApi(readEnv(opendataApiEnv, { OPENDATA_API_PORT: '0', HOST: '127.0.0.1', SEED }), logger);
  const apiUrl = api.urls.http!;
  const running: Running[] = [api];
  const admin = (path: string, body?: unknown) =>
    fetch(`${apiUrl}/__admin/${path}`, body === undefined ? {} : { method: 'POST', body: JSON.stringify(body) });

  return {
    apiUrl,
    async subgraph(env = {}) {
      // No retries by default: a failed call shows up once in the counts and tests stay quick.
      const config = readEnv(insightsSubgraphEnv, {
        INSIGHTS_SUBGRAPH_PORT: '0',
        HOST: '127.0.0.1',
        OPENDATA_API_URL: apiUrl,
        UPSTREAM_RETRIES: '0',
        ...env,
      });
      const subgraph = await startInsightsSubgraph(config, logger);
      running.push(subgraph);
      const url = subgraph.urls.graphql!;
      return { url, query: (query, variables) => graphql(url, query, variables) };
    },
    calls: async () => (await (await admin('calls')).json()) as Calls,
    resetCalls: async () => void (await admin('reset', {})).body?.cancel(),
    setFailureRate: async (failureRate) => void (await admin('faults', { failureRate })).body?.cancel(),
    async api<T>(path: string, params: Record<string, string | number> = {}) {
      const search = new URLSearchParams(Object.entries(params).map(([k, v]): [string, string] => [k, String(v)]));
      const qs = search.toString();
      const response = await fetch(apiUrl + path + (qs ? `?${qs}` : ''));
      return { status: response.status, body: (await response.json()) as T };
    },
    async stop() {
      // Subgraphs first: they hold connections to the stand-in.
      for (const service of running.reverse()) await service.close();
    },
  };
}
