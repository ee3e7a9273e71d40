import type { BreakerState } from '../../common/resilience.ts';
import { codeLabel, codeOf, counter, gauge, histogram, labelCap, secondsSince, setBreakerStates } from '../../common/metrics.ts';
import type { GatewayPlugin, OperationOutcome } from '../pipeline.ts';

export interface MetricsOptions {
  /** METRICS=off: a plugin with no hooks (nothing is counted, /metrics answers 404). Default on. */
  enabled?: boolean;
  /**
   * Distinct operation names labelled (default 200); names met after that are counted under
   * `__other__`, so clients cannot grow the registry without limit. Names are cut to 64 characters.
   */
  maxOperationNames?: number;
}

// One set of instruments per process (common/metrics.ts); the plugin only feeds them.
const operations = counter({
  name: 'passerelle_operations_total',
  help: 'Operations the gateway answered (or refused), by transport, operation type and name.',
  labelNames: ['transport', 'operation_type', 'operation_name'],
});
const operationErrors = counter({
  name: 'passerelle_operation_errors_total',
  help: 'Operations answered with at least one error of this catalogue code.',
  labelNames: ['transport', 'operation_name', 'code'],
});
const operationDuration = histogram({
  name: 'passerelle_operation_duration_seconds',
  help: 'From a query or mutation received to its answer sent (subscriptions: see passerelle_operations_total).',
  labelNames: ['transport', 'operation_type', 'operation_name'],
});
const rateLimited = counter({
  name: 'passerelle_rate_limit_refusals_total',
  help: 'Operations refused with RATE_LIMITED or QUOTA_EXCEEDED, by transport.',
  labelNames: ['transport', 'code'],
});
const fetches = counter({ name: 'passerelle_subgraph_fetches_total', help: 'Fetches from the gateway to a subgraph.', labelNames: ['subgraph'] });
const fetchErrors = counter({
  name: 'passerelle_subgraph_fetch_errors_total',
  help: 'Fetches to a subgraph that failed, by catalogue code (SUBGRAPH_UNAVAILABLE, GATEWAY_TIMEOUT…).',
  labelNames: ['subgraph', 'code'],
});
const fetchDuration = histogram({ name: 'passerelle_subgraph_fetch_duration_seconds', help: 'Time a fetch to a subgraph took, retries included.', labelNames: ['subgraph'] });

/**
 * Prometheus metrics of the gateway's traffic (common/metrics.ts; served on the gateway's /metrics):
 * every operation's outcome on every transport (`onOutcome`), and every subgraph fetch
 * (`onSubgraphFetch`, timed until it settles). The state read at scrape time — breakers, open
 * subscriptions — comes from `observeGateway`. Never labelled by caller.
 */
export function useMetrics(options: MetricsOptions = {}): GatewayPlugin {
  if (options.enabled === false) return { name: 'metrics' };
  const operationName = labelCap({ max: options.maxOperationNames ?? 200 });
  return {
    name: 'metrics',
    onSubgraphFetch({ subgraph }) {
      const started = performance.now();
      fetches.inc({ subgraph });
      return {
        done(error) {
          fetchDuration.observe({ subgraph }, secondsSince(started));
          if (error !== undefined) fetchErrors.inc({ subgraph, code: codeOf(error) });
        },
      };
    },
    onOutcome(outcome: OperationOutcome) {
      const name = operationName(outcome.operationName);
      const type = outcome.operationType ?? 'unknown';
      operations.inc({ transport: outcome.transport, operation_type: type, operation_name: name });
      // A subscription's duration is its lifetime, which says nothing about latency.
      if (type !== 'subscription') operationDuration.observe({ transport: outcome.transport, operation_type: type, operation_name: name }, outcome.durationMs / 1000);
      for (const code of new Set(outcome.errorCodes.map(codeLabel))) {
        operationErrors.inc({ transport: outcome.transport, operation_name: name, code });
        if (code === 'RATE_LIMITED' || code === 'QUOTA_EXCEEDED') rateLimited.inc({ transport: outcome.transport, code });
      }
    },
  };
}

/** What the gateway's gauges read at scrape time. */
export interface GatewayState {
  /** Each subgraph's breaker (execute/subgraph-guards.ts). */
  breakers(): Readonly<Record<string, BreakerState>>;
  /** Upstream subscriptions and local subscribers (stream/shared-subscriptions.ts). */
  subscriptions(): { upstream: number; subscribers: number };
}

const gateways = new Set<GatewayState>();
const rank: Record<BreakerState, number> = { closed: 0, 'half-open': 1, open: 2 };

gauge({
  name: 'passerelle_subgraph_breaker_state',
  help: "Gateway's circuit breaker of each subgraph: 1 for its current state (closed, half-open, open), 0 for the others.",
  labelNames: ['subgraph', 'state'],
  collect() {
    const states: Record<string, BreakerState> = {};
    for (const gateway of gateways) {
      for (const [subgraph, state] of Object.entries(gateway.breakers())) if (!states[subgraph] || rank[state] > rank[states[subgraph]!]) states[subgraph] = state;
    }
    setBreakerStates(this, 'subgraph', states);
  },
});
gauge({
  name: 'passerelle_subscriptions_open',
  help: 'Upstream subscriptions the gateway holds open (one per distinct stream, shared by its subscribers).',
  collect() {
    this.set(sum((gateway) => gateway.subscriptions().upstream));
  },
});
gauge({
  name: 'passerelle_subscribers_open',
  help: 'Local subscribers of the gateway, over graphql-ws and SSE.',
  collect() {
    this.set(sum((gateway) => gateway.subscriptions().subscribers));
  },
});

function sum(read: (gateway: GatewayState) => number): number {
  let total = 0;
  for (const gateway of gateways) total += read(gateway);
  return total;
}

/** Lets the gauges read a running gateway's state; the returned function stops it (the gateway closing). */
export function observeGateway(state: GatewayState): () => void {
  gateways.add(state);
  return () => void gateways.delete(state);
}
