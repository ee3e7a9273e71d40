/**
 * The transport-free core of the streaming transports (graphql-ws and SSE): it turns a request
 * `{ query, operationName, variables }` from a known principal into a prepared operation —
 * parsed, validated with the gateway's limit rules, variables checked, planned — that either runs
 * once (query, mutation) or streams (subscription, shared with identical subscribers). Transports
 * only move bytes and map terminations to their own vocabulary (protocol.ts).
 *
 * An open subscription is prepared again on each new supergraph (`replan`): validated, checked by
 * the operation hooks (authorization, limits — nothing charged twice) and planned, exactly as a new
 * subscribe would be. Where that fails, the stream ends with SUPERGRAPH_CHANGED and the reason.
 */
import { createHash } from 'node:crypto';
import {
  GraphQLError,
  getOperationAST,
  getVariableValues,
  parse,
  specifiedRules,
  validate,
  type DocumentNode,
  type ExecutionResult,
  type FormattedExecutionResult,
  type GraphQLFormattedError,
  type GraphQLSchema,
} from 'graphql';
import { passerelleError, type ErrorCode } from '../../common/errors.ts';
import type { Logger } from '../../common/logger.ts';
import type { OperationPlanner, PlannedOperation } from '../plan/index.ts';
import type { Pipeline, PreparedRewrite, Principal } from '../pipeline.ts';
import { subscriptionSource, type PlanRun, type PlanRunner, type Replanned } from '../execute/index.ts';
import { authorityKey } from '../authenticate/index.ts';
import type { SharedSubscriptions, SubscriptionCounts } from './shared-subscriptions.ts';
import type { SubscriberQueue } from './subscriber-queue.ts';

/** A GraphQL request as both transports receive it. */
export interface OperationRequest {
  query: string;
  operationName?: string | null;
  variables?: Record<string, unknown> | null;
}

export interface StreamCoreOptions {
  planner: OperationPlanner;
  /** Signs a subscriber's identity for the upstream graphql-ws connection (GATEWAY_SECRET). */
  identity: (principal: Principal) => string;
  runner: PlanRunner;
  subscriptions: SharedSubscriptions;
  pipeline: Pipeline;
  /** The shape stage's error formatter (catalogue codes, subgraph named, internals removed). */
  shapeError: (formatted: GraphQLFormattedError, original: unknown) => GraphQLFormattedError;
  subgraphUrl: (subgraph: string) => string | undefined;
  /** Upstream connection timeout (SUBGRAPH_TIMEOUT_MS). */
  timeoutMs: number;
  /** SUBSCRIBER_QUEUE_SIZE, also the most events of one stream being resolved at once. */
  queueSize: number;
  /** UPSTREAM_RESUME_TIMEOUT_MS: how long a dropped upstream is re-subscribed before the stream ends. Default 60,000. */
  resumeTimeoutMs?: number;
  logger: Logger;
}

export type Prepared = { ok: true; operation: PreparedOperation } | { ok: false; errors: readonly GraphQLError[] };

export interface StreamHandlers {
  /** This subscriber did not keep up and has been dropped; the transport must close it. */
  onOverflow: () => void;
}

/** An operation ready to run, for one principal. Also the graphql-ws execution context value. */
export class PreparedOperation {
  readonly schema: GraphQLSchema;
  readonly document: DocumentNode;
  readonly planned: PlannedOperation;
  private readonly run: PlanRun;
  private readonly core: StreamCoreOptions;
  private readonly replan: () => Promise<Replanned>;

  /** `replan`: the same request prepared again on the supergraph current when it is called. */
  constructor(schema: GraphQLSchema, document: DocumentNode, run: PlanRun, core: StreamCoreOptions, replan: () => Promise<Replanned>) {
    this.schema = schema;
    this.document = document;
    this.planned = run.planned;
    this.run = run;
    this.core = core;
    this.replan = replan;
  }

  get kind() {
    return this.planned.kind;
  }

  /** Runs a query or mutation once. */
  execute(gaveUp?: AbortSignal): Promise<ExecutionResult> {
    // The client giving up (graphql-ws complete/close, SSE response closed) aborts the subgraph fetches.
    return this.core.runner.run(gaveUp ? { ...this.run, context: { ...this.run.context, signal: gaveUp } } : this.run);
  }

  /** Joins (or starts) the shared stream of this subscription. */
  subscribe(handlers: StreamHandlers): SubscriberQueue<ExecutionResult> {
    const { planned, variables, context } = this.run;
    const key = createHash('sha256')
      // Shared only between callers of the same authority (kind, id, scopes): never across callers.
      .update(JSON.stringify([planned.hash, stableJson(variables), authorityKey(context.principal)]))
      .digest('hex');
    return this.core.subscriptions.subscribe({
      key,
      onOverflow: handlers.onOverflow,
      start: () =>
        subscriptionSource({
          runner: this.core.runner,
          run: this.run,
          subgraphUrl: this.core.subgraphUrl,
          timeoutMs: this.core.timeoutMs,
          maxPending: this.core.queueSize,
          identity: this.core.identity,
          resumeTimeoutMs: this.core.resumeTimeoutMs,
          onSupergraphChange: (listener) => this.core.planner.onChange(listener),
          replan: this.replan,
        }),
    });
  }
}

export interface StreamCore {
  prepare(request: OperationRequest, principal: Principal): Promise<Prepared>;
  /** A result with its errors shaped like every other gateway answer. */
  shapeResult(result: ExecutionResult): FormattedExecutionResult;
  /**
   * `shapeResult` as JSON, computed once per result: a shared stream hands the same result object
   * to every subscriber, so all of them but the first get it ready-made.
   */
  serialiseResult(result: ExecutionResult): string;
  /** `serialiseResult` as UTF-8 bytes, also once per result (graphql-ws frames are written as bytes). */
  encodeResult(result: ExecutionResult): Buffer;
  shapeErrors(errors: readonly GraphQLError[]): GraphQLFormattedError[];
  counts(): SubscriptionCounts;
}

export function createStreamCore(options: StreamCoreOptions): StreamCore {
  const { planner, pipeline } = options;
  const rules = [...specifiedRules, ...pipeline.validationRules];
  const shapeErrors = (errors: readonly GraphQLError[]) => errors.map((error) => options.shapeError(error.toJSON(), error));
  const shapeResult = (result: ExecutionResult): FormattedExecutionResult => {
    const { errors, ...rest } = result;
    return errors && errors.length > 0 ? { ...rest, errors: shapeErrors(errors) } : rest;
  };
  // Weak: an event's JSON lives as long as some subscriber's queue still holds the event.
  const serialiseResult = memoisedPerResult((result) => JSON.stringify(shapeResult(result)));
  const encodeResult = memoisedPerResult((result) => Buffer.from(serialiseResult(result)));

  return {
    async prepare(request, principal) {
      const schema = planner.apiSchema;
      if (!schema) return refused([passerelleError('SUBGRAPH_UNAVAILABLE', 'The gateway has not loaded its supergraph yet.')]);
      if (typeof request.query !== 'string') return refused([passerelleError('BAD_REQUEST', 'The request has no query string.')]);
      let document: DocumentNode;
      try {
        document = parse(request.query, pipeline.parseOptions);
      } catch (error) {
        const syntax = error instanceof GraphQLError ? error : new GraphQLError(String(error));
        return refused([withCode(syntax, 'GRAPHQL_PARSE_FAILED')]);
      }
      const operationName = request.operationName ?? undefined;
      const variables = request.variables ?? {};
      const replan = async (): Promise<Replanned> => {
        const again = await resolve(request.query, document, operationName, variables, principal, true);
        return again.ok ? { ok: true, run: again.run } : { ok: false, errors: noLongerValid(again.errors) };
      };
      const resolved = await resolve(request.query, document, operationName, variables, principal, false);
      if (!resolved.ok) return refused(resolved.errors);
      return { ok: true, operation: new PreparedOperation(resolved.schema, document, resolved.run, options, replan) };
    },
    shapeResult,
    serialiseResult,
    encodeResult,
    shapeErrors,
    counts: () => options.subscriptions.counts(),
  };

  /** Validates, checks (operation hooks) and plans a parsed document on the current supergraph. */
  async function resolve(
    source: string,
    document: DocumentNode,
    operationName: string | undefined,
    variables: Record<string, unknown>,
    principal: Principal,
    replan: boolean,
  ): Promise<{ ok: true; schema: GraphQLSchema; run: PlanRun } | { ok: false; errors: readonly GraphQLError[] }> {
    const schema = planner.apiSchema;
    if (!schema) return failed([passerelleError('SUBGRAPH_UNAVAILABLE', 'The gateway has not loaded its supergraph yet.')]);
    const invalid = validate(schema, document, rules);
    if (invalid.length > 0) return failed(invalid.map((error) => withCode(error, 'GRAPHQL_VALIDATION_FAILED')));
    const operation = getOperationAST(document, operationName);
    if (!operation) {
      return failed([passerelleError('OPERATION_RESOLUTION_FAILURE', 'operationName does not name one operation of the document.')]);
    }
    const coerced = getVariableValues(schema, operation.variableDefinitions ?? [], variables);
    if (coerced.errors) return failed(coerced.errors.map((error) => withCode(error, 'BAD_USER_INPUT')));

    let rewrite: PreparedRewrite;
    try {
      rewrite = await pipeline.operation({ document, operation, operationName, variables, principal, schema, replan });
    } catch (error) {
      if (error instanceof GraphQLError) return failed([error]);
      throw error;
    }

    let planned: PlannedOperation;
    try {
      planned = planner.plan(source, rewrite.document, operationName, rewrite.cacheKey);
    } catch (error) {
      options.logger.error({ err: error }, 'could not plan an operation');
      return failed([passerelleError('INTERNAL_SERVER_ERROR')]);
    }
    const run: PlanRun = { planned, variables, context: { principal }, shapeResult: rewrite.shapeResult };
    return { ok: true, schema, run };
  }
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

/** `compute` once per result object: a shared stream hands the same result to every subscriber. */
function memoisedPerResult<T>(compute: (result: ExecutionResult) => T): (result: ExecutionResult) => T {
  const memo = new WeakMap<ExecutionResult, T>();
  return (result) => {
    let value = memo.get(result);
    if (value === undefined) {
      value = compute(result);
      memo.set(result, value);
    }
    return value;
  };
}

function refused(errors: readonly GraphQLError[]): Prepared {
  return { ok: false, errors };
}

function failed(errors: readonly GraphQLError[]): { ok: false; errors: readonly GraphQLError[] } {
  return { ok: false, errors };
}

/** The error with a catalogue code, unless a rule already gave it a more precise one. */
function withCode(error: GraphQLError, code: ErrorCode): GraphQLError {
  if (typeof error.extensions.code === 'string') return error;
  return new GraphQLError(error.message, {
    nodes: error.nodes,
    source: error.source,
    positions: error.positions,
    path: error.path,
    originalError: error.originalError,
    extensions: { ...error.extensions, code },
  });
}

/** JSON with object keys sorted, so `{a, b}` and `{b, a}` share a stream. */
function stableJson(value: unknown): string {
  return JSON.stringify(value, (_key, inner: unknown) =>
    inner && typeof inner === 'object' && !Array.isArray(inner)
      ? Object.fromEntries(Object.entries(inner).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : inner,
  );
}
