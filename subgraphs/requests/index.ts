/**
 * The requests subgraph: citizens' requests from the GRC, read side. Owns `Request`; adds request
 * statistics to `Commune` and `Departement`, and open requests to `Lycee`.
 */
import { fileURLToPath } from 'node:url';
import type { requestsSubgraphEnv } from '../../common/config.ts';
import type { Parsed } from '../../common/env.ts';
import type { Logger } from '../../common/logger.ts';
import type { Running } from '../../common/service.ts';
import { startSubgraph } from '../kit/index.ts';
import { GrcConnector } from './connector.ts';
import { createLoaders } from './loaders.ts';
import { resolvers, type RequestsContext } from './resolvers.ts';

export type RequestsSubgraphConfig = Parsed<typeof requestsSubgraphEnv>;

export async function startRequestsSubgraph(config: RequestsSubgraphConfig, logger: Logger): Promise<Running> {
  const connector = new GrcConnector({
    databaseUrl: config.grcDatabaseUrl,
    connections: config.upstreamConnections,
    timeoutMs: config.upstreamTimeoutMs,
    retries: config.upstreamRetries,
    referenceTtlMs: config.referenceCacheTtlMs,
    logger,
  });
  const subgraph = await startSubgraph<RequestsContext>({
    name: 'requests',
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
