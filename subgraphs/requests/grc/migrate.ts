/**
 * Passerelle's own objects in the GRC database (journal, triggers, intake tables), applied when the
 * requests subgraph starts: every `migrations/*.sql` file not yet recorded in `passerelle_migration`
 * runs, in name order, each in its own transaction with its record, so a file is applied entirely
 * and exactly once. Replicas starting together queue on an advisory lock; the later ones find the
 * files recorded and apply nothing. Files are never edited once applied: a change is a new file.
 *
 * The subgraph starts even when the GRC cannot be reached (its queries then fail with
 * LEGACY_UNAVAILABLE, like any query to a system that is down): `startMigrations` keeps trying in
 * the background until the migrations are applied. A migration that FAILS, on the other hand,
 * stops the start-up: that is a bug to fix, not an outage to wait out.
 *
 * Only `passerelle_*` objects are created; the legacy tables gain triggers, never columns. In
 * production the subgraph's role therefore needs CREATE on the schema and TRIGGER on t_demande and
 * t_evenement, which the DSI grants once.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import type { Logger } from '../../../common/logger.ts';

const MIGRATIONS_DIR = fileURLToPath(new URL('./migrations/', import.meta.url));
/** Distinct from the GRC stand-in's own migration lock, so the two never wait on each other. */
const MIGRATION_LOCK = 734_113_010;

export interface MigrateOptions {
  databaseUrl: string;
  /** How long to wait for the database, per attempt (UPSTREAM_TIMEOUT_MS). */
  timeoutMs: number;
  /** Further attempts when the database cannot be reached (UPSTREAM_RETRIES). */
  retries: number;
  logger: Logger;
  /** Folder of the `.sql` files; the subgraph's `migrations/` by default. */
  directory?: string;
}

/** The GRC could not be reached (or the connection broke): worth trying again later. */
export class GrcUnreachableError extends Error {}

export interface RunningMigrations {
  /** Resolves once every migration is applied (at once when the GRC answered at start-up). */
  applied: Promise<void>;
  /** Stops the background attempts. */
  stop(): void;
}

/**
 * Migrates now when the GRC answers; otherwise keeps trying in the background (backoff up to
 * 30 s) and resolves at once. Rejects when a migration itself fails.
 */
export async function startMigrations(options: MigrateOptions): Promise<RunningMigrations> {
  try {
    await migrateGrcDatabase(options);
    return { applied: Promise.resolve(), stop: () => undefined };
  } catch (error) {
    if (!(error instanceof GrcUnreachableError)) throw error;
    options.logger.warn({ err: error }, 'grc unreachable: migrations will be applied once it answers');
  }
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const applied = new Promise<void>((resolve) => {
    const retry = (attempt: number) => {
      timer = setTimeout(() => {
        migrateGrcDatabase({ ...options, retries: 0 }).then(() => resolve(), (error: unknown) => {
          if (stopped) return;
          if (!(error instanceof GrcUnreachableError)) options.logger.error({ err: error }, 'grc migration failed');
          retry(attempt + 1);
        });
      }, Math.min(30_000, 500 * 2 ** attempt));
      timer.unref();
    };
    retry(0);
  });
  return {
    applied,
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
  };
}

/** Applies the pending migrations; resolves to the names of the files this run applied. */
export async function migrateGrcDatabase(options: MigrateOptions): Promise<string[]> {
  const directory = options.directory ?? MIGRATIONS_DIR;
  const files = readdirSync(directory).filter((file) => file.endsWith('.sql')).sort();
  const client = await connect(options);
  try {
    const applied: string[] = [];
    for (const file of files) {
      const sql = readFileSync(`${directory}/${file}`, 'utf8');
      if (await applyOnce(client, file, sql, options.logger)) applied.push(file);
    }
    if (applied.length > 0) options.logger.info({ applied }, 'grc migrations applied');
    return applied;
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function applyOnce(client: pg.Client, name: string, sql: string, logger: Logger): Promise<boolean> {
  const checksum = createHash('sha256').update(sql).digest('hex');
  await client.query('BEGIN');
  try {
    await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
    await client.query(`CREATE TABLE IF NOT EXISTS passerelle_migration (
      name        varchar(200) PRIMARY KEY,
      checksum    char(64) NOT NULL,
      applied_at  timestamptz NOT NULL DEFAULT now()
    )`);
    const { rows } = await client.query<{ checksum: string }>('SELECT checksum FROM passerelle_migration WHERE name = $1', [name]);
    if (rows[0]) {
      await client.query('COMMIT');
      // Editing an applied file changes nothing in the database; say so rather than stay silent.
      if (rows[0].checksum !== checksum) logger.warn({ migration: name }, 'applied grc migration was edited since; the edit is NOT applied');
      return false;
    }
    // Without parameters pg uses the simple protocol, which runs a whole multi-statement script.
    await client.query(sql);
    await client.query('INSERT INTO passerelle_migration (name, checksum) VALUES ($1, $2)', [name, checksum]);
    await client.query('COMMIT');
    return true;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    const message = `grc migration ${name} failed: ${(error as Error).message}`;
    // A broken connection is an outage; an error the database answered is the migration's fault.
    const sqlstate = error instanceof pg.DatabaseError ? (error.code ?? '') : '08000';
    if (/^(08|57P)/.test(sqlstate)) throw new GrcUnreachableError(message, { cause: error });
    throw new Error(message, { cause: error });
  }
}

/** The GRC may still be starting (npm start launches everything at once): retry with backoff. */
async function connect(options: MigrateOptions): Promise<pg.Client> {
  for (let attempt = 0; ; attempt++) {
    const client = new pg.Client({
      connectionString: options.databaseUrl,
      connectionTimeoutMillis: options.timeoutMs,
      application_name: 'passerelle-requests-migrate',
    });
    try {
      await client.connect();
      return client;
    } catch (error) {
      await client.end().catch(() => undefined);
      if (attempt >= options.retries) throw new GrcUnreachableError(`grc is unreachable for migrations: ${(error as Error).message}`, { cause: error });
      await new Promise((resolve) => setTimeout(resolve, 200 * 2 ** attempt));
    }
  }
}
