/**
 * The core of the streaming transports (graphql-ws and SSE): a request from a known principal is
 * prepared by the plan stage (gateway/plan/prepare.ts, shared with HTTP: parsed and validated once
 * per query text, checked by the operation hooks, planned) into an operation that either runs once
 * (query, mutation) or streams (subscription, shared with identical subscribers). Transports only
 * move bytes and map terminations to their own vocabulary (protocol.ts).
 *
 * An open subscription is prepared again on each new supergraph (`replan`): validated, checked by
 * the operation hooks (authorization, limits — nothing charged twice) and planned, exactly as a new
 * subscribe would be. Where that fails, the stream ends with SUPERGRAPH_CHANGED and the reason.
 */
import { createHash } from 'node:crypto';
import { GraphQLError, type DocumentNode, type ExecutionResult, type FormattedExecutionResult, type GraphQLFormattedError, type GraphQLSchema } from 'graphql';
import type { Logger } from '../../common/logger.ts';
import { createOperationPreparer, type OperationPlanner, type OperationPreparer, type OperationRequest, type PlannedOperation } from '../plan/index.ts';
import type { Pipeline, Principal } from '../pipeline.ts';
import { subscriptionSource, type PlanRun, type PlanRunner, type Replanned } from '../execute/index.ts';
import { authorityKey } from '../authenticate/index.ts';
import type { SharedSubscriptions, SubscriptionCounts } from './shared-subscriptions.ts';
import type { SubscriberQueue } from './subscriber-queue.ts';

export type { OperationRequest };

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
  /**
   * Prepares each request (gateway/plan/prepare.ts); pass the gateway's one so HTTP and the
   * streams share its document cache. Default: one of the stream core's own.
   */
  preparer?: OperationPreparer;
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
  const preparer = options.preparer ?? createOperationPreparer({ planner: options.planner, pipeline: options.pipeline, logger: options.logger });
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
      const preparation = await preparer.prepare(request, principal);
      if (!preparation.ok) return preparation;
      const { schema, document, run, replan } = preparation.prepared;
      return { ok: true, operation: new PreparedOperation(schema, document, run, options, replan) };
    },
    shapeResult,
    serialiseResult,
    encodeResult,
    shapeErrors,
    counts: () => options.subscriptions.counts(),
  };
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

/** JSON with object keys sorted, so `{a, b}` and `{b, a}` share a stream. */
function stableJson(value: unknown): string {
  return JSON.stringify(value, (_key, inner: unknown) =>
    inner && typeof inner === 'object' && !Array.isArray(inner)
      ? Object.fromEntries(Object.entries(inner).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : inner,
  );
}
