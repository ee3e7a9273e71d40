/**
 * The fan-out benchmark's event source: the old back office, writing `t_demande` straight into the
 * GRC database with `pg`, behind Passerelle's back, at a steady rate.
 *
 * Each write sets `date_maj` itself, to the benchmark's own clock at the moment the UPDATE is sent
 * (as an ISO string, so PostgreSQL keeps the exact millisecond). That value comes back to every
 * subscriber as the event's `updatedAt`: it names the event (written one millisecond apart at
 * least) and dates the write, on the same host clock as the subscribers' receipts.
 */
import pg from 'pg';
import { performance } from 'node:perf_hooks';
import { createRng } from '../legacy/kit/index.ts';

/** Open statuses a request moves between, so that no write ends a request's processing. */
const STATUSES = ['ENC', 'ATT'] as const;

export interface WrittenEvent {
  /** `updatedAt` of the change, in epoch ms: what subscribers receive. */
  key: number;
  reference: string;
  /** `performance.now()` when the UPDATE was sent: latencies are measured from here. */
  sentAtMs: number;
  /** How long the database took to acknowledge the write (included in every latency). */
  writeMs: number;
}

export class BackOffice {
  private readonly status = new Map<string, (typeof STATUSES)[number]>();
  private lastKey = 0;

  private constructor(private readonly client: pg.Client) {}

  static async connect(url: string): Promise<BackOffice> {
    const client = new pg.Client(url);
    await client.connect();
    return new BackOffice(client);
  }

  /** The service with the most open requests, and those requests. */
  async busiestService(): Promise<{ code: string; references: string[] }> {
    const { rows } = await this.client.query<{ code_service: string; refs: string[] }>(
      `SELECT s.code_service, array_agg(d.num_demande ORDER BY d.num_demande) AS refs
      FROM t_demande d JOIN t_service s USING (id_service) JOIN t_statut st USING (code_statut)
      WHERE st.est_ouvert GROUP BY s.code_service ORDER BY count(*) DESC LIMIT 1`,
    );
    const row = rows[0];
    if (!row) throw new Error('The GRC has no open request.');
    return { code: row.code_service, references: row.refs };
  }

  /**
   * `count` requests of any service and status, with their service; fewer when the GRC has fewer
   * (GRC_SEED_REQUESTS). Most of the seed is history (closed requests), and an agent may follow
   * any request: the writes reopen closed ones, which the capture treats like any other change.
   */
  async requests(count: number): Promise<{ reference: string; service: string }[]> {
    const { rows } = await this.client.query<{ num_demande: string; code_service: string }>(
      `SELECT d.num_demande, s.code_service FROM t_demande d JOIN t_service s USING (id_service)
      ORDER BY d.num_demande LIMIT $1`,
      [count],
    );
    return rows.map((row) => ({ reference: row.num_demande, service: row.code_service }));
  }

  /**
   * The change feed's newest position, as the opaque cursor subscribers resume from
   * (subgraphs/requests/capture/cursor.ts), read from the journal table the capture added to the
   * GRC. Subscribing with it as `after` loses nothing written from now on, however long the
   * subgraph takes to set each stream up, and replays nothing written before.
   */
  async feedHead(): Promise<string> {
    const { rows } = await this.client.query<{ txid: string; id: string }>(
      'SELECT txid::text AS txid, id::text AS id FROM passerelle_journal ORDER BY txid DESC, id DESC LIMIT 1',
    );
    const head = rows[0] ?? { txid: '0', id: '0' };
    return Buffer.from(`j:${head.txid}:${head.id}`).toString('base64url');
  }

  /** Touches every one of `references` in ONE transaction (one change each, all with the same `updatedAt`). */
  async touchAll(references: readonly string[]): Promise<void> {
    await this.client.query('UPDATE t_demande SET date_maj = now() WHERE num_demande = ANY($1)', [references]);
  }

  /** One status change, as an agent makes it in the old back office. */
  async write(reference: string): Promise<WrittenEvent> {
    const status = this.status.get(reference) === 'ENC' ? 'ATT' : 'ENC';
    this.status.set(reference, status);
    const sentAtMs = performance.now();
    // Strictly increasing, so that no two events share a key even when written in the same ms.
    const key = Math.max(Math.floor(performance.timeOrigin + sentAtMs), this.lastKey + 1);
    this.lastKey = key;
    const result = await this.client.query('UPDATE t_demande SET code_statut = $1, date_maj = $2::timestamptz WHERE num_demande = $3', [
      status,
      new Date(key).toISOString(),
      reference,
    ]);
    if (result.rowCount !== 1) throw new Error(`No request ${reference} to update.`);
    return { key, reference, sentAtMs, writeMs: performance.now() - sentAtMs };
  }

  close(): Promise<void> {
    return this.client.end();
  }
}

export interface SteadyWritesOptions {
  backOffice: BackOffice;
  /** Requests to change, picked at random (seeded, so runs are alike). */
  references: readonly string[];
  /** Events per second. */
  rate: number;
  /** Seconds. */
  duration: number;
  seed: number;
  signal: AbortSignal;
}

/**
 * Writes `rate × duration` changes on a fixed schedule (each due at start + i / rate, not "a
 * period after the previous one", so a slow write does not lower the rate; writes never overlap).
 */
export async function writeSteadily(options: SteadyWritesOptions): Promise<WrittenEvent[]> {
  const rng = createRng(options.seed);
  const total = Math.round(options.rate * options.duration);
  const periodMs = 1000 / options.rate;
  const start = performance.now();
  const written: WrittenEvent[] = [];
  for (let i = 0; i < total && !options.signal.aborted; i++) {
    const wait = start + i * periodMs - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    written.push(await options.backOffice.write(rng.pick(options.references)));
  }
  return written;
}
