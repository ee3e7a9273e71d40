import type { GatewayPlugin } from '../pipeline.ts';
import { MaxDepthRule } from '../limit/index.ts';

export interface DepthLimitOptions {
  /** Deepest selection set allowed (MAX_DEPTH, default 15). Deeper operations get MAX_DEPTH_EXCEEDED before any subgraph is called. */
  maxDepth: number;
}

export function useDepthLimit(options: DepthLimitOptions): GatewayPlugin {
  return { name: 'depth-limit', validationRules: [MaxDepthRule(options.maxDepth)] };
}
