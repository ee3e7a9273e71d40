/**
 * The two storages the GRC stand-in can run on, behind one small interface: a real PostgreSQL
 * (`DATABASE_URL`) or an embedded PGlite. Migrations and the seed only see `SqlDatabase`, so both
 * storages hold exactly the same schema and rows.
 */
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';

export interface SqlSession {
  /** One parameterised statement; resolves to its rows. */
  query<R = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<R[]>;
  /** A script of several statements, without parameters (migrations). */
  exec(sql: string): Promise<void>;
}

export interface SqlDatabase {
  /** Runs `work` in one transaction: committed when it resolves, rolled back when it throws. */
  transaction<T>(work: (session: SqlSession) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** A PostgreSQL database reached with one `pg` client (migrations need nothing more). */
export async function connectPostgres(url: string): Promise<SqlDatabase> {
  const client = new pg.Client({ connectionString: url, application_name: 'grc-migrate' });
  await client.connect();
  const session: SqlSession = {
    query: async <R>(sql: string, params: unknown[] = []) => (await client.query(sql, params)).rows as R[],
    exec: async (sql) => {
      await client.query(sql);
    },
  };
  return {
    async transaction(work) {
      await client.query('BEGIN');
      try {
        const result = await work(session);
        await client.query('COMMIT');
        return result;
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw error;
      }
    },
    close: () => client.end(),
  };
}

/** Opens PGlite in `dataDir`, or in memory when it is "memory". */
export async function openPglite(dataDir: string): Promise<PGlite> {
  return PGlite.create(dataDir === 'memory' ? 'memory://' : dataDir);
}

/** Wraps an open PGlite; closing the wrapper leaves the PGlite open (its owner serves it). */
export function pgliteDatabase(db: PGlite): SqlDatabase {
  return {
    transaction: (work) =>
      db.transaction((tx) =>
        work({
          query: async <R>(sql: string, params: unknown[] = []) => (await tx.query<R>(sql, params)).rows,
          exec: async (sql) => {
            await tx.exec(sql);
          },
        }),
      ),
    close: async () => undefined,
  };
}
