/**
 * Start-up shared by the four subgraphs: one Federation 2 schema, Apollo Server 5 on a plain
 * `node:http` server (POST/GET /graphql, GET /health, /health/live, /health/ready, /metrics), a fresh context
 * — hence fresh DataLoaders — per request, and a graceful drain on close (common/drain.ts). A
 * subgraph only supplies its SDL, resolvers, context factory and legacy guards.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApolloServer, type BaseContext, type HeaderMap } from '@apollo/server';
import { headerMapOf, sendApolloResponse, sendJson } from '../../common/http.ts';
import { ApolloServerPluginInlineTraceDisabled } from '@apollo/server/plugin/disabled';
import { buildSubgraphSchema } from '@apollo/subgraph';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper/resolverMap.js';
import { parse, type GraphQLFormattedError, type GraphQLSchema } from 'graphql';
import type { Logger } from '../../common/logger.ts';
import { MaxDepthRule } from '../../common/validation/MaxDepthRule.ts';
import { BodyTooLargeError, DEFAULT_SUBGRAPH_LIMITS, readLimitedBody, subgraphLimitsPlugin, trackRequest, type SubgraphLimits } from './limits.ts';
import { guardAbandonedBranches } from './abandoned-branches.ts';
import { IDENTITY_HEADER, identityKey, verifyIdentity, type Caller } from '../../common/identity.ts';
import { trackDrain, type Drain } from '../../common/drain.ts';
import { traceHttpServer } from '../../common/tracing/index.ts';
import type { LegacyGuards } from './legacy-guards.ts';
import { METRICS_PATH, serveMetrics } from '../../common/metrics.ts';
import { countRefusal, subgraphMetricsPlugin } from './metrics.ts';

export interface SubgraphOptions<TContext extends BaseContext> {
  /** Subgraph name, as in the supergraph (geo, lycees, requests, insights). */
  name: string;
  /** Path of the subgraph's `schema.graphql`. */
  schemaPath: string;
  resolvers: GraphQLResolverMap<TContext>;
  /**
   * Builds the per-request context: a new set of loaders each time, so caching never leaks across
   * requests. `identity` is the caller the gateway vouches for (null: anonymous).
   */
  createContext: (request: { headers: HeaderMap; identity: Caller | null; signal?: AbortSignal }) => TContext | Promise<TContext>;
  /**
   * GATEWAY_SECRET: every /graphql request must carry an identity the gateway signed with it
   * (header x-passerelle-identity); without one, or with an expired or tampered one, the answer is
   * HTTP 401 UNAUTHENTICATED before Apollo runs. /health needs none.
   */
  gatewaySecret: string;
  /** Body size, depth and result-size limits of this subgraph (kit/limits.ts); defaults to DEFAULT_SUBGRAPH_LIMITS. */
  limits?: SubgraphLimits;
  port: number;
  host: string;
  logger: Logger;
  /** Called once the HTTP server exists, before it listens (e.g. to attach a WebSocket server). */
  onServer?: (server: Server, schema: GraphQLSchema) => void | (() => Promise<void>);
  /** The guards of the subgraph's legacy systems: /health/ready answers 503 naming those whose breaker is open. Default: none. */
  guards?: Pick<LegacyGuards, 'breakers'>;
  /**
   * Graceful close (SHUTDOWN_DELAY_MS, SHUTDOWN_TIMEOUT_MS): /health/ready answers 503 for `delayMs`
   * while still serving, then the server stops listening and requests in flight get `timeoutMs` to
   * finish before their connections are cut. Default: no delay, 10 s.
   */
  shutdown?: { delayMs: number; timeoutMs: number };
}

export interface RunningSubgraph {
  name: string;
  url: string;
  schema: GraphQLSchema;
  server: Server;
  close(): Promise<void>;
}

/**
 * A subgraph process: its connector (one per process, so connector caches outlive requests) and the
 * server. `close` stops taking requests first, then releases the connector.
 */
export async function serveSubgraph<TContext extends BaseContext>(
  options: Omit<SubgraphOptions<TContext>, 'schemaPath'> & {
    /** `import.meta.url` of the subgraph's `index.ts`: its `schema.graphql` sits beside it. */
    moduleUrl: string;
    connector: { close(): Promise<void> };
  },
): Promise<{ urls: { graphql: string }; subgraph: RunningSubgraph; close(): Promise<void> }> {
  const subgraph = await startSubgraph({ ...options, schemaPath: fileURLToPath(new URL('./schema.graphql', options.moduleUrl)) });
  return {
    urls: { graphql: subgraph.url },
    subgraph,
    async close() {
      await subgraph.close();
      await options.connector.close();
    },
  };
}

export function loadTypeDefs(schemaPath: string) {
  return parse(readFileSync(schemaPath, 'utf8'));
}

export async function startSubgraph<TContext extends BaseContext>(options: SubgraphOptions<TContext>): Promise<RunningSubgraph> {
  const { name, logger } = options;
  const limits = options.limits ?? DEFAULT_SUBGRAPH_LIMITS;
  // A limit that stops a large answer must not crash the process through graphql-js's dropped promises.
  guardAbandonedBranches(logger);
  const schema = buildSubgraphSchema({ typeDefs: loadTypeDefs(options.schemaPath), resolvers: options.resolvers as GraphQLResolverMap<unknown> });
  const apollo = new ApolloServer<TContext>({
    schema,
    // Subgraphs sit behind the gateway, which owns CSRF protection, limits and error shaping.
    csrfPrevention: false,
    // common/lifecycle.ts owns signals; Apollo's own handler would re-raise SIGTERM and exit 1.
    stopOnTerminationSignals: false,
    includeStacktraceInErrorResponses: false,
    // Federated traces are for Apollo's usage reporting, which Passerelle does not use.
    plugins: [ApolloServerPluginInlineTraceDisabled(), subgraphLimitsPlugin<TContext>(limits), subgraphMetricsPlugin<TContext>()],
    // A direct caller meets the same linear depth rule as the gateway's callers (kit/limits.ts).
    validationRules: [MaxDepthRule(limits.maxDepth)],
    formatError: (formatted, error) => formatSubgraphError(formatted, error, logger),
  });
  // Without the secret every call would be refused with a puzzling 401: say what is missing instead.
  if (typeof options.gatewaySecret !== 'string' || options.gatewaySecret === '') {
    throw new Error(`Subgraph "${name}" needs gatewaySecret (GATEWAY_SECRET) to verify the gateway's identities.`);
  }
  await apollo.start();
  const gatewayKey = identityKey(options.gatewaySecret);

  let drain: Drain | undefined;
  // A server span per request when traces are on, child of the gateway's fetch (its `traceparent`).
  const server = createServer(
    traceHttpServer(
      (req, res) => {
        handle(apollo, options, limits, gatewayKey, () => drain?.draining ?? false, req, res).catch((error: unknown) => {
          logger.error({ err: error }, 'unhandled subgraph error');
          if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ errors: [{ message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR' } }] }));
        });
      },
      { routes: ['/graphql'] },
    ),
  );
  server.keepAliveTimeout = 65_000;
  drain = trackDrain(server);
  const detach = options.onServer?.(server, schema);

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://${options.host}:${port}/graphql`;
  logger.info({ url }, `${name} subgraph listening`);

  return {
    name,
    url,
    schema,
    server,
    // Idempotent (trackDrain): the launcher's signal, then a test's cleanup, wait for the same drain.
    async close() {
      await drain.stop({
        delayMs: options.shutdown?.delayMs ?? 0,
        timeoutMs: options.shutdown?.timeoutMs ?? 10_000,
        // Subscriptions (requests) end before the server stops listening: clients resume elsewhere.
        beforeStop: async () => {
          if (typeof detach === 'function') await detach();
        },
      });
      await apollo.stop();
    },
  };
}

async function handle<TContext extends BaseContext>(
  apollo: ApolloServer<TContext>,
  options: SubgraphOptions<TContext>,
  limits: SubgraphLimits,
  gatewayKey: Uint8Array,
  draining: () => boolean,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://localhost');
  if (url.pathname === '/health') {
    sendJson(res, 200, { status: 'ok', subgraph: options.name });
    return;
  }
  if (url.pathname === '/health/live') {
    sendJson(res, 200, { status: 'live', subgraph: options.name });
    return;
  }
  if (url.pathname === '/health/ready') {
    // A half-open breaker counts as up: the next call is its probe, and a replica out of rotation would never get it.
    const breakers = options.guards?.breakers() ?? {};
    const down = Object.entries(breakers).filter(([, state]) => state === 'open').map(([system]) => system);
    const ok = !draining() && down.length === 0;
    sendJson(res, ok ? 200 : 503, { status: ok ? 'ready' : draining() ? 'draining' : 'degraded', subgraph: options.name, draining: draining(), down, breakers });
    return;
  }
  // Prometheus (common/metrics.ts): no gateway identity needed, METRICS_TOKEN when set.
  if (url.pathname === METRICS_PATH) return serveMetrics(req, res);
  if (url.pathname !== '/graphql') {
    sendJson(res, 404, { error: 'not_found' });
    return;
  }
  // Only the gateway may call: checked before the body is read, so a direct caller costs nothing.
  let identity: Caller | null;
  try {
    const header = req.headers[IDENTITY_HEADER];
    identity = await verifyIdentity(gatewayKey, typeof header === 'string' ? header : undefined);
  } catch (error) {
    const message = error instanceof Error ? error.message : 'Unauthenticated';
    countRefusal('UNAUTHENTICATED');
    sendJson(res, 401, { errors: [{ message, extensions: { code: 'UNAUTHENTICATED' } }] }, { connection: 'close' });
    req.resume();
    return;
  }

  const headers = headerMapOf(req);
  let body: unknown;
  if (req.method === 'POST') {
    let text: string;
    try {
      text = await readLimitedBody(req, limits.maxBodyBytes);
    } catch (error) {
      if (!(error instanceof BodyTooLargeError)) throw error;
      // The rest of the body is never read: the connection closes after the answer.
      countRefusal('PAYLOAD_TOO_LARGE');
      sendJson(res, 413, { errors: [{ message: error.message, extensions: { code: 'PAYLOAD_TOO_LARGE', limit: error.limit } }] }, { connection: 'close' });
      req.destroy();
      return;
    }
    try {
      body = text ? JSON.parse(text) : {};
    } catch {
      countRefusal('BAD_REQUEST');
      sendJson(res, 400, { errors: [{ message: 'Body is not valid JSON', extensions: { code: 'BAD_REQUEST' } }] });
      return;
    }
  }

  // The caller gave up (the gateway aborted its fetch, or a direct caller disconnected): stop resolving.
  const gaveUp = new AbortController();
  const onClose = () => {
    if (!res.writableEnded) gaveUp.abort();
  };
  res.once('close', onClose);
  const response = await apollo.executeHTTPGraphQLRequest({
    httpGraphQLRequest: { method: req.method ?? 'GET', headers, search: url.search, body },
    context: async () => {
      const context = await options.createContext({ headers, identity, signal: gaveUp.signal });
      trackRequest(context, gaveUp.signal);
      return context;
    },
  });
  res.off('close', onClose);
  if (gaveUp.signal.aborted) return;
  await sendApolloResponse(res, response);
}

/** Keeps catalogue codes; never leaks internals of an unexpected error to the gateway. */
function formatSubgraphError(formatted: GraphQLFormattedError, error: unknown, logger: Logger): GraphQLFormattedError {
  // Apollo files every validation error under GRAPHQL_VALIDATION_FAILED; a limit rule's own code is more precise.
  const wrapped = (error as { originalError?: { extensions?: Record<string, unknown> } } | undefined)?.originalError?.extensions?.code;
  if (formatted.extensions?.code === 'GRAPHQL_VALIDATION_FAILED' && typeof wrapped === 'string') {
    formatted = { ...formatted, extensions: { ...formatted.extensions, code: wrapped } };
  }
  const code = formatted.extensions?.code;
  if (code === 'INTERNAL_SERVER_ERROR' || code === undefined) {
    logger.error({ err: (error as { originalError?: unknown }).originalError ?? error }, 'resolver error');
    return { ...formatted, message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR' } };
  }
  return formatted;
}
