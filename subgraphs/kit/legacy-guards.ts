/**
 * A subgraph's guards of its legacy systems: one circuit breaker, bulkhead and retry budget per
 * system (common/resilience.ts), shared by every client of that system in the process (the requests
 * subgraph reaches geo-api and lycees-api from its intake directory, and the GRC), so that one system
 * failing costs only the fields that need it. The subgraph's /health/ready reports their breakers.
 */
import type { GraphQLError } from 'graphql';
import { passerelleError } from '../../common/errors.ts';
import { DEFAULT_RESILIENCE, GuardRefusal, createGuard, type BreakerState, type Guard, type ResilienceSettings } from '../../common/resilience.ts';
import { codeOf, counter, gauge, histogram, secondsSince, setBreakerStates } from '../../common/metrics.ts';

// Per legacy system, as the subgraph sees it: a call's time includes its wait for a slot and its retries.
const legacyCalls = counter({ name: 'passerelle_legacy_calls_total', help: 'Calls from a subgraph to a legacy system (retries inside one call not counted again).', labelNames: ['system'] });
const legacyCallErrors = counter({ name: 'passerelle_legacy_call_errors_total', help: 'Calls to a legacy system that failed, by catalogue code (refusals by its breaker or bulkhead included).', labelNames: ['system', 'code'] });
const legacyRefusals = counter({ name: 'passerelle_legacy_call_refusals_total', help: 'Calls to a legacy system refused without reaching it, by reason (breaker-open, bulkhead-full).', labelNames: ['system', 'reason'] });
const legacyCallDuration = histogram({ name: 'passerelle_legacy_call_duration_seconds', help: 'Time a call from a subgraph to a legacy system took, retries and waiting for a slot included.', labelNames: ['system'] });
/** Every subgraph's guards in this process, read at scrape time; weak, so a dropped set of guards goes. */
const liveGuards = new Set<WeakRef<LegacyGuards>>();
gauge({
  name: 'passerelle_legacy_breaker_state',
  help: 'Circuit breaker of each legacy system: 1 for its current state (closed, half-open, open), 0 for the others.',
  labelNames: ['system', 'state'],
  collect() {
    const states: Record<string, BreakerState> = {};
    const rank: Record<BreakerState, number> = { closed: 0, 'half-open': 1, open: 2 };
    for (const ref of liveGuards) {
      const guards = ref.deref();
      if (!guards) {
        liveGuards.delete(ref);
        continue;
      }
      // Two sets of guards of one system in a process (tests): the worst state shows.
      for (const [system, state] of Object.entries(guards.breakers())) if (!states[system] || rank[state] > rank[states[system]!]) states[system] = state;
    }
    setBreakerStates(this, 'system', states);
  },
});

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
  const guards: LegacyGuards = {
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
  liveGuards.add(new WeakRef(guards));
  return guards;
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
  const system = guard.system;
  const started = performance.now();
  legacyCalls.inc({ system });
  try {
    return await guard.run(call, { idempotent, retryable: isRetryableLegacyFailure });
  } catch (error) {
    if (!(error instanceof GuardRefusal)) {
      legacyCallErrors.inc({ system, code: codeOf(error) });
      throw error;
    }
    legacyRefusals.inc({ system, reason: error.reason });
    legacyCallErrors.inc({ system, code: 'LEGACY_UNAVAILABLE' });
    const why = error.reason === 'breaker-open' ? 'its circuit breaker is open' : 'too many calls to it are in flight';
    throw passerelleError('LEGACY_UNAVAILABLE', `${error.system} is unavailable: ${why}.`, { system: error.system, reason: error.reason });
  } finally {
    legacyCallDuration.observe({ system }, secondsSince(started));
  }
}

function isGraphQLError(error: unknown): error is GraphQLError {
  return typeof error === 'object' && error !== null && 'extensions' in error && 'locations' in error;
}
