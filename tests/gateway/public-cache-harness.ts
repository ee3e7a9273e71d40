/**
 * Helpers of the public-data cache suites: supergraphs as the gateway's planner holds them (the
 * committed one, or one composed from toy subgraphs), the fetches the federation planner makes of
 * an operation, and a toy invalidation stream served over graphql-ws as a subgraph serves it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createServer as createTcpServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { composeServices } from '@apollo/composition';
import { DEFAULT_SUPPORTED_SUPERGRAPH_FEATURES, Supergraph, operationFromDocument } from '@apollo/federation-internals';
import { QueryPlanner, type PlanNode, type QueryPlan, type SubscriptionNode } from '@apollo/query-planner';
import { buildSchema, parse, type GraphQLSchema } from 'graphql';
import { createLogger } from '../../common/logger.ts';
import { CACHE_SPEC_URL, createFetchCache, type FetchCacheOptions, type PublicDataCache } from '../../gateway/execute/cache/index.ts';
import { ENFORCED_SECURITY_FEATURES } from '../../gateway/plan/security-features.ts';
import { PushChannel } from '../harness/push-channel.ts';
import { serveToySubscriptions } from '../harness/subgraph-subscriptions.ts';
import { identityKey } from '../../common/identity.ts';

export const SUPERGRAPH_SDL = readFileSync(resolve(import.meta.dirname, '../../schema/supergraph.graphql'), 'utf8');
export const silent = createLogger('test', 'silent');

/** A supergraph as plan/operation-planner.ts builds it: the GraphQL schema the cache reads, and a planner. */
export function loadSupergraph(sdl = SUPERGRAPH_SDL): { schema: GraphQLSchema; fetchesOf: (query: string) => { subgraph: string; operation: string }[] } {
  const supergraph = Supergraph.build(sdl, { supportedFeatures: new Set([...DEFAULT_SUPPORTED_SUPERGRAPH_FEATURES, ...ENFORCED_SECURITY_FEATURES.map((base) => `${base}/v0.1`)]) });
  const planner = new QueryPlanner(supergraph);
  return {
    schema: supergraph.schema.toGraphQLJSSchema(),
    fetchesOf(query) {
      const plan: QueryPlan = planner.buildQueryPlan(operationFromDocument(supergraph.apiSchema(), parse(query), {}));
      const fetches: { subgraph: string; operation: string }[] = [];
      const walk = (node: PlanNode | SubscriptionNode | undefined): void => {
        if (!node) return;
        if (node.kind === 'Fetch') fetches.push({ subgraph: node.serviceName, operation: node.operation });
        else if (node.kind === 'Sequence' || node.kind === 'Parallel') node.nodes.forEach(walk);
        else if (node.kind === 'Flatten') walk(node.node);
        else if (node.kind === 'Condition') {
          walk(node.ifClause);
          walk(node.elseClause);
        }
      };
      walk(plan.node);
      return fetches;
    },
  };
}

const TOY_HEADER = (federationImports: string[], cacheImports: string[]) => `
extend schema
  @link(url: "https://specs.apollo.dev/federation/v2.9", import: [${['@key', '@shareable', '@composeDirective', ...federationImports].map((i) => JSON.stringify(i)).join(', ')}])
  @link(url: "${CACHE_SPEC_URL}", import: [${['@cacheControl', 'CacheControlScope', ...cacheImports].map((i) => JSON.stringify(i)).join(', ')}])
  ${['@cacheControl', ...cacheImports].map((d) => `@composeDirective(name: "${d}")`).join(' ')}
enum CacheControlScope { PUBLIC PRIVATE }
directive @cacheControl(maxAge: Int, scope: CacheControlScope, inheritMaxAge: Boolean) on FIELD_DEFINITION | OBJECT | INTERFACE | UNION
${cacheImports.includes('@cacheTag') ? 'directive @cacheTag(format: String!) repeatable on FIELD_DEFINITION' : ''}
${cacheImports.includes('@cacheInvalidation') ? 'directive @cacheInvalidation on FIELD_DEFINITION' : ''}
`;

export interface ToySubgraph {
  name: string;
  url?: string;
  /** SDL after the header (the cache spec linked, its directives defined). */
  sdl: string;
  federationImports?: string[];
  cacheImports?: string[];
}

/** Composes toy subgraphs into a supergraph schema (throws the composition errors). */
export function composeToy(subgraphs: ToySubgraph[]): GraphQLSchema {
  const result = composeServices(subgraphs.map((subgraph) => ({
    name: subgraph.name,
    url: subgraph.url ?? `http://${subgraph.name}.invalid/graphql`,
    typeDefs: parse(TOY_HEADER(subgraph.federationImports ?? [], subgraph.cacheImports ?? []) + subgraph.sdl),
  })));
  if (result.errors) throw new Error(result.errors.map(String).join('\n'));
  return loadSupergraph(result.supergraphSdl).schema;
}

export function newCache(options: Partial<FetchCacheOptions> = {}): PublicDataCache {
  return createFetchCache({ maxEntries: 1000, logger: silent, ...options });
}

/** The gateway secret tests sign with (the development default). */
export const GATEWAY_KEY = identityKey('passerelle-dev-gateway-secret-change-me-01234');

/**
 * A toy subgraph serving `Subscription.cacheInvalidations` over graphql-ws (identity checked at
 * connect, as every subgraph does): `push` sends one event to every open stream, `end` ends them.
 */
export async function startToyInvalidations(): Promise<{ url: string; push(tags: string[]): void; end(): void; streams(): number; close(): Promise<void> }> {
  const channels = new Set<PushChannel<{ cacheInvalidations: string[] }>>();
  const schema = buildSchema('type Query { ok: Boolean } type Subscription { cacheInvalidations: [String!]! }');
  const fields = schema.getSubscriptionType()!.getFields();
  fields.cacheInvalidations!.subscribe = () => {
    const channel: PushChannel<{ cacheInvalidations: string[] }> = new PushChannel(() => channels.delete(channel));
    channels.add(channel);
    channel.push({ cacheInvalidations: [] });
    return channel;
  };
  const server: Server = createServer((_, res) => res.writeHead(404).end());
  const served = serveToySubscriptions(server, schema, GATEWAY_KEY);
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', () => done()));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/graphql`,
    push: (tags) => channels.forEach((channel) => channel.push({ cacheInvalidations: tags })),
    end: () => channels.forEach((channel) => channel.return()),
    streams: () => channels.size,
    async close() {
      await served.close();
      await new Promise<void>((done) => server.close(() => done()));
    },
  };
}

/** A toy supergraph with one tagged field and an invalidation stream served at `url`. */
export function taggedToySupergraph(url: string): GraphQLSchema {
  return composeToy([
    {
      name: 'counts',
      url,
      cacheImports: ['@cacheTag', '@cacheInvalidation'],
      federationImports: ['@inaccessible'],
      sdl: `
        type Query { count(place: String!): Int @cacheControl(maxAge: 60) @cacheTag(format: "count:{$args.place}") }
        type Subscription { cacheInvalidations: [String!]! @inaccessible @cacheInvalidation other: Int }`,
    },
  ]);
}

/**
 * A private redis-server that keeps its data across a crash (append-only file, fsync on every
 * write), on a free port: `kill` (SIGKILL) then `start` again brings back what it held.
 */
export async function startDurableRedis(): Promise<{ url: string; kill(): Promise<void>; start(): Promise<void>; stop(): Promise<void> }> {
  const probe = createTcpServer();
  await new Promise<void>((done) => probe.listen(0, '127.0.0.1', () => done()));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((done) => probe.close(() => done()));
  const dir = mkdtempSync(join(tmpdir(), 'passerelle-cache-redis-'));
  let child: ChildProcess | null = null;
  const start = async () => {
    const proc = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'yes', '--appendfsync', 'always'], { stdio: ['ignore', 'pipe', 'pipe'] });
    child = proc;
    await new Promise<void>((done, fail) => {
      let output = '';
      proc.stdout!.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes('Ready to accept connections')) done();
      });
      proc.once('exit', (code) => fail(new Error(`redis-server exited (${code}): ${output.slice(-500)}`)));
    });
  };
  const kill = async () => {
    const proc = child;
    child = null;
    if (!proc || proc.exitCode !== null) return;
    const exited = new Promise((done) => proc.once('exit', done));
    proc.kill('SIGKILL');
    await exited;
  };
  await start();
  return {
    url: `redis://127.0.0.1:${port}`,
    kill,
    start,
    async stop() {
      await kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
