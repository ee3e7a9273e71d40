/**
 * Harness of the intake and workflow suites: a GRC stand-in on one storage, the geodata and Lycées
 * stand-ins the intake checks communes and lycées against (no latency), and the requests subgraph
 * pointed at all three, every one on port 0. Calls may carry a bearer token, as the gateway
 * forwards it.
 */
import { randomUUID } from 'node:crypto';
import { geoApiEnv, lyceesApiEnv, requestsSubgraphEnv } from '../../common/config.ts';
import { readEnv } from '../../common/env.ts';
import { createLogger } from '../../common/logger.ts';
import type { Running } from '../../common/service.ts';
import { startGeoApi } from '../../legacy/geo/index.ts';
import { startLyceesApi } from '../../legacy/lycees/index.ts';
import { agentClaims, signToken, tokenKey, type TokenClaims } from '../../subgraphs/kit/index.ts';
import { TEST_SEED, startTestGrc, startTestSubgraph, type GraphQLResponse, type Grc, type Implementation, type Storage, type Subgraph } from './harness.ts';
import { IDENTITY_HEADER } from '../../common/identity.ts';
import { identityHeaders } from './identity.ts';

const logger = createLogger('test', 'silent');
/** The secret the subgraph verifies with when AUTH_SECRET is unset. */
export const AUTH_SECRET = readEnv(requestsSubgraphEnv, {}).authSecret;
export const KEY = tokenKey(AUTH_SECRET);

export interface IntakeSystem {
  grc: Grc;
  subgraph: Subgraph;
  lyceesApiUrl: string;
  /** A GraphQL call with an optional bearer token (turned into a gateway-signed identity), or an identity itself. */
  call<T = Record<string, unknown>>(query: string, variables?: Record<string, unknown>, token?: string | { identity: string }): Promise<GraphQLResponse<T>>;
  close(): Promise<void>;
}

export async function startIntakeSystem(implementation: Implementation, env: Record<string, string> = {}): Promise<IntakeSystem> {
  const storage: Storage = await implementation.createStorage();
  const closers: (() => Promise<void>)[] = [() => storage.drop()];
  const close = async () => {
    for (const closer of closers.reverse()) await closer().catch(() => undefined);
  };
  try {
    const grc = await startTestGrc(storage);
    closers.push(() => grc.close());
    const geo: Running = await startGeoApi(readEnv(geoApiEnv, { GEO_API_PORT: '0', GEO_API_LATENCY_MS: '0' }), logger);
    closers.push(() => geo.close());
    const lycees: Running = await startLyceesApi(readEnv(lyceesApiEnv, { LYCEES_API_PORT: '0', LYCEES_API_LATENCY_MS: '0', SEED: String(TEST_SEED) }), logger);
    closers.push(() => lycees.close());
    const subgraph = await startTestSubgraph(grc.urls.postgres!, { GEO_API_URL: geo.urls.http!, LYCEES_API_URL: lycees.urls.http!, ...env });
    closers.push(() => subgraph.close());
    return {
      grc,
      subgraph,
      lyceesApiUrl: lycees.urls.http!,
      async call<T>(query: string, variables: Record<string, unknown> = {}, token?: string | { identity: string }) {
        // As the gateway does: the token becomes a gateway-signed identity.
        const identity = typeof token === 'object' ? { [IDENTITY_HEADER]: token.identity } : await identityHeaders(token);
        const headers: Record<string, string> = { 'content-type': 'application/json', ...identity };
        const response = await fetch(subgraph.url, { method: 'POST', headers, body: JSON.stringify({ query, variables }) });
        return (await response.json()) as GraphQLResponse<T>;
      },
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}

export async function token(claims: TokenClaims, ttlSeconds = 600): Promise<string> {
  return (await signToken(KEY, claims, new Date(), ttlSeconds)).token;
}

export const agentToken = (matricule = 'AG0001') => token(agentClaims(matricule));

export const SUBMIT = `mutation Submit($input: SubmitRequestInput!, $key: String!) {
  submitRequest(input: $input, idempotencyKey: $key) {
    request { id reference status subject createdAt service { code } category { code } commune { code } lycee { uai } }
    trackingToken trackingTokenExpiresAt
    routing { service { code name } rule matched }
  }
}`;

export interface SubmitAnswer {
  request: {
    id: string;
    reference: string;
    status: string;
    subject: string;
    createdAt: string;
    service: { code: string };
    category: { code: string };
    commune: { code: string };
    lycee: { uai: string } | null;
  };
  trackingToken: string;
  trackingTokenExpiresAt: string;
  routing: { service: { code: string; name: string }; rule: string; matched: string | null };
}

/** A valid input, with a unique subject so each test finds its own rows; `overrides` replace fields. */
export function requestInput(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    subject: `Demande de test ${randomUUID().slice(0, 8)}`,
    description: 'Bonjour, je souhaite obtenir un renseignement sur vos horaires.',
    category: 'TRA-ABO',
    commune: '93066',
    contact: { name: 'Camille Martin', email: 'camille.martin@courriel.example', phone: '06 12 34 56 78' },
    channel: 'WEB',
    ...overrides,
  };
}

/** Submits and expects success. */
export async function submit(system: IntakeSystem, input: Record<string, unknown> = requestInput(), key: string = randomUUID()): Promise<SubmitAnswer> {
  const response = await system.call<{ submitRequest: SubmitAnswer }>(SUBMIT, { input, key });
  if (response.errors) throw new Error(`submitRequest failed: ${JSON.stringify(response.errors)}`);
  return response.data!.submitRequest;
}
