/** Stage "execute": walking the query plan is @apollo/gateway's; fetching from subgraphs (HTTP and graphql-ws) is ours. */
export { SubgraphDataSource, createSubgraphAgent, type SubgraphDataSourceOptions } from './subgraph-data-source.ts';
export { createSubgraphGuards, type SubgraphGuards } from './subgraph-guards.ts';
export { createPlanRunner, subscriptionNodeOf, type PlanRun, type PlanRunner, type PlanRunnerOptions } from './plan-runner.ts';
export { subscribeUpstream, type UpstreamSubscriptionOptions, type UpstreamSink } from './upstream-subscription.ts';
export { subscriptionSource, type EventSink, type Replanned, type StartSubscription, type SubscriptionSourceOptions } from './subscription-source.ts';
