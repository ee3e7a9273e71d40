/**
 * Stage "shape": every error leaves the gateway with a catalogue code, the subgraph it came from
 * (`extensions.subgraph`), and nothing internal — no stack trace, no upstream response body.
 * Codes a subgraph chose itself are kept, so a generic gateway does not hide a subgraph's meaning.
 */
import type { GraphQLFormattedError } from 'graphql';
import type { Logger } from '../../common/logger.ts';
import type { Pipeline } from '../pipeline.ts';

const INTERNAL_KEYS = ['stacktrace', 'exception', 'response', 'serviceName'];

export function createErrorShaper(pipeline: Pipeline, logger: Logger) {
  return function shapeError(formatted: GraphQLFormattedError, original: unknown): GraphQLFormattedError {
    const extensions: Record<string, unknown> = { ...formatted.extensions };
    const subgraph = extensions.subgraph ?? extensions.serviceName;
    for (const key of INTERNAL_KEYS) delete extensions[key];
    if (subgraph !== undefined) extensions.subgraph = subgraph;

    // Apollo Server files every validation error under GRAPHQL_VALIDATION_FAILED; our limit rules
    // carry a more precise catalogue code on the error it wraps.
    const wrapped = (original as { originalError?: { extensions?: Record<string, unknown> } } | undefined)?.originalError;
    if (extensions.code === 'GRAPHQL_VALIDATION_FAILED' && typeof wrapped?.extensions?.code === 'string') {
      extensions.code = wrapped.extensions.code;
    }

    let message = formatted.message;
    if (extensions.code === 'DOWNSTREAM_SERVICE_ERROR') extensions.code = 'SUBGRAPH_ERROR';
    if (extensions.code === undefined || extensions.code === 'INTERNAL_SERVER_ERROR') {
      if (subgraph === undefined) {
        logger.error({ err: (original as { originalError?: unknown })?.originalError ?? original }, 'unexpected gateway error');
        message = 'Internal server error';
      }
      extensions.code = 'INTERNAL_SERVER_ERROR';
    }
    return pipeline.shapeError({ ...formatted, message, extensions });
  };
}
