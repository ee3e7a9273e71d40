/**
 * LISTEN on a dedicated connection: the journal's triggers `pg_notify` at commit, and the
 * publisher wants to know at once instead of at its next poll. A notification carries no data
 * (the journal is read by position anyway), so a missed or duplicated one costs nothing but
 * latency; polling remains the delivery guarantee. That is also why it may be useless and still
 * harmless: pglite-socket never delivers a NOTIFY to another connection's LISTEN.
 *
 * The connection is re-opened with backoff whenever it breaks, and each (re)connection wakes the
 * publisher once, for what may have been notified while it was down.
 */
import pg from 'pg';
import type { Logger } from '../../../common/logger.ts';

export const JOURNAL_CHANNEL = 'passerelle_journal';
const MAX_BACKOFF_MS = 30_000;

export interface ListenerOptions {
  databaseUrl: string;
  timeoutMs: number;
  onNotify: () => void;
  logger: Logger;
}

export class JournalListener {
  private client: pg.Client | null = null;
  private started = false;
  private closed = false;
  private failures = 0;
  private retryTimer: NodeJS.Timeout | undefined;

  constructor(private readonly options: ListenerOptions) {}

  /** Starts listening (idempotent): only once someone subscribes, so an idle subgraph stays silent. */
  start(): void {
    if (this.started || this.closed) return;
    this.started = true;
    void this.connect();
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retryTimer);
    const client = this.client;
    this.client = null;
    await client?.end().catch(() => undefined);
  }

  private async connect(): Promise<void> {
    const client = new pg.Client({
      connectionString: this.options.databaseUrl,
      connectionTimeoutMillis: this.options.timeoutMs,
      keepAlive: true,
      application_name: 'passerelle-requests-listen',
    });
    let retried = false;
    const retry = (error?: Error) => {
      if (retried || this.closed) return;
      retried = true;
      if (this.client === client) this.client = null;
      void client.end().catch(() => undefined);
      const delay = Math.min(MAX_BACKOFF_MS, 500 * 2 ** this.failures++);
      if (this.failures === 1) this.options.logger.warn({ err: error, retryInMs: delay }, 'grc LISTEN connection lost; polling only meanwhile');
      this.retryTimer = setTimeout(() => void this.connect(), delay);
    };
    client.on('error', retry);
    client.on('end', () => retry());
    client.on('notification', (message) => {
      if (message.channel === JOURNAL_CHANNEL) this.options.onNotify();
    });
    try {
      await client.connect();
      await client.query(`/* journalListen */ LISTEN ${JOURNAL_CHANNEL}`);
    } catch (error) {
      retry(error as Error);
      return;
    }
    if (this.closed) {
      await client.end().catch(() => undefined);
      return;
    }
    this.client = client;
    this.failures = 0;
    this.options.onNotify();
  }
}
