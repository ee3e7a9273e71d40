/**
 * The GRC database connection under the connector: a `pg` pool, every query and transaction
 * through the GRC's guard (kit/legacy-guards.ts: circuit breaker, bulkhead sized to the pool, reads
 * retried while the GRC is unavailable within a retry budget), transactions retried on
 * serialization failures, and the mapping of every failure to the catalogue with `system: "grc"`:
 * unreachable, refused or injected "cannot connect now" → LEGACY_UNAVAILABLE; an open breaker or a
 * full bulkhead → LEGACY_UNAVAILABLE with `reason`, at once; past `timeoutMs` (client-side timer,
 * plus `statement_timeout` on a real PostgreSQL) → LEGACY_TIMEOUT; any other database error →
 * LEGACY_ERROR.
 */
import pg from 'pg';
import type { GraphQLError } from 'graphql';
import { passerelleError } from '../../../common/errors.ts';
import type { Guard } from '../../../common/resilience.ts';
import { defaultLegacyGuards, guarded, type LegacyGuards } from '../../kit/legacy-guards.ts';
import type { Logger } from '../../../common/logger.ts';
import { endSpan, startClientSpan, tracingEnabled } from '../../../common/tracing/index.ts';
import { sqlSummary, withTraceComment } from '../../../common/tracing/sql.ts';
import { UnknownCodeError } from './codes.ts';

export const SYSTEM = 'grc';

export interface GrcConnectorOptions {
  /** PostgreSQL URL of the GRC database (the stand-in's proxy, or the real one). */
  databaseUrl: string;
  /** Pool size: at most this many queries run at once. */
  connections: number;
  /** Per-query timeout in ms, and the time allowed to get a connection; past it, LEGACY_TIMEOUT. */
  timeoutMs: number;
  /** Extra attempts of a read that failed with LEGACY_UNAVAILABLE (used when `guards` is not given). */
  retries: number;
  /** The subgraph's guards of its legacy systems; default: this connection's own (DEFAULT_RESILIENCE, `connections` slots). */
  guards?: LegacyGuards;
  /** How long services and categories are cached (they change only through back-office admin). */
  referenceTtlMs: number;
  logger?: Logger;
}

class QueryTimeout extends Error {}

const SPAN_ATTRIBUTES = { 'db.system.name': 'postgresql', 'peer.service': SYSTEM } as const;

export class GrcDatabase {
  private readonly pool: pg.Pool;
  private readonly guard: Guard;

  constructor(protected readonly options: GrcConnectorOptions) {
    this.guard = (options.guards ?? defaultLegacyGuards(options.connections, options.retries)).of(SYSTEM);
    this.pool = new pg.Pool({
      connectionString: options.databaseUrl,
      max: options.connections,
      connectionTimeoutMillis: options.timeoutMs,
      statement_timeout: options.timeoutMs,
      idleTimeoutMillis: 30_000,
      application_name: 'passerelle-requests',
    });
    // An idle client whose server went away emits here; without a listener the process would crash.
    this.pool.on('error', (error) => options.logger?.warn({ err: error }, 'grc idle connection lost'));
    // A checked-out client has no listener of the pool's: one losing its connection (the GRC restarting)
    // would crash the process with an unhandled 'error'. Its query fails and is mapped as usual.
    this.pool.on('connect', (client) => client.on('error', (error) => options.logger?.warn({ err: error }, 'grc connection lost')));
  }

  close(): Promise<void> {
    return this.pool.end();
  }

  /** A read for the connector's companion modules (`intake/grc-intake.ts`, `workflow/grc-workflow.ts`, `workflow/estimate.ts`): same retries and error mapping. */
  query<R>(sql: string, params: unknown[]): Promise<R[]> {
    return this.read<R>(sql, params);
  }

  /**
   * Runs `work` in one transaction on one connection: committed when it resolves, rolled back when
   * it throws. Retried whole on serialization failure, deadlock or unique violation (a back-office
   * insert took the reference being numbered): a fresh attempt sees the winner's rows.
   */
  transaction<T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    // Never retried by the guard (a write); its own loop below retries only what PostgreSQL aborted.
    const run = () => guarded(this.guard, () => this.transact(work), false);
    const span = startClientSpan('grc transaction', SPAN_ATTRIBUTES);
    if (!span) return run();
    return run().then(
      (result) => (endSpan(span), result),
      (error: unknown) => {
        endSpan(span, error);
        throw error;
      },
    );
  }

  private async transact<T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      let client: pg.PoolClient | undefined;
      try {
        client = await this.pool.connect();
        await client.query('BEGIN');
        const result = await work(client);
        await client.query('COMMIT');
        client.release();
        return result;
      } catch (error) {
        const rolledBack = client ? await client.query('ROLLBACK').then(() => true, () => false) : true;
        client?.release(!rolledBack);
        const transient = error instanceof pg.DatabaseError && ['40001', '40P01', '23505'].includes(error.code ?? '');
        if (!transient || attempt >= 3) throw this.toCatalogue(error);
      }
    }
  }

  /** A read, retried with jitter while the GRC is unavailable (within the guard's retry budget). */
  protected read<R>(sql: string, params: unknown[]): Promise<R[]> {
    return guarded(this.guard, () => this.once<R>(sql, params).catch((error: unknown) => Promise.reject(this.toCatalogue(error))), true);
  }

  /**
   * One attempt, in a client span of its own when the read is part of a traced request: the SQL
   * then carries the span's `traceparent` as a sqlcommenter comment, which the GRC stand-in reads
   * (legacy/grc/wire-spans.ts) and a real PostgreSQL ignores.
   */
  private async once<R>(sql: string, params: unknown[]): Promise<R[]> {
    if (!tracingEnabled()) return this.attempt<R>(sql, params);
    const name = sqlSummary(sql);
    const span = startClientSpan(`grc ${name}`, { ...SPAN_ATTRIBUTES, 'db.query.summary': name });
    if (!span) return this.attempt<R>(sql, params);
    try {
      const rows = await this.attempt<R>(withTraceComment(sql, span), params);
      endSpan(span);
      return rows;
    } catch (error) {
      endSpan(span, error);
      throw error;
    }
  }

  private async attempt<R>(sql: string, params: unknown[]): Promise<R[]> {
    const client = await this.pool.connect();
    let timer: NodeJS.Timeout | undefined;
    let healthy = true;
    try {
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new QueryTimeout(`grc query exceeded ${this.options.timeoutMs} ms`)), this.options.timeoutMs);
      });
      const result = await Promise.race([client.query(sql, params), timeout]);
      return result.rows as R[];
    } catch (error) {
      // A timed-out or broken connection may still deliver a late answer: never reuse it.
      healthy = error instanceof pg.DatabaseError && !/^(08|57P)/.test(error.code ?? '');
      throw error;
    } finally {
      clearTimeout(timer);
      client.release(!healthy);
    }
  }

  private toCatalogue(error: unknown): GraphQLError {
    if (isGraphQLError(error)) return error;
    const err = error as Error;
    if (err instanceof QueryTimeout || /timeout exceeded when trying to connect/i.test(err.message)) {
      return passerelleError('LEGACY_TIMEOUT', 'grc did not answer in time', { system: SYSTEM });
    }
    if (err instanceof pg.DatabaseError) {
      const sqlstate = err.code ?? '';
      if (sqlstate === '57014') return passerelleError('LEGACY_TIMEOUT', 'grc did not answer in time', { system: SYSTEM });
      if (/^(08|57P|53)/.test(sqlstate)) return passerelleError('LEGACY_UNAVAILABLE', `grc is unavailable (SQLSTATE ${sqlstate})`, { system: SYSTEM });
      this.options.logger?.warn({ err }, 'grc rejected a query');
      return passerelleError('LEGACY_ERROR', `grc rejected a query (SQLSTATE ${sqlstate})`, { system: SYSTEM });
    }
    return passerelleError('LEGACY_UNAVAILABLE', `grc is unreachable (${(err as { code?: string }).code ?? err.message})`, { system: SYSTEM });
  }
}

function isGraphQLError(error: unknown): error is GraphQLError {
  return typeof error === 'object' && error !== null && 'extensions' in error && 'locations' in error;
}

/** Runs a code mapping; a code the API does not know is the GRC's error, not the client's. */
export function mapped<T>(map: () => T): T {
  try {
    return map();
  } catch (error) {
    if (error instanceof UnknownCodeError) throw passerelleError('LEGACY_ERROR', `grc returned ${error.message}`, { system: SYSTEM });
    throw error;
  }
}
