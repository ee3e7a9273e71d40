import type { Logger } from '../../common/logger.ts';
import { annotateActiveSpan, endSpan, startClientSpan, traceHeaders, tracingEnabled } from '../../common/tracing/index.ts';
import type { GatewayPlugin } from '../pipeline.ts';

export interface TracingOptions {
  /**
   * With LOG_LEVEL=debug, each subgraph fetch is logged when it settles (subgraph, operation,
   * duration, error code), with the trace and span ids of its span. Unset: no such line.
   */
  logger?: Logger;
}

/**
 * Traces of the gateway's subgraph fetches (common/tracing/): a client span per fetch under the
 * request's server span (gateway/index.ts wraps the HTTP listener), its W3C `traceparent` sent to
 * the subgraph, ended when the fetch settles. Fetches with no traced request around them (a
 * graphql-ws subscription's events) make none. Traces off: a plugin with no hooks, so the execute
 * stage pays nothing for it.
 */
export function useTracing(options: TracingOptions = {}): GatewayPlugin {
  if (!tracingEnabled()) return { name: 'tracing' };
  const logger = options.logger?.isLevelEnabled('debug') ? options.logger : undefined;
  return {
    name: 'tracing',
    onOperation(operation) {
      // The request's server span says which operation it carried (GraphQL semantic conventions).
      annotateActiveSpan({ 'graphql.operation.type': operation.operation.operation, 'graphql.operation.name': operation.operationName ?? operation.operation.name?.value });
    },
    onSubgraphFetch(fetch) {
      const attributes: Record<string, string> = { 'passerelle.subgraph': fetch.subgraph, 'peer.service': `${fetch.subgraph}-subgraph` };
      if (fetch.operationName) attributes['graphql.operation.name'] = fetch.operationName;
      const span = startClientSpan(`subgraph ${fetch.subgraph}`, attributes);
      if (!span) return;
      const started = performance.now();
      return {
        headers: traceHeaders(span),
        done(error) {
          endSpan(span, error);
          if (!logger) return;
          const code = (error as { extensions?: { code?: unknown } } | undefined)?.extensions?.code;
          const { spanId } = span.spanContext();
          logger.debug(
            { span_id: spanId, subgraph: fetch.subgraph, operationName: fetch.operationName, durationMs: Math.round(performance.now() - started), ...(error ? { code } : {}) },
            'subgraph fetch',
          );
        },
      };
    },
  };
}
