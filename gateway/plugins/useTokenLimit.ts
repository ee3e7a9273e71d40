import type { GatewayPlugin } from '../pipeline.ts';
import { maxTokensParseOptions, tokenLimitError } from '../limit/index.ts';

export interface TokenLimitOptions {
  /**
   * Most lexical tokens a document may have (MAX_TOKENS, default 5,000). The parser stops at the
   * limit, over HTTP and streams alike, and the operation gets MAX_TOKENS_EXCEEDED (HTTP 400).
   */
  maxTokens: number;
}

export function useTokenLimit(options: TokenLimitOptions): GatewayPlugin {
  return {
    name: 'token-limit',
    parseOptions: maxTokensParseOptions(options.maxTokens),
    onShapeError: tokenLimitError,
  };
}
