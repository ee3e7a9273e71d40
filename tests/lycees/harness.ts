/**
 * Starts the Lycées numériques stand-in and the lycées subgraph in-process on port 0, without
 * latency, and gives tests small helpers: GraphQL queries, the stand-in's call counts and faults.
 */
import { lyceesApiEnv, lyceesSubgraphEnv } from '../../common/config.ts';
import { startLyceesApi } from '../../legacy/lycees/index.ts';
import { generateLycees } from '../../legacy/lycees/data.ts';
import { startLyceesSubgraph } from '../../subgraphs/lycees/index.ts';
import type { Faults } from '../../legacy/kit/http-system.ts';
import { startLegacyStack } from '../harness/legacy-stack.ts';

export type { Calls } from '../harness/legacy-stack.ts';

export const SEED = 4242;
/** The stand-in's database for SEED, to pick identifiers and compare answers with. */
export const db = generateLycees(SEED);

export interface GraphQLResponse {
  data?: Record<string, unknown> | null;
  errors?: { message: string; path?: (string | number)[]; extensions?: Record<string, unknown> }[];
}

export async function startLycees(env: { api?: Record<string, string>; subgraph?: Record<string, string> } = {}) {
  const stack = await startLegacyStack({
    name: 'lycees-test',
    // No latency: the production default (20-80 ms a call) would only slow the suite down.
    standIn: { start: startLyceesApi, spec: lyceesApiEnv, port: lyceesApiEnv.port, env: { LYCEES_API_LATENCY_MS: '0', SEED: String(SEED), ...env.api } },
    // No retry override, unlike geo and insights: these tests run with the production setting or set their own.
    subgraph: { start: startLyceesSubgraph, spec: lyceesSubgraphEnv, port: lyceesSubgraphEnv.port, apiUrl: lyceesSubgraphEnv.lyceesApiUrl },
  });
  // Started at once: the lycées tests query one subgraph per harness, through `query`.
  const subgraph = await stack.subgraph(env.subgraph);

  return {
    apiUrl: stack.apiUrl,
    graphqlUrl: subgraph.url,
    /** Calls the stand-in's API directly: GET, or POST when there is a body. */
    rest: (path: string, body?: unknown) => (body === undefined ? stack.api(path) : stack.post(path, body)),
    async query(query: string, variables: Record<string, unknown> = {}): Promise<GraphQLResponse> {
      return (await subgraph.query(query, variables)).body;
    },
    calls: () => stack.calls(),
    resetCalls: () => stack.resetCalls(),
    setFaults: (faults: Partial<Faults>) => stack.setFaults(faults),
    close: () => stack.stop(),
  };
}

export type LyceesHarness = Awaited<ReturnType<typeof startLycees>>;
