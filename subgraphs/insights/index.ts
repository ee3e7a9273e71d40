/** The insights subgraph as a process: owner of Programme, Investment and Indicator, over the open data portal. */
import type { insightsSubgraphEnv } from '../../common/config.ts';
import type { Parsed } from '../../common/env.ts';
import type { Logger } from '../../common/logger.ts';
import type { Running } from '../../common/service.ts';
import { createLegacyGuards, legacyResilienceOf, serveSubgraph, subgraphLimitsOf } from '../kit/index.ts';
import { createOpendataConnector } from './connector.ts';
import { createLoaders } from './loaders.ts';
import { resolvers, type InsightsContext } from './resolvers.ts';

export type InsightsSubgraphConfig = Parsed<typeof insightsSubgraphEnv>;

export async function startInsightsSubgraph(config: InsightsSubgraphConfig, logger: Logger): Promise<Running> {
  // One breaker, bulkhead and retry budget per legacy system for the whole process (kit/legacy-guards.ts).
  const guards = createLegacyGuards(legacyResilienceOf(config));
  // One connector for the process, so the programmes cache outlives requests; loaders are per request.
  const connector = createOpendataConnector({
    baseUrl: config.opendataApiUrl,
    timeoutMs: config.upstreamTimeoutMs,
    retries: config.upstreamRetries,
    connections: config.upstreamConnections,
    referenceCacheTtlMs: config.referenceCacheTtlMs,
    guards,
  });
  return serveSubgraph<InsightsContext>({
    name: 'insights',
    moduleUrl: import.meta.url,
    connector,
    resolvers,
    createContext: () => ({ loaders: createLoaders(connector) }),
    limits: subgraphLimitsOf(config),
    port: config.port,
    host: config.host,
    gatewaySecret: config.gatewaySecret,
    guards,
    shutdown: { delayMs: config.shutdownDelayMs, timeoutMs: config.shutdownTimeoutMs },
    logger,
  });
}
