/** The geo subgraph as a process: owner of Region, Departement and Commune, over the geodata API. */
import type { geoSubgraphEnv } from '../../common/config.ts';
import type { Parsed } from '../../common/env.ts';
import type { Logger } from '../../common/logger.ts';
import type { Running } from '../../common/service.ts';
import { serveSubgraph, subgraphLimitsOf } from '../kit/index.ts';
import { createGeoConnector } from './connector.ts';
import { createLoaders } from './loaders.ts';
import { resolvers, type GeoContext } from './resolvers.ts';

export type GeoSubgraphConfig = Parsed<typeof geoSubgraphEnv>;

export async function startGeoSubgraph(config: GeoSubgraphConfig, logger: Logger): Promise<Running> {
  // One connector for the process: its cache outlives requests; loaders are made per request.
  const connector = createGeoConnector({
    baseUrl: config.geoApiUrl,
    timeoutMs: config.upstreamTimeoutMs,
    retries: config.upstreamRetries,
    connections: config.upstreamConnections,
    cacheTtlMs: config.referenceCacheTtlMs,
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
    logger,
  });
}
