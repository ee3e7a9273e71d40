/**
 * Stage "shape": every error leaves the gateway with a catalogue code, the subgraph it came from
 * (`extensions.subgraph`), and nothing internal — no stack trace, no upstream response body.
 * Codes a subgraph chose itself are kept, so a generic gateway does not hide a subgraph's meaning.
 */
import type { GraphQLFormattedError } from 'graphql';
import type { Logger } from '../../common/logger.ts';
import type { Pipeline } from '../pipeline.ts';

// `http` is a status and headers for the HTTP answer (respond stage reads it first), not for the client.
const INTERNAL_KEYS = ['stacktrace', 'exception', 'response', 'serviceName', 'http'];

export function createErrorShaper(pipeline: Pipeline, logger: Logger) {
  return function shapeError(formatted: GraphQLFormattedError, original: unknown): GraphQLFormattedError {
    const extensions: Record<string, unknown> = { ...formatted.extensions };
    const subgraph = extensions.subgraph ?? extensions.serviceName;
    for (const key of INTERNAL_KEYS) delete extensions[key];
    if (subgraph !== undefined) extensions.subgraph = subgraph;

    // A validation error filed under GRAPHQL_VALIDATION_FAILED around one of our limit rules' errors
    // takes the rule's more precise catalogue code.
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
