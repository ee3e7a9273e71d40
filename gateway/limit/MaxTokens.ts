/**
 * Limits how many lexical tokens a document may have (MAX_TOKENS), while it is parsed.
 *
 * Where it comes from: graphql-js's `parse(source, { maxTokens })` (added after CVE-like reports
 * of parser exhaustion, graphql-js#3684) and Apollo Router's `limits.parser_max_tokens`. Every other
 * rule runs on a parsed document, so a document of millions of tokens (a directive or alias flood
 * within the body size limit) would cost its full parse before any of them could refuse it; the
 * lexer stops counting at the limit instead. It is not a validation rule but `parseOptions`, which
 * the one parse of every transport is given (gateway/plan/document-cache.ts).
 * graphql-js reports it as a syntax error; `tokenLimitError` gives it its catalogue code.
 */
import type { GraphQLFormattedError, ParseOptions } from 'graphql';

export function maxTokensParseOptions(maxTokens: number): ParseOptions {
  return { maxTokens };
}

// graphql-js 16's wording ("more that", sic); "than" too, so a spelling fix keeps working.
const TOKEN_LIMIT = /Document contains more (?:that|than) (\d+) tokens/;

/** The error with MAX_TOKENS_EXCEEDED (and the limit) if it is graphql-js's token-limit syntax error. */
export function tokenLimitError(error: GraphQLFormattedError): GraphQLFormattedError {
  const match = TOKEN_LIMIT.exec(error.message);
  if (!match) return error;
  const limit = Number(match[1]);
  return {
    ...error,
    message: `The operation has more than ${limit} tokens.`,
    extensions: { ...error.extensions, code: 'MAX_TOKENS_EXCEEDED', limit },
  };
}
