/**
 * The requests subgraph: citizens' requests from the GRC, read side. Owns `Request`; adds request
 * statistics to `Commune` and `Departement`, and open requests to `Lycee`.
 */
import { fileURLToPath } from 'node:url';
import type { HeaderMap } from '@apollo/server';
import type { requestsSubgraphEnv } from '../../common/config.ts';
import type { Parsed } from '../../common/env.ts';
import type { Logger } from '../../common/logger.ts';
import type { Running } from '../../common/service.ts';
import { startSubgraph } from '../kit/index.ts';
import { startChangeCapture } from './capture/index.ts';
import { GrcConnector } from './connector.ts';
import { startMigrations } from './migrate.ts';
import { createLoaders } from './loaders.ts';
import { startWorkflow } from './mutations.ts';
import { resolvers, type RequestsContext } from './resolvers.ts';
import { serveSubscriptions, subscriptionResolvers } from './subscriptions.ts';

export type RequestsSubgraphConfig = Parsed<typeof requestsSubgraphEnv>;

export async function startRequestsSubgraph(config: RequestsSubgraphConfig, logger: Logger): Promise<Running> {
  // Passerelle's own tables and triggers (applied later, in the background, if the GRC is down now).
  const migrations = await startMigrations({ databaseUrl: config.grcDatabaseUrl, timeoutMs: config.upstreamTimeoutMs, retries: config.upstreamRetries, logger });
  const connector = new GrcConnector({
    databaseUrl: config.grcDatabaseUrl,
    connections: config.upstreamConnections,
    timeoutMs: config.upstreamTimeoutMs,
    retries: config.upstreamRetries,
    referenceTtlMs: config.referenceCacheTtlMs,
    logger,
  });
  // Routing rules are checked here: a bad rules file stops the start-up, not a citizen's request.
  const workflow = await startWorkflow(config, connector, logger).catch(async (error: unknown) => {
    await connector.close();
    throw error;
  });
  // Real-time tracking: the journal's capture and the bus (see capture/index.ts).
  const changes = startChangeCapture({
    db: connector,
    databaseUrl: config.grcDatabaseUrl,
    redisUrl: config.redisUrl,
    pollMs: config.capturePollMs,
    leaseMs: config.captureLeaseMs,
    retentionHours: config.captureRetentionHours,
    timeoutMs: config.upstreamTimeoutMs,
    logger,
  });
  // One context factory for HTTP requests and subscription events alike.
  const createContext = ({ headers }: { headers: HeaderMap }): RequestsContext => ({
    loaders: createLoaders(connector),
    maxPageSize: config.maxPageSize,
    workflow: workflow.forRequest(headers.get('authorization')),
  });
  const subgraph = await startSubgraph<RequestsContext>({
    name: 'requests',
    schemaPath: fileURLToPath(new URL('./schema.graphql', import.meta.url)),
    resolvers: { ...resolvers, ...subscriptionResolvers },
    createContext,
    onServer: (server, schema) => serveSubscriptions(server, schema, { changes, createContext, logger }),
    port: config.port,
    host: config.host,
    logger,
  });
  return {
    urls: { graphql: subgraph.url },
    async close() {
      migrations.stop();
      await subgraph.close();
      await changes.close();
      await connector.close();
      await workflow.close();
    },
  };
}
