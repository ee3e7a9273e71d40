/**
 * The gateway's HTTP surface: `/graphql` (GET and POST; with `Accept: text/event-stream`, or on
 * `/graphql/stream`, the answer is an SSE stream), `/health` (the process, its supergraph and its
 * subscription counts) and `/health/subgraphs` (each subgraph answers `{ __typename }`). Everything
 * a client can get wrong at the HTTP level is answered with a catalogue error, never a stack trace.
 *
 * `/graphql` goes through the pipeline in order — receive (CORS, CSRF), body, authenticate, admit
 * (rate limits, RateLimit-* headers), documents (APQ, trusted documents), GET mutations refused —
 * then to SSE, or to the HTTP operation path (http-operation.ts: prepare, run, one answer). No
 * GraphQL server framework sits in between: each layer here is one the request needs.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { passerelleError } from '../../common/errors.ts';
import type { Logger } from '../../common/logger.ts';
import { ANONYMOUS, type GatewayContext, type Pipeline, type Principal, type ReceivedRequest } from '../pipeline.ts';
import type { PlanRunner } from '../execute/index.ts';
import type { OperationPreparer } from '../plan/index.ts';
import { sendGraphQLError, sendJson } from '../respond/index.ts';
import { acceptsEventStream, type EventStreamHandler, type SubscriptionCounts } from '../stream/index.ts';
import { readBody } from './read-body.ts';
import type { ClientAddress } from './client-address.ts';
import type { CorsPolicy } from './cors.ts';
import { refuseGetMutation } from './http-codes.ts';
import { settleDocument, type DocumentResolver } from './documents.ts';
import type { EventLoopDelay } from './event-loop.ts';
import type { StaticFilesHandler } from './static-files.ts';
import { METRICS_PATH, serveMetrics } from '../../common/metrics.ts';
import { createHttpOperationHandler, type HttpOperationAnswer } from './http-operation.ts';

export type { GatewayContext };

export interface HttpHandlerOptions {
  pipeline: Pipeline;
  /** Prepares operations (plan/prepare.ts), the same preparer (and document cache) as the streams'. */
  preparer: OperationPreparer;
  /** Runs plans, the same runner as the streams'. */
  runner: PlanRunner;
  /** The shape stage's error formatter (gateway/shape: createErrorShaper). */
  shapeError: (formatted: GraphQLFormattedError, original: unknown) => GraphQLFormattedError;
  logger: Logger;
  maxBodyBytes: number;
  /** The caller's address (X-Forwarded-For from trusted proxies, receive/client-address.ts); default: the TCP peer. */
  clientAddress?: ClientAddress;
  /** Current subgraph names and URLs (they change when the supergraph does). */
  subgraphs: () => ReadonlyMap<string, string>;
  probeSubgraph: (url: string) => Promise<boolean>;
  /** Serves requests that ask for an event stream (SSE); without it they get a single JSON answer. */
  eventStream?: EventStreamHandler;
  /** Subscription counts shown on /health. */
  subscriptions?: () => SubscriptionCounts;
  /** The event loop's delays since the previous read, shown on /health (receive/event-loop.ts). */
  eventLoop?: () => EventLoopDelay;
  /** CORS: preflights and Access-Control-* headers (receive/cors.ts); without it, OPTIONS gets METHOD_NOT_ALLOWED. */
  cors?: CorsPolicy;
  /** Persisted queries and trusted documents, settled before GraphQL sees the request (receive/documents.ts). */
  documents?: DocumentResolver;
  /** Every other path: the web console's files (receive/static-files.ts); without it, 404. */
  staticFiles?: StaticFilesHandler;
  /**
   * What /health/ready adds to "a supergraph is loaded": whether the gateway is shutting down and
   * each subgraph's circuit breaker (common/resilience.ts). Without it, ready = supergraph loaded.
   */
  readiness?: () => { draining: boolean; breakers: Readonly<Record<string, string>> };
}

export function createHttpHandler(options: HttpHandlerOptions) {
  const { pipeline, logger } = options;
  const operations = createHttpOperationHandler({ preparer: options.preparer, runner: options.runner, shapeError: options.shapeError });

  async function graphql(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const arrived = performance.now();
    const method = req.method ?? 'GET';
    options.cors?.decorate(req, res);
    if (method === 'OPTIONS' && options.cors) return options.cors.preflight(req, res);
    if (method !== 'GET' && method !== 'POST') {
      throw passerelleError('METHOD_NOT_ALLOWED', `Method ${method} is not allowed on /graphql; use GET or POST.`);
    }
    // Someone typing the address in a browser: say what this is and where the pages are, in JSON.
    if (method === 'GET' && !url.searchParams.has('query') && !url.searchParams.has('extensions')) {
      throw passerelleError('BAD_REQUEST', 'This is the GraphQL endpoint: POST a JSON body {"query": "…"} (Content-Type: application/json). The console is at /, the API explorer at /explorer.');
    }
    const received: ReceivedRequest = {
      method,
      path: url.pathname,
      headers: req.headers,
      remoteAddress: options.clientAddress ? options.clientAddress(req) : req.socket.remoteAddress,
    };
    // From here on it is an operation request: each gets one outcome (pipeline.outcome), refused or answered.
    let principal: Principal = ANONYMOUS;
    let transport: 'http' | 'sse' = 'http';
    let answer: HttpOperationAnswer | undefined;
    let streamed = false;
    try {
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
      principal = await pipeline.authenticate(received);
      const eventStream = options.eventStream && (url.pathname === '/graphql/stream' || acceptsEventStream(req.headers.accept));
      if (eventStream) transport = 'sse';
      // Headers set here (e.g. RateLimit-*) stay on the answer, refused or not: writeHead merges them.
      await pipeline.admit({ principal, request: received, transport, setHeader: (name, value) => res.setHeader(name, value) });
      // The full text from here on (a persisted query's hash resolved), so authorisation and cost see it.
      const settled = options.documents ? await settleDocument(options.documents, { method, url, body }, principal) : { url, body };
      refuseGetMutation(method, settled.url);
      if (eventStream && options.eventStream) {
        // The stream reports its own outcome, when it ends.
        streamed = true;
        return await options.eventStream({ method, url: settled.url, body: settled.body, principal, res });
      }

      // A client that gives up (timeout, disconnect) cancels its subgraph fetches.
      const gaveUp = new ClientGaveUp(res);
      try {
        answer = await operations({ method, url: settled.url, body: settled.body, headers: req.headers, principal, gaveUp }, res);
      } finally {
        gaveUp.release();
      }
    } catch (error) {
      if (!streamed) answer = { operationName: undefined, operationType: undefined, errorCodes: [codeOf(error)] };
      throw error;
    } finally {
      if (answer) pipeline.outcome({ transport, ...answer, durationMs: performance.now() - arrived, principal });
    }
  }

  async function health(res: ServerResponse, deep: boolean): Promise<void> {
    const subgraphs = options.subgraphs();
    if (!deep) {
      const subscriptions = options.subscriptions?.();
      const eventLoop = options.eventLoop?.();
      sendJson(res, subgraphs.size > 0 ? 200 : 503, {
        status: subgraphs.size > 0 ? 'ok' : 'starting',
        subgraphs: subgraphs.size,
        ...(subscriptions ? { subscriptions } : {}),
        ...(eventLoop ? { eventLoop } : {}),
      });
      return;
    }
    const results = await Promise.all(
      [...subgraphs].map(async ([name, url]) => [name, (await options.probeSubgraph(url)) ? 'ok' : 'down'] as const),
    );
    const allUp = results.every(([, status]) => status === 'ok');
    sendJson(res, allUp ? 200 : 503, { status: allUp ? 'ok' : 'degraded', subgraphs: Object.fromEntries(results) });
  }

  /**
   * 200 when the gateway can answer: a supergraph loaded, not shutting down, and every subgraph
   * reachable with its breaker not open; otherwise 503 naming what is down.
   */
  async function ready(res: ServerResponse): Promise<void> {
    const subgraphs = options.subgraphs();
    const { draining, breakers } = options.readiness?.() ?? { draining: false, breakers: {} };
    const states = await Promise.all(
      [...subgraphs].map(async ([name, url]) => {
        const breaker = breakers[name] ?? 'closed';
        // An open breaker already says it is down; no probe needed to learn it again.
        const reachable = breaker === 'open' ? false : await options.probeSubgraph(url);
        return [name, { breaker, reachable }] as const;
      }),
    );
    const down = states.filter(([, state]) => state.breaker === 'open' || !state.reachable).map(([name]) => name);
    const ok = subgraphs.size > 0 && !draining && down.length === 0;
    sendJson(res, ok ? 200 : 503, {
      status: ok ? 'ready' : draining ? 'draining' : subgraphs.size === 0 ? 'starting' : 'degraded',
      supergraph: subgraphs.size > 0,
      draining,
      down,
      subgraphs: Object.fromEntries(states),
    });
  }

  /** The catalogue code the client is answered with for an error thrown here (handle's catch). */
  function codeOf(error: unknown): string {
    return error instanceof GraphQLError && typeof error.extensions.code === 'string' ? error.extensions.code : 'INTERNAL_SERVER_ERROR';
  }

  return async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://gateway');
    try {
      if (url.pathname === '/graphql' || url.pathname === '/graphql/stream') return await graphql(req, res, url);
      if (url.pathname === '/health') return await health(res, false);
      if (url.pathname === '/health/subgraphs') return await health(res, true);
      // The process is up and its event loop answers: nothing else is looked at.
      if (url.pathname === '/health/live') return sendJson(res, 200, { status: 'live' });
      if (url.pathname === '/health/ready') return await ready(res);
      // Prometheus (common/metrics.ts): METRICS_TOKEN when set, 404 with METRICS=off.
      if (url.pathname === METRICS_PATH) return await serveMetrics(req, res);
      if (options.staticFiles) return await options.staticFiles(req, res, url);
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

/**
 * The client giving up (its request closing before the answer is sent) as an AbortSignal made on
 * first use, by the first subgraph fetch: an answer that needs none (`{ __typename }`, a refusal)
 * never pays for an AbortController, which costs more than the rest of such an answer's own work.
 */
class ClientGaveUp {
  private controller: AbortController | undefined;
  private gone = false;
  private readonly res: ServerResponse;
  private readonly onClose = () => {
    if (this.res.writableEnded) return;
    this.gone = true;
    this.controller?.abort(new Error('the client closed its request'));
  };

  constructor(res: ServerResponse) {
    this.res = res;
    res.once('close', this.onClose);
  }

  /** Aborted when the client has gone, or as soon as it goes. */
  get signal(): AbortSignal {
    if (!this.controller) {
      this.controller = new AbortController();
      if (this.gone) this.controller.abort(new Error('the client closed its request'));
    }
    return this.controller.signal;
  }

  release(): void {
    this.res.off('close', this.onClose);
  }
}
