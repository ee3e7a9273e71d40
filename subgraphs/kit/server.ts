/**
 * Start-up shared by the four subgraphs: one Federation 2 schema, Apollo Server 5 on a plain
 * `node:http` server (POST/GET /graphql, GET /health), a fresh context — hence fresh DataLoaders —
 * per request. A subgraph only supplies its SDL, resolvers and context factory.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApolloServer, type BaseContext, type HeaderMap } from '@apollo/server';
import { headerMapOf, sendApolloResponse, sendJson } from '../../common/http.ts';
import { ApolloServerPluginInlineTraceDisabled } from '@apollo/server/plugin/disabled';
import { buildSubgraphSchema } from '@apollo/subgraph';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper/resolverMap.js';
import { parse, type GraphQLFormattedError, type GraphQLSchema } from 'graphql';
import type { Logger } from '../../common/logger.ts';

export interface SubgraphOptions<TContext extends BaseContext> {
  /** Subgraph name, as in the supergraph (geo, lycees, requests, insights). */
  name: string;
  /** Path of the subgraph's `schema.graphql`. */
  schemaPath: string;
  resolvers: GraphQLResolverMap<TContext>;
  /** Builds the per-request context: a new set of loaders each time, so caching never leaks across requests. */
  createContext: (request: { headers: HeaderMap }) => TContext | Promise<TContext>;
  port: number;
  host: string;
  logger: Logger;
  /** Called once the HTTP server exists, before it listens (e.g. to attach a WebSocket server). */
  onServer?: (server: Server, schema: GraphQLSchema) => void | (() => Promise<void>);
}

export interface RunningSubgraph {
  name: string;
  url: string;
  schema: GraphQLSchema;
  server: Server;
  close(): Promise<void>;
}

/**
 * A subgraph process: its connector (one per process, so connector caches outlive requests) and the
 * server. `close` stops taking requests first, then releases the connector.
 */
export async function serveSubgraph<TContext extends BaseContext>(
  options: Omit<SubgraphOptions<TContext>, 'schemaPath'> & {
    /** `import.meta.url` of the subgraph's `index.ts`: its `schema.graphql` sits beside it. */
    moduleUrl: string;
    connector: { close(): Promise<void> };
  },
): Promise<{ urls: { graphql: string }; subgraph: RunningSubgraph; close(): Promise<void> }> {
  const subgraph = await startSubgraph({ ...options, schemaPath: fileURLToPath(new URL('./schema.graphql', options.moduleUrl)) });
  return {
    urls: { graphql: subgraph.url },
    subgraph,
    async close() {
      await subgraph.close();
      await options.connector.close();
    },
  };
}

export function loadTypeDefs(schemaPath: string) {
  return parse(readFileSync(schemaPath, 'utf8'));
}

export async function startSubgraph<TContext extends BaseContext>(options: SubgraphOptions<TContext>): Promise<RunningSubgraph> {
  const { name, logger } = options;
  const schema = buildSubgraphSchema({ typeDefs: loadTypeDefs(options.schemaPath), resolvers: options.resolvers as GraphQLResolverMap<unknown> });
  const apollo = new ApolloServer<TContext>({
    schema,
    // Subgraphs sit behind the gateway, which owns CSRF protection, limits and error shaping.
    csrfPrevention: false,
    // common/lifecycle.ts owns signals; Apollo's own handler would re-raise SIGTERM and exit 1.
    stopOnTerminationSignals: false,
    includeStacktraceInErrorResponses: false,
    // Federated traces are for Apollo's usage reporting, which Passerelle does not use.
    plugins: [ApolloServerPluginInlineTraceDisabled()],
    formatError: (formatted, error) => formatSubgraphError(formatted, error, logger),
  });
  await apollo.start();

  const server = createServer((req, res) => {
    handle(apollo, options, req, res).catch((error: unknown) => {
      logger.error({ err: error }, 'unhandled subgraph error');
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ errors: [{ message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR' } }] }));
    });
  });
  server.keepAliveTimeout = 65_000;
  const detach = options.onServer?.(server, schema);

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://${options.host}:${port}/graphql`;
  logger.info({ url }, `${name} subgraph listening`);

  return {
    name,
    url,
    schema,
    server,
    async close() {
      if (typeof detach === 'function') await detach();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await apollo.stop();
    },
  };
}

async function handle<TContext extends BaseContext>(
  apollo: ApolloServer<TContext>,
  options: SubgraphOptions<TContext>,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://localhost');
  if (url.pathname === '/health') {
    sendJson(res, 200, { status: 'ok', subgraph: options.name });
    return;
  }
  if (url.pathname !== '/graphql') {
    sendJson(res, 404, { error: 'not_found' });
    return;
  }

  const headers = headerMapOf(req);
  let body: unknown;
  if (req.method === 'POST') {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    try {
      body = text ? JSON.parse(text) : {};
    } catch {
      sendJson(res, 400, { errors: [{ message: 'Body is not valid JSON', extensions: { code: 'BAD_REQUEST' } }] });
      return;
    }
  }

  const response = await apollo.executeHTTPGraphQLRequest({
    httpGraphQLRequest: { method: req.method ?? 'GET', headers, search: url.search, body },
    context: () => Promise.resolve(options.createContext({ headers })),
  });
  await sendApolloResponse(res, response);
}

/** Keeps catalogue codes; never leaks internals of an unexpected error to the gateway. */
function formatSubgraphError(formatted: GraphQLFormattedError, error: unknown, logger: Logger): GraphQLFormattedError {
  const code = formatted.extensions?.code;
  if (code === 'INTERNAL_SERVER_ERROR' || code === undefined) {
    logger.error({ err: (error as { originalError?: unknown }).originalError ?? error }, 'resolver error');
    return { ...formatted, message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR' } };
  }
  return formatted;
}
