/**
 * Starts the lycées subgraph: owner of `Lycee`, it adds `Commune.lycees`, and reaches the Lycées
 * numériques API only through its connector.
 */
import type { Parsed } from '../../common/env.ts';
import type { lyceesSubgraphEnv } from '../../common/config.ts';
import type { Logger } from '../../common/logger.ts';
import type { Running } from '../../common/service.ts';
import { createLegacyGuards, legacyResilienceOf, serveSubgraph, subgraphLimitsOf } from '../kit/index.ts';
import { createLyceesConnector } from './connector.ts';
import { createLoaders } from './loaders.ts';
import { resolvers, type LyceesContext } from './resolvers.ts';

export type LyceesSubgraphConfig = Parsed<typeof lyceesSubgraphEnv>;

export async function startLyceesSubgraph(config: LyceesSubgraphConfig, logger: Logger): Promise<Running> {
  // One breaker, bulkhead and retry budget per legacy system for the whole process (kit/legacy-guards.ts).
  const guards = createLegacyGuards(legacyResilienceOf(config));
  const connector = createLyceesConnector({
    baseUrl: config.lyceesApiUrl,
    timeoutMs: config.upstreamTimeoutMs,
    retries: config.upstreamRetries,
    connections: config.upstreamConnections,
    guards,
  });
  return serveSubgraph<LyceesContext>({
    name: 'lycees',
    moduleUrl: import.meta.url,
    connector,
    resolvers,
    createContext: () => ({ loaders: createLoaders(connector), maxPageSize: config.maxPageSize }),
    limits: subgraphLimitsOf(config),
    port: config.port,
    host: config.host,
    gatewaySecret: config.gatewaySecret,
    guards,
    shutdown: { delayMs: config.shutdownDelayMs, timeoutMs: config.shutdownTimeoutMs },
    logger,
  });
}
