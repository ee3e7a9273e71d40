/**
 * A PostgreSQL wire-protocol proxy in front of the GRC database (PGlite or real PostgreSQL): what
 * `urls.postgres` points to. It plays the part the HTTP stand-ins' router plays for them:
 *
 * - Call counting: every frontend query message after start-up is counted, simple `Q`uery and
 *   extended-protocol `E`xecute, under the label of its SQL (`callLabel`).
 * - Faults, per protocol cycle (a `Q`, or Parse…Sync): latency before forwarding, and failures
 *   answered by the proxy itself with ErrorResponse SQLSTATE 57P03 (cannot_connect_now) followed by
 *   ReadyForQuery. The connection stays usable, so a client's pool is not poisoned and the next
 *   call can succeed; closing the connection instead would also exercise reconnects, but makes
 *   a failure rate below 1 look like churn rather than errors.
 * - `serialize` (PGlite mode): one cycle at a time across all connections, holding the turn until
 *   the backend is idle again (ReadyForQuery 'I'). PGlite is a single backend session that
 *   pglite-socket multiplexes message by message; keeping whole cycles and transactions together
 *   means a Parse from one client can never land between another's Bind and Execute, even when
 *   a large message arrives in several TCP chunks.
 *
 * SSLRequest and GSSENCRequest are refused ('N') by the proxy, so clients speak plain TCP to it and
 * it needs no certificates; an upstream that insists on TLS cannot be proxied.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../../common/logger.ts';
import { counter, labelCap } from '../../common/metrics.ts';
import { sleep, type CallCounter, type Faults } from '../kit/index.ts';
import {
  CANCEL_REQUEST, GSSENC_REQUEST, MessageReader, SSL_REQUEST, bindMessage, callLabel, errorResponse, executePortal,
  parseMessage, querySql, readyForQuery, readyStatus, startupCode, type WireMessage,
} from './wire-protocol.ts';
import { tracingEnabled } from '../../common/tracing/index.ts';
import { QuerySpans, sqlError } from './wire-spans.ts';

export interface WireProxyOptions {
  /** Where the database really listens. */
  upstream: { host: string; port: number };
  /** Shared with the admin endpoint (`GET /__admin/calls`). */
  calls: CallCounter;
  /** Read at every cycle, so `POST /__admin/faults` applies at once. */
  faults: Faults;
  /** Serialise protocol cycles across connections (needed in front of pglite-socket). */
  serialize: boolean;
  logger?: Logger;
}

export interface RunningProxy {
  port: number;
  close(): Promise<void>;
}

// Any PostgreSQL client may tag its SQL (`/* tag */`): the label is capped.
const queryLabel = labelCap({ max: 100, maxLength: 48, empty: 'UNKNOWN' });
const sqlQueries = counter({ name: 'passerelle_legacy_sql_queries_total', help: 'Query messages the GRC stand-in received, by the tag of their SQL comment (or their verb).', labelNames: ['query'] });

/** Failure injected by the proxy: a transient "cannot connect now", which clients may retry. */
const INJECTED_SQLSTATE = '57P03';
/** How long a cycle whose client left may run on before its upstream connection is cut anyway. */
const DRAIN_TIMEOUT_MS = 30_000;

interface Cycle {
  messages: Buffer[];
  /** Labels of the query messages it carries (counted, and subject to faults). */
  queries: string[];
  /** How many ReadyForQuery the backend will send for it. */
  readies: number;
  /** Ends with Sync (extended protocol): a failed cycle must still be answered with one ReadyForQuery. */
  synced: boolean;
  /** Bypasses the gate (Terminate, CancelRequest). */
  raw?: boolean;
  /** SQL of its query messages, kept only while traces are on (wire-spans.ts reads their trace comments). */
  traced?: string[];
}

/** The turn PGlite gives to one connection at a time; re-entrant for its holder. */
class Gate {
  private holder: object | null = null;
  private waiters: { owner: object; resolve: () => void }[] = [];

  async acquire(owner: object): Promise<void> {
    if (this.holder === owner) return;
    if (this.holder === null) {
      this.holder = owner;
      return;
    }
    await new Promise<void>((resolve) => this.waiters.push({ owner, resolve }));
  }

  release(owner: object): void {
    this.waiters = this.waiters.filter((w) => w.owner !== owner);
    if (this.holder !== owner) return;
    const next = this.waiters.shift();
    this.holder = next?.owner ?? null;
    next?.resolve();
  }
}

export async function startWireProxy(options: WireProxyOptions, port: number, host: string): Promise<RunningProxy> {
  const gate = options.serialize ? new Gate() : null;
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = connect(options.upstream.port, options.upstream.host);
    sockets.add(client).add(upstream);
    new ProxiedConnection(client, upstream, options, gate);
    const forget = () => sockets.delete(client) && sockets.delete(upstream);
    client.once('close', forget);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

class ProxiedConnection {
  private readonly frontend = new MessageReader({ startup: true });
  private readonly backend = new MessageReader({ startup: false });
  private readonly connected: Promise<void>;
  private chain: Promise<void> = Promise.resolve();
  private group: Cycle = emptyCycle();
  private statements = new Map<string, string>();
  private portals = new Map<string, string>();
  /** ReadyForQuery still expected from the backend for cycles already forwarded. */
  private outstanding = 0;
  private status = 'I';
  /** After an injected failure on a Flush-ended group, PostgreSQL would skip messages until Sync. */
  private failedUntilSync = false;
  private closed = false;
  private drainTimer: NodeJS.Timeout | undefined;
  /** Server spans of the traced queries (traces on only). */
  private readonly spans = tracingEnabled() ? new QuerySpans() : undefined;

  constructor(
    private readonly client: Socket,
    private readonly upstream: Socket,
    private readonly options: WireProxyOptions,
    private readonly gate: Gate | null,
  ) {
    client.setNoDelay(true);
    upstream.setNoDelay(true);
    this.connected = new Promise((resolve) => upstream.once('connect', () => resolve()));
    client.on('data', (chunk: Buffer) => this.fromClient(chunk));
    upstream.on('data', (chunk: Buffer) => this.fromBackend(chunk));
    const onError = (error: Error) => options.logger?.debug({ err: error }, 'grc proxy connection error');
    client.on('error', onError).on('close', () => this.clientGone());
    upstream.on('error', onError).on('close', () => this.finish());
  }

  /**
   * The client left (or timed out) mid-cycle. In front of PGlite the cycle already written is left
   * to finish, up to its ReadyForQuery, before the turn passes on: cutting it half-way could leave
   * the shared session in the middle of another client's extended-protocol exchange.
   */
  private clientGone(): void {
    if (this.closed) return;
    this.closed = true;
    this.client.destroy();
    if (this.gate && this.outstanding > 0 && !this.upstream.destroyed) {
      this.drainTimer = setTimeout(() => this.finish(), DRAIN_TIMEOUT_MS);
    } else {
      this.finish();
    }
  }

  private finish(): void {
    this.closed = true;
    this.spans?.close();
    clearTimeout(this.drainTimer);
    this.client.destroy();
    this.upstream.destroy();
    this.gate?.release(this);
  }

  private fromClient(chunk: Buffer): void {
    let messages: WireMessage[];
    try {
      messages = this.frontend.push(chunk);
    } catch {
      return this.finish();
    }
    for (const message of messages) this.classify(message);
  }

  private classify(message: WireMessage): void {
    if (message.type === '') {
      const code = startupCode(message);
      if (code === SSL_REQUEST || code === GSSENC_REQUEST) {
        this.client.write('N');
        return;
      }
      // The StartupMessage's cycle ends with the backend's first ReadyForQuery, after authentication.
      const cancel = code === CANCEL_REQUEST;
      return this.schedule({ messages: [message.bytes], queries: [], readies: cancel ? 0 : 1, synced: false, raw: cancel });
    }
    switch (message.type) {
      case 'P': {
        const { statement, sql } = parseMessage(message);
        this.statements.set(statement, sql);
        return void this.group.messages.push(message.bytes);
      }
      case 'B': {
        const { portal, statement } = bindMessage(message);
        this.portals.set(portal, this.statements.get(statement) ?? '');
        return void this.group.messages.push(message.bytes);
      }
      case 'E': {
        const sql = this.portals.get(executePortal(message)) ?? '';
        this.group.queries.push(callLabel(sql));
        if (this.spans) (this.group.traced ??= []).push(sql);
        return void this.group.messages.push(message.bytes);
      }
      case 'D':
      case 'C':
        return void this.group.messages.push(message.bytes);
      case 'S':
      case 'H': {
        const cycle = this.group;
        this.group = emptyCycle();
        cycle.messages.push(message.bytes);
        cycle.synced = message.type === 'S';
        cycle.readies = cycle.synced ? 1 : 0;
        return this.schedule(cycle);
      }
      case 'Q': {
        const sql = querySql(message);
        return this.schedule({ messages: [message.bytes], queries: [callLabel(sql)], readies: 1, synced: false, traced: this.spans ? [sql] : undefined });
      }
      case 'X':
        return this.schedule({ messages: [message.bytes], queries: [], readies: 0, synced: false, raw: true });
      default:
        // Password, COPY data and the like: part of a cycle the gate already serves.
        return this.schedule({ messages: [message.bytes], queries: [], readies: 0, synced: false });
    }
  }

  private schedule(cycle: Cycle): void {
    this.chain = this.chain.then(() => this.forward(cycle)).catch((error: unknown) => {
      this.options.logger?.warn({ err: error }, 'grc proxy failed to forward');
      this.finish();
    });
  }

  private async forward(cycle: Cycle): Promise<void> {
    if (!this.spans) return void (await this.relay(cycle));
    const spans = this.spans.start(cycle.traced);
    const outcome = await this.relay(cycle).catch((error: unknown) => {
      this.spans?.settled(spans, error as Error);
      throw error;
    });
    if (outcome === 'sent') this.spans.sent(spans, cycle.readies);
    else this.spans.settled(spans, outcome === 'failed' ? sqlError(INJECTED_SQLSTATE, 'grc is temporarily unavailable (injected fault)') : undefined);
  }

  /** Counts the cycle, applies the faults, and writes it to the backend unless it failed or the connection went. */
  private async relay(cycle: Cycle): Promise<'sent' | 'failed' | 'dropped'> {
    for (const label of cycle.queries) {
      this.options.calls.count(label);
      sqlQueries.inc({ query: queryLabel(label) });
    }
    if (cycle.queries.length > 0) {
      const [low, high] = this.options.faults.latencyMs;
      if (high > 0) await sleep(low + Math.random() * (high - low));
      if (this.options.faults.failureRate > 0 && Math.random() < this.options.faults.failureRate) {
        this.fail(cycle);
        return 'failed';
      }
    }
    if (this.failedUntilSync) {
      this.failedUntilSync = !cycle.synced;
      if (cycle.synced) this.client.write(readyForQuery(this.status));
      return 'dropped';
    }
    await this.connected;
    if (this.closed) return 'dropped';
    if (!cycle.raw) await this.gate?.acquire(this);
    if (this.closed) {
      this.gate?.release(this);
      return 'dropped';
    }
    this.outstanding += cycle.readies;
    this.upstream.write(cycle.messages.length === 1 ? cycle.messages[0]! : Buffer.concat(cycle.messages));
    return 'sent';
  }

  private fail(cycle: Cycle): void {
    this.client.write(errorResponse(INJECTED_SQLSTATE, 'grc is temporarily unavailable (injected fault)'));
    // The proxy answers in the backend's place: a failed transaction stays failed ('E').
    if (cycle.readies > 0) this.client.write(readyForQuery(this.status === 'I' ? 'I' : 'E'));
    else this.failedUntilSync = true;
  }

  private fromBackend(chunk: Buffer): void {
    if (!this.closed) this.client.write(chunk);
    let messages: WireMessage[];
    try {
      messages = this.backend.push(chunk);
    } catch {
      return this.finish();
    }
    for (const message of messages) {
      this.spans?.backend(message);
      if (message.type !== 'Z') continue;
      this.status = readyStatus(message);
      this.outstanding = Math.max(0, this.outstanding - 1);
      if (this.outstanding > 0) continue;
      // pglite-socket rolls back a transaction its client abandoned, once the connection is gone.
      if (this.closed) return this.finish();
      if (this.status === 'I') this.gate?.release(this);
    }
  }
}

function emptyCycle(): Cycle {
  return { messages: [], queries: [], readies: 0, synced: false };
}
