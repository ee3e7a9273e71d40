/**
 * One heavy-benchmark subgraph on node:http: POST /graphql runs the operation on the subgraph's
 * schema (@apollo/subgraph); GET /stats says how many requests it received and how many bytes
 * they carried; POST /stats/reset sets the counters to zero. Kept as lean as a subgraph can be
 * (documents parsed and validated once per text, synchronous resolvers on in-memory data) so that
 * the gateways in front of it, not the subgraphs, dominate the benchmark.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { execute, parse, validate, type DocumentNode, type GraphQLSchema } from 'graphql';
import { subgraphResolvers, subgraphTypeDefs, type HeavySubgraphName } from './schema.ts';

/** What one subgraph received since its start or its last reset. */
export interface HeavySubgraphStats {
  /** POST /graphql requests. */
  requests: number;
  /** Bytes of those requests' bodies. */
  requestBytes: number;
  /** Bytes of the answers' bodies. */
  responseBytes: number;
  /** Entity representations received (`_entities(representations:)`), repeated keys included. */
  representations: number;
}

export interface ServedHeavySubgraph {
  name: HeavySubgraphName;
  /** The GraphQL endpoint (…/graphql). */
  url: string;
  /** GET for the counters, POST …/reset to zero them. */
  statsUrl: string;
  stats(): HeavySubgraphStats;
  resetStats(): void;
  close(): Promise<void>;
}

/** Distinct operation texts kept parsed; the gateways send a few dozen at most. */
const DOCUMENT_CACHE_SIZE = 1000;

export function heavySubgraphSchema(name: HeavySubgraphName): GraphQLSchema {
  return buildSubgraphSchema({ typeDefs: subgraphTypeDefs(name), resolvers: subgraphResolvers(name) });
}

export async function serveHeavySubgraph(name: HeavySubgraphName, listen: { host?: string; port?: number } = {}): Promise<ServedHeavySubgraph> {
  const schema = heavySubgraphSchema(name);
  const documents = new Map<string, { document?: DocumentNode; errors?: readonly { message: string }[] }>();
  let stats: HeavySubgraphStats = emptyStats();

  const documentFor = (query: string) => {
    let entry = documents.get(query);
    if (!entry) {
      try {
        const document = parse(query);
        const errors = validate(schema, document);
        entry = errors.length > 0 ? { errors } : { document };
      } catch (error) {
        entry = { errors: [{ message: (error as Error).message }] };
      }
      if (documents.size >= DOCUMENT_CACHE_SIZE) documents.clear();
      documents.set(query, entry);
    }
    return entry;
  };

  const answerGraphql = async (body: Buffer, response: ServerResponse) => {
    stats.requests += 1;
    stats.requestBytes += body.length;
    let request: { query?: unknown; variables?: Record<string, unknown> | null; operationName?: string | null };
    try {
      request = JSON.parse(body.toString('utf8')) as typeof request;
    } catch {
      return send(response, 400, { errors: [{ message: 'The body is not JSON.' }] });
    }
    if (typeof request.query !== 'string') return send(response, 400, { errors: [{ message: 'No query.' }] });
    const representations = request.variables?.representations;
    if (Array.isArray(representations)) stats.representations += representations.length;
    const { document, errors } = documentFor(request.query);
    if (!document) return send(response, 400, { errors });
    const result = await execute({ schema, document, variableValues: request.variables ?? undefined, operationName: request.operationName ?? undefined });
    stats.responseBytes += send(response, 200, result);
  };

  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const path = (request.url ?? '/').split('?')[0];
    if (request.method === 'GET' && path === '/stats') return void send(response, 200, stats);
    if (request.method === 'POST' && path === '/stats/reset') {
      stats = emptyStats();
      return void send(response, 200, stats);
    }
    if (request.method !== 'POST' || path !== '/graphql') return void send(response, 404, { errors: [{ message: 'POST /graphql, GET /stats, POST /stats/reset.' }] });
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      answerGraphql(Buffer.concat(chunks), response).catch((error: unknown) => send(response, 500, { errors: [{ message: String(error) }] }));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(listen.port ?? 0, listen.host ?? '127.0.0.1', () => resolve());
  });
  const { address, port } = server.address() as AddressInfo;
  const base = `http://${address.includes(':') ? `[${address}]` : address}:${port}`;
  return {
    name,
    url: `${base}/graphql`,
    statsUrl: `${base}/stats`,
    stats: () => ({ ...stats }),
    resetStats: () => {
      stats = emptyStats();
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function emptyStats(): HeavySubgraphStats {
  return { requests: 0, requestBytes: 0, responseBytes: 0, representations: 0 };
}

/** Writes a JSON answer; returns its size in bytes. */
function send(response: ServerResponse, status: number, body: unknown): number {
  const json = Buffer.from(JSON.stringify(body));
  response.writeHead(status, { 'content-type': 'application/json', 'content-length': json.length });
  response.end(json);
  return json.length;
}
