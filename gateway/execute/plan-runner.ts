/**
 * Runs query plans the gateway planned itself. The walking is @apollo/gateway's `executeQueryPlan`
 * (the same walker HTTP queries go through); this module only hands it a plan, the subgraph data
 * sources and a request context. A subscription event is run as a plan too: its primary fetch is
 * renamed to a data source that answers with the event, followed by the plan's `rest`, so every
 * entity join, @requires and error path is handled exactly as for a query.
 */
import { executeQueryPlan, type GraphQLDataSource, type ServiceMap } from '@apollo/gateway';
import type { FetchNode, PlanNode, QueryPlan, SubscriptionNode } from '@apollo/query-planner';
import type { GatewayGraphQLRequestContext, GatewayGraphQLResponse, GatewaySchemaHash } from '@apollo/server-gateway-interface';
import type { KeyValueCache } from '@apollo/utils.keyvaluecache';
import type { ExecutionResult, FormattedExecutionResult, GraphQLFormattedError } from 'graphql';
import type { Logger } from '../../common/logger.ts';
import type { PlannedOperation } from '../plan/index.ts';
import type { GatewayContext } from '../pipeline.ts';

// Not a valid subgraph name (composition requires GraphQL-name-like ones), so it never collides.
const EVENT_SOURCE = '<subscription event>';

// Plans are cached by the planner; nothing in a plan run reads this cache.
const NO_CACHE: KeyValueCache = {
  get: async () => undefined,
  set: async () => {},
  delete: async () => {},
};

export interface PlanRunnerOptions {
  /** The gateway's current subgraph data sources, by subgraph name. */
  dataSources: () => ReadonlyMap<string, GraphQLDataSource>;
  logger: Logger;
}

export interface PlanRun {
  planned: PlannedOperation;
  variables: Record<string, unknown>;
  context: GatewayContext;
  /** The operation hooks' shaping (pipeline.operation), applied to every result of the run. */
  shapeResult?: (result: ExecutionResult) => ExecutionResult;
}

export interface PlanRunner {
  /** Runs a query or mutation plan. */
  run(run: PlanRun): Promise<ExecutionResult>;
  /** Runs the rest of a subscription plan on one event of its primary fetch. */
  runEvent(run: PlanRun, event: FormattedExecutionResult): Promise<ExecutionResult>;
}

/** The subscription node of a planned subscription, or undefined when the plan is not one. */
export function subscriptionNodeOf(planned: PlannedOperation): SubscriptionNode | undefined {
  const node = planned.plan.node;
  return node?.kind === 'Subscription' ? node : undefined;
}

export function createPlanRunner(options: PlanRunnerOptions): PlanRunner {
  function serviceMap(extra?: [string, GraphQLDataSource]): ServiceMap {
    const map: ServiceMap = Object.create(null) as ServiceMap;
    for (const [name, source] of options.dataSources()) map[name] = source;
    if (extra) map[extra[0]] = extra[1];
    return map;
  }

  async function execute(plan: QueryPlan, services: ServiceMap, run: PlanRun): Promise<ExecutionResult> {
    const { schemas, operationContext } = run.planned;
    const result = await executeQueryPlan(
      plan,
      services,
      requestContext(run, options.logger),
      operationContext,
      schemas.supergraphSchema,
      schemas.federatedApiSchema,
    );
    return run.shapeResult ? run.shapeResult(result) : result;
  }

  return {
    run(run) {
      return execute(run.planned.plan, serviceMap(), run);
    },
    runEvent(run, event) {
      const node = subscriptionNodeOf(run.planned);
      if (!node) throw new Error('runEvent needs a subscription plan');
      const primary: FetchNode = { ...node.primary, serviceName: EVENT_SOURCE };
      const nodes: PlanNode[] = node.rest ? [primary, node.rest] : [primary];
      const plan: QueryPlan = { kind: 'QueryPlan', node: { kind: 'Sequence', nodes } };
      return execute(plan, serviceMap([EVENT_SOURCE, eventSource(node.primary.serviceName, event)]), run);
    },
  };
}

/** A data source that answers the primary fetch with the event the subgraph pushed. */
function eventSource(subgraph: string, event: FormattedExecutionResult): GraphQLDataSource {
  return {
    async process(): Promise<GatewayGraphQLResponse> {
      // Errors name the subgraph that sent them, not the stand-in service name.
      const errors = event.errors?.map((error): GraphQLFormattedError => ({ ...error, extensions: { ...error.extensions, subgraph } }));
      return { data: event.data ?? null, ...(errors ? { errors } : {}) };
    },
  };
}

function requestContext(run: PlanRun, logger: Logger): GatewayGraphQLRequestContext<GatewayContext> {
  const { planned, variables, context } = run;
  return {
    request: { query: planned.source, operationName: planned.operationName, variables },
    logger,
    schema: planned.schemas.apiSchema,
    // Only Apollo's usage reporting reads the schema hash.
    schemaHash: '' as GatewaySchemaHash,
    context,
    cache: NO_CACHE,
    queryHash: planned.hash,
    document: planned.document,
    source: planned.source,
    operationName: planned.operationName ?? null,
    operation: planned.operationContext.operation,
    metrics: {},
    overallCachePolicy: undefined,
  };
}
