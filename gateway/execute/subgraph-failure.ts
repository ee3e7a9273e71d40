/**
 * What a failed subgraph fetch means for the subgraph's guard (execute/subgraph-guards.ts): whether
 * it counts toward opening the breaker, whether a read may be tried again, and how a refusal of the
 * guard itself reads. Shared by both fetch paths (subgraph-client.ts and the Apollo data source), so
 * the breaker judges a subgraph the same way whichever path called it.
 */
import { GraphQLError } from 'graphql';
import { passerelleError } from '../../common/errors.ts';
import type { GuardRefusal } from '../../common/resilience.ts';

/** Fetch failures that are the client's doing (it gave up): never held against the subgraph. */
const clientAborts = new WeakSet<object>();
/** Fetches that never got an HTTP answer (refused, reset, DNS…): worth another try for a read. */
const unreachable = new WeakSet<object>();

export function markClientAbort<T extends object>(error: T): T {
  clientAborts.add(error);
  return error;
}

export function isClientAbort(error: unknown): boolean {
  return typeof error === 'object' && error !== null && clientAborts.has(error);
}

export function markUnreachable<T extends object>(error: T): T {
  unreachable.add(error);
  return error;
}

/** What the gateway's guard of a subgraph counts as the subgraph failing. */
export function isSubgraphFailure(error: unknown): boolean {
  if (!(error instanceof GraphQLError) || clientAborts.has(error)) return false;
  return error.extensions.code === 'SUBGRAPH_UNAVAILABLE' || error.extensions.code === 'GATEWAY_TIMEOUT';
}

/**
 * Unreachable or 502/503/504: worth another try for a read. A timeout is not (the subgraph is slow,
 * not gone), nor a 500 or a body that is not JSON (the same request would fail the same way).
 */
export function isRetryable(error: unknown): boolean {
  if (!isSubgraphFailure(error) || (error as GraphQLError).extensions.code !== 'SUBGRAPH_UNAVAILABLE') return false;
  const status = (error as GraphQLError).extensions.status as number | undefined;
  if (status === undefined) return unreachable.has(error as GraphQLError);
  return status === 502 || status === 503 || status === 504;
}

/** An open breaker or a full bulkhead, as the caller sees it. */
export function refusalError(subgraph: string, refusal: GuardRefusal): GraphQLError {
  const why = refusal.reason === 'breaker-open' ? 'its circuit breaker is open' : 'too many fetches to it are in flight';
  return passerelleError('SUBGRAPH_UNAVAILABLE', `Subgraph "${subgraph}" is unavailable: ${why}.`, { subgraph, reason: refusal.reason });
}
