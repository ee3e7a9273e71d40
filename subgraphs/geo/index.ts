/** The geo subgraph as a process: owner of Region, Departement and Commune, over the geodata API. */
import type { geoSubgraphEnv } from '../../common/config.ts';
import type { Parsed } from '../../common/env.ts';
import type { Logger } from '../../common/logger.ts';
import type { Running } from '../../common/service.ts';
import { createLegacyGuards, legacyResilienceOf, serveSubgraph, subgraphLimitsOf } from '../kit/index.ts';
import { createGeoConnector } from './connector.ts';
import { createLoaders } from './loaders.ts';
import { resolvers, type GeoContext } from './resolvers.ts';

export type GeoSubgraphConfig = Parsed<typeof geoSubgraphEnv>;

export async function startGeoSubgraph(config: GeoSubgraphConfig, logger: Logger): Promise<Running> {
  // One breaker, bulkhead and retry budget per legacy system for the whole process (kit/legacy-guards.ts).
  const guards = createLegacyGuards(legacyResilienceOf(config));
  // One connector for the process: its cache outlives requests; loaders are made per request.
  const connector = createGeoConnector({
    baseUrl: config.geoApiUrl,
    timeoutMs: config.upstreamTimeoutMs,
    retries: config.upstreamRetries,
    connections: config.upstreamConnections,
    cacheTtlMs: config.referenceCacheTtlMs,
    guards,
  });
  return serveSubgraph<GeoContext>({
    name: 'geo',
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
