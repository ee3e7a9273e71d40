/**
 * What every subgraph measures of the requests it serves (common/metrics.ts; served on its own
 * `/metrics` by kit/server.ts): operations by name and type, the error codes they answered with,
 * and how long they took, from Apollo Server's request life cycle. Requests refused before Apollo
 * (no gateway identity, body too large, bad JSON) count as errors of an unnamed operation.
 *
 * The gateway names its fetches after the client's operation (`Lycees__lycees__0`): client-chosen,
 * so the name label is capped.
 */
import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import { UNNAMED, codeLabel, counter, histogram, labelCap, secondsSince } from '../../common/metrics.ts';

const operationName = labelCap({ max: 200 });

const operations = counter({
  name: 'passerelle_subgraph_operations_total',
  help: 'Operations a subgraph answered, by operation name and type.',
  labelNames: ['operation_name', 'operation_type'],
});
const operationErrors = counter({
  name: 'passerelle_subgraph_operation_errors_total',
  help: 'Operations a subgraph answered with at least one error of this code.',
  labelNames: ['operation_name', 'code'],
});
const operationDuration = histogram({
  name: 'passerelle_subgraph_operation_duration_seconds',
  help: 'Time a subgraph took to answer an operation, from its parsed request to its answer.',
  labelNames: ['operation_name', 'operation_type'],
});

export function subgraphMetricsPlugin<TContext extends BaseContext>(): ApolloServerPlugin<TContext> {
  return {
    async requestDidStart() {
      const started = performance.now();
      return {
        async willSendResponse({ operationName: name, operation, response, errors }) {
          const labels = { operation_name: operationName(name), operation_type: operation?.operation ?? 'unknown' };
          operations.inc(labels);
          operationDuration.observe(labels, secondsSince(started));
          const sent = response.body.kind === 'single' ? response.body.singleResult.errors : errors;
          const codes = new Set((sent ?? []).map((error) => codeLabel(error.extensions?.code)));
          for (const code of codes) operationErrors.inc({ operation_name: labels.operation_name, code });
        },
      };
    },
  };
}

/** A request refused before Apollo saw it, with its catalogue code. */
export function countRefusal(code: string): void {
  operationErrors.inc({ operation_name: UNNAMED, code: codeLabel(code) });
}
