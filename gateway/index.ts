/**
 * Builds and starts the gateway: the plugin list (features), the pipeline they make, the supergraph
 * (loaded from its file or URL and followed, plan/supergraph-source.ts), the operation preparer and
 * plan runner every transport shares, the streaming transports (graphql-ws on the same port, SSE)
 * and the HTTP server. Nothing here knows the region's schema: any valid composed supergraph is
 * served. @apollo/gateway itself is not run: its query planner is, and its plan walker only for
 * the plans the engine leaves to it (@defer, @fromContext).
 *
 * Subscriptions do not need Redis: a subscription lives on one client connection, hence on one
 * replica, which shares upstream subscriptions only among its own clients; the events themselves
 * fan out between replicas on the subgraph side. The gateway uses REDIS_URL for what replicas must
 * share: rate limits, cost budgets, API keys, persisted queries and the public-data cache.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { GraphQLSchema } from 'graphql';
import type { Parsed } from '../common/env.ts';
import type { gatewayEnv } from '../common/config.ts';
import type { Logger } from '../common/logger.ts';
import type { Running } from '../common/service.ts';
import { IDENTITY_HEADER, createIdentitySigner } from '../common/identity.ts';
import { ANONYMOUS, buildPipeline, type GatewayPlugin } from './pipeline.ts';
import { OperationPlanner, createOperationPreparer, fileSupergraph, urlSupergraph } from './plan/index.ts';
import { SubgraphDataSource, createEngine, createFetchCache, createPlanRunner, createSubgraphClient, createSubgraphGuards } from './execute/index.ts';
import { trackDrain } from '../common/drain.ts';
import { createErrorShaper } from './shape/index.ts';
import { answerClientError, createClientAddress, createCorsPolicy, createDocumentResolver, createHttpHandler } from './receive/index.ts';
import { SharedSubscriptions, SubscriptionCaps, createGraphQLWsTransport, createSseHandler, createStreamCore, type SubscriptionCounts } from './stream/index.ts';
import { useCors, useCsrfPrevention, useRateLimit } from './plugins/index.ts';
import { authenticationFromConfig, useAliasLimit, useAuthentication, useDepthLimit, useIntrospection, useSubgraphTimeout } from './plugins/index.ts';
import { useCostLimit, useResponseLimit, useRootFieldLimit, useTokenLimit } from './plugins/index.ts';
import { useAuthorization, useTracing } from './plugins/index.ts';
import { observeGateway, useMetrics } from './plugins/index.ts';
import { traceHttpServer } from '../common/tracing/index.ts';
import { readPolicies } from './authorize/index.ts';
import { createEventLoopMonitor } from './receive/event-loop.ts';
import { createStaticFiles } from './receive/static-files.ts';

export type GatewayConfig = Parsed<typeof gatewayEnv>;

/** The features this gateway runs, in order. Adding one is adding a line here. */
export function defaultPlugins(config: GatewayConfig, served: ServedSupergraph = {}, logger?: Logger): GatewayPlugin[] {
  return [
    // Traces of subgraph fetches (no hooks at all when traces are off); the server span is gateway/index.ts's.
    useTracing({ logger }),
    useCors({ origins: config.corsOrigins, nodeEnv: config.nodeEnv }),
    useCsrfPrevention(),
    useAuthentication(authenticationFromConfig(config)),
    // First of the per-operation hooks: the limits after it measure what actually runs.
    useAuthorization({ policies: readPolicies(config.policiesPath), supergraph: () => served.supergraph?.() }),
    useRateLimit(rateLimits(config)),
    useIntrospection({ mode: config.introspection, nodeEnv: config.nodeEnv }),
    useDepthLimit({ maxDepth: config.maxDepth }),
    useAliasLimit({ maxAliases: config.maxAliases }),
    useRootFieldLimit({ maxRootFields: config.maxRootFields }),
    useTokenLimit({ maxTokens: config.maxTokens }),
    useCostLimit({ limits: costLimits(config), defaultListSize: config.defaultListSize, supergraph: served.supergraph, budget: costBudget(config) }),
    useResponseLimit({ maxResponseBytes: config.maxResponseBytes }),
    useSubgraphTimeout({ timeoutMs: config.subgraphTimeoutMs }),
    // Prometheus series of every outcome and subgraph fetch, served on /metrics (common/metrics.ts).
    useMetrics({ enabled: config.metrics === 'on' }),
  ];
}

function costBudget(config: GatewayConfig) {
  return {
    windowS: config.rateLimitWindowS,
    perWindow: {
      anonymous: config.costBudgetAnonymous,
      citizen: config.costBudgetCitizen,
      partner: config.costBudgetPartner,
      agent: config.costBudgetAgent,
      operator: config.costBudgetOperator,
    },
    redisUrl: config.redisUrl,
  };
}

function rateLimits(config: GatewayConfig) {
  return {
    windowS: config.rateLimitWindowS,
    limits: {
      anonymous: config.rateLimitAnonymous,
      citizen: config.rateLimitCitizen,
      partner: config.rateLimitPartner,
      agent: config.rateLimitAgent,
      operator: config.rateLimitOperator,
    },
    dailyQuotaPartner: config.dailyQuotaPartner,
    redisUrl: config.redisUrl,
  };
}

/** What plugins may read of the supergraph being served (known once the gateway has started). */
export interface ServedSupergraph {
  /** The full supergraph schema, directives kept (the cost directives are read from it). */
  supergraph?: () => GraphQLSchema | undefined;
}

function costLimits(config: GatewayConfig) {
  return {
    anonymous: config.maxCostAnonymous,
    citizen: config.maxCostCitizen,
    partner: config.maxCostPartner,
    agent: config.maxCostAgent,
    operator: config.maxCostOperator,
  };
}

export interface RunningGateway extends Running {
  url: string;
  /** Upstream subscriptions and local subscribers right now (also on /health). */
  subscriptions(): SubscriptionCounts;
}

export interface StartGatewayOptions {
  /** The features to run instead of `defaultPlugins(config)` (benchmarks compare plugin sets). */
  plugins?: GatewayPlugin[];
  /** Plugins run before the features (`plugins` or the defaults), e.g. a test's stand-in authentication. */
  before?: GatewayPlugin[];
}

export async function startGateway(config: GatewayConfig, logger: Logger, options: StartGatewayOptions = {}): Promise<RunningGateway> {
  // Subscriptions (and operations over graphql-ws/SSE) are planned and run by the gateway itself.
  const planner = new OperationPlanner();
  const pipeline = buildPipeline([...(options.before ?? []), ...(options.plugins ?? defaultPlugins(config, { supergraph: () => planner.supergraphSchema }, logger))]);
  // A pool, a circuit breaker, a bulkhead and a retry budget per subgraph (execute/subgraph-guards.ts).
  const upstreams = createSubgraphGuards(config);
  // Subgraphs answer only the gateway: every fetch and upstream socket carries who calls, signed.
  const identity = createIdentitySigner(config.gatewaySecret);
  const subgraphs = new Map<string, string>();
  const dataSources = new Map<string, SubgraphDataSource>();
  const onSupergraphError = (error: unknown) => logger.error({ err: error }, 'could not load the new supergraph; keeping the current one');

  // The public-data cache (execute/cache/): fetches the schema hints public, answered for every
  // caller alike; it follows the invalidation streams each new supergraph declares.
  const publicCache = createFetchCache({
    enabled: config.publicCache === 'on',
    redisUrl: config.redisUrl,
    maxEntries: config.publicCacheMaxEntries,
    maxAgeCapS: config.publicCacheMaxAgeS,
    invalidation: { identity: () => identity(ANONYMOUS), timeoutMs: config.subgraphTimeoutMs },
    logger,
  });

  /**
   * Makes a supergraph version current: the planner (plans, and open subscriptions told to plan
   * again), the subgraphs' URLs (SUBGRAPH_URLS first), the stock walker's data sources, the cache's
   * invalidation streams. Versions are applied one at a time, in the order they arrive.
   */
  let applying: Promise<void> = Promise.resolve();
  const apply = (sdl: string): Promise<void> => {
    const done = applying.then(async () => {
      const loaded = await planner.load(sdl);
      const urls = new Map<string, string>();
      for (const { name, url } of loaded.subgraphs) {
        const target = config.subgraphUrls[name] ?? url;
        if (!target) throw new Error(`Subgraph "${name}" has no URL in the supergraph and none in SUBGRAPH_URLS.`);
        urls.set(name, target);
      }
      subgraphs.clear();
      for (const [name, url] of urls) {
        subgraphs.set(name, url);
        if (dataSources.get(name)?.url !== url) {
          dataSources.set(name, new SubgraphDataSource({ name, url, pipeline, ...upstreams.of(name), identity, maxResponseBytes: config.maxSubgraphResponseBytes }));
        }
      }
      for (const name of [...dataSources.keys()]) if (!urls.has(name)) dataSources.delete(name);
      const supergraph = planner.supergraphSchema;
      if (supergraph) publicCache.follow(supergraph, (name) => config.subgraphUrls[name]);
    });
    // A version that failed leaves the previous one current and the next one still applied.
    applying = done.catch(() => {});
    return done;
  };

  // Plans run on Passerelle's engine (execute/engine/); @defer and @fromContext plans on the stock walker.
  const runner = createEngine({
    client: createSubgraphClient({
      urlOf: (name) => subgraphs.get(name),
      guards: upstreams,
      pipeline,
      identity,
      maxResponseBytes: config.maxSubgraphResponseBytes,
      dedup: config.subgraphDedup === 'on',
    }),
    fallback: createPlanRunner({ dataSources: () => dataSources, logger }),
    logger,
    batch: config.subgraphBatch === 'on',
    cache: config.publicCache === 'on' ? publicCache : undefined,
  });
  const shapeError = createErrorShaper(pipeline, logger);
  // The supergraph comes from its file (watched) or URL (polled); each version is applied above.
  // HTTP and the streams prepare operations with one preparer (plan/prepare.ts, one document
  // cache) and run them with `runner`.
  const source = config.supergraphUrl
    ? urlSupergraph(config.supergraphUrl, { pollMs: 30_000, onError: onSupergraphError })
    : fileSupergraph(config.supergraphPath, { watch: true, onError: onSupergraphError });
  const followed = await source.initialize({
    update: (sdl) => void apply(sdl).catch(onSupergraphError),
    healthCheck: async () => {},
    getDataSource: ({ name }) => {
      const dataSource = dataSources.get(name);
      if (!dataSource) throw new Error(`Subgraph "${name}" is not in the supergraph.`);
      return dataSource;
    },
  });
  await apply(followed.supergraphSdl);
  const preparer = createOperationPreparer({ planner, pipeline, logger, documentCacheSize: config.documentCacheSize });

  const subscriptions = new SharedSubscriptions({ queueSize: config.subscriberQueueSize });
  // Read at each scrape of /metrics (plugins/useMetrics.ts).
  const unobserve = observeGateway({ breakers: () => upstreams.breakers(), subscriptions: () => subscriptions.counts() });
  const core = createStreamCore({
    identity,
    planner,
    runner,
    subscriptions,
    pipeline,
    shapeError,
    subgraphUrl: (name) => subgraphs.get(name),
    timeoutMs: config.subgraphTimeoutMs,
    queueSize: config.subscriberQueueSize,
    resumeTimeoutMs: config.upstreamResumeTimeoutMs,
    logger,
    preparer,
  });
  const documents = createDocumentResolver({ manifestPath: config.trustedDocumentsPath, redisUrl: config.redisUrl, cacheSize: config.apqCacheSize, ttlS: config.apqTtlS });
  const caps = new SubscriptionCaps({
    perSocket: config.maxSubscriptionsPerSocket,
    perPrincipal: config.maxSubscriptionsPerPrincipal,
    socketsPerPrincipal: config.maxSocketsPerPrincipal,
  });
  const clientAddress = createClientAddress(config.trustedProxies);
  const webSockets = createGraphQLWsTransport({ core, pipeline, logger, clientAddress, maxPayloadBytes: config.maxBodyBytes, caps, documents });

  const eventLoop = createEventLoopMonitor();
  let drain: ReturnType<typeof trackDrain> | undefined;
  let closing: Promise<void> | undefined;
  const cors = createCorsPolicy({ origins: config.corsOrigins, nodeEnv: config.nodeEnv });
  const handle = createHttpHandler({
    pipeline,
    preparer,
    runner,
    shapeError,
    logger,
    clientAddress,
    maxBodyBytes: config.maxBodyBytes,
    subgraphs: () => subgraphs,
    probeSubgraph: (url) => probe(url, identity(ANONYMOUS), config.subgraphTimeoutMs),
    eventStream: createSseHandler({ core, caps, pipeline }),
    cors,
    documents,
    subscriptions: () => subscriptions.counts(),
    eventLoop: eventLoop.read,
    staticFiles: config.console === 'on' ? createStaticFiles({ root: config.consoleDist, cors }) : undefined,
    readiness: () => ({ draining: drain?.draining ?? false, breakers: upstreams.breakers() }),
  });
  // A server span per request when traces are on (the listener itself when off); probes are not traced.
  const server = createServer(traceHttpServer((req, res) => void handle(req, res), { routes: ['/graphql', '/graphql/stream'] }));
  server.on('clientError', answerClientError);
  server.on('upgrade', (req, socket, head) => webSockets.handleUpgrade(req, socket, head));
  server.keepAliveTimeout = 65_000;
  drain = trackDrain(server);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const base = `http://${config.host}:${port}`;

  return {
    url: `${base}/graphql`,
    urls: {
      graphql: `${base}/graphql`,
      websocket: `${base.replace(/^http/, 'ws')}/graphql`,
      health: `${base}/health`,
      ...(config.console === 'on' ? { console: `${base}/`, explorer: `${base}/explorer/` } : {}),
    },
    subscriptions: () => subscriptions.counts(),
    // Graceful (SIGTERM, common/lifecycle.ts): /health/ready says 503 for SHUTDOWN_DELAY_MS, then
    // graphql-ws sockets close with 1001 and SSE streams end (resume elsewhere from the cursor), the
    // HTTP requests in flight finish within SHUTDOWN_TIMEOUT_MS, and only then is Redis let go.
    // Idempotent: a second call (the launcher's signal, then a test's cleanup) waits for the first.
    close() {
      closing ??= closeOnce();
      return closing;
    },
  };

  async function closeOnce(): Promise<void> {
    await drain!.stop({
      delayMs: config.shutdownDelayMs,
      timeoutMs: config.shutdownTimeoutMs,
      beforeStop: async () => {
        await webSockets.close();
        subscriptions.close();
      },
    });
    await followed.cleanup?.();
    await publicCache.close();
    await upstreams.close();
    await pipeline.close();
    await documents.close();
    eventLoop.stop();
    unobserve();
  }
}

/** `{ __typename }` as an anonymous caller: subgraphs answer only gateway-signed calls, probes included. */
async function probe(url: string, signedIdentity: string, timeoutMs: number): Promise<boolean> {
  try {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', [IDENTITY_HEADER]: signedIdentity },
      body: JSON.stringify({ query: '{ __typename }' }),
      signal: AbortSignal.timeout(Math.min(timeoutMs, 5_000)),
    });
    return response.ok;
  } catch {
    return false;
  }
}
