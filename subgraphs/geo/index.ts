/** The geo subgraph as a process: owner of Region, Departement and Commune, over the geodata API. */
import { fileURLToPath } from 'node:url';
import type { geoSubgraphEnv } from '../../common/config.ts';
import type { Parsed } from '../../common/env.ts';
import type { Logger } from '../../common/logger.ts';
import type { Running } from '../../common/service.ts';
import { startSubgraph } from '../kit/index.ts';
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
  const subgraph = await startSubgraph<GeoContext>({
    name: 'geo',
    schemaPath: fileURLToPath(new URL('./schema.graphql', import.meta.url)),
    resolvers,
    createContext: () => ({ loaders: createLoaders(connector), maxPageSize: config.maxPageSize }),
    port: config.port,
    host: config.host,
    logger,
  });
  return {
    urls: { graphql: subgraph.url },
    async close() {
      await subgraph.close();
      await connector.close();
    },
  };
}
