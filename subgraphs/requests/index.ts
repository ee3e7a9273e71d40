/**
 * The requests subgraph: citizens' requests from the GRC, read side. Owns `Request`; adds request
 * statistics to `Commune` and `Departement`, and open requests to `Lycee`.
 */
import { fileURLToPath } from 'node:url';
import type { requestsSubgraphEnv } from '../../common/config.ts';
import type { Parsed } from '../../common/env.ts';
import type { Logger } from '../../common/logger.ts';
import type { Running } from '../../common/service.ts';
import { createLegacyGuards, legacyResilienceOf, startSubgraph, subgraphLimitsOf, type Caller } from '../kit/index.ts';
import { createAuditLog } from './access/audit.ts';
import { viewerOf } from './access/caller.ts';
import { Access } from './access/rules.ts';
import { encodeCursor, startChangeCapture } from './capture/index.ts';
import { GrcConnector } from './connector.ts';
import { startMigrations } from './grc/migrate.ts';
import { createLoaders } from './loaders.ts';
import { startWorkflow } from './workflow/index.ts';
import { resolvers, type RequestsContext } from './resolvers.ts';
import { serveSubscriptions, subscriptionResolvers } from './subscriptions.ts';

export type RequestsSubgraphConfig = Parsed<typeof requestsSubgraphEnv>;

export async function startRequestsSubgraph(config: RequestsSubgraphConfig, logger: Logger): Promise<Running> {
  // Passerelle's own tables and triggers (applied later, in the background, if the GRC is down now).
  const migrations = await startMigrations({ databaseUrl: config.grcDatabaseUrl, timeoutMs: config.upstreamTimeoutMs, retries: config.upstreamRetries, logger });
  // One breaker, bulkhead and retry budget per legacy system for the whole process (kit/legacy-guards.ts): the GRC, and geo-api and lycees-api for intake.
  const guards = createLegacyGuards(legacyResilienceOf(config));
  const connector = new GrcConnector({
    databaseUrl: config.grcDatabaseUrl,
    connections: config.upstreamConnections,
    timeoutMs: config.upstreamTimeoutMs,
    retries: config.upstreamRetries,
    referenceTtlMs: config.referenceCacheTtlMs,
    guards,
    logger,
  });
  // Every mutation and every read of personal data, as JSON lines (access/audit.ts).
  const audit = createAuditLog(config.auditLogPath, logger);
  // Routing rules are checked here: a bad rules file stops the start-up, not a citizen's request.
  const workflow = await startWorkflow(config, connector, audit, logger, guards).catch(async (error: unknown) => {
    await connector.close();
    await audit.close();
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
  // One context factory for HTTP requests and subscription events alike. `identity` is the caller
  // the gateway vouches for, verified by the kit (HTTP) or at connect (subscriptions.ts).
  const feedPosition = async () => encodeCursor(await changes.head());
  const createContext = ({ identity }: { identity: Caller | null }): RequestsContext => {
    const loaders = createLoaders(connector);
    return { loaders, maxPageSize: config.maxPageSize, workflow, access: new Access(viewerOf(identity), connector, audit), feedPosition };
  };
  const subgraph = await startSubgraph<RequestsContext>({
    name: 'requests',
    schemaPath: fileURLToPath(new URL('./schema.graphql', import.meta.url)),
    resolvers: { ...resolvers, ...subscriptionResolvers },
    createContext,
    gatewaySecret: config.gatewaySecret,
    guards,
    shutdown: { delayMs: config.shutdownDelayMs, timeoutMs: config.shutdownTimeoutMs },
    limits: subgraphLimitsOf(config),
    onServer: (server, schema) => serveSubscriptions(server, schema, { changes, createContext, gatewaySecret: config.gatewaySecret, logger }),
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
      await audit.close();
    },
  };
}
