/**
 * Builds and starts the gateway: the plugin list (features), the pipeline they make, Apollo Server
 * with @apollo/gateway on the supergraph, the streaming transports (graphql-ws on the same port,
 * SSE) and the HTTP server. Nothing here knows the region's schema: any valid composed supergraph
 * is served.
 *
 * REDIS_URL is not used by the gateway yet, and subscriptions do not need it: a subscription lives
 * on one client connection, hence on one replica, which shares upstream subscriptions only among
 * its own clients; the events themselves fan out between replicas on the subgraph side (Redis).
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApolloServer } from '@apollo/server';
import { ApolloGateway } from '@apollo/gateway';
import type { Parsed } from '../common/env.ts';
import type { gatewayEnv } from '../common/config.ts';
import type { Logger } from '../common/logger.ts';
import type { Running } from '../common/service.ts';
import { buildPipeline, type GatewayPlugin } from './pipeline.ts';
import { OperationPlanner, fileSupergraph, urlSupergraph } from './plan/index.ts';
import { SubgraphDataSource, createPlanRunner, createSubgraphAgent } from './execute/index.ts';
import { createErrorShaper } from './shape/index.ts';
import { createHttpHandler, refuseSubscriptionsOverHttp, type GatewayContext } from './receive/index.ts';
import { SharedSubscriptions, createGraphQLWsTransport, createSseHandler, createStreamCore, type SubscriptionCounts } from './stream/index.ts';
import { useAliasLimit, useAuthentication, useDepthLimit, useIntrospection, useSubgraphTimeout } from './plugins/index.ts';

export type GatewayConfig = Parsed<typeof gatewayEnv>;

/** The features this gateway runs, in order. Adding one is adding a line here. */
export function defaultPlugins(config: GatewayConfig): GatewayPlugin[] {
  return [
    useAuthentication({ secret: config.authSecret }),
    useDepthLimit({ maxDepth: config.maxDepth }),
    useAliasLimit({ maxAliases: config.maxAliases }),
    useIntrospection({ enabled: config.introspection === 'on' }),
    useSubgraphTimeout({ timeoutMs: config.subgraphTimeoutMs }),
  ];
}

export interface RunningGateway extends Running {
  url: string;
  /** Upstream subscriptions and local subscribers right now (also on /health). */
  subscriptions(): SubscriptionCounts;
}

export async function startGateway(config: GatewayConfig, logger: Logger): Promise<RunningGateway> {
  const pipeline = buildPipeline(defaultPlugins(config));
  const agent = createSubgraphAgent();
  const subgraphs = new Map<string, string>();
  const dataSources = new Map<string, SubgraphDataSource>();
  const onSupergraphError = (error: unknown) => logger.error({ err: error }, 'could not load the new supergraph; keeping the current one');

  const gateway = new ApolloGateway({
    supergraphSdl: config.supergraphUrl
      ? urlSupergraph(config.supergraphUrl, { pollMs: 30_000, onError: onSupergraphError })
      : fileSupergraph(config.supergraphPath, { watch: true, onError: onSupergraphError }),
    buildService: ({ name, url }) => {
      const target = config.subgraphUrls[name] ?? url;
      if (!target) throw new Error(`Subgraph "${name}" has no URL in the supergraph and none in SUBGRAPH_URLS.`);
      subgraphs.set(name, target);
      const dataSource = new SubgraphDataSource({ name, url: target, pipeline, agent });
      dataSources.set(name, dataSource);
      return dataSource;
    },
    logger,
  });
  // Subscriptions (and operations over graphql-ws/SSE) are planned and run by the gateway itself.
  const planner = new OperationPlanner();
  planner.follow(gateway);

  const shapeError = createErrorShaper(pipeline, logger);
  const apollo = new ApolloServer<GatewayContext>({
    gateway,
    // Introspection is a plugin's decision (useIntrospection), so it is refused with a catalogue code.
    introspection: true,
    // common/lifecycle.ts owns signals; Apollo's own handler would re-raise SIGTERM and exit 1.
    stopOnTerminationSignals: false,
    validationRules: pipeline.validationRules,
    includeStacktraceInErrorResponses: false,
    formatError: shapeError,
    plugins: [refuseSubscriptionsOverHttp()],
    logger,
  });
  await apollo.start();

  const subscriptions = new SharedSubscriptions({ queueSize: config.subscriberQueueSize });
  const core = createStreamCore({
    planner,
    runner: createPlanRunner({ dataSources: () => dataSources, logger }),
    subscriptions,
    pipeline,
    shapeError,
    subgraphUrl: (name) => subgraphs.get(name),
    timeoutMs: config.subgraphTimeoutMs,
    queueSize: config.subscriberQueueSize,
    logger,
  });
  const webSockets = createGraphQLWsTransport({ core, pipeline, logger, maxPayloadBytes: config.maxBodyBytes });

  const handle = createHttpHandler({
    apollo,
    pipeline,
    logger,
    maxBodyBytes: config.maxBodyBytes,
    subgraphs: () => subgraphs,
    probeSubgraph: (url) => probe(url, config.subgraphTimeoutMs),
    eventStream: createSseHandler({ core }),
    subscriptions: () => subscriptions.counts(),
  });
  const server = createServer((req, res) => void handle(req, res));
  server.on('upgrade', (req, socket, head) => webSockets.handleUpgrade(req, socket, head));
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const base = `http://${config.host}:${port}`;

  return {
    url: `${base}/graphql`,
    urls: { graphql: `${base}/graphql`, health: `${base}/health` },
    subscriptions: () => subscriptions.counts(),
    async close() {
      await webSockets.close();
      subscriptions.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await apollo.stop();
      await agent.close();
    },
  };
}

async function probe(url: string, timeoutMs: number): Promise<boolean> {
  try {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ __typename }' }),
      signal: AbortSignal.timeout(Math.min(timeoutMs, 5_000)),
    });
    return response.ok;
  } catch {
    return false;
  }
}
