/**
 * Plans operations the gateway runs itself (subscriptions, and queries or mutations arriving over
 * graphql-ws or SSE), with the same federation query planner @apollo/gateway uses for HTTP. It
 * follows the gateway's supergraph: each load or update rebuilds the planner and empties the plan
 * cache, so a plan never outlives the schema it was made for. Running operations keep theirs: a
 * query in flight finishes on the plan it started with; open subscriptions are told (`onChange`)
 * and plan themselves again (gateway/execute/subscription-source.ts).
 */
import { createHash } from 'node:crypto';
import { buildOperationContext } from '@apollo/gateway';
import { DEFAULT_SUPPORTED_SUPERGRAPH_FEATURES, Supergraph, operationFromDocument, type Schema } from '@apollo/federation-internals';
import { QueryPlanner, type QueryPlan } from '@apollo/query-planner';
import type { GatewayInterface } from '@apollo/server-gateway-interface';
import type { DocumentNode, GraphQLSchema, OperationTypeNode } from 'graphql';
import { ENFORCED_SECURITY_FEATURES } from './security-features.ts';

/**
 * What the planner accepts: federation-internals' defaults plus the security features the gateway
 * enforces itself (gateway/authorize), in case a supergraph arrives with their `for: SECURITY`
 * purpose still on (the supergraph sources remove it for @apollo/gateway: security-features.ts).
 */
const SUPPORTED_FEATURES = new Set<string>([
  ...DEFAULT_SUPPORTED_SUPERGRAPH_FEATURES,
  ...ENFORCED_SECURITY_FEATURES.map((base) => `${base}/v0.1`),
]);

export type OperationContext = ReturnType<typeof buildOperationContext>;

/** What a loaded supergraph names: its subgraphs and the URLs it gives them. */
export interface LoadedSupergraph {
  subgraphs: { name: string; url: string | undefined }[];
}

function buildSupergraph(coreSupergraphSdl: string): Supergraph {
  return Supergraph.build(coreSupergraphSdl, { supportedFeatures: SUPPORTED_FEATURES });
}

/**
 * V8 keeps one copy of each property name, in one byte per character or in two. federation-internals
 * builds the graphql-js schemas by re-parsing a printed SDL that V8 holds in two bytes per character,
 * so the first copy of every type and field name would be a two-byte one — and with it every key
 * of every answer object, and every answer's JSON: twice the memory, and, past 128 KB, a large
 * object the young generation cannot hold. Interning one-byte copies of the supergraph's names
 * first makes V8 use those everywhere. Kept with the planner while its supergraph is current.
 */
function internOneByteNames(sdl: string): Record<string, true> {
  const names = Object.create(null) as Record<string, true>;
  // A name is ASCII: its latin1 round trip is a one-byte copy, whatever the SDL around it holds.
  for (const match of sdl.matchAll(/[_A-Za-z][_0-9A-Za-z]*/g)) names[Buffer.from(match[0], 'latin1').toString('latin1')] = true;
  return names;
}

function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Everything derived from one supergraph version. */
export interface SupergraphSchemas {
  /** The client-facing schema (what operations are validated against). */
  readonly apiSchema: GraphQLSchema;
  /** The same API schema in federation-internals form (what plans are built from). */
  readonly federatedApiSchema: Schema;
  /** The full supergraph, join directives included (what the plan walker reads entity keys from). */
  readonly supergraphSchema: GraphQLSchema;
  readonly planner: QueryPlanner;
}

export interface PlannedOperation {
  readonly kind: OperationTypeNode;
  /** The query text as received; with `operationName`, the plan cache key. */
  readonly source: string;
  readonly document: DocumentNode;
  readonly operationName: string | undefined;
  readonly plan: QueryPlan;
  readonly operationContext: OperationContext;
  readonly schemas: SupergraphSchemas;
  /** sha256 of source and operation name. */
  readonly hash: string;
}

export interface OperationPlannerOptions {
  /** Most plans kept (least recently used go first). Default 500. */
  maxCachedPlans?: number;
}

export class OperationPlanner {
  private schemas: SupergraphSchemas | undefined;
  private readonly plans = new Map<string, PlannedOperation>();
  private readonly maxCachedPlans: number;
  private readonly listeners = new Set<() => void>();
  /** The current supergraph's names, interned one-byte (internOneByteNames): held so that they stay the copies V8 uses. */
  names: Readonly<Record<string, true>> | undefined;

  constructor(options: OperationPlannerOptions = {}) {
    this.maxCachedPlans = options.maxCachedPlans ?? 500;
  }

  /**
   * Follows a gateway's supergraph (tests that hand the planner a stand-in gateway). Must be called
   * before the gateway loads: the first schema is only announced once.
   */
  follow(gateway: GatewayInterface): () => void {
    return gateway.onSchemaLoadOrUpdate(({ apiSchema, coreSupergraphSdl }) => {
      const supergraph = buildSupergraph(coreSupergraphSdl);
      this.install({
        supergraph,
        apiSchema,
        federatedApiSchema: supergraph.apiSchema(),
        supergraphSchema: supergraph.schema.toGraphQLJSSchema(),
        planner: new QueryPlanner(supergraph),
      });
    });
  }

  /**
   * Loads a composed supergraph and makes it current; throws (and keeps the current one) when it
   * is not a valid supergraph. The work — about 150 ms of CPU for the region's — is done in
   * separate turns of the event loop, so the requests in flight are answered meanwhile; they, and
   * any arriving before it is done, run on the current supergraph.
   */
  async load(coreSupergraphSdl: string): Promise<LoadedSupergraph> {
    const names = internOneByteNames(coreSupergraphSdl);
    const supergraph = buildSupergraph(coreSupergraphSdl);
    await nextTurn();
    const federatedApiSchema = supergraph.apiSchema();
    await nextTurn();
    const apiSchema = federatedApiSchema.toGraphQLJSSchema();
    await nextTurn();
    const supergraphSchema = supergraph.schema.toGraphQLJSSchema();
    await nextTurn();
    const planner = new QueryPlanner(supergraph);
    this.install({ supergraph, apiSchema, federatedApiSchema, supergraphSchema, planner });
    this.names = names;
    return { subgraphs: [...supergraph.subgraphs()].map((subgraph) => ({ name: subgraph.name, url: subgraph.url })) };
  }

  private install(schemas: SupergraphSchemas & { supergraph: Supergraph }): void {
    const replaced = this.schemas !== undefined;
    const { supergraph: _, ...kept } = schemas;
    this.schemas = kept;
    this.plans.clear();
    if (!replaced) return;
    for (const listener of [...this.listeners]) {
      try {
        listener();
      } catch {
        // One stream's trouble must not keep the others (or the gateway's update) from proceeding.
      }
    }
  }

  /** Calls `listener` after each NEW supergraph (not the first one); returns how to stop. */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The current supergraph schema (join and cost directives kept); undefined until the first supergraph has loaded. */
  get supergraphSchema(): GraphQLSchema | undefined {
    return this.schemas?.supergraphSchema;
  }

  /** The current API schema; undefined until the first supergraph has loaded. */
  get apiSchema(): GraphQLSchema | undefined {
    return this.schemas?.apiSchema;
  }

  /**
   * Plans a validated document. `rewriteKey` names the hooks' rewrite of `source` that `document`
   * is (pipeline.operation), so that differently rewritten documents never share a plan. Throws what
   * the planner throws (the caller maps it).
   */
  plan(source: string, document: DocumentNode, operationName: string | undefined, rewriteKey = ''): PlannedOperation {
    const schemas = this.schemas;
    if (!schemas) throw new Error('No supergraph loaded yet');
    // Looked up by the texts themselves: a map hashes a string faster than sha256 does, and the
    // sha256 is only needed for a new plan.
    const key = `${rewriteKey}\0${operationName ?? ''}\0${source}`;
    const cached = this.plans.get(key);
    if (cached && cached.schemas === schemas) {
      // Re-inserting keeps the Map in least-recently-used order.
      this.plans.delete(key);
      this.plans.set(key, cached);
      return cached;
    }
    const hash = createHash('sha256').update(source).update('\0').update(operationName ?? '').update('\0').update(rewriteKey).digest('hex');
    const operation = operationFromDocument(schemas.federatedApiSchema, document, { operationName });
    const operationContext = buildOperationContext({ schema: schemas.apiSchema, operationDocument: document, operationName });
    const planned: PlannedOperation = {
      kind: operationContext.operation.operation,
      source,
      document,
      operationName,
      plan: schemas.planner.buildQueryPlan(operation),
      operationContext,
      schemas,
      hash,
    };
    this.plans.set(key, planned);
    if (this.plans.size > this.maxCachedPlans) {
      const oldest = this.plans.keys().next();
      if (!oldest.done) this.plans.delete(oldest.value);
    }
    return planned;
  }
}
