/**
 * Passerelle's execution engine: runs the federation query planner's plans (plans stay Apollo's,
 * cached per operation and supergraph by gateway/plan) with a program compiled once per planned
 * operation (program.ts), a plain subgraph client (../subgraph-client.ts), and one completion walk
 * (shape.ts, complete.ts) instead of @apollo/gateway's executeQueryPlan, its deep merge into an
 * internal tree, `operationFromDocument` per request and the second output tree of
 * `computeResponse`. Plans it does not run (@defer, @fromContext) go to the stock walker.
 * Subscriptions' per-event `rest` runs here too.
 */
import {
  execute,
  GraphQLError,
  Kind,
  visit,
  type DocumentNode,
  type ExecutionResult,
  type FieldNode,
  type FormattedExecutionResult,
  type GraphQLObjectType,
  valueFromAST,
  typeFromAST,
  type GraphQLInputType,
} from 'graphql';
import { passerelleError } from '../../../common/errors.ts';
import type { Logger } from '../../../common/logger.ts';
import type { PlannedOperation } from '../../plan/index.ts';
import type { PlanRun, PlanRunner } from '../plan-runner.ts';
import { subscriptionNodeOf } from '../plan-runner.ts';
import type { SubgraphClient } from '../subgraph-client.ts';
import { completeRoot } from './complete.ts';
import { createEntityLoaders } from './entity-loader.ts';
import { unplannedRootFields } from './coverage.ts';
import { compilePlan, type Step } from './program.ts';
import { runStep, downstreamError } from './run.ts';
import type { FetchCache } from '../cache/index.ts';
import { conditionsOf, ShapeCompiler, type SelectionShape } from './shape.ts';

export { compilePlan, type CompiledFetch, type Step } from './program.ts';

export interface EngineOptions {
  client: SubgraphClient;
  /** Runs the plans the engine does not (the stock walker). */
  fallback: PlanRunner;
  logger: Logger;
  /**
   * Entity fetches through per-run loaders (default true): one request per subgraph per tick, each
   * entity asked once per selection. Off: one request per plan fetch, as stock sends them.
   */
  batch?: boolean;
  /** The public-data cache (../cache/): cacheable fetches answered from it, per representation. */
  cache?: FetchCache;
}

interface CompiledOperation {
  /** undefined: not runnable here (fallback); null: nothing to fetch. */
  step: Step | null | undefined;
  /** Root fields the planner could not plan (coverage.ts): the operation is answered with an error. */
  unplanned: string[];
  shape: SelectionShape;
  rootTypeName: string;
  conditionVariables: string[];
  defaults: Record<string, unknown>;
  introspect: (field: { node?: FieldNode; responseName: string }, variables: Record<string, unknown>) => unknown;
}

export interface Engine extends PlanRunner {
  /** How many plans ran on the engine, and how many went to the stock walker. */
  stats(): { engine: number; fallback: number };
}

export function createEngine(options: EngineOptions): Engine {
  const compiled = new WeakMap<PlannedOperation, CompiledOperation>();
  const counts = { engine: 0, fallback: 0 };
  const batch = options.batch ?? true;

  function compile(planned: PlannedOperation): CompiledOperation {
    let program = compiled.get(planned);
    if (!program) {
      program = compileOperation(planned);
      compiled.set(planned, program);
    }
    return program;
  }

  /** The compiled plan's fetches, their answers merged into `data`. */
  async function walk(run: PlanRun, program: CompiledOperation, data: Record<string, unknown>, errors: GraphQLError[]): Promise<void> {
    if (!program.step) return;
    const supergraph = run.planned.schemas.supergraphSchema;
    const entities = batch ? createEntityLoaders({ client: options.client, gateway: run.context, variables: run.variables, cache: options.cache, supergraph }) : undefined;
    await runStep(program.step, {
      data,
      errors,
      variables: run.variables,
      defaults: program.defaults,
      client: options.client,
      gateway: run.context,
      supergraph,
      cache: options.cache,
      entities,
    });
  }

  async function finish(run: PlanRun, program: CompiledOperation, data: Record<string, unknown>, errors: GraphQLError[]): Promise<ExecutionResult> {
    const variables = withDefaults(run.variables, program.defaults);
    const completionErrors: GraphQLError[] = [];
    const completed = completeRoot(program.shape, program.rootTypeName, data, {
      conditions: conditionsOf(program.conditionVariables, variables),
      errors: completionErrors,
      introspect: (field) => program.introspect(field, variables),
    });
    // As stock: errors of completion are only reported (as extensions) when the fetches had none,
    // since a failed fetch leaves holes that would otherwise be reported twice.
    let result: ExecutionResult;
    if (errors.length > 0) result = { errors, data: completed };
    else if (completionErrors.length > 0) result = { extensions: { valueCompletion: completionErrors }, data: completed };
    else result = { data: completed };
    return run.shapeResult ? run.shapeResult(result) : result;
  }

  return {
    async run(run) {
      const program = compile(run.planned);
      if (program.step === undefined) {
        counts.fallback++;
        return options.fallback.run(run);
      }
      counts.engine++;
      if (program.unplanned.length > 0) {
        // Stock would answer these fields `null` with no error, as if there were no value. The
        // planner could not plan them: the whole answer fails, as a planning failure would.
        const errors = program.unplanned.map((name) =>
          passerelleError('UNRESOLVABLE_FIELD', `No subgraph can resolve the selection of field "${name}": the query planner left it out of the plan.`, { field: name }),
        );
        const result: ExecutionResult = { errors, data: null };
        return run.shapeResult ? run.shapeResult(result) : result;
      }
      const data: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
      const errors: GraphQLError[] = [];
      await walk(run, program, data, errors);
      return finish(run, program, data, errors);
    },
    async runEvent(run, event: FormattedExecutionResult) {
      const node = subscriptionNodeOf(run.planned);
      if (!node) throw new Error('runEvent needs a subscription plan');
      const program = compile(run.planned);
      if (program.step === undefined) {
        counts.fallback++;
        return options.fallback.runEvent(run, event);
      }
      counts.engine++;
      const data: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
      const errors: GraphQLError[] = [];
      const subgraph = node.primary.serviceName;
      for (const error of event.errors ?? []) errors.push(downstreamError({ ...error, extensions: { ...error.extensions, subgraph } }, subgraph, error.path));
      if (event.data) {
        Object.assign(data, event.data);
        await walk(run, program, data, errors);
      }
      return finish(run, program, data, errors);
    },
    stats: () => ({ ...counts }),
  };
}

function compileOperation(planned: PlannedOperation): CompiledOperation {
  const { operation, fragments } = planned.operationContext;
  const apiSchema = planned.schemas.apiSchema;
  const subscription = subscriptionNodeOf(planned);
  const planNode = subscription ? subscription.rest : planned.plan.node;
  const step = planNode?.kind === 'Subscription' ? undefined : compilePlan(planNode, { supergraphSchema: planned.schemas.supergraphSchema });

  const root = (operation.operation === 'mutation' ? apiSchema.getMutationType() : operation.operation === 'subscription' ? apiSchema.getSubscriptionType() : apiSchema.getQueryType()) as GraphQLObjectType;
  const conditionVariables = new Set<string>();
  let hasConditions = false;
  const scan = (node: DocumentNode['definitions'][number]) =>
    visit(node, {
      Directive(directive) {
        if (directive.name.value !== 'skip' && directive.name.value !== 'include') return;
        hasConditions = true;
        for (const argument of directive.arguments ?? []) if (argument.value.kind === Kind.VARIABLE) conditionVariables.add(argument.value.name.value);
      },
    });
  scan(operation);
  for (const fragment of Object.values(fragments)) scan(fragment);

  const defaults: Record<string, unknown> = {};
  for (const definition of operation.variableDefinitions ?? []) {
    if (!definition.defaultValue) continue;
    const type = typeFromAST(apiSchema, definition.type) as GraphQLInputType | undefined;
    if (type) defaults[definition.variable.name.value] = valueFromAST(definition.defaultValue, type);
  }

  const compiler = new ShapeCompiler(apiSchema, fragments, hasConditions);
  const introspectionDocuments = new Map<FieldNode, DocumentNode>();
  return {
    step,
    // Subscriptions: the root field is the primary's, never in `rest`.
    unplanned: subscription || planNode?.kind === 'Subscription' ? [] : unplannedRootFields(operation, fragments, planNode),
    shape: compiler.root(root, operation.selectionSet),
    rootTypeName: root.name,
    conditionVariables: [...conditionVariables],
    defaults,
    // `__schema` / `__type` are answered by graphql-js on the API schema, as stock does.
    introspect(field, variables) {
      const node = field.node!;
      let document = introspectionDocuments.get(node);
      if (!document) {
        document = {
          kind: Kind.DOCUMENT,
          definitions: [
            { kind: Kind.OPERATION_DEFINITION, operation: 'query' as never, variableDefinitions: operation.variableDefinitions, selectionSet: { kind: Kind.SELECTION_SET, selections: [node] } },
            ...Object.values(fragments),
          ],
        };
        introspectionDocuments.set(node, document);
      }
      const result = execute({ schema: apiSchema, document, rootValue: {}, variableValues: variables }) as ExecutionResult;
      return (result.data as Record<string, unknown> | null | undefined)?.[field.responseName] ?? null;
    },
  };
}

function withDefaults(variables: Readonly<Record<string, unknown>>, defaults: Readonly<Record<string, unknown>>): Record<string, unknown> {
  for (const name in defaults) if (variables[name] === undefined) return { ...defaults, ...variables };
  return variables as Record<string, unknown>;
}
