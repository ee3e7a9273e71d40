/**
 * One legacy system and its subgraph for tests, in this process on port 0: the HTTP stand-in, started
 * once, and as many subgraphs over it as a test asks for, plus the stand-in's `/__admin/*` endpoints
 * (call counts, faults). The geo, insights and lycées harnesses are thin wrappers over this one, so
 * how a stack starts, is observed and stops is written once.
 */
import { readEnv, type Parsed, type Spec, type Variable } from '../../common/env.ts';
import { createLogger, type Logger } from '../../common/logger.ts';
import type { Running } from '../../common/service.ts';
import type { Faults } from '../../legacy/kit/http-system.ts';
import { graphql, type GraphQLResult } from './graphql.ts';
import { identityHeaders } from './identity.ts';

type Env = Record<string, string>;
type Start<S extends Spec> = (config: Parsed<S>, logger: Logger) => Promise<Running>;

/** The stand-in's call counts (`GET /__admin/calls`). */
export interface Calls {
  total: number;
  byRoute: Record<string, number>;
}

export interface LegacyStackOptions<A extends Spec, G extends Spec> {
  /** Name of the (silent) logger both services get. */
  name: string;
  standIn: {
    start: Start<A>;
    spec: A;
    port: Variable<number>;
    /** Over the harness's defaults (port 0, local host): seed, latency… */
    env?: Env;
  };
  subgraph: {
    start: Start<G>;
    spec: G;
    port: Variable<number>;
    /** The variable that points the subgraph at its legacy system, set to the stand-in's URL. */
    apiUrl: Variable<string>;
    /** Defaults of every `subgraph()`, under the variables each call passes. */
    env?: Env;
  };
}

export interface LegacySubgraph {
  url: string;
  query<T = Record<string, unknown>>(query: string, variables?: Record<string, unknown>): Promise<GraphQLResult<T>>;
}

export interface LegacyStack {
  apiUrl: string;
  /**
   * Starts a subgraph over the stand-in (or wherever `env` points its URL variable), with variables as
   * in production. Each has its own connector, hence a cold cache, so a test that counts calls starts
   * from a known state whatever the tests before it did.
   */
  subgraph(env?: Env): Promise<LegacySubgraph>;
  calls(): Promise<Calls>;
  resetCalls(): Promise<void>;
  /** Changes the stand-in's faults live; `failNext` makes the next N calls fail, for exact retry counts. */
  setFaults(faults: Partial<Faults>): Promise<void>;
  setFailureRate(failureRate: number): Promise<void>;
  /** GET on the stand-in, with query parameters: status and parsed body. */
  api<T = unknown>(path: string, params?: Record<string, string | number>): Promise<{ status: number; body: T }>;
  /** POST of a JSON body on the stand-in: status and parsed body. */
  post<T = unknown>(path: string, body: unknown): Promise<{ status: number; body: T }>;
  /** Stops the subgraphs, then the stand-in. */
  stop(): Promise<void>;
}

const LOCAL = '127.0.0.1';
const JSON_BODY = { 'content-type': 'application/json' };

export async function startLegacyStack<A extends Spec, G extends Spec>(options: LegacyStackOptions<A, G>): Promise<LegacyStack> {
  const { standIn, subgraph } = options;
  const logger = createLogger(options.name, 'silent');
  // Port 0 so that test files running in parallel never compete for a port; only the variables given
  // here are read, not the shell's, so a developer's environment cannot change what a test sees.
  const api = await standIn.start(readEnv(standIn.spec, { [standIn.port.name]: '0', HOST: LOCAL, ...standIn.env }), logger);
  const running: Running[] = [api];
  const apiUrl = endpoint(api, 'http');

  async function call<T>(path: string, init: RequestInit = {}): Promise<{ status: number; body: T }> {
    const response = await fetch(apiUrl + path, init);
    return { status: response.status, body: (await response.json()) as T };
  }

  async function admin(action: string, body?: unknown): Promise<Response> {
    const init = body === undefined ? {} : { method: 'POST', headers: JSON_BODY, body: JSON.stringify(body) };
    const response = await fetch(`${apiUrl}/__admin/${action}`, init);
    // A refused admin call would otherwise surface later as a puzzling count or a fault that never came.
    if (!response.ok) throw new Error(`${options.name}: /__admin/${action} answered HTTP ${response.status}`);
    return response;
  }

  async function command(action: string, body: unknown): Promise<void> {
    // The answer only echoes the new state: dropped, so the connection is free at once.
    await (await admin(action, body)).body?.cancel();
  }

  return {
    apiUrl,
    async subgraph(env = {}) {
      const config = readEnv(subgraph.spec, {
        [subgraph.port.name]: '0',
        HOST: LOCAL,
        [subgraph.apiUrl.name]: apiUrl,
        ...subgraph.env,
        ...env,
      });
      const service = await subgraph.start(config, logger);
      running.push(service);
      const url = endpoint(service, 'graphql');
      // As the gateway calls it: with a signed (anonymous) identity and the subgraph's GATEWAY_SECRET.
      const secret = (config as { gatewaySecret?: string }).gatewaySecret;
      return { url, query: (query, variables) => graphql(url, query, variables, { headers: identityHeaders(undefined, secret) }) };
    },
    calls: async () => (await (await admin('calls')).json()) as Calls,
    resetCalls: () => command('reset', {}),
    setFaults: (faults) => command('faults', faults),
    setFailureRate: (failureRate) => command('faults', { failureRate }),
    api: (path, params = {}) => {
      const search = new URLSearchParams(Object.entries(params).map(([k, v]): [string, string] => [k, String(v)])).toString();
      return call(path + (search ? `?${search}` : ''));
    },
    post: (path, body) => call(path, { method: 'POST', headers: JSON_BODY, body: JSON.stringify(body) }),
    async stop() {
      // Subgraphs first: they hold connections to the stand-in. Emptied, so a second stop does nothing.
      for (const service of running.splice(0).reverse()) await service.close();
    },
  };
}

function endpoint(service: Running, name: string): string {
  const url = service.urls[name];
  if (url === undefined) throw new Error(`No ${name} endpoint among: ${Object.keys(service.urls).join(', ')}`);
  return url;
}
