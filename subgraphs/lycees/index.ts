/**
 * Starts the lycées subgraph: owner of `Lycee`, it adds `Commune.lycees`, and reaches the Lycées
 * numériques API only through its connector.
 */
import { fileURLToPath } from 'node:url';
import type { Parsed } from '../../common/env.ts';
import type { lyceesSubgraphEnv } from '../../common/config.ts';
import type { Logger } from '../../common/logger.ts';
import type { Running } from '../../common/service.ts';
import { startSubgraph } from '../kit/index.ts';
import { createLyceesConnector } from './connector.ts';
import { createLoaders } from './loaders.ts';
import { resolvers, type LyceesContext } from './resolvers.ts';

export type LyceesSubgraphConfig = Parsed<typeof lyceesSubgraphEnv>;

export async function startLyceesSubgraph(config: LyceesSubgraphConfig, logger: Logger): Promise<Running> {
  const connector = createLyceesConnector({
    baseUrl: config.lyceesApiUrl,
    timeoutMs: config.upstreamTimeoutMs,
    retries: config.upstreamRetries,
    connections: config.upstreamConnections,
  });
  const subgraph = await startSubgraph<LyceesContext>({
    name: 'lycees',
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
