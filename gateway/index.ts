/**
 * Builds and starts the gateway: the plugin list (features), the pipeline they make, Apollo Server
 * with @apollo/gateway on the supergraph, and the HTTP server. Nothing here knows the region's
 * schema: any valid composed supergraph is served.
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
import { fileSupergraph, urlSupergraph } from './plan/index.ts';
import { SubgraphDataSource, createSubgraphAgent } from './execute/index.ts';
import { createErrorShaper } from './shape/index.ts';
import { createHttpHandler, type GatewayContext } from './receive/index.ts';
import { useAliasLimit, useDepthLimit, useIntrospection, useSubgraphTimeout } from './plugins/index.ts';

export type GatewayConfig = Parsed<typeof gatewayEnv>;

/** The features this gateway runs, in order. Adding one is adding a line here. */
export function defaultPlugins(config: GatewayConfig): GatewayPlugin[] {
  return [
    useDepthLimit({ maxDepth: config.maxDepth }),
    useAliasLimit({ maxAliases: config.maxAliases }),
    useIntrospection({ enabled: config.introspection === 'on' }),
    useSubgraphTimeout({ timeoutMs: config.subgraphTimeoutMs }),
  ];
}

export async function startGateway(config: GatewayConfig, logger: Logger): Promise<Running & { url: string }> {
  const pipeline = buildPipeline(defaultPlugins(config));
  const agent = createSubgraphAgent();
  const subgraphs = new Map<string, string>();
  const onSupergraphError = (error: unknown) => logger.error({ err: error }, 'could not load the new supergraph; keeping the current one');

  const gateway = new ApolloGateway({
    supergraphSdl: config.supergraphUrl
      ? urlSupergraph(config.supergraphUrl, { pollMs: 30_000, onError: onSupergraphError })
      : fileSupergraph(config.supergraphPath, { watch: true, onError: onSupergraphError }),
    buildService: ({ name, url }) => {
      const target = config.subgraphUrls[name] ?? url;
      if (!target) throw new Error(`Subgraph "${name}" has no URL in the supergraph and none in SUBGRAPH_URLS.`);
      subgraphs.set(name, target);
      return new SubgraphDataSource({ name, url: target, pipeline, agent });
    },
    logger,
  });

  const apollo = new ApolloServer<GatewayContext>({
    gateway,
    // Introspection is a plugin's decision (useIntrospection), so it is refused with a catalogue code.
    introspection: true,
    validationRules: pipeline.validationRules,
    includeStacktraceInErrorResponses: false,
    formatError: createErrorShaper(pipeline, logger),
    logger,
  });
  await apollo.start();

  const handle = createHttpHandler({
    apollo,
    pipeline,
    logger,
    maxBodyBytes: config.maxBodyBytes,
    subgraphs: () => subgraphs,
    probeSubgraph: (url) => probe(url, config.subgraphTimeoutMs),
  });
  const server = createServer((req, res) => void handle(req, res));
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
    async close() {
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
