/**
 * Starts the Lycées numériques stand-in and the lycées subgraph in-process on port 0, without
 * latency, and gives tests small helpers: GraphQL queries, the stand-in's call counts and faults.
 */
import { readEnv } from '../../common/env.ts';
import { lyceesApiEnv, lyceesSubgraphEnv } from '../../common/config.ts';
import { createLogger } from '../../common/logger.ts';
import { startLyceesApi } from '../../legacy/lycees/index.ts';
import { generateLycees } from '../../legacy/lycees/data.ts';
import { startLyceesSubgraph } from '../../subgraphs/lycees/index.ts';

export const SEED = 4242;
/** The stand-in's database for SEED, to pick identifiers and compare answers with. */
export const db = generateLycees(SEED);

export interface GraphQLResponse {
  data?: Record<string, unknown> | null;
  errors?: { message: string; path?: (string | number)[]; extensions?: Record<string, unknown> }[];
}

export interface Calls {
  total: number;
  byRoute: Record<string, number>;
}

export async function startLycees(env: { api?: Record<string, string>; subgraph?: Record<string, string> } = {}) {
  const logger = createLogger('lycees-test', 'silent');
  const api = await startLyceesApi(
    readEnv(lyceesApiEnv, { LYCEES_API_PORT: '0', LYCEES_API_LATENCY_MS: '0', SEED: String(SEED), ...env.api }),
    logger,
  );
  const apiUrl = api.urls.http!;
  const subgraph = await startLyceesSubgraph(
    readEnv(lyceesSubgraphEnv, { LYCEES_SUBGRAPH_PORT: '0', LYCEES_API_URL: apiUrl, ...env.subgraph }),
    logger,
  );
  const graphqlUrl = subgraph.urls.graphql!;

  const admin = async <T>(action: string, body?: unknown): Promise<T> => {
    const response = await fetch(`${apiUrl}/__admin/${action}`, {
      method: body === undefined && action === 'calls' ? 'GET' : 'POST',
      headers: { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return (await response.json()) as T;
  };

  return {
    apiUrl,
    graphqlUrl,
    /** Calls the stand-in's API directly. */
    async rest(path: string, body?: unknown): Promise<{ status: number; body: unknown }> {
      const response = await fetch(apiUrl + path, {
        method: body === undefined ? 'GET' : 'POST',
        headers: body === undefined ? {} : { 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return { status: response.status, body: await response.json() };
    },
    async query(query: string, variables: Record<string, unknown> = {}): Promise<GraphQLResponse> {
      const response = await fetch(graphqlUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query, variables }),
      });
      return (await response.json()) as GraphQLResponse;
    },
    calls: () => admin<Calls>('calls'),
    resetCalls: () => admin<unknown>('reset', {}),
    setFaults: (faults: { failureRate?: number; failNext?: number; latencyMs?: [number, number] }) => admin<unknown>('faults', faults),
    async close() {
      await subgraph.close();
      await api.close();
    },
  };
}

export type LyceesHarness = Awaited<ReturnType<typeof startLycees>>;
