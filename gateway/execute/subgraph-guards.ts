/**
 * The gateway's bulkheads toward its subgraphs: each subgraph gets a connection pool of its own
 * (SUBGRAPH_CONNECTIONS) and a guard — circuit breaker, bulkhead, retry budget — of its own
 * (common/resilience.ts), kept across supergraph reloads so a reload does not forget a failing
 * subgraph. A slow subgraph fills its own pool and queue; the others' fetches never wait behind it.
 */
import type { Agent } from 'undici';
import { createGuard, type BreakerState, type Guard, type ResilienceSettings } from '../../common/resilience.ts';
import { createSubgraphAgent, isSubgraphFailure } from './subgraph-data-source.ts';

export interface SubgraphGuardsConfig {
  subgraphConnections: number;
  subgraphRetries: number;
  breakerFailureRatio: number;
  breakerWindowMs: number;
  breakerMinRequests: number;
  breakerHalfOpenAfterMs: number;
  bulkheadQueue: number;
  retryBudgetRatio: number;
  retryBudgetReserve: number;
}

export interface SubgraphGuards {
  /** The pool and guard of one subgraph, made on first use. */
  of(subgraph: string): { agent: Agent; guard: Guard };
  /** Each known subgraph's breaker state. */
  breakers(): Record<string, BreakerState>;
  close(): Promise<void>;
}

export function resilienceOf(config: SubgraphGuardsConfig, concurrency: number, retries: number): ResilienceSettings {
  return {
    failureRatio: config.breakerFailureRatio,
    windowMs: config.breakerWindowMs,
    minRequests: config.breakerMinRequests,
    halfOpenAfterMs: config.breakerHalfOpenAfterMs,
    concurrency,
    queue: config.bulkheadQueue,
    retries,
    retryBudgetRatio: config.retryBudgetRatio,
    retryBudgetReserve: config.retryBudgetReserve,
  };
}

export function createSubgraphGuards(config: SubgraphGuardsConfig): SubgraphGuards {
  const settings = resilienceOf(config, config.subgraphConnections, config.subgraphRetries);
  const known = new Map<string, { agent: Agent; guard: Guard }>();
  return {
    of(subgraph) {
      let entry = known.get(subgraph);
      if (!entry) {
        entry = { agent: createSubgraphAgent(config.subgraphConnections), guard: createGuard(subgraph, settings, isSubgraphFailure) };
        known.set(subgraph, entry);
      }
      return entry;
    },
    breakers: () => Object.fromEntries([...known].map(([name, { guard }]) => [name, guard.state()])),
    async close() {
      await Promise.all([...known.values()].map(({ agent }) => agent.close()));
    },
  };
}
