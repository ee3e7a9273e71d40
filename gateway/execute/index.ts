/** Stage "execute": walking the query plan is @apollo/gateway's; fetching from subgraphs is ours. */
export { SubgraphDataSource, createSubgraphAgent, type SubgraphDataSourceOptions } from './subgraph-data-source.ts';
