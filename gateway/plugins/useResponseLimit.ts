import { passerelleError } from '../../common/errors.ts';
import type { GatewayPlugin } from '../pipeline.ts';
import { dataExceeds } from '../limit/index.ts';

export interface ResponseLimitOptions {
  /**
   * Largest answer (its `data` as JSON, in bytes) one operation may return (MAX_RESPONSE_BYTES,
   * default 10,000,000); each subscription event is held to it too. A larger answer is replaced by
   * `data: null` and a RESPONSE_TOO_LARGE error carrying the limit. (Each subgraph fetch has its own
   * cap, MAX_SUBGRAPH_RESPONSE_BYTES, read while the body streams in.)
   */
  maxResponseBytes: number;
}

/** The backstop behind the cost estimate: the final answer's size, whatever the estimate said. */
export function useResponseLimit(options: ResponseLimitOptions): GatewayPlugin {
  const limit = options.maxResponseBytes;
  return {
    name: 'response-limit',
    onOperation: () => ({
      shapeResult(result) {
        if (result.data === undefined || result.data === null || !dataExceeds(result.data, limit)) return result;
        return {
          data: null,
          errors: [passerelleError('RESPONSE_TOO_LARGE', `The answer is larger than the ${limit} bytes one response may carry; ask for less.`, { limit })],
        };
      },
    }),
  };
}
