/**
 * The transport-free preparation of an operation, one implementation for HTTP, graphql-ws and SSE:
 * a request `{ query, operationName, variables }` from a known principal becomes a plan run —
 * parsed and validated (document-cache.ts: once per query text and supergraph), its operation
 * resolved, variables coerced, the pipeline's `operation` hooks run (authorisation, cost…), and
 * planned (operation-planner.ts, plan cache). Transports only move bytes: how a refusal is worded
 * on the wire (HTTP status, graphql-ws message, SSE event) is theirs.
 *
 * The same request can be prepared again on a newer supergraph (`replan`, for open subscriptions):
 * validated, checked by the hooks (nothing charged twice) and planned, as a new request would be.
 */
import { GraphQLError, getOperationAST, getVariableValues, specifiedRules, type DocumentNode, type ExecutionResult, type GraphQLSchema, type OperationDefinitionNode } from 'graphql';
import { passerelleError } from '../../common/errors.ts';
import type { Logger } from '../../common/logger.ts';
import type { GatewayContext, Pipeline, PreparedRewrite, Principal } from '../pipeline.ts';
import { DocumentCache, withCode } from './document-cache.ts';
import type { OperationPlanner, PlannedOperation } from './operation-planner.ts';

/** A GraphQL request as every transport receives it. */
export interface OperationRequest {
  query: string;
  operationName?: string | null;
  variables?: Record<string, unknown> | null;
}

/** What the execute stage runs (structurally execute/'s `PlanRun`). */
export interface PreparedRun {
  planned: PlannedOperation;
  variables: Record<string, unknown>;
  context: GatewayContext;
  /** The operation hooks' shaping, applied to every result of the run. */
  shapeResult?: (result: ExecutionResult) => ExecutionResult;
}

export interface Refusal {
  ok: false;
  errors: readonly GraphQLError[];
  /** The operation, when the request got as far as resolving it (telemetry names it). */
  operation?: OperationDefinitionNode;
}

/** The request prepared again on the current supergraph, or why it no longer can be. */
export type Replan = { ok: true; run: PreparedRun } | Refusal;

export interface PreparedRequest {
  readonly schema: GraphQLSchema;
  readonly document: DocumentNode;
  /** The operation that runs (its type and name are what telemetry reports). */
  readonly operation: OperationDefinitionNode;
  readonly run: PreparedRun;
  /** The same request prepared again on the supergraph current when it is called. */
  replan(): Promise<Replan>;
}

export type Preparation = { ok: true; prepared: PreparedRequest } | Refusal;

export interface PrepareOptions {
  /**
   * Refuses an operation this transport cannot run (a mutation over GET, a subscription over a
   * single HTTP answer), once it is resolved and before any hook runs or anything is charged.
   */
  refuse?(operation: OperationDefinitionNode): GraphQLError | undefined;
}

export interface OperationPreparer {
  prepare(request: OperationRequest, principal: Principal, options?: PrepareOptions): Promise<Preparation>;
  /** The parse-and-validate cache (for its size in tests and telemetry). */
  readonly documents: DocumentCache;
}

export interface OperationPreparerOptions {
  planner: OperationPlanner;
  pipeline: Pipeline;
  logger: Logger;
  /** Parsed and validated documents kept (DOCUMENT_CACHE_SIZE). Default 1,000; 0: none. */
  documentCacheSize?: number;
}

export function createOperationPreparer(options: OperationPreparerOptions): OperationPreparer {
  const { planner, pipeline } = options;
  const documents = new DocumentCache({
    parseOptions: pipeline.parseOptions,
    rules: [...specifiedRules, ...pipeline.validationRules],
    maxEntries: options.documentCacheSize ?? 1_000,
  });

  /** Validates (cached), resolves, checks (operation hooks) and plans on the current supergraph. */
  async function resolve(request: OperationRequest, principal: Principal, replan: boolean, refuse: PrepareOptions['refuse']): Promise<Preparation> {
    const schema = planner.apiSchema;
    if (!schema) return refused([passerelleError('SUBGRAPH_UNAVAILABLE', 'The gateway has not loaded its supergraph yet.')]);
    // A text seen for the first time costs parsing, validation and planning: done in separate
    // turns of the event loop, so one new (or hostile) document never holds the others' answers
    // back for the sum of the three. A known text pays none of this.
    const cold = !documents.isChecked(request.query, schema);
    const checked = documents.check(request.query, schema);
    if (!checked.ok) return checked;
    if (cold) await nextTurn();
    const { document } = checked;
    const operationName = request.operationName ?? undefined;
    const operation = getOperationAST(document, operationName);
    if (!operation) return refused([unresolved(operationName)]);
    // graphql-js validation lets `mutation { … }` through on a schema without mutations; execution would fail.
    if (!schema.getRootType(operation.operation)) {
      return refused([passerelleError('GRAPHQL_VALIDATION_FAILED', `The schema has no ${operation.operation} type: it cannot run ${operation.operation} operations.`)], operation);
    }
    const refusal = refuse?.(operation);
    if (refusal) return refused([refusal], operation);
    const variables = request.variables ?? {};
    const coerced = getVariableValues(schema, operation.variableDefinitions ?? [], variables);
    if (coerced.errors) return refused(coerced.errors.map((error) => withCode(error, 'BAD_USER_INPUT')), operation);

    let rewrite: PreparedRewrite;
    try {
      rewrite = await pipeline.operation({ document, operation, operationName, variables, principal, schema, replan });
    } catch (error) {
      if (error instanceof GraphQLError) return refused([error], operation);
      throw error;
    }

    if (cold) await nextTurn();
    let planned: PlannedOperation;
    try {
      planned = planner.plan(request.query, rewrite.document, operationName, rewrite.cacheKey);
    } catch (error) {
      options.logger.error({ err: error }, 'could not plan an operation');
      return refused([passerelleError('INTERNAL_SERVER_ERROR')], operation);
    }
    const run: PreparedRun = { planned, variables, context: { principal }, shapeResult: rewrite.shapeResult };
    return {
      ok: true,
      prepared: {
        schema,
        document,
        operation,
        run,
        replan: async () => {
          const again = await resolve(request, principal, true, refuse);
          return again.ok ? { ok: true, run: again.prepared.run } : { ok: false, errors: noLongerValid(again.errors) };
        },
      },
    };
  }

  return {
    documents,
    async prepare(request, principal, prepareOptions = {}) {
      if (!planner.apiSchema) return refused([passerelleError('SUBGRAPH_UNAVAILABLE', 'The gateway has not loaded its supergraph yet.')]);
      if (typeof request.query !== 'string') return refused([passerelleError('BAD_REQUEST', 'The request has no query string.')]);
      return resolve(request, principal, false, prepareOptions.refuse);
    },
  };
}

/** Lets the event loop serve what is waiting (I/O, timers) before going on. */
function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** OPERATION_RESOLUTION_FAILURE, saying which of the two ways operationName failed to pick one. */
function unresolved(operationName: string | undefined): GraphQLError {
  return passerelleError(
    'OPERATION_RESOLUTION_FAILURE',
    operationName ? `The document has no operation named "${operationName.slice(0, 100)}".` : 'The document has several operations: name the one to run with operationName.',
  );
}

/**
 * Why a re-planned subscription can no longer run, as SUPERGRAPH_CHANGED with the first reason
 * (e.g. the validation error naming the removed field); the gateway's own failures keep their code.
 */
function noLongerValid(errors: readonly GraphQLError[]): GraphQLError[] {
  const first = errors[0];
  if (!first || first.extensions.code === 'INTERNAL_SERVER_ERROR') return [...errors];
  return [
    passerelleError('SUPERGRAPH_CHANGED', `The supergraph changed and this subscription is no longer valid: ${first.message}`, {
      reason: typeof first.extensions.code === 'string' ? first.extensions.code : undefined,
    }),
  ];
}

function refused(errors: readonly GraphQLError[], operation?: OperationDefinitionNode): Refusal {
  return operation ? { ok: false, errors, operation } : { ok: false, errors };
}
