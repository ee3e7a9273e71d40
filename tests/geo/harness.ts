/**
 * The geo stack for tests: the geodata stand-in and geo subgraphs in this process, on port 0.
 * Each `subgraph()` is a new process-lifetime connector, hence a cold cache, so a test that counts
 * geo API calls starts from a known state without depending on the tests before it.
 */
import { geoApiEnv, geoSubgraphEnv } from '../../common/config.ts';
import { readEnv } from '../../common/env.ts';
import { createLogger } from '../../common/logger.ts';
import type { Running } from '../../common/service.ts';
import { startGeoApi } from '../../legacy/geo/index.ts';
import { startGeoSubgraph } from '../../subgraphs/geo/index.ts';
import { graphql, type GraphQLResult } from '../harness/graphql.ts';

const logger = createLogger('geo-test', 'silent');

export interface Calls {
  total: number;
  byRoute: Record<string, number>;
}

export interface GeoSubgraph {
  url: string;
  query<T = Record<string, unknown>>(query: string, variables?: Record<string, unknown>): Promise<GraphQLResult<T>>;
}

export interface GeoStack {
  apiUrl: string;
  /** Starts a geo subgraph over the stand-in (or over `env.GEO_API_URL`); extra variables as in production. */
  subgraph(env?: Record<string, string>): Promise<GeoSubgraph>;
  calls(): Promise<Calls>;
  resetCalls(): Promise<void>;
  setFailureRate(failureRate: number): Promise<void>;
  /** GET on the stand-in: status and parsed body. */
  api<T = unknown>(path: string): Promise<{ status: number; body: T }>;
  stop(): Promise<void>;
}

export async function startGeoStack(): Promise<GeoStack> {
  const api = await startGeoApi(readEnv(geoApiEnv, { GEO_API_PORT: '0', HOST: '127.0.0.1' }), logger);
  const apiUrl = api.urls.http!;
  const running: Running[] = [api];
  const admin = (path: string, body?: unknown) =>
    fetch(`${apiUrl}/__admin/${path}`, body === undefined ? {} : { method: 'POST', body: JSON.stringify(body) });

  return {
    apiUrl,
    async subgraph(env = {}) {
      // No retries by default: a failed call shows up once in the counts and tests stay quick.
      const config = readEnv(geoSubgraphEnv, { GEO_SUBGRAPH_PORT: '0', HOST: '127.0.0.1', GEO_API_URL: apiUrl, UPSTREAM_RETRIES: '0', ...env });
      const subgraph = await startGeoSubgraph(config, logger);
      running.push(subgraph);
      const url = subgraph.urls.graphql!;
      return { url, query: (query, variables) => graphql(url, query, variables) };
    },
    calls: async () => (await (await admin('calls')).json()) as Calls,
    resetCalls: async () => void (await admin('reset', {})).body?.cancel(),
    setFailureRate: async (failureRate) => void (await admin('faults', { failureRate })).body?.cancel(),
    async api<T>(path: string) {
      const response = await fetch(apiUrl + path);
      return { status: response.status, body: (await response.json()) as T };
    },
    async stop() {
      // Subgraphs first: they hold connections to the stand-in.
      for (const service of running.reverse()) await service.close();
    },
  };
}
