/**
 * Test harness of the GRC stand-in and the requests subgraph. Every suite runs against both
 * storages of the stand-in (graphql-ws style: one loop over the implementations):
 * - `pglite`: the embedded PGlite, in memory, served through pglite-socket;
 * - `postgresql`: the real PostgreSQL at 127.0.0.1:5432, in a fresh database with a random name
 *   per storage (created here, dropped at the end), so parallel runs never collide. Skipped, with
 *   a message, when no server answers.
 */
import { randomBytes } from 'node:crypto';
import { userInfo } from 'node:os';
import pg from 'pg';
import { grcEnv, requestsSubgraphEnv } from '../../common/config.ts';
import { readEnv } from '../../common/env.ts';
import { createLogger } from '../../common/logger.ts';
import type { Running } from '../../common/service.ts';
import { startGrc } from '../../legacy/grc/index.ts';
import { startRequestsSubgraph } from '../../subgraphs/requests/index.ts';
import { IDENTITY_HEADER } from '../../common/identity.ts';
import { OPERATOR, signedIdentity } from './identity.ts';

/** Requests seeded by the suites: enough for every filter to match something, quick to seed. */
export const TEST_REQUESTS = 800;
export const TEST_SEED = 20260101;

const POSTGRES_HOST = '127.0.0.1:5432';
const POSTGRES_ADMIN_DATABASE = 'test';
const logger = createLogger('test', 'silent');

export interface Storage {
  /** Environment of a GRC stand-in on this storage. */
  env: Record<string, string>;
  drop(): Promise<void>;
}

export interface Implementation {
  name: 'pglite' | 'postgresql';
  /** A fresh, empty storage. */
  createStorage(): Promise<Storage>;
}

const pglite: Implementation = {
  name: 'pglite',
  createStorage: async () => ({ env: { GRC_DATA_DIR: 'memory' }, drop: async () => undefined }),
};

/** Finds a superuser-ish role the local PostgreSQL trusts: `postgres`, else the OS user. */
async function postgresUser(): Promise<string | null> {
  for (const user of ['postgres', userInfo().username]) {
    const client = new pg.Client({ connectionString: `postgres://${user}@${POSTGRES_HOST}/${POSTGRES_ADMIN_DATABASE}`, connectionTimeoutMillis: 2000 });
    try {
      await client.connect();
      await client.end();
      return user;
    } catch {
      await client.end().catch(() => undefined);
    }
  }
  return null;
}

function postgresImplementation(user: string): Implementation {
  const admin = async <T>(work: (client: pg.Client) => Promise<T>): Promise<T> => {
    const client = new pg.Client(`postgres://${user}@${POSTGRES_HOST}/${POSTGRES_ADMIN_DATABASE}`);
    await client.connect();
    try {
      return await work(client);
    } finally {
      await client.end();
    }
  };
  return {
    name: 'postgresql',
    async createStorage() {
      const name = `grc_test_${randomBytes(6).toString('hex')}`;
      await admin((client) => client.query(`CREATE DATABASE ${name}`));
      return {
        env: { DATABASE_URL: `postgres://${user}@${POSTGRES_HOST}/${name}` },
        drop: () => admin((client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).then(() => undefined),
      };
    },
  };
}

const user = await postgresUser();
if (!user) console.warn(`No PostgreSQL trusts us at ${POSTGRES_HOST}: the "postgresql" implementation is skipped.`);

/** The implementations every suite loops over. */
export const implementations: Implementation[] = user ? [pglite, postgresImplementation(user)] : [pglite];

export interface CallSnapshot {
  total: number;
  byRoute: Record<string, number>;
}

/** A running GRC stand-in on its own storage, with its admin endpoints at hand. */
export interface Grc {
  urls: Record<string, string>;
  /** A pg pool on the stand-in's proxy (its queries are counted too). */
  sql<R = Record<string, unknown>>(text: string, params?: unknown[]): Promise<R[]>;
  calls(): Promise<CallSnapshot>;
  resetCalls(): Promise<void>;
  setFaults(faults: { latencyMs?: [number, number]; failureRate?: number }): Promise<void>;
  close(): Promise<void>;
}

export async function startTestGrc(storage: Storage, env: Record<string, string> = {}): Promise<Grc> {
  const config = readEnv(grcEnv, {
    GRC_PORT: '0',
    GRC_ADMIN_PORT: '0',
    SEED: String(TEST_SEED),
    GRC_SEED_REQUESTS: String(TEST_REQUESTS),
    ...storage.env,
    ...env,
  });
  const running: Running = await startGrc(config, logger);
  const pool = new pg.Pool({ connectionString: running.urls.postgres, max: 4 });
  pool.on('error', () => undefined);
  const admin = async (path: string, body?: unknown) => {
    const response = await fetch(`${running.urls.admin}/__admin/${path}`, body === undefined ? {} : { method: 'POST', body: JSON.stringify(body) });
    return response.json() as Promise<unknown>;
  };
  return {
    urls: running.urls,
    sql: async <R>(text: string, params: unknown[] = []) => (await pool.query(text, params)).rows as R[],
    calls: () => admin('calls') as Promise<CallSnapshot>,
    resetCalls: async () => void (await admin('reset', {})),
    setFaults: async (faults) => void (await admin('faults', faults)),
    async close() {
      await pool.end();
      await running.close();
    },
  };
}

export interface GraphQLResponse<T = Record<string, unknown>> {
  data?: T | null;
  errors?: { message: string; path?: (string | number)[]; extensions?: Record<string, unknown> }[];
}

/** A running requests subgraph and a way to query it. */
export interface Subgraph {
  url: string;
  query<T = Record<string, unknown>>(query: string, variables?: Record<string, unknown>): Promise<GraphQLResponse<T>>;
  close(): Promise<void>;
}

export async function startTestSubgraph(grcUrl: string, env: Record<string, string> = {}): Promise<Subgraph> {
  const config = readEnv(requestsSubgraphEnv, { REQUESTS_SUBGRAPH_PORT: '0', GRC_DATABASE_URL: grcUrl, ...env });
  const running = await startRequestsSubgraph(config, logger);
  const url = running.urls.graphql!;
  return {
    url,
    async query<T>(query: string, variables: Record<string, unknown> = {}) {
      // These tests are about reading the GRC, not the row rules (tests/security/): an operator reads everything.
      const headers = { 'content-type': 'application/json', [IDENTITY_HEADER]: signedIdentity(OPERATOR) };
      const response = await fetch(url, { method: 'POST', headers, body: JSON.stringify({ query, variables }) });
      return (await response.json()) as GraphQLResponse<T>;
    },
    close: () => running.close(),
  };
}

/** A digest of the seeded rows that ignores the session's time zone. */
export const DIGEST_SQL = `SELECT
  (SELECT md5(string_agg(concat_ws('|', id_demande, num_demande, objet, code_statut, id_service, id_categorie, code_insee, code_uai, canal,
     id_agent, extract(epoch FROM date_creation), extract(epoch FROM date_maj), extract(epoch FROM date_cloture)), ',' ORDER BY id_demande)) FROM t_demande) AS demandes,
  (SELECT md5(string_agg(concat_ws('|', id_evenement, id_demande, type_evenement, code_statut_avant, code_statut_apres, visible_usager, auteur,
     extract(epoch FROM date_evenement)), ',' ORDER BY id_evenement)) FROM t_evenement) AS evenements`;

export const COUNTS_SQL = `SELECT (SELECT count(*) FROM t_service)::int AS services, (SELECT count(*) FROM t_categorie)::int AS categories,
  (SELECT count(*) FROM t_agent)::int AS agents, (SELECT count(*) FROM t_demande)::int AS demandes,
  (SELECT count(*) FROM t_evenement)::int AS evenements, (SELECT count(*) FROM t_meta)::int AS meta`;
