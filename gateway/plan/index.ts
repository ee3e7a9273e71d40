/** Stage "plan": the supergraph and the federation query planner behind it (@apollo/gateway, and ours for streams). */
export { fileSupergraph, urlSupergraph } from './supergraph-source.ts';
export { withOperationHooks } from './operation-hooks.ts';
export { OperationPlanner, type OperationPlannerOptions, type PlannedOperation, type SupergraphSchemas, type OperationContext } from './operation-planner.ts';
