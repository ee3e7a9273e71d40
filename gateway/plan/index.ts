/** Stage "plan": the supergraph and the federation query planner behind it (@apollo/gateway). */
export { fileSupergraph, urlSupergraph } from './supergraph-source.ts';
