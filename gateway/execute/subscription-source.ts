/**
 * One running federated subscription: the primary fetch streams from its subgraph over graphql-ws,
 * and each event goes through the rest of the plan (the other subgraphs) before it is handed on.
 * Events are resolved concurrently but handed on in the order the subgraph sent them.
 *
 * The stream outlives its upstream and its plan:
 * - when the upstream socket drops (the subgraph restarted, was killed, went silent), the gateway
 *   re-subscribes by itself with backoff, from the last cursor received (resumable-fetch.ts), so
 *   the client sees only a pause; after `resumeTimeoutMs` without a connection it gives up with
 *   SUBGRAPH_UNAVAILABLE. A subscription field without the cursor convention ends at once, as the
 *   gateway could not resume it without losing or repeating events.
 * - when the supergraph changes, the operation is planned again (`replan`): the next events run the
 *   new plan's `rest`; if the primary fetch itself changed (another subgraph, another selection),
 *   the upstream is re-subscribed from the last cursor with the new one. An operation no longer
 *   valid ends with the reason `replan` gives (SUPERGRAPH_CHANGED).
 */
import { GraphQLError, type ExecutionResult } from 'graphql';
import type { SubscriptionNode } from '@apollo/query-planner';
import { passerelleError } from '../../common/errors.ts';
import type { Principal } from '../pipeline.ts';
import { authorityKey } from '../authenticate/index.ts';
import { subscriptionNodeOf, type PlanRun, type PlanRunner } from './plan-runner.ts';
import { subscribeUpstream } from './upstream-subscription.ts';
import { resumableFetch, type ResumableFetch, type UpstreamFetch } from './resumable-fetch.ts';

export interface EventSink {
  next(result: ExecutionResult): void;
  /** The stream failed (upstream gone, refused, or events arriving faster than they resolve). */
  error(errors: readonly GraphQLError[]): void;
  complete(): void;
}

/** Starts the stream; the returned function stops it (and completes the upstream subscription). */
export type StartSubscription = (sink: EventSink) => () => void;

/** The operation planned again on a new supergraph, or why it no longer can be. */
export type Replanned = { ok: true; run: PlanRun } | { ok: false; errors: readonly GraphQLError[] };

export interface SubscriptionSourceOptions {
  runner: PlanRunner;
  run: PlanRun;
  /** The HTTP URL of a subgraph, by name (its graphql-ws endpoint is the same URL in ws:). */
  subgraphUrl: (subgraph: string) => string | undefined;
  /** Timeout of the upstream connection acknowledgement and keep-alive. */
  timeoutMs: number;
  /**
   * Most events being resolved at once. Past it the gateway is not keeping up with the subgraph,
   * and the stream ends with SUBSCRIBER_TOO_SLOW rather than buffering without bound.
   */
  maxPending: number;
  /** Signs the subscriber's identity for the subgraph's `connectionParams.identity` (GATEWAY_SECRET). */
  identity: (principal: Principal) => string;
  /**
   * How long to keep re-subscribing a resumable stream whose upstream dropped, counted from the
   * drop until a socket is connected again (UPSTREAM_RESUME_TIMEOUT_MS). Default 60,000; 0 gives
   * up at the first failure.
   */
  resumeTimeoutMs?: number;
  /** Calls `listener` on each new supergraph; returns how to stop. Default: the plan never changes. */
  onSupergraphChange?: (listener: () => void) => () => void;
  /** Plans the operation again on the current supergraph (required with `onSupergraphChange`). */
  replan?: () => Promise<Replanned>;
}

// Backoff between re-subscriptions: 250 ms doubling up to 5 s, each between half and all of it
// (jitter, so the streams of a restarted subgraph do not all come back in the same millisecond).
const FIRST_RETRY_MS = 250;
const LONGEST_RETRY_MS = 5_000;

/** A subscription plan and how to resume its primary fetch (if it can be). */
interface Plan {
  run: PlanRun;
  node: SubscriptionNode;
  resumable: ResumableFetch | undefined;
}

function planOf(run: PlanRun): Plan {
  const node = subscriptionNodeOf(run.planned);
  if (!node) throw new Error('subscriptionSource needs a subscription plan');
  return { run, node, resumable: resumableFetch(node.primary, run.planned.schemas.supergraphSchema) };
}

export function subscriptionSource(options: SubscriptionSourceOptions): StartSubscription {
  const { runner } = options;
  const first = planOf(options.run);
  const resumeTimeoutMs = options.resumeTimeoutMs ?? 60_000;

  return (sink) => {
    let plan = first;
    let stopped = false;
    let pending = 0;
    let tail: Promise<void> = Promise.resolve();
    /** The last cursor received from upstream: where a re-subscription starts. */
    let lastCursor: string | undefined;
    /** Each upstream subscription opened; events of an earlier one (being replaced) are ignored. */
    let generation = 0;
    let stopUpstream = () => {};
    let retryTimer: NodeJS.Timeout | undefined;
    let outageSince: number | undefined;
    let attempts = 0;
    let replans = 0;
    let stopWatching = () => {};

    const shutDown = () => {
      stopped = true;
      generation += 1;
      clearTimeout(retryTimer);
      stopWatching();
      stopUpstream();
    };
    // Ends the stream once the events already being resolved have been handed on.
    const settle = (end: () => void) => {
      const ending = () => {
        if (stopped) return;
        shutDown();
        end();
      };
      tail = tail.then(ending);
    };
    const { principal } = options.run.context;

    const open = () => {
      const current = plan;
      const subgraph = current.node.primary.serviceName;
      const url = options.subgraphUrl(subgraph);
      if (!url) {
        settle(() => sink.error([passerelleError('SUBGRAPH_UNAVAILABLE', `Subgraph "${subgraph}" has no URL.`, { subgraph })]));
        return;
      }
      const mine = ++generation;
      const fetch = upstreamFetch(current, lastCursor);
      stopUpstream = subscribeUpstream(
        {
          subgraph,
          url,
          query: fetch.operation,
          operationName: current.node.primary.operationName,
          variables: fetch.variables,
          // Signed when the socket connects (a shared socket may open long after this subscriber's first fetch).
          identity: () => options.identity(principal),
          authority: authorityKey(principal),
          timeoutMs: options.timeoutMs,
        },
        {
          connected() {
            if (mine !== generation) return;
            outageSince = undefined;
            attempts = 0;
          },
          next(event) {
            if (stopped || mine !== generation) return;
            if (pending >= options.maxPending) {
              shutDown();
              sink.error([passerelleError('SUBSCRIBER_TOO_SLOW', `Events from subgraph "${subgraph}" arrive faster than the gateway resolves them; resume from the last cursor.`, { subgraph })]);
              return;
            }
            lastCursor = current.resumable?.cursorOf(event) ?? lastCursor;
            pending += 1;
            // The plan current when the event arrived: a new supergraph applies from the next event.
            const resolution = runner.runEvent(plan.run, event).catch((error: unknown): ExecutionResult => ({ errors: [asGraphQLError(error)] }));
            tail = tail
              .then(() => resolution)
              .then((result) => {
                pending -= 1;
                if (!stopped) sink.next(result);
              });
          },
          error(errors, transient) {
            if (stopped || mine !== generation) return;
            if (transient && current.resumable) retry(errors, subgraph);
            else settle(() => sink.error(errors));
          },
          complete() {
            if (stopped || mine !== generation) return;
            settle(() => sink.complete());
          },
        },
      );
    };

    const retry = (errors: readonly GraphQLError[], subgraph: string) => {
      const now = Date.now();
      outageSince ??= now;
      if (now - outageSince >= resumeTimeoutMs) {
        const seconds = Math.round((now - outageSince) / 1000);
        const gaveUp = passerelleError(
          'SUBGRAPH_UNAVAILABLE',
          `Subgraph "${subgraph}" has been unreachable for ${seconds} s; the gateway stopped re-subscribing. Resume from the last cursor.`,
          { subgraph },
        );
        settle(() => sink.error([gaveUp, ...errors]));
        return;
      }
      const ceiling = Math.min(LONGEST_RETRY_MS, FIRST_RETRY_MS * 2 ** attempts);
      attempts += 1;
      const delay = Math.min(ceiling * (0.5 + Math.random() / 2), Math.max(0, resumeTimeoutMs - (now - outageSince)));
      retryTimer = setTimeout(() => {
        if (!stopped) open();
      }, delay);
      retryTimer.unref();
    };

    const onSupergraphChange = () => {
      if (!options.replan) return;
      const mine = ++replans;
      options.replan().then(
        (replanned) => {
          // Only the latest supergraph counts; a stream that ended meanwhile has nothing to do.
          if (stopped || mine !== replans) return;
          if (!replanned.ok) {
            const invalid = replanned.errors;
            settle(() => sink.error(invalid));
            return;
          }
          const next = planOf(replanned.run);
          const before = plan;
          plan = next;
          if (samePrimary(before, next)) return;
          // The primary fetch changed: only a stream that can resume may move without losing events.
          if (!next.resumable) {
            const subgraph = next.node.primary.serviceName;
            settle(() => sink.error([passerelleError('SUPERGRAPH_CHANGED', `The supergraph changed how this subscription is fetched (now from subgraph "${subgraph}"), and its field has no cursor to resume from; subscribe again.`, { subgraph })]));
            return;
          }
          clearTimeout(retryTimer);
          stopUpstream();
          attempts = 0;
          open();
        },
        (error: unknown) => settle(() => sink.error([asGraphQLError(error)])),
      );
    };

    stopWatching = options.onSupergraphChange?.(onSupergraphChange) ?? (() => {});
    open();
    return shutDown;
  };
}

/** The fetch to send: from just after the last cursor when there is one, else as planned. */
function upstreamFetch(plan: Plan, lastCursor: string | undefined): UpstreamFetch {
  const { primary } = plan.node;
  const variables = plan.run.variables;
  if (plan.resumable) return lastCursor === undefined ? plan.resumable.initial(variables) : plan.resumable.resume(lastCursor, variables);
  return { operation: primary.operation, variables: pick(variables, primary.variableUsages ?? []) };
}

function samePrimary(a: Plan, b: Plan): boolean {
  const [x, y] = [a.node.primary, b.node.primary];
  return x.serviceName === y.serviceName && x.operation === y.operation && x.operationName === y.operationName;
}

function pick(variables: Record<string, unknown>, names: readonly string[]): Record<string, unknown> {
  const picked: Record<string, unknown> = {};
  for (const name of names) if (Object.hasOwn(variables, name)) picked[name] = variables[name];
  return picked;
}

// The shape stage logs errors without a code and hides their message.
function asGraphQLError(error: unknown): GraphQLError {
  if (error instanceof GraphQLError) return error;
  return new GraphQLError(error instanceof Error ? error.message : String(error), { originalError: error instanceof Error ? error : undefined });
}
