/**
 * The primary fetch of a subscription plan, run against the owning subgraph over graphql-ws (the
 * subgraph's URL with ws: in place of http:, same path).
 *
 * Upstream subscriptions to the same subgraph URL with the same credentials share one socket,
 * since graphql-ws carries any number of operations per connection. One socket per subscription
 * would cost, for 10,000 clients each following a different request, 10,000 more sockets in the
 * gateway (past the usual file-descriptor limit once the clients' own are counted), as many
 * `connection_init` identity checks in the subgraph and keep-alive pings by the thousand. Callers
 * never mix: a socket carries one caller's gateway-signed identity in `connectionParams.identity`,
 * so callers of different authority (kind, id, scopes) get different sockets; the caller's own
 * credentials never leave the gateway. A socket closes when its last subscription ends.
 *
 * Nothing is retried here: a failed upstream ends the subscription with an error naming the
 * subgraph — every subscription on that socket, when the socket itself fails — and says whether the
 * failure is the connection's (`transient`: worth re-subscribing, which subscription-source.ts does
 * from the last cursor) or the subgraph's answer (refused, invalid: it would fail again).
 */
import { createClient, type Client } from 'graphql-ws';
import { WebSocket } from 'ws';
import { GraphQLError, type FormattedExecutionResult, type GraphQLFormattedError } from 'graphql';
import { passerelleError, type ErrorCode } from '../../common/errors.ts';
import { describeFailure } from './describe-failure.ts';

export interface UpstreamSubscriptionOptions {
  subgraph: string;
  /** The subgraph's HTTP GraphQL URL. */
  url: string;
  query: string;
  operationName: string | undefined;
  variables: Record<string, unknown>;
  /** The caller's gateway-signed identity, sent as `connectionParams.identity` each time the socket connects. */
  identity: () => string;
  /** Who may share the socket: subscriptions with the same authority key (gateway/authenticate `authorityKey`). */
  authority: string;
  /** Longest wait for the subgraph to acknowledge the connection, and for a pong to a ping. */
  timeoutMs: number;
  /** How often the gateway pings the subgraph to notice a dead connection. Default 10,000. */
  keepAliveMs?: number;
}

export interface UpstreamSink {
  next(result: FormattedExecutionResult): void;
  /**
   * The subscription failed; the errors carry catalogue codes and name the subgraph. `transient`:
   * the connection failed (unreachable, dropped, silent), not the subscription itself.
   */
  error(errors: readonly GraphQLError[], transient: boolean): void;
  complete(): void;
  /** The socket carrying the subscription is connected (at once if it already was). */
  connected?(): void;
}

// Close codes a subgraph uses to say who is wrong, mapped to what the client should understand.
const CLOSE_CODE_ERRORS: Record<number, ErrorCode> = { 4401: 'UNAUTHENTICATED', 4403: 'FORBIDDEN' };

/** One graphql-ws client (one socket) and the subscriptions using it. */
interface SharedConnection {
  readonly client: Client;
  users: number;
  connected: boolean;
  /** Told each time the socket is acknowledged. */
  readonly listeners: Set<() => void>;
}

/**
 * Process-wide, keyed by URL and caller authority: only subscriptions that could share a socket meet
 * here, whichever gateway instance opened them, and each one releases its share when it ends, so
 * there is nothing else to close.
 */
const connections = new Map<string, SharedConnection>();

/** Sockets open to subgraphs right now (for tests and diagnostics). */
export function upstreamConnectionCount(): number {
  return connections.size;
}

/** The shared connection for these options (opened lazily by its first subscription), and how to give it back. */
function acquire(options: UpstreamSubscriptionOptions): { client: Client; shared: SharedConnection; release: () => void } {
  const key = JSON.stringify([options.url, options.authority]);
  let connection = connections.get(key);
  if (!connection) {
    const listeners = new Set<() => void>();
    const opened: SharedConnection = {
      client: openClient(options, {
        connected: () => {
          opened.connected = true;
          for (const listener of [...listeners]) listener();
        },
        closed: () => {
          opened.connected = false;
          if (connections.get(key) === opened) connections.delete(key);
        },
      }),
      users: 0,
      connected: false,
      listeners,
    };
    connection = opened;
    connections.set(key, connection);
  }
  const shared = connection;
  shared.users += 1;
  let released = false;
  return {
    client: shared.client,
    shared,
    release: () => {
      if (released) return;
      released = true;
      shared.users -= 1;
      if (shared.users > 0) return;
      if (connections.get(key) === shared) connections.delete(key);
      void shared.client.dispose();
    },
  };
}

/** `closed`: the socket closed — a failed one serves no later subscription, which opens a fresh client. */
function openClient(options: UpstreamSubscriptionOptions, events: { connected: () => void; closed: () => void }): Client {
  let pongTimer: NodeJS.Timeout | undefined;
  const client = createClient({
    url: options.url.replace(/^http/, 'ws'),
    webSocketImpl: WebSocket,
    connectionParams: () => ({ identity: options.identity() }),
    lazy: true,
    lazyCloseTimeout: 0,
    retryAttempts: 0,
    connectionAckWaitTimeout: options.timeoutMs,
    keepAlive: options.keepAliveMs ?? 10_000,
    on: {
      // graphql-ws pings but never gives up on a silent peer; a half-open socket would keep the
      // client subscriptions open forever, so no pong in time ends it.
      ping: (received) => {
        if (received) return;
        clearTimeout(pongTimer);
        pongTimer = setTimeout(() => client.terminate(), options.timeoutMs);
        pongTimer.unref();
      },
      pong: (received) => {
        if (received) clearTimeout(pongTimer);
      },
      connected: () => events.connected(),
      closed: () => {
        clearTimeout(pongTimer);
        events.closed();
      },
    },
  });
  return client;
}

/** Opens the upstream subscription; the returned function completes it (idempotent). */
export function subscribeUpstream(options: UpstreamSubscriptionOptions, sink: UpstreamSink): () => void {
  const { subgraph } = options;
  const { client, shared, release: giveBack } = acquire(options);
  let done = false;
  const connected = () => {
    if (!done) sink.connected?.();
  };
  shared.listeners.add(connected);
  const release = () => {
    shared.listeners.delete(connected);
    giveBack();
  };
  const finish = () => {
    done = true;
    release();
  };
  const unsubscribe = client.subscribe<Record<string, unknown>, Record<string, unknown>>(
    { query: options.query, operationName: options.operationName, variables: options.variables },
    {
      next: (result) => {
        if (!done) sink.next(result);
      },
      error: (error) => {
        if (done) return;
        finish();
        sink.error(upstreamErrors(subgraph, error), isTransient(error));
      },
      complete: () => {
        if (done) return;
        finish();
        sink.complete();
      },
    },
  );
  if (shared.connected) queueMicrotask(connected);
  return () => {
    if (done) return;
    done = true;
    unsubscribe();
    release();
  };
}

/**
 * Whether the connection failed rather than the subscription: a socket error, a close with a
 * WebSocket code (1001 going away, 1006 abnormal, 1011, 1012 restart…), or graphql-ws's own
 * connection failures (4499 terminated by the keep-alive, 4500 server error, 4504 no ack in time).
 * A subgraph's GraphQL errors or a refusal (4400, 4401, 4403…) would only happen again.
 */
function isTransient(error: unknown): boolean {
  if (Array.isArray(error)) return false;
  if (!isCloseEvent(error)) return true;
  return error.code < 4000 || error.code === 4499 || error.code === 4500 || error.code === 4504;
}
/** What graphql-ws reports (error messages, a close event, a socket error) as catalogue errors. */
function upstreamErrors(subgraph: string, error: unknown): GraphQLError[] {
  if (Array.isArray(error)) {
    return (error as GraphQLFormattedError[]).map((formatted) => {
      // As for HTTP fetches: a code the subgraph chose is kept, none becomes SUBGRAPH_ERROR.
      const code = typeof formatted.extensions?.code === 'string' ? formatted.extensions.code : 'SUBGRAPH_ERROR';
      return new GraphQLError(formatted.message, { extensions: { ...formatted.extensions, code, subgraph } });
    });
  }
  if (isCloseEvent(error)) {
    const code = CLOSE_CODE_ERRORS[error.code] ?? 'SUBGRAPH_UNAVAILABLE';
    const why = error.reason ? `: ${error.reason}` : '';
    return [passerelleError(code, `Subgraph "${subgraph}" closed the subscription (${error.code}${why}).`, { subgraph, closeCode: error.code })];
  }
  return [passerelleError('SUBGRAPH_UNAVAILABLE', `Subgraph "${subgraph}" is unreachable (${describeFailure(error)}).`, { subgraph })];
}

function isCloseEvent(value: unknown): value is { code: number; reason: string } {
  return typeof value === 'object' && value !== null && typeof (value as { code?: unknown }).code === 'number' && 'reason' in value;
}
