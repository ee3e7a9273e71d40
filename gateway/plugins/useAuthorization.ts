import { GraphQLError, type GraphQLSchema } from 'graphql';
import { errorCatalogue, passerelleError } from '../../common/errors.ts';
import type { GatewayPlugin } from '../pipeline.ts';
import { createAuthorizer, type Policies } from '../authorize/index.ts';

export interface AuthorizationOptions {
  /**
   * The named policies `@policy` refers to (POLICIES_PATH, default schema/policies.json): who each
   * lets in, by principal kind and/or scope. A policy the schema names but this map lacks lets no
   * one in.
   */
  policies: Policies;
  /**
   * The supergraph schema currently served, directives kept (the access directives are read from
   * it; the API schema drops them). Required: while it returns undefined (no supergraph loaded yet)
   * every operation is refused with SUBGRAPH_UNAVAILABLE rather than run unchecked.
   */
  supergraph: () => GraphQLSchema | undefined;
  /** Analyses kept per supergraph, by (document, operation name, kind and scopes). Default 1,000. */
  maxCachedAnalyses?: number;
}

/**
 * Authorisation declared in the schema (`@authenticated`, `@requiresScopes`, `@policy`), enforced
 * before planning on every path (HTTP, graphql-ws, SSE): the fields the caller may not see are
 * removed from the operation and come back null with an UNAUTHORIZED_FIELD_OR_TYPE error at their
 * path, the rest is answered (HTTP 200). A subscription whose root field is refused is refused
 * when subscribed to; the events of an allowed one get the same nulls. Register it first, so the
 * limits that follow measure what actually runs.
 */
export function useAuthorization(options: AuthorizationOptions): GatewayPlugin {
  const authorizer = createAuthorizer({ policies: options.policies, maxCachedAnalyses: options.maxCachedAnalyses ?? 1_000 });
  return {
    name: 'authorization',
    onOperation(operation) {
      const supergraph = options.supergraph();
      if (!supergraph) throw passerelleError('SUBGRAPH_UNAVAILABLE', 'The gateway has not loaded its supergraph yet.', { http: { status: errorCatalogue.SUBGRAPH_UNAVAILABLE.status } });
      const authorization = authorizer.authorize({
        supergraph,
        apiSchema: operation.schema,
        document: operation.document,
        operation: operation.operation,
        operationName: operation.operationName,
        principal: operation.principal,
      });
      if (!authorization || authorization.analysis.refused.length === 0) return;
      const { analysis } = authorization;
      if (operation.operation.operation === 'subscription' && analysis.rootFieldRefused) {
        const [refused] = authorization.errors;
        throw new GraphQLError(refused?.message ?? errorCatalogue.UNAUTHORIZED_FIELD_OR_TYPE.message, {
          path: refused?.path,
          extensions: { code: 'UNAUTHORIZED_FIELD_OR_TYPE' },
        });
      }
      return { document: analysis.document, cacheKey: analysis.rewriteKey, shapeResult: authorization.shapeResult };
    },
  };
}
