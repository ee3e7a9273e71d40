/**
 * Where the GRC's database lives, behind one interface: a real PostgreSQL (`DATABASE_URL`) or an
 * embedded PGlite served over the wire protocol. Either way it is migrated and seeded first, and
 * the wire proxy in front of it is all clients ever see.
 *
 * pglite-socket 0.2.17, read in its source (node_modules/@electric-sql/pglite-socket/src/index.ts):
 * - `maxConnections` defaults to 1. Past the limit a connection is not queued: the server writes
 *   "Too many connections" (not a protocol message) and closes it, so clients see ECONNRESET.
 *   We allow PGLITE_MAX_CONNECTIONS; the proxy opens one upstream connection per client.
 * - All connections share PGlite's single backend session. Queries are queued and run one
 *   protocol message at a time; while a transaction is open only its connection's messages
 *   run. Session state is therefore global: SET (including a client's `statement_timeout`
 *   start-up option, which is ignored), prepared-statement names, temp tables.
 * - LISTEN/NOTIFY does not reach socket clients: a NOTIFY is never delivered to another
 *   connection's LISTEN (checked by hand). Change feeds must poll — `t_evenement.id_evenement`
 *   grows with time and `t_demande.date_maj` is kept current by a trigger — or use LISTEN only
 *   against a real PostgreSQL.
 * - No TLS, and CancelRequest is read and ignored: a long query cannot be cancelled, only its
 *   connection closed.
 */
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import type { Logger } from '../../common/logger.ts';
import type { GenerateOptions } from './data.ts';
import { connectPostgres } from './database.ts';
import { openSeededPglite } from './seed-cache.ts';
import { migrateAndSeed } from './setup.ts';

/** Connections pglite-socket accepts at once (its default is 1). */
export const PGLITE_MAX_CONNECTIONS = 256;

export interface GrcStorage {
  /** Where the database listens, for the proxy. */
  upstream: { host: string; port: number };
  /** Whether the proxy must serialise protocol cycles (PGlite: one backend session). */
  serialize: boolean;
  /** The connection string clients use, given where the proxy listens. */
  clientUrl(host: string, port: number): string;
  close(): Promise<void>;
}

export interface StorageOptions extends GenerateOptions {
  /** A real PostgreSQL; unset → PGlite. */
  databaseUrl: string | undefined;
  /** PGlite's data directory, or "memory". */
  dataDir: string;
  /** Snapshots of the seeded in-memory PGlite (seed-cache.ts), or "off". */
  seedCacheDir: string;
}

export function openStorage(options: StorageOptions, logger: Logger): Promise<GrcStorage> {
  return options.databaseUrl ? postgresStorage(options.databaseUrl, options, logger) : pgliteStorage(options, logger);
}

async function postgresStorage(databaseUrl: string, options: GenerateOptions, logger: Logger): Promise<GrcStorage> {
  const db = await connectPostgres(databaseUrl);
  try {
    await migrateAndSeed(db, options, logger);
  } finally {
    await db.close();
  }
  const url = new URL(databaseUrl);
  return {
    upstream: { host: url.hostname.replace(/^\[|\]$/g, '') || '127.0.0.1', port: Number(url.port || 5432) },
    serialize: false,
    clientUrl(host, port) {
      const client = new URL(databaseUrl);
      client.hostname = hostForUrl(host);
      client.port = String(port);
      return client.toString();
    },
    close: async () => undefined,
  };
}

async function pgliteStorage(options: StorageOptions, logger: Logger): Promise<GrcStorage> {
  const db = await openSeededPglite(options, logger);
  const server = new PGLiteSocketServer({ db, host: '127.0.0.1', port: 0, maxConnections: PGLITE_MAX_CONNECTIONS });
  await server.start();
  const port = Number(server.getServerConn().split(':').at(-1));
  return {
    upstream: { host: '127.0.0.1', port },
    serialize: true,
    clientUrl: (host, proxyPort) => `postgres://postgres@${hostForUrl(host)}:${proxyPort}/postgres`,
    async close() {
      await server.stop();
      // Handlers detach asynchronously (and may roll back an open transaction) before the db closes.
      await new Promise((resolve) => setTimeout(resolve, 20));
      await db.close();
    },
  };
}

function hostForUrl(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}
