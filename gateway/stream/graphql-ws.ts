/**
 * graphql-ws on the gateway's /graphql (same port as HTTP): `ws` in `noServer` mode, fed by the
 * HTTP server's `upgrade` event, and graphql-ws's `useServer` as the thin adapter between the
 * socket library and graphql-ws's transport-free protocol core. What to run is the stream core's
 * business; this file maps the connection's life to the protocol vocabulary:
 * credentials are checked at `connection_init` (4401), their expiry closes the connection (4011),
 * and a subscriber that overflows its queue gets the connection closed (4008). Subscription events
 * are written by EventPump (serialised once per event, not once per socket).
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer } from 'ws';
import { useServer, type Extra } from 'graphql-ws/use/ws';
import { GraphQLError, type ExecutionResult } from 'graphql';
import { httpStatusOf, passerelleError } from '../../common/errors.ts';
import type { Logger } from '../../common/logger.ts';
import { headersWithConnectionParams, whenCredentialsExpire } from '../authenticate/index.ts';
import type { Pipeline, Principal, ReceivedRequest } from '../pipeline.ts';
import { callerKey } from '../limit/index.ts';
import { CloseCode, TERMINATIONS, TOO_MANY_CONNECTIONS, type Termination } from './protocol.ts';
import type { Release, SocketSlots, SubscriptionCaps } from './subscription-caps.ts';
import type { DocumentResolver } from '../receive/documents.ts';
import { PreparedOperation, type StreamCore } from './operations.ts';
import { EventPump, type EventSocket } from './event-pump.ts';
import { StreamOutcome } from './outcome.ts';

export interface GraphQLWsOptions {
  core: StreamCore;
  pipeline: Pipeline;
  logger: Logger;
  /** The caller's address (X-Forwarded-For from trusted proxies, receive/client-address.ts); default: the TCP peer. */
  clientAddress?: (request: IncomingMessage) => string | undefined;
  /** Largest message a client may send (MAX_BODY_BYTES); larger closes the socket (1009). */
  maxPayloadBytes: number;
  /** Paths served (default ['/graphql']); other upgrades are refused with 404. */
  paths?: readonly string[];
  /** How long a client has to send `connection_init` (default 3,000 ms), then 4408. */
  connectionInitWaitTimeoutMs?: number;
  /** Server pings every so often; a client that does not pong is dropped (default 12,000 ms). */
  keepAliveMs?: number;
  /**
   * Caps on connections and subscriptions per caller (subscription-caps.ts): one connection too
   * many is closed with 4029, one subscription too many gets TOO_MANY_SUBSCRIPTIONS. Default: none.
   */
  caps?: SubscriptionCaps;
  /** Trusted documents (and persisted-query hashes) checked per `subscribe`, as on HTTP (receive/documents.ts). Default: none. */
  documents?: DocumentResolver;
}

/** What the gateway keeps per connection, next to graphql-ws's own context. */
type ConnectionState = {
  principal: Principal;
  cancelExpiry: () => void;
  /** Open subscriptions by graphql-ws id, ended at once when the connection is terminated. */
  streams: Map<string, AsyncIterableIterator<unknown>>;
  /** Whom the caps and rate limits count (callerKey). */
  caller: string;
  /** This connection's subscriptions, for MAX_SUBSCRIPTIONS_PER_SOCKET. */
  slots: SocketSlots;
  /** Subscription slots by graphql-ws id, given back when the operation ends. */
  leases: Map<string, Release>;
  /** Gives back this connection's slot (MAX_SOCKETS_PER_PRINCIPAL). */
  releaseSocket: Release;
  /** Each running operation's outcome (pipeline.outcome), reported when it ends. */
  outcomes: Map<string, StreamOutcome>;
  /** The last subscribe being admitted and prepared: the next one waits for it (arrival order). */
  arrivals: Promise<void>;
};
/** The socket and upgrade request (graphql-ws's), and our state once the connection is initialised. */
type Connection = Extra & Partial<ConnectionState>;

export interface GraphQLWsTransport {
  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void;
  close(): Promise<void>;
}

export function createGraphQLWsTransport(options: GraphQLWsOptions): GraphQLWsTransport {
  const { core, pipeline, logger } = options;
  const paths = options.paths ?? ['/graphql'];
  const received = receivedWith(options.clientAddress);
  // No permessage-deflate: EventPump writes whole frames straight to the TCP socket, which is only
  // safe while `ws` writes its own frames synchronously (it queues them while compressing).
  const wss = new WebSocketServer({ noServer: true, maxPayload: options.maxPayloadBytes, perMessageDeflate: false });
  /** Each WebSocket's TCP socket (we own the upgrade), for EventPump's frames. */
  const eventSockets = new WeakMap<WebSocket, EventSocket>();

  const server = useServer<Record<string, unknown>, ConnectionState>(
    {
      connectionInitWaitTimeout: options.connectionInitWaitTimeoutMs ?? 3_000,
      async onConnect(ctx) {
        const { socket, request } = ctx.extra;
        try {
          // Credentials in connectionParams (a bearer token or an API key); one of another type is refused.
          const headers = headersWithConnectionParams(request.headers, ctx.connectionParams);
          ctx.extra.principal = await pipeline.authenticate(received(request, headers));
        } catch (error) {
          const refused = httpStatusOf(codeOf(error)) === 401;
          if (!refused) logger.error({ err: error }, 'authentication failed unexpectedly');
          socket.close(refused ? CloseCode.Unauthorized : CloseCode.Forbidden, closeReason(error, refused));
          return false;
        }
        ctx.extra.caller = callerKey(ctx.extra.principal);
        const releaseSocket = options.caps ? options.caps.openSocket(ctx.extra.caller) : () => {};
        if (!releaseSocket) {
          socket.close(TOO_MANY_CONNECTIONS.closeCode, TOO_MANY_CONNECTIONS.reason);
          return false;
        }
        ctx.extra.releaseSocket = releaseSocket;
        ctx.extra.slots = { open: 0 };
        ctx.extra.leases = new Map();
        ctx.extra.streams = new Map();
        ctx.extra.outcomes = new Map();
        ctx.extra.cancelExpiry = whenCredentialsExpire(ctx.extra.principal, () => terminate(ctx.extra, 'CREDENTIALS_EXPIRED'));
        return true;
      },
      async onSubscribe(ctx, id, payload) {
        const principal = ctx.extra.principal;
        if (!principal) return [passerelleError('UNAUTHENTICATED', 'The connection is not initialised.')];
        // One socket's operations are admitted, prepared and counted against its caps in the order
        // they arrived: a document seen for the first time takes more turns of the event loop
        // (plan/prepare.ts) than a known one, and must not let a later subscribe overtake it.
        const previous = ctx.extra.arrivals;
        let admitted!: () => void;
        ctx.extra.arrivals = new Promise<void>((resolve) => (admitted = resolve));
        const admit = async () => {
          const { request } = ctx.extra;
          const outcome = new StreamOutcome(pipeline, 'graphql-ws', principal);
          outcome.named(payload.operationName);
          // A refusal is the operation's whole outcome.
          const refuse = (errors: readonly GraphQLError[]) => {
            outcome.errors(errors);
            outcome.report();
            return errors;
          };
          try {
            // Each operation over a socket counts, as an HTTP request does (rate limits, quotas).
            await pipeline.admit({ principal, request: received(request, request.headers), transport: 'graphql-ws', setHeader: () => {} });
          } catch (error) {
            if (error instanceof GraphQLError) return refuse([error]);
            throw error;
          }
          let query: string | undefined;
          try {
            query = options.documents ? await options.documents.resolve(payload, principal) : payload.query;
          } catch (error) {
            if (error instanceof GraphQLError) return refuse([error]);
            throw error;
          }
          const prepared = await core.prepare({ ...payload, query: query ?? '' }, principal);
          if (!prepared.ok) return refuse(prepared.errors);
          outcome.prepared(prepared.operation);
          if (prepared.operation.kind === 'subscription' && options.caps && ctx.extra.slots && ctx.extra.caller !== undefined) {
            // Checked and counted in one synchronous step: a burst of subscribes cannot all pass.
            const lease = options.caps.reserve(ctx.extra.caller, ctx.extra.slots);
            if (lease instanceof GraphQLError) return refuse([lease]);
            ctx.extra.leases?.set(id, lease);
          }
          ctx.extra.outcomes?.set(id, outcome);
          return {
            schema: prepared.operation.schema,
            document: prepared.operation.document,
            operationName: payload.operationName,
            variableValues: payload.variables,
            contextValue: new Invocation(prepared.operation, ctx.extra, id),
          };
        };
        try {
          await previous;
          return await admit();
        } finally {
          admitted();
        }
      },
      execute(args) {
        const { operation, connection, id } = invocationOf(args.contextValue);
        const gaveUp = new AbortController();
        // The socket closing aborts it (onClose releases every lease), and so does the client's `complete`.
        connection.leases?.set(id, () => gaveUp.abort());
        return abortableResult(operation.execute(gaveUp.signal), gaveUp);
      },
      subscribe(args) {
        const { operation, connection, id } = invocationOf(args.contextValue);
        const stream = operation.subscribe({ onOverflow: () => terminate(connection, 'SUBSCRIBER_TOO_SLOW') });
        // Events go out through the pump (one serialisation per event for all sockets); graphql-ws
        // sees an iterator without values that ends with the stream, and then completes or errors.
        const socket = eventSockets.get(connection.socket);
        if (!socket) throw new Error('graphql-ws connection without its TCP socket');
        const pump = new EventPump(stream, socket, id, core.encodeResult);
        connection.streams?.set(id, pump);
        return pump;
      },
      // Queries and mutations over graphql-ws only: subscription events bypass it (EventPump).
      onNext(ctx, id, _payload, _args, result) {
        const shaped = core.shapeResult(result);
        ctx.extra.outcomes?.get(id)?.errors(shaped.errors);
        return shaped;
      },
      onError(ctx, id, _payload, errors) {
        const shaped = core.shapeErrors(errors);
        ctx.extra.outcomes?.get(id)?.errors(shaped);
        return shaped;
      },
      // Called however the operation ended: completed upstream, failed, or stopped by the client.
      onComplete(ctx, id) {
        ctx.extra.outcomes?.get(id)?.report();
        ctx.extra.outcomes?.delete(id);
        ctx.extra.streams?.delete(id);
        ctx.extra.leases?.get(id)?.();
        ctx.extra.leases?.delete(id);
      },
      onClose(ctx) {
        ctx.extra.cancelExpiry?.();
        ctx.extra.releaseSocket?.();
        for (const release of ctx.extra.leases?.values() ?? []) release();
        ctx.extra.leases?.clear();
        for (const stream of ctx.extra.streams?.values() ?? []) void stream.return?.();
        // Operations still running when the socket went (the client left, or was closed): they end here.
        for (const outcome of ctx.extra.outcomes?.values() ?? []) outcome.report();
        ctx.extra.outcomes?.clear();
      },
    },
    wss,
    options.keepAliveMs ?? 12_000,
  );

  return {
    handleUpgrade(request, socket, head) {
      const url = new URL(request.url ?? '/', 'http://gateway');
      if (!paths.includes(url.pathname)) {
        socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
        return;
      }
      try {
        pipeline.receive(received(request, request.headers));
      } catch (error) {
        const status = httpStatusOf(codeOf(error));
        socket.end(`HTTP/1.1 ${status} Refused\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
        return;
      }
      wss.handleUpgrade(request, socket, head, (ws) => {
        eventSockets.set(ws, {
          get open() {
            return ws.readyState === WebSocket.OPEN;
          },
          writeFrame: (frame, callback) => void socket.write(frame, callback),
        });
        wss.emit('connection', ws, request);
      });
    },
    async close() {
      // Clients get 1001 (going away); one that does not answer the closing handshake is cut.
      const grace = setTimeout(() => {
        for (const client of wss.clients) client.terminate();
      }, 1_000);
      await server.dispose();
      clearTimeout(grace);
    },
  };
}

/**
 * A query or mutation's single result as a one-value iterator. graphql-ws awaits a plain promise
 * without registering it, so a client's `complete` could not reach it; an iterator it registers at
 * once, and its `return` (the client's `complete`) aborts the subgraph fetches still running.
 */
function abortableResult(result: Promise<ExecutionResult>, gaveUp: AbortController): AsyncIterableIterator<ExecutionResult> {
  let delivered = false;
  let settled = false;
  void result.then(
    () => (settled = true),
    () => (settled = true),
  );
  return {
    [Symbol.asyncIterator]() {
      return this;
    },
    async next() {
      if (delivered) return { done: true, value: undefined };
      delivered = true;
      return { done: false, value: await result };
    },
    async return() {
      if (!settled) gaveUp.abort();
      delivered = true;
      return { done: true, value: undefined };
    },
  };
}

/** One operation on one connection: graphql-ws hands it from `onSubscribe` to `execute`/`subscribe` as the context value. */
class Invocation {
  readonly operation: PreparedOperation;
  readonly connection: Connection;
  readonly id: string;

  constructor(operation: PreparedOperation, connection: Connection, id: string) {
    this.operation = operation;
    this.connection = connection;
    this.id = id;
  }
}

function invocationOf(contextValue: unknown): Invocation {
  if (contextValue instanceof Invocation) return contextValue;
  throw new Error('graphql-ws ran an operation the gateway did not prepare');
}

/**
 * The gateway ends the connection on its own: the close frame tells the client why, and its
 * subscriptions are detached now rather than when the closing handshake completes, which a client
 * that stopped reading may never do.
 */
function terminate(connection: Connection, termination: Termination): void {
  const { closeCode, reason } = TERMINATIONS[termination];
  for (const outcome of connection.outcomes?.values() ?? []) outcome.errors([{ extensions: { code: termination } }]);
  connection.cancelExpiry?.();
  connection.socket.close(closeCode, reason);
  for (const stream of connection.streams?.values() ?? []) void stream.return?.();
  connection.streams?.clear();
}

function receivedWith(clientAddress: GraphQLWsOptions['clientAddress']) {
  return (request: IncomingMessage, headers: IncomingMessage['headers']): ReceivedRequest => ({
    method: request.method ?? 'GET',
    path: new URL(request.url ?? '/', 'http://gateway').pathname,
    headers,
    remoteAddress: clientAddress ? clientAddress(request) : request.socket.remoteAddress,
  });
}

// Duck-typed: graphql-ws hands over whatever its own resolvers threw.
function codeOf(error: unknown): string | undefined {
  const code = (error as { extensions?: { code?: unknown } } | undefined)?.extensions?.code;
  return typeof code === 'string' ? code : undefined;
}

/** Close reasons are limited to 123 bytes; the catalogue messages fit, unexpected ones may not. */
function closeReason(error: unknown, refused: boolean): string {
  const message = refused && error instanceof Error ? error.message : 'Forbidden';
  return Buffer.byteLength(message) <= 123 ? message : 'Unauthenticated';
}
