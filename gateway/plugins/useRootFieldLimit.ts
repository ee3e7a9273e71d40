import type { GatewayPlugin } from '../pipeline.ts';
import { MaxRootFieldsRule } from '../limit/index.ts';

export interface RootFieldLimitOptions {
  /** Most root fields (distinct response names) one operation may select (MAX_ROOT_FIELDS, default 20). More get MAX_ROOT_FIELDS_EXCEEDED before any subgraph is called. */
  maxRootFields: number;
}

export function useRootFieldLimit(options: RootFieldLimitOptions): GatewayPlugin {
  return { name: 'root-field-limit', validationRules: [MaxRootFieldsRule(options.maxRootFields)] };
}
