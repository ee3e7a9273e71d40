import type { GatewayPlugin } from '../pipeline.ts';
import { MaxAliasesRule } from '../limit/index.ts';

export interface AliasLimitOptions {
  /** Most aliases one document may use (MAX_ALIASES, default 30). More get MAX_ALIASES_EXCEEDED before any subgraph is called. */
  maxAliases: number;
}

export function useAliasLimit(options: AliasLimitOptions): GatewayPlugin {
  return { name: 'alias-limit', validationRules: [MaxAliasesRule(options.maxAliases)] };
}
