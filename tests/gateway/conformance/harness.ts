/**
 * A toy federation per conformance case (The Guild's federation-gateway-audit, the suite gateways
 * are compared on): its subgraphs served in this process with @apollo/subgraph on free ports, their
 * supergraph composed with @apollo/composition, and one query run side by side through stock
 * @apollo/gateway's walker (`createPlanRunner`) and Passerelle's engine (`createEngine`), both on
 * the same plan from the same planner. Every request a subgraph received is recorded, so a test
 * can show what the gateway asked for.
 *
 *   const federation = await startConformanceFederation([{ name: 'a', typeDefs, resolvers }, …]);
 *   const { stock, engine } = await federation.both('{ products { upc } }');
 *   await federation.close();
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isDeepStrictEqual } from 'node:util';
import { composeServices } from '@apollo/composition';
import { Supergraph } from '@apollo/federation-internals';
import type { GatewayInterface } from '@apollo/server-gateway-interface';
import { prettyFormatQueryPlan } from '@apollo/query-planner';
import { buildSubgraphSchema } from '@apollo/subgraph';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper/resolverMap.js';
import { execute, parse, validate, type ExecutionResult, type GraphQLSchema } from 'graphql';
import { gatewayEnv } from '../../../common/config.ts';
import { readEnv } from '../../../common/env.ts';
import { createIdentitySigner } from '../../../common/identity.ts';
import { createLogger } from '../../../common/logger.ts';
import { OperationPlanner, type PlannedOperation } from '../../../gateway/plan/index.ts';
import { SubgraphDataSource, createPlanRunner, createSubgraphGuards } from '../../../gateway/execute/index.ts';
import { createEngine } from '../../../gateway/execute/engine/index.ts';
import { createSubgraphClient } from '../../../gateway/execute/subgraph-client.ts';
import { buildPipeline, type Principal } from '../../../gateway/pipeline.ts';

const ANONYMOUS: Principal = { id: 'anonymous', kind: 'anonymous', scopes: [] };

export interface ToySubgraph {
  name: string;
  typeDefs: string;
  resolvers: GraphQLResolverMap<unknown>;
}

/** One request a subgraph received. */
export interface Received {
  subgraph: string;
  query: string;
  variables: Record<string, unknown>;
}

export interface ConformanceFederation {
  supergraphSdl: string;
  /** The plan of `query`, as the planner prints it (for failure messages and documentation). */
  plan(query: string): string;
  /** `query` through stock @apollo/gateway and through the engine, one after the other. */
  both(query: string, variables?: Record<string, unknown>): Promise<{ stock: ExecutionResult; engine: ExecutionResult; stockRequests: Received[]; engineRequests: Received[] }>;
  close(): Promise<void>;
}

export async function startConformanceFederation(subgraphs: readonly ToySubgraph[]): Promise<ConformanceFederation> {
  let received: Received[] = [];
  const servers = await Promise.all(subgraphs.map((subgraph) => serve(subgraph, (request) => received.push(request))));
  const urls = Object.fromEntries(servers.map((server) => [server.name, server.url]));
  const close = async () => {
    await Promise.all(servers.map((server) => server.close()));
  };

  const composed = composeServices(subgraphs.map((subgraph) => ({ name: subgraph.name, url: urls[subgraph.name], typeDefs: parse(subgraph.typeDefs) })));
  if (composed.errors) {
    await close();
    throw new Error(`The case's subgraphs do not compose:\n${composed.errors.map((error) => `  - ${error.message}`).join('\n')}`);
  }
  const supergraphSdl = composed.supergraphSdl;
  const apiSchema = Supergraph.build(supergraphSdl).apiSchema().toGraphQLJSSchema();
  const planner = new OperationPlanner();
  planner.follow({
    onSchemaLoadOrUpdate: (callback: (update: { apiSchema: GraphQLSchema; coreSupergraphSdl: string }) => void) => (callback({ apiSchema, coreSupergraphSdl: supergraphSdl }), () => {}),
  } as unknown as GatewayInterface);

  const config = readEnv(gatewayEnv, {});
  const identity = createIdentitySigner(config.gatewaySecret);
  const pipeline = buildPipeline([]);
  const guards = createSubgraphGuards(config);
  const logger = createLogger('conformance', 'silent');
  const sources = new Map(Object.entries(urls).map(([name, url]) => [name, new SubgraphDataSource({ name, url, pipeline, ...guards.of(name), identity })]));
  const stock = createPlanRunner({ dataSources: () => sources, logger });
  const client = createSubgraphClient({ urlOf: (name) => urls[name], guards, pipeline, identity, dedup: false });
  const engine = createEngine({ client, fallback: stock, logger });

  const planned = (query: string): PlannedOperation => planner.plan(query, parse(query), undefined);
  const run = async (runner: typeof stock, query: string, variables: Record<string, unknown>) => {
    received = [];
    // The gateway validates against the API schema before planning, whichever runner executes.
    const invalid = validate(apiSchema, parse(query));
    if (invalid.length > 0) return { result: { errors: invalid.map((error) => error.toJSON()) } as unknown as ExecutionResult, requests: received };
    const result = await runner.run({ planned: planned(query), variables, context: { principal: ANONYMOUS } });
    // Through JSON, as a client would read it (GraphQLError objects become plain error objects).
    return { result: JSON.parse(JSON.stringify(result)) as ExecutionResult, requests: received };
  };

  return {
    supergraphSdl,
    plan: (query) => prettyFormatQueryPlan(planned(query).plan),
    async both(query, variables = {}) {
      const fromStock = await run(stock, query, variables);
      const fromEngine = await run(engine, query, variables);
      if (engine.stats().fallback > 0) throw new Error('the engine handed the plan to the stock walker: the case would not test the engine');
      return { stock: fromStock.result, engine: fromEngine.result, stockRequests: fromStock.requests, engineRequests: fromEngine.requests };
    },
    async close() {
      await guards.close();
      await close();
    },
  };
}

/** An audit case's expected answer: its data, and whether errors are expected (undefined: not checked). */
export interface AuditExpectation {
  data?: unknown;
  errors?: boolean;
}

/**
 * What the audit compares (its src/test.ts): `data` (null when absent) and, only when the case says
 * `errors: true|false`, whether the answer has errors.
 */
export function auditView(result: ExecutionResult, expected: AuditExpectation): { data: unknown; errors: boolean | null } {
  return { data: result.data ?? null, errors: typeof expected.errors === 'boolean' ? (result.errors?.length ?? 0) > 0 : null };
}

/** The expected side of `auditView`. */
export function expectedView(expected: AuditExpectation): { data: unknown; errors: boolean | null } {
  return { data: expected.data ?? null, errors: typeof expected.errors === 'boolean' ? expected.errors : null };
}

/** Whether an answer passes the audit case. */
export function passes(result: ExecutionResult, expected: AuditExpectation): boolean {
  return isDeepStrictEqual(auditView(result, expected), expectedView(expected));
}

interface Served {
  name: string;
  url: string;
  close(): Promise<void>;
}

async function serve(subgraph: ToySubgraph, record: (request: Received) => void): Promise<Served> {
  const schema = buildSubgraphSchema({ typeDefs: parse(subgraph.typeDefs), resolvers: subgraph.resolvers });
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      void (async () => {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { query: string; variables?: Record<string, unknown>; operationName?: string };
        record({ subgraph: subgraph.name, query: body.query, variables: body.variables ?? {} });
        const document = parse(body.query);
        const errors = validate(schema, document);
        const result = errors.length > 0 ? { errors } : await execute({ schema, document, variableValues: body.variables, operationName: body.operationName });
        const json = JSON.stringify(result);
        response.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(json) });
        response.end(json);
      })().catch((error: unknown) => {
        response.writeHead(500, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ errors: [{ message: String(error) }] }));
      });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    name: subgraph.name,
    url: `http://127.0.0.1:${port}/graphql`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
