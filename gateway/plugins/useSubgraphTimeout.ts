import type { GatewayPlugin } from '../pipeline.ts';

export interface SubgraphTimeoutOptions {
  /**
   * Longest a single gateway → subgraph fetch may take (SUBGRAPH_TIMEOUT_MS, default 10,000). Past
   * it the fetch is aborted and its part of the result is null with a GATEWAY_TIMEOUT error naming
   * the subgraph; the other subgraphs' data is still returned.
   */
  timeoutMs: number;
}

export function useSubgraphTimeout(options: SubgraphTimeoutOptions): GatewayPlugin {
  return {
    name: 'subgraph-timeout',
    // A number, not an AbortSignal: the client keeps one timer per request for the smallest
    // deadline asked, where a signal per fetch would cost a timer and listeners each.
    onSubgraphFetch: () => ({ timeoutMs: options.timeoutMs }),
  };
}
