/**
 * One running federated subscription: the primary fetch streams from its subgraph over graphql-ws,
 * and each event goes through the rest of the plan (the other subgraphs) before it is handed on.
 * Events are resolved concurrently but handed on in the order the subgraph sent them.
 */
import { GraphQLError, type ExecutionResult } from 'graphql';
import { passerelleError } from '../../common/errors.ts';
import type { Principal } from '../pipeline.ts';
import { authorityKey } from '../authenticate/index.ts';
import { subscriptionNodeOf, type PlanRun, type PlanRunner } from './plan-runner.ts';
import { subscribeUpstream } from './upstream-subscription.ts';

export interface EventSink {
  next(result: ExecutionResult): void;
  /** The stream failed (upstream gone, refused, or events arriving faster than they resolve). */
  error(errors: readonly GraphQLError[]): void;
  complete(): void;
}

/** Starts the stream; the returned function stops it (and completes the upstream subscription). */
export type StartSubscription = (sink: EventSink) => () => void;

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
}

export function subscriptionSource(options: SubscriptionSourceOptions): StartSubscription {
  const { runner, run } = options;
  const node = subscriptionNodeOf(run.planned);
  if (!node) throw new Error('subscriptionSource needs a subscription plan');
  const { primary } = node;

  return (sink) => {
    const subgraph = primary.serviceName;
    const url = options.subgraphUrl(subgraph);
    if (!url) {
      sink.error([passerelleError('SUBGRAPH_UNAVAILABLE', `Subgraph "${subgraph}" has no URL.`, { subgraph })]);
      return () => {};
    }
    let stopped = false;
    let pending = 0;
    let tail: Promise<void> = Promise.resolve();
    const settle = (end: () => void) => {
      tail = tail.then(() => {
        if (stopped) return;
        stopped = true;
        end();
      });
    };

    const { principal } = run.context;
    const stopUpstream = subscribeUpstream(
      {
        subgraph,
        url,
        query: primary.operation,
        operationName: primary.operationName,
        variables: pick(run.variables, primary.variableUsages ?? []),
        // Signed when the socket connects (a shared socket may open long after this subscriber's first fetch).
        identity: () => options.identity(principal),
        authority: authorityKey(principal),
        timeoutMs: options.timeoutMs,
      },
      {
        next(event) {
          if (stopped) return;
          if (pending >= options.maxPending) {
            stopped = true;
            stopUpstream();
            sink.error([passerelleError('SUBSCRIBER_TOO_SLOW', `Events from subgraph "${subgraph}" arrive faster than the gateway resolves them; resume from the last cursor.`, { subgraph })]);
            return;
          }
          pending += 1;
          const resolution = runner.runEvent(run, event).catch((error: unknown): ExecutionResult => ({ errors: [asGraphQLError(error)] }));
          tail = tail
            .then(() => resolution)
            .then((result) => {
              pending -= 1;
              if (!stopped) sink.next(result);
            });
        },
        error: (errors) => settle(() => sink.error(errors)),
        complete: () => settle(() => sink.complete()),
      },
    );
    return () => {
      stopped = true;
      stopUpstream();
    };
  };
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
