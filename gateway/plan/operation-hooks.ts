/**
 * The per-operation hooks (`onOperation`: authorisation, demand control…) on the HTTP path, where
 * Apollo Server parses and validates and @apollo/gateway plans and runs. Apollo offers no place
 * between validation and planning that may replace the document, so the gateway's executor is
 * wrapped: the hooks run first, with the caller's principal; the executor then plans the rewritten
 * document under a query hash of its own (plans are cached by hash, and two callers whose
 * rewrites differ must never share a plan), and every result goes through the hooks' shaping.
 * Streams (graphql-ws, SSE) call the same `pipeline.operation` from stream/operations.ts.
 */
import { createHash } from 'node:crypto';
import type { GatewayExecutor, GatewayInterface } from '@apollo/server-gateway-interface';
import type { GatewayContext, Pipeline } from '../pipeline.ts';

export function withOperationHooks(gateway: GatewayInterface, pipeline: Pipeline): GatewayInterface {
  return {
    onSchemaLoadOrUpdate: (callback) => gateway.onSchemaLoadOrUpdate(callback),
    stop: () => gateway.stop(),
    async load(options) {
      const loaded = await gateway.load(options);
      const executor = loaded.executor;
      if (!executor) return loaded;
      const hooked: GatewayExecutor = async (requestContext) => {
        const { principal } = requestContext.context as GatewayContext;
        if (!requestContext.document || !requestContext.operation) return executor(requestContext);
        const rewrite = await pipeline.operation({
          document: requestContext.document,
          operation: requestContext.operation,
          operationName: requestContext.operationName ?? undefined,
          variables: requestContext.request.variables ?? {},
          principal,
          schema: requestContext.schema,
        });
        const context =
          rewrite.cacheKey === ''
            ? requestContext
            : {
                ...requestContext,
                document: rewrite.document,
                queryHash: createHash('sha256').update(requestContext.queryHash).update('\0').update(rewrite.cacheKey).digest('hex'),
              };
        return rewrite.shapeResult(await executor(context));
      };
      return { ...loaded, executor: hooked };
    },
  };
}
