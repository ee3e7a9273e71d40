/**
 * One guard per remote system — a subgraph seen from the gateway, a legacy system seen from a
 * subgraph — so that a slow or failing one costs its own callers and nobody else's:
 *
 * - a circuit breaker (cockatiel's SamplingBreaker): once `failureRatio` of the calls of the last
 *   `windowMs` failed (and at least `minRequests` were made), calls are refused AT ONCE for
 *   `halfOpenAfterMs`; then one call goes through as a probe, and its success closes the breaker;
 * - a bulkhead (cockatiel's): at most `concurrency` calls at once, `queue` more waiting; past that a
 *   call is refused at once, so a slow system holds at most its own share of sockets and memory;
 * - retries of idempotent calls only, with full jitter, paid from a retry budget: every call earns
 *   `retryBudgetRatio` of a retry, and `retryBudgetReserve` retries can be spent in a burst, so a
 *   system that fails everything sees at most (1 + ratio) × the traffic, never (1 + retries) ×.
 *
 * What counts as a failure (and what may be retried) is the caller's call: the gateway and the
 * subgraphs map their own errors to the catalogue, and refusals to theirs.
 */
import { BrokenCircuitError, BulkheadRejectedError, CircuitState, IsolatedCircuitError, SamplingBreaker, bulkhead, circuitBreaker, handleWhen, type CircuitBreakerPolicy } from 'cockatiel';

export interface ResilienceSettings {
  /** Share of failed calls over `windowMs` that opens the breaker (BREAKER_FAILURE_RATIO); 1 = never opens. */
  failureRatio: number;
  /** Sliding window over which failures are counted (BREAKER_WINDOW_MS). */
  windowMs: number;
  /** Calls needed in the window before the breaker may open (BREAKER_MIN_REQUESTS), so one failure at night does not open it. */
  minRequests: number;
  /** How long an open breaker refuses every call before letting one probe through (BREAKER_HALF_OPEN_AFTER_MS). */
  halfOpenAfterMs: number;
  /** Calls at once to the system (BULKHEAD_CONCURRENCY); also its connection pool's size. */
  concurrency: number;
  /** Calls waiting for a slot (BULKHEAD_QUEUE); one more is refused at once. */
  queue: number;
  /** Extra attempts of an idempotent call that failed in a retryable way. */
  retries: number;
  /** Retries earned per call (RETRY_BUDGET_RATIO, e.g. 0.1 = one retry per ten calls). */
  retryBudgetRatio: number;
  /** Retries that may be spent in a burst before the ratio applies (RETRY_BUDGET_RESERVE). */
  retryBudgetReserve: number;
}

export const DEFAULT_RESILIENCE: ResilienceSettings = {
  failureRatio: 0.5,
  windowMs: 10_000,
  minRequests: 10,
  halfOpenAfterMs: 5_000,
  concurrency: 64,
  queue: 256,
  retries: 2,
  retryBudgetRatio: 0.1,
  retryBudgetReserve: 10,
};

export type BreakerState = 'closed' | 'open' | 'half-open';

/** A call refused without reaching the system: its breaker is open, or its bulkhead is full. */
export class GuardRefusal extends Error {
  constructor(
    readonly system: string,
    readonly reason: 'breaker-open' | 'bulkhead-full',
  ) {
    super(reason === 'breaker-open' ? `the circuit breaker of ${system} is open` : `too many calls to ${system} are in flight`);
    this.name = 'GuardRefusal';
  }
}

export interface CallOptions {
  /** Whether the call may be made twice (reads: yes; mutations: never). */
  idempotent: boolean;
  /** Whether a failure may be retried (e.g. "unreachable", HTTP 503; not a timeout). */
  retryable?: (error: unknown) => boolean;
}

export interface Guard {
  readonly system: string;
  state(): BreakerState;
  /** Runs `call` through the bulkhead and the breaker, retrying as allowed; throws GuardRefusal when refused. */
  run<T>(call: () => Promise<T>, options: CallOptions): Promise<T>;
  /** Counts of this guard since it was made (tests and /health/ready). */
  stats(): { calls: number; retries: number; refusals: number };
  dispose(): void;
}

/** Retries earned by calls: `ratio` per call, at most `reserve` (and at least one) banked. */
export class RetryBudget {
  private balance: number;
  private readonly cap: number;

  constructor(
    private readonly ratio: number,
    reserve: number,
  ) {
    this.balance = reserve;
    this.cap = Math.max(reserve, ratio > 0 ? 1 : 0);
  }

  deposit(): void {
    this.balance = Math.min(this.cap, this.balance + this.ratio);
  }

  /** Takes one retry from the budget; false when there is none left. */
  withdraw(): boolean {
    if (this.balance < 1) return false;
    this.balance -= 1;
    return true;
  }
}

/** Guards alive in this process, by system (a subgraph's /health/ready reports them). */
const registry = new Set<Guard>();

/**
 * `isFailure` says which errors count toward opening the breaker (others — a client that gave up,
 * a bad argument — pass through uncounted).
 */
export function createGuard(system: string, settings: ResilienceSettings, isFailure: (error: unknown) => boolean, options: { register?: boolean } = {}): Guard {
  const breaker: CircuitBreakerPolicy | undefined =
    settings.failureRatio >= 1
      ? undefined
      : circuitBreaker(
          handleWhen((error) => !(error instanceof BulkheadRejectedError) && isFailure(error)),
          {
            halfOpenAfter: settings.halfOpenAfterMs,
            breaker: new SamplingBreaker({
              // cockatiel wants (0, 1): 0 means "any failure", i.e. the smallest ratio there is.
              threshold: Math.max(settings.failureRatio, Number.EPSILON),
              duration: settings.windowMs,
              minimumRps: Math.max(settings.minRequests, 1) / (settings.windowMs / 1000),
            }),
          },
        );
  const slots = bulkhead(settings.concurrency, settings.queue);
  const budget = new RetryBudget(settings.retryBudgetRatio, settings.retryBudgetReserve);
  const counts = { calls: 0, retries: 0, refusals: 0 };
  // cockatiel stays "open" until a call comes after halfOpenAfter; for readiness, an open breaker
  // whose wait is over is "half-open" (the next call probes), or a replica taken out of rotation
  // for an open breaker would never get the call that closes it.
  let openedAt = 0;
  breaker?.onStateChange((state) => {
    if (state === CircuitState.Open) openedAt = Date.now();
  });

  async function attempt<T>(call: () => Promise<T>): Promise<T> {
    try {
      const guarded = () => slots.execute(() => call());
      return await (breaker ? breaker.execute(guarded) : guarded());
    } catch (error) {
      if (error instanceof BrokenCircuitError || error instanceof IsolatedCircuitError) {
        counts.refusals += 1;
        throw new GuardRefusal(system, 'breaker-open');
      }
      if (error instanceof BulkheadRejectedError) {
        counts.refusals += 1;
        throw new GuardRefusal(system, 'bulkhead-full');
      }
      throw error;
    }
  }

  const guard: Guard = {
    system,
    state: () => {
      const state = stateOf(breaker);
      return state === 'open' && Date.now() - openedAt >= settings.halfOpenAfterMs ? 'half-open' : state;
    },
    async run(call, options) {
      counts.calls += 1;
      budget.deposit();
      const attempts = options.idempotent ? settings.retries + 1 : 1;
      for (let n = 1; ; n++) {
        try {
          return await attempt(call);
        } catch (error) {
          const again = n < attempts && !(error instanceof GuardRefusal) && (options.retryable?.(error) ?? false) && budget.withdraw();
          if (!again) throw error;
          counts.retries += 1;
          // Full jitter: retries of many callers do not arrive together.
          await new Promise((resolve) => setTimeout(resolve, Math.random() * 25 * 2 ** n));
        }
      }
    },
    stats: () => ({ ...counts }),
    dispose: () => void registry.delete(guard),
  };
  if (options.register) registry.add(guard);
  return guard;
}

function stateOf(breaker: CircuitBreakerPolicy | undefined): BreakerState {
  switch (breaker?.state) {
    case CircuitState.Open:
    case CircuitState.Isolated:
      return 'open';
    case CircuitState.HalfOpen:
      return 'half-open';
    default:
      return 'closed';
  }
}

/**
 * The breaker state of every registered guard, by system; several guards of one system (two
 * connectors reaching the same API) report the worst.
 */
export function registeredBreakers(): Record<string, BreakerState> {
  const rank: Record<BreakerState, number> = { closed: 0, 'half-open': 1, open: 2 };
  const states: Record<string, BreakerState> = {};
  for (const guard of registry) {
    const state = guard.state();
    const known = states[guard.system];
    if (!known || rank[state] > rank[known]) states[guard.system] = state;
  }
  return states;
}
