/** Stage "limit": validation rules that refuse an operation before it is planned. */
export { MaxDepthRule } from './MaxDepthRule.ts';
export { MaxAliasesRule } from './MaxAliasesRule.ts';
export { MaxRootFieldsRule } from './MaxRootFieldsRule.ts';
export { maxTokensParseOptions, tokenLimitError } from './MaxTokens.ts';
export { estimateCost, type CostInput } from './CostRule.ts';
export { readCostDirectives, NO_COST_DIRECTIVES, type CostDirectives, type ListSize } from './cost-directives.ts';
export { dataExceeds, jsonSizeExceeds, serialisedDataOf } from './response-size.ts';
export { RateLimiter, type RateLimiterOptions, type RateDecision, type QuotaDecision } from './rate-limiter.ts';
export { callerKey } from './caller-key.ts';
