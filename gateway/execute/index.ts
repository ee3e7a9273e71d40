/** Stage "execute": plans run on our engine (engine/), subgraphs fetched by our client (HTTP) and upstream sockets (graphql-ws). */
export { SubgraphDataSource, createSubgraphAgent, type SubgraphDataSourceOptions } from './subgraph-data-source.ts';
export { createSubgraphGuards, type SubgraphGuards } from './subgraph-guards.ts';
export { createSubgraphClient, type SubgraphClient, type SubgraphClientOptions, type SubgraphRequest, type SubgraphResponse } from './subgraph-client.ts';
export { isSubgraphFailure } from './subgraph-failure.ts';
export { createPlanRunner, subscriptionNodeOf, type PlanRun, type PlanRunner, type PlanRunnerOptions } from './plan-runner.ts';
export { subscribeUpstream, type UpstreamSubscriptionOptions, type UpstreamSink } from './upstream-subscription.ts';
export { subscriptionSource, type EventSink, type Replanned, type StartSubscription, type SubscriptionSourceOptions } from './subscription-source.ts';
export { createEngine, type Engine, type EngineOptions } from './engine/index.ts';
export { createFetchCache, type FetchCache, type PublicDataCache } from './cache/index.ts';
