/**
 * The fault-injection benchmark's live side: a writer that changes requests straight in the GRC
 * database (the old back office) at a steady rate and survives the database going away, and
 * graphql-ws subscribers that follow those requests through the gateway and behave as the README
 * tells clients to: on any ending (socket closed, `error`, `complete`) they subscribe again with
 * `after` = the last cursor they received. Every event is counted by cursor, so the report can
 * tell events lost (written, never received) from events received twice.
 */
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { WebSocket } from 'ws';

/** Open statuses a request moves between, so no write ends a request's processing. */
const STATUSES = ['ENC', 'ATT'] as const;

export interface Write {
  reference: string;
  /** `updatedAt` of the change in epoch ms: unique per write, and what the subscriber receives. */
  key: number;
  /** `performance.now()` when the UPDATE was sent. */
  sentAt: number;
}

/**
 * Writes one change every `periodMs` to one of `references` (in turn). A write that fails is not
 * counted unless it is found committed after reconnecting (the connection may have died between
 * the commit and its acknowledgement); the writer reconnects on the next tick.
 */
export class Writer {
  readonly writes: Write[] = [];
  /** Writes that failed (the database was unreachable): not expected by anyone. */
  failed = 0;
  private client: pg.Client | undefined;
  private timer: NodeJS.Timeout | undefined;
  private busy = false;
  private turn = 0;
  private lastKey = 0;
  private readonly status = new Map<string, (typeof STATUSES)[number]>();
  private unsure: Write | undefined;

  constructor(
    private readonly url: string,
    private readonly references: readonly string[],
  ) {}

  start(periodMs: number): void {
    this.timer = setInterval(() => void this.tick(), periodMs);
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    while (this.busy) await new Promise((resolve) => setTimeout(resolve, 20));
    await this.client?.end().catch(() => undefined);
    this.client = undefined;
  }

  /** The change feed's newest position, as the opaque cursor subscribers resume from (see fanout-writer.ts). */
  async feedHead(): Promise<string> {
    const client = await this.connect();
    const { rows } = await client.query<{ txid: string; id: string }>(
      'SELECT txid::text AS txid, id::text AS id FROM passerelle_journal ORDER BY txid DESC, id DESC LIMIT 1',
    );
    const head = rows[0] ?? { txid: '0', id: '0' };
    return Buffer.from(`j:${head.txid}:${head.id}`).toString('base64url');
  }

  /** `count` requests to follow. */
  static async pickRequests(url: string, count: number): Promise<string[]> {
    const client = new pg.Client(url);
    await client.connect();
    try {
      const { rows } = await client.query<{ num_demande: string }>('SELECT num_demande FROM t_demande ORDER BY num_demande LIMIT $1', [count]);
      return rows.map((row) => row.num_demande);
    } finally {
      await client.end();
    }
  }

  private async connect(): Promise<pg.Client> {
    if (this.client) return this.client;
    const client = new pg.Client({ connectionString: this.url, connectionTimeoutMillis: 2_000 });
    // A connection that dies is noticed by the next query; without a listener it would crash us.
    client.on('error', () => {
      if (this.client === client) this.client = undefined;
    });
    await client.connect();
    this.client = client;
    return client;
  }

  private async tick(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    const reference = this.references[this.turn++ % this.references.length]!;
    const next = this.status.get(reference) === 'ENC' ? 'ATT' : 'ENC';
    const sentAt = performance.now();
    const key = Math.max(Math.floor(performance.timeOrigin + sentAt), this.lastKey + 1);
    this.lastKey = key;
    const write: Write = { reference, key, sentAt };
    let client: pg.Client | undefined;
    try {
      client = await this.connect();
      await this.settleUnsure(client);
      await client.query('UPDATE t_demande SET code_statut = $1, date_maj = $2::timestamptz WHERE num_demande = $3', [next, new Date(key).toISOString(), reference]);
      this.status.set(reference, next);
      this.writes.push(write);
    } catch {
      // Sent on a connection that then failed: it may have been committed. Checked once we are back.
      if (client) this.unsure = write;
      else this.failed += 1;
      if (this.client === client) this.client = undefined;
      await client?.end().catch(() => undefined);
    } finally {
      this.busy = false;
    }
  }

  private async settleUnsure(client: pg.Client): Promise<void> {
    const unsure = this.unsure;
    if (!unsure) return;
    const { rows } = await client.query<{ ms: string }>('SELECT (extract(epoch FROM date_maj) * 1000)::bigint::text AS ms FROM t_demande WHERE num_demande = $1', [unsure.reference]);
    this.unsure = undefined;
    if (Number(rows[0]?.ms) === unsure.key) this.writes.push(unsure);
    else this.failed += 1;
  }
}

export interface Receipt {
  reference: string;
  key: number;
  cursor: string;
  atMs: number;
  /** This subscriber had already received this cursor. */
  duplicate: boolean;
}

export interface StreamProblem {
  /** e.g. "close 1001", "error SUBGRAPH_UNAVAILABLE", "complete", "next with errors LEGACY_UNAVAILABLE". */
  kind: string;
  atMs: number;
}

export interface FollowerOptions {
  url: string;
  authorization: string;
  reference: string;
  /** Where the first subscription starts (the feed's head when the benchmark began). */
  after: string;
  onReceipt: (receipt: Receipt) => void;
  onProblem: (problem: StreamProblem) => void;
}

const TRACK = 'subscription Track($reference: String!, $after: String) { requestUpdated(reference: $reference, after: $after) { reference status cursor updatedAt } }';
const RETRY_MS = 500;

/** One client following one request; resubscribes from its last cursor after any ending. */
export class Follower {
  private socket: WebSocket | undefined;
  private cursor: string;
  private readonly seen = new Set<string>();
  private operation = 0;
  private closing = false;
  private retry: NodeJS.Timeout | undefined;

  constructor(private readonly options: FollowerOptions) {
    this.cursor = options.after;
  }

  open(): void {
    const { options } = this;
    const socket = new WebSocket(options.url.replace(/^http/, 'ws'), 'graphql-transport-ws', { perMessageDeflate: false });
    this.socket = socket;
    const problem = (kind: string) => options.onProblem({ kind, atMs: performance.now() });
    socket.on('open', () => socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: options.authorization } })));
    socket.on('message', (data: Buffer) => {
      const message = JSON.parse(data.toString('utf8')) as { id?: string; type: string; payload?: unknown };
      if (message.type === 'connection_ack') this.subscribe();
      else if (message.type === 'ping') socket.send('{"type":"pong"}');
      else if (message.type === 'next' && message.id === String(this.operation)) this.onNext(message.payload as NextPayload, problem);
      else if ((message.type === 'error' || message.type === 'complete') && message.id === String(this.operation)) {
        problem(message.type === 'error' ? `error ${codesOf(message.payload as CodedError[])}` : 'complete');
        this.later(() => this.subscribe());
      }
    });
    socket.on('error', () => undefined);
    socket.on('close', (code) => {
      if (this.closing || this.socket !== socket) return;
      problem(`close ${code}`);
      this.later(() => this.open());
    });
  }

  close(): void {
    this.closing = true;
    clearTimeout(this.retry);
    this.socket?.close(1000, 'benchmark over');
  }

  private subscribe(): void {
    if (this.closing) return;
    this.operation += 1;
    const payload = { query: TRACK, variables: { reference: this.options.reference, after: this.cursor } };
    this.socket?.send(JSON.stringify({ id: String(this.operation), type: 'subscribe', payload }));
  }

  private onNext(payload: NextPayload, problem: (kind: string) => void): void {
    if (payload.errors?.length) problem(`next with errors ${codesOf(payload.errors)}`);
    const request = payload.data?.requestUpdated;
    if (!request) return;
    const duplicate = this.seen.has(request.cursor);
    this.seen.add(request.cursor);
    this.cursor = request.cursor;
    this.options.onReceipt({ reference: request.reference, key: Date.parse(request.updatedAt), cursor: request.cursor, atMs: performance.now(), duplicate });
  }

  private later(work: () => void): void {
    if (this.closing) return;
    clearTimeout(this.retry);
    this.retry = setTimeout(work, RETRY_MS);
  }
}

interface CodedError {
  extensions?: { code?: unknown };
}

interface NextPayload {
  data?: { requestUpdated?: { reference: string; cursor: string; updatedAt: string } | null } | null;
  errors?: CodedError[];
}

function codesOf(errors: CodedError[] | undefined): string {
  return [...new Set((errors ?? []).map((error) => String(error.extensions?.code ?? 'NO_CODE')))].join(',');
}
