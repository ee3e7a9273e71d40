/**
 * The gateway's HTTP surface: `/graphql` (GET and POST; with `Accept: text/event-stream`, or on
 * `/graphql/stream`, the answer is an SSE stream), `/health` (the process, its supergraph and its
 * subscription counts) and `/health/subgraphs` (each subgraph answers `{ __typename }`). Everything
 * a client can get wrong at the HTTP level is answered with a catalogue error, never a stack trace.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ApolloServer } from '@apollo/server';
import { headerMapOf } from '../../common/http.ts';
import { GraphQLError } from 'graphql';
import { passerelleError } from '../../common/errors.ts';
import type { Logger } from '../../common/logger.ts';
import type { GatewayContext, Pipeline, ReceivedRequest } from '../pipeline.ts';
import { sendApolloResponse, sendGraphQLError, sendJson } from '../respond/index.ts';
import { acceptsEventStream, type EventStreamHandler, type SubscriptionCounts } from '../stream/index.ts';
import { readBody } from './read-body.ts';

export type { GatewayContext };

export interface HttpHandlerOptions {
  apollo: ApolloServer<GatewayContext>;
  pipeline: Pipeline;
  logger: Logger;
  maxBodyBytes: number;
  /** Current subgraph names and URLs (they change when the supergraph does). */
  subgraphs: () => ReadonlyMap<string, string>;
  probeSubgraph: (url: string) => Promise<boolean>;
  /** Serves requests that ask for an event stream (SSE); without it they get a single JSON answer. */
  eventStream?: EventStreamHandler;
  /** Subscription counts shown on /health. */
  subscriptions?: () => SubscriptionCounts;
}

export function createHttpHandler(options: HttpHandlerOptions) {
  const { apollo, pipeline, logger } = options;

  async function graphql(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const method = req.method ?? 'GET';
    if (method !== 'GET' && method !== 'POST') {
      throw passerelleError('METHOD_NOT_ALLOWED', `Method ${method} is not allowed on /graphql; use GET or POST.`);
    }
    const received: ReceivedRequest = {
      method,
      path: url.pathname,
      headers: req.headers,
      remoteAddress: req.socket.remoteAddress,
    };
    pipeline.receive(received);

    let body: unknown;
    if (method === 'POST') {
      const text = await readBody(req, options.maxBodyBytes);
      try {
        body = text === '' ? {} : JSON.parse(text);
      } catch {
        throw passerelleError('BAD_REQUEST', 'The request body is not valid JSON.');
      }
    }
    const principal = await pipeline.authenticate(received);
    if (options.eventStream && (url.pathname === '/graphql/stream' || acceptsEventStream(req.headers.accept))) {
      return options.eventStream({ method, url, body, principal, res });
    }

    const headers = headerMapOf(req);
    const response = await apollo.executeHTTPGraphQLRequest({
      httpGraphQLRequest: { method, headers, search: url.search, body },
      context: async () => ({ principal }),
    });
    await sendApolloResponse(res, response);
  }

  async function health(res: ServerResponse, deep: boolean): Promise<void> {
    const subgraphs = options.subgraphs();
    if (!deep) {
      const subscriptions = options.subscriptions?.();
      sendJson(res, subgraphs.size > 0 ? 200 : 503, {
        status: subgraphs.size > 0 ? 'ok' : 'starting',
        subgraphs: subgraphs.size,
        ...(subscriptions ? { subscriptions } : {}),
      });
      return;
    }
    const results = await Promise.all(
      [...subgraphs].map(async ([name, url]) => [name, (await options.probeSubgraph(url)) ? 'ok' : 'down'] as const),
    );
    const allUp = results.every(([, status]) => status === 'ok');
    sendJson(res, allUp ? 200 : 503, { status: allUp ? 'ok' : 'degraded', subgraphs: Object.fromEntries(results) });
  }

  return async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://gateway');
    try {
      if (url.pathname === '/graphql' || url.pathname === '/graphql/stream') return await graphql(req, res, url);
      if (url.pathname === '/health') return await health(res, false);
      if (url.pathname === '/health/subgraphs') return await health(res, true);
      sendJson(res, 404, { error: 'not_found', message: 'GraphQL is served on /graphql.' });
    } catch (error) {
      if (error instanceof GraphQLError && error.extensions.code && !res.headersSent) {
        // An unread body would otherwise be parsed as the next request on a keep-alive socket.
        const challenge: Record<string, string> = error.extensions.code === 'UNAUTHENTICATED' ? { 'www-authenticate': 'Bearer' } : {};
        sendGraphQLError(res, error, { connection: 'close', ...challenge });
        return;
      }
      logger.error({ err: error }, 'unexpected error while handling a request');
      if (!res.headersSent) sendGraphQLError(res, passerelleError('INTERNAL_SERVER_ERROR'));
      else res.destroy();
    }
  };
}
