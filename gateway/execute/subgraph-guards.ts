/**
 * The gateway's bulkheads toward its subgraphs: each subgraph origin gets a keep-alive connection
 * pool of its own (SUBGRAPH_CONNECTIONS) and each subgraph a guard — circuit breaker, bulkhead,
 * retry budget — of its own (common/resilience.ts), kept across supergraph reloads so a reload does
 * not forget a failing subgraph. A slow subgraph fills its own pool and queue; the others' fetches
 * never wait behind it.
 */
import { Pool } from 'undici';
import { createGuard, type BreakerState, type Guard, type ResilienceSettings } from '../../common/resilience.ts';
import { isSubgraphFailure } from './subgraph-failure.ts';

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
  /** The guard of one subgraph (made on first use), and the pools its URLs are fetched through. */
  of(subgraph: string): { guard: Guard; pool: (url: string) => Pool };
  /**
   * The keep-alive pool of a URL's origin (made on first use): SUBGRAPH_CONNECTIONS connections.
   * Subgraphs served from one origin share it; a new URL after a supergraph reload gets its own.
   */
  pool(url: string): Pool;
  /** Each known subgraph's breaker state. */
  breakers(): Record<string, BreakerState>;
  /** Closes every pool (requests in flight finish first). */
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
  const known = new Map<string, { guard: Guard; pool: (url: string) => Pool }>();
  const pools = new Map<string, Pool>();
  // Looked up on every fetch: by the URL string first, so a URL is parsed once, not per fetch.
  const poolOfUrl = new Map<string, Pool>();
  const pool = (url: string): Pool => {
    let found = poolOfUrl.get(url);
    if (found) return found;
    const { origin } = new URL(url);
    found = pools.get(origin);
    if (!found) {
      found = createSubgraphPool(origin, config.subgraphConnections);
      pools.set(origin, found);
    }
    poolOfUrl.set(url, found);
    return found;
  };
  return {
    of(subgraph) {
      let entry = known.get(subgraph);
      if (!entry) {
        entry = { guard: createGuard(subgraph, settings, isSubgraphFailure), pool };
        known.set(subgraph, entry);
      }
      return entry;
    },
    pool,
    breakers: () => Object.fromEntries([...known].map(([name, { guard }]) => [name, guard.state()])),
    async close() {
      await Promise.all([...pools.values()].map((each) => each.close()));
    },
  };
}

/**
 * One origin's connections: kept alive between fetches (a subgraph behind the same origin is fetched
 * constantly, so a new TCP handshake per fetch would be pure waste), one request at a time on each.
 */
export function createSubgraphPool(origin: string, connections: number): Pool {
  return new Pool(origin, { connections, keepAliveTimeout: 30_000, pipelining: 1 });
}
