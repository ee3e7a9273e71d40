/** Stage "plan": the supergraph, the preparation of every operation (documents parsed and validated once, hooks, plan) and the federation query planner. */
export { fileSupergraph, urlSupergraph } from './supergraph-source.ts';
export { OperationPlanner, type OperationPlannerOptions, type PlannedOperation, type SupergraphSchemas, type OperationContext } from './operation-planner.ts';
export { DocumentCache, type CheckedDocument, type DocumentCacheOptions } from './document-cache.ts';
export {
  createOperationPreparer,
  type OperationPreparer,
  type OperationPreparerOptions,
  type OperationRequest,
  type Preparation,
  type PreparedRequest,
  type PreparedRun,
  type PrepareOptions,
  type Refusal,
  type Replan,
} from './prepare.ts';
