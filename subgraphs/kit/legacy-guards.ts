/**
 * A subgraph's guards of its legacy systems: one circuit breaker, bulkhead and retry budget per
 * system (common/resilience.ts), shared by every client of that system in the process (the requests
 * subgraph reaches geo-api and lycees-api from its intake directory, and the GRC), so that one system
 * failing costs only the fields that need it. The subgraph's /health/ready reports their breakers.
 */
import type { GraphQLError } from 'graphql';
import { passerelleError } from '../../common/errors.ts';
import { DEFAULT_RESILIENCE, GuardRefusal, createGuard, type BreakerState, type Guard, type ResilienceSettings } from '../../common/resilience.ts';

/** The `upstream` section of a subgraph's configuration (common/config.ts) that the guards read. */
export interface UpstreamResilienceConfig {
  upstreamConnections: number;
  upstreamRetries: number;
  upstreamBreakerFailureRatio: number;
  upstreamBreakerWindowMs: number;
  upstreamBreakerMinRequests: number;
  upstreamBreakerHalfOpenAfterMs: number;
  upstreamBulkheadQueue: number;
  upstreamRetryBudgetRatio: number;
  upstreamRetryBudgetReserve: number;
}

export interface LegacyGuards {
  /** The guard of `system`, made on first use; every client of that system gets the same one. */
  of(system: string): Guard;
  /** Each known system's breaker state (closed, half-open once its wait is over, open). */
  breakers(): Record<string, BreakerState>;
}

export function legacyResilienceOf(config: UpstreamResilienceConfig): ResilienceSettings {
  return {
    failureRatio: config.upstreamBreakerFailureRatio,
    windowMs: config.upstreamBreakerWindowMs,
    minRequests: config.upstreamBreakerMinRequests,
    halfOpenAfterMs: config.upstreamBreakerHalfOpenAfterMs,
    // The bulkhead's slots are the pool's connections: a call never waits for a socket inside the pool.
    concurrency: config.upstreamConnections,
    queue: config.upstreamBulkheadQueue,
    retries: config.upstreamRetries,
    retryBudgetRatio: config.upstreamRetryBudgetRatio,
    retryBudgetReserve: config.upstreamRetryBudgetReserve,
  };
}

/**
 * Guards with the library's defaults, for a client made without a subgraph's guards (a script, a
 * unit test): `connections` slots and `retries` retries, breaker and budget as DEFAULT_RESILIENCE.
 */
export function defaultLegacyGuards(connections: number, retries: number): LegacyGuards {
  return createLegacyGuards({ ...DEFAULT_RESILIENCE, concurrency: connections, retries });
}

export function createLegacyGuards(settings: ResilienceSettings): LegacyGuards {
  const known = new Map<string, Guard>();
  return {
    of(system) {
      let guard = known.get(system);
      if (!guard) {
        guard = createGuard(system, settings, isLegacyFailure);
        known.set(system, guard);
      }
      return guard;
    },
    breakers: () => Object.fromEntries([...known].map(([system, guard]) => [system, guard.state()])),
  };
}

/**
 * What says the system itself is failing: unreachable or 502/503/504 (LEGACY_UNAVAILABLE), too slow
 * (LEGACY_TIMEOUT), or an HTTP 5xx. A 4xx, a bad payload, an unknown code or a caller who gave up
 * is not the system being down and must not open its breaker.
 */
export function isLegacyFailure(error: unknown): boolean {
  if (!isGraphQLError(error)) return false;
  const { code, status } = error.extensions as { code?: string; status?: number };
  if (code === 'LEGACY_UNAVAILABLE' || code === 'LEGACY_TIMEOUT') return true;
  return code === 'LEGACY_ERROR' && typeof status === 'number' && status >= 500;
}

/** Only "unavailable" is worth a second try: a timeout would only double the wait. */
export function isRetryableLegacyFailure(error: unknown): boolean {
  return isGraphQLError(error) && error.extensions.code === 'LEGACY_UNAVAILABLE';
}

/**
 * Runs `call` through `guard`; a refusal becomes LEGACY_UNAVAILABLE naming the system, with
 * `extensions.reason` "breaker-open" or "bulkhead-full", without the system being called.
 */
export async function guarded<T>(guard: Guard, call: () => Promise<T>, idempotent: boolean): Promise<T> {
  try {
    return await guard.run(call, { idempotent, retryable: isRetryableLegacyFailure });
  } catch (error) {
    if (!(error instanceof GuardRefusal)) throw error;
    const why = error.reason === 'breaker-open' ? 'its circuit breaker is open' : 'too many calls to it are in flight';
    throw passerelleError('LEGACY_UNAVAILABLE', `${error.system} is unavailable: ${why}.`, { system: error.system, reason: error.reason });
  }
}

function isGraphQLError(error: unknown): error is GraphQLError {
  return typeof error === 'object' && error !== null && 'extensions' in error && 'locations' in error;
}
