/**
 * Subscriptions of the requests subgraph (`requestUpdated`, `serviceQueue`), served over graphql-ws
 * on the subgraph's own `/graphql` URL, where the gateway opens them for its clients. Who calls is
 * the gateway-signed identity in `connectionParams.identity`, verified once at connect: a socket
 * without a valid one is closed with 4401 before any subscription (common/identity.ts). Who may
 * follow what is the row rules' business (access/rules.ts): `requestUpdated` for the request's
 * citizen, the agents of its service and operators; `serviceQueue` for that service's agents and
 * operators; each event's personal fields as for any read.
 *
 * Each event is executed with a fresh context from the subgraph's own `createContext` — fresh
 * DataLoaders, the same caller — rather than one context for the whole subscription: a stream
 * lives for hours, and loaders cache forever, so a single context would keep serving the first
 * event's timeline. The emitted `Request` is the journal's snapshot (the request as it was right
 * after that change, with its `cursor`); its other fields resolve as usual, i.e. as they are now.
 */
import type { Server } from 'node:http';
import {
  GraphQLError, createSourceEventStream, execute, type ExecutionArgs, type ExecutionResult, type GraphQLSchema,
} from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import { badUserInput, passerelleError } from '../../common/errors.ts';
import type { Logger } from '../../common/logger.ts';
import { counter, histogram } from '../../common/metrics.ts';
import { REQUEST_REFERENCE, expectFormat, identityFromConnectionParams, identityKey, type Caller } from '../kit/index.ts';
import { decodeCursor, encodeCursor, type ChangeCapture, type Cursor, type JournalEntry } from './capture/index.ts';
import { requestFromSnapshot, type RequestRecord } from './connector.ts';
import { cacheInvalidationStream } from './cache-invalidations.ts';
import type { RequestsContext } from './resolvers.ts';

export interface TrackingContext extends RequestsContext {
  changes: ChangeCapture;
  /** The context the next event runs with: fresh loaders, the same caller. */
  nextEventContext(): Promise<TrackingContext>;
}

const delivered = counter({ name: 'passerelle_events_delivered_total', help: 'Subscription events the requests subgraph sent to its subscribers (the gateway\'s upstream subscriptions).' });
const deliveryLatency = histogram({
  name: 'passerelle_event_delivery_seconds',
  help: 'From a change captured in the GRC journal to its event sent to a subscriber (replays of older changes after a resume included).',
  buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300],
});

/** A request as one change left it, with its position in the feed. */
export type TrackedRequest = RequestRecord & { cursor: string };

const OVER_HTTP = 'Subscriptions are served over graphql-ws, on this same /graphql URL.';

/** The subscription's context; a subscription sent over HTTP has none (graphql-js would run it as a query). */
function tracking(context: RequestsContext): TrackingContext {
  if (!isTracking(context)) throw passerelleError('BAD_REQUEST', OVER_HTTP);
  return context;
}

function isTracking(context: RequestsContext): context is TrackingContext {
  return 'changes' in context;
}

function trackedRequest(entry: JournalEntry | undefined): TrackedRequest {
  if (!entry?.snapshot) throw passerelleError('BAD_REQUEST', OVER_HTTP);
  return { ...requestFromSnapshot(entry.snapshot), cursor: encodeCursor(entry.cursor) };
}

function afterArgument(after: string | null | undefined): Cursor | null {
  return after == null ? null : decodeCursor('after', after);
}

export const subscriptionResolvers = {
  Subscription: {
    requestUpdated: {
      subscribe: async (_: unknown, args: { reference: string; after?: string | null }, requestContext: RequestsContext) => {
        const context = tracking(requestContext);
        const reference = expectFormat('reference', args.reference, REQUEST_REFERENCE);
        const after = afterArgument(args.after);
        // Only an agent's right depends on the request (its service now).
        const current = context.access.viewer.role === 'agent' ? await context.loaders.requestByReference.load(reference) : null;
        await context.access.assertMayFollow(reference, current);
        return context.changes.open({ reference }, after);
      },
      resolve: trackedRequest,
    },
    serviceQueue: {
      subscribe: async (_: unknown, args: { service: string; after?: string | null }, requestContext: RequestsContext) => {
        const context = tracking(requestContext);
        const { role } = context.access.viewer;
        if (role === 'anonymous') throw passerelleError('UNAUTHENTICATED', 'serviceQueue needs an agent\'s credentials (scope "agent").');
        if (role !== 'agent' && role !== 'operator') throw passerelleError('FORBIDDEN', 'serviceQueue is for agents (scope "agent") and operators.');
        const after = afterArgument(args.after);
        const service = (await context.loaders.services.load('all')).find((candidate) => candidate.code === args.service);
        if (!service) throw badUserInput('service', `${JSON.stringify(args.service.slice(0, 40))} is not a service code (see \`services\`)`);
        await context.access.assertMayWatchService(service);
        return context.changes.open({ service: args.service }, after);
      },
      resolve: trackedRequest,
    },
    // The gateway's public-data cache (cache-invalidations.ts); tags of public data, so any caller.
    cacheInvalidations: {
      subscribe: (_: unknown, __: unknown, requestContext: RequestsContext) => cacheInvalidationStream(tracking(requestContext).changes),
      resolve: (tags: string[]) => tags,
    },
  },
};

export interface SubscriptionServerOptions {
  changes: ChangeCapture;
  /** The subgraph's per-request context factory; it gets the identity verified at connect. */
  createContext: (request: { identity: Caller | null }) => RequestsContext | Promise<RequestsContext>;
  /** GATEWAY_SECRET, to verify `connectionParams.identity`. */
  gatewaySecret: string;
  logger: Logger;
}

/**
 * Serves graphql-ws on `server`'s `/graphql` (for `startSubgraph`'s `onServer`); resolves the
 * returned function once every socket is closed and every stream has left the bus.
 */
export function serveSubscriptions(server: Server, schema: GraphQLSchema, options: SubscriptionServerOptions): () => Promise<void> {
  const { logger } = options;
  const key = identityKey(options.gatewaySecret);
  const contextFor = async (identity: Caller | null): Promise<TrackingContext> => {
    const base = await options.createContext({ identity });
    return { ...base, changes: options.changes, nextEventContext: () => contextFor(identity) };
  };
  /** The caller of each connection, verified once at connect. */
  const callers = new WeakMap<object, Caller | null>();
  const sockets = new WebSocketServer({ server, path: '/graphql' });
  const served = useServer(
    {
      schema,
      onConnect: async (ctx) => {
        try {
          callers.set(ctx, await identityFromConnectionParams(ctx.connectionParams, key));
          return true;
        } catch {
          // 4401 Unauthorized, as graphql-ws clients expect for refused credentials.
          ctx.extra.socket.close(4401, 'Unauthorized: no valid gateway-signed identity');
          return false;
        }
      },
      context: (ctx) => contextFor(callers.get(ctx) ?? null),
      subscribe: (args) => subscribeWithFreshContexts(args, logger),
      execute: async (args) => masked(await execute(args), logger),
    },
    sockets,
  );
  return async () => {
    await served.dispose();
    await new Promise<void>((resolve) => sockets.close(() => resolve()));
  };
}

/**
 * graphql-js `subscribe`, except that each event runs with `nextEventContext()`, and that a stream
 * failing (GRC away during a catch-up, subscriber too slow) ends with one last result carrying the
 * error, so the client learns why and can resume from its last cursor.
 */
async function subscribeWithFreshContexts(args: ExecutionArgs, logger: Logger): Promise<AsyncIterableIterator<ExecutionResult> | ExecutionResult> {
  const source = await createSourceEventStream(args);
  if (!isAsyncIterable(source)) return masked(source, logger);
  const events = source[Symbol.asyncIterator]();
  const base = tracking(args.contextValue as RequestsContext);
  let finished = false;
  const results: AsyncIterableIterator<ExecutionResult> = {
    async next() {
      if (finished) return { value: undefined, done: true };
      let event: IteratorResult<unknown>;
      try {
        event = await events.next();
      } catch (error) {
        finished = true;
        return { value: masked({ errors: [asGraphQLError(error)] }, logger), done: false };
      }
      if (event.done || finished) {
        finished = true;
        return { value: undefined, done: true };
      }
      const result = await execute({ ...args, rootValue: event.value, contextValue: await base.nextEventContext() });
      delivered.inc();
      const capturedAt = (event.value as Partial<JournalEntry> | undefined)?.at;
      if (typeof capturedAt === 'number') deliveryLatency.observe(Math.max(0, Date.now() - capturedAt) / 1000);
      return { value: masked(result, logger), done: false };
    },
    async return() {
      finished = true;
      await events.return?.();
      return { value: undefined, done: true };
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
  return results;
}

function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return typeof value === 'object' && value !== null && Symbol.asyncIterator in value;
}

function asGraphQLError(error: unknown): GraphQLError {
  return error instanceof GraphQLError ? error : new GraphQLError((error as Error).message, { originalError: error as Error });
}

/** As the HTTP side does (kit/server.ts): catalogue codes pass, anything else is logged and hidden. */
function masked(result: ExecutionResult, logger: Logger): ExecutionResult {
  if (!result.errors?.length) return result;
  const errors = result.errors.map((error) => {
    const code = error.extensions?.code;
    if (typeof code === 'string' && code !== 'INTERNAL_SERVER_ERROR') return error;
    logger.error({ err: error.originalError ?? error }, 'subscription resolver error');
    return new GraphQLError('Internal server error', { path: error.path, extensions: { code: 'INTERNAL_SERVER_ERROR' } });
  });
  return { ...result, errors };
}
