/**
 * Limits how deeply selection sets may nest, counting through fragments (MAX_DEPTH).
 *
 * Where it comes from: OWASP's GraphQL cheat sheet and graphql-armor's max-depth rule. The rule
 * itself lives in common/validation/MaxDepthRule.ts because every subgraph applies it too
 * (SUBGRAPH_MAX_DEPTH), and subgraphs import nothing from gateway/. It is linear in the document:
 * each fragment's depth is computed once.
 */
export { MaxDepthRule } from '../../common/validation/MaxDepthRule.ts';
