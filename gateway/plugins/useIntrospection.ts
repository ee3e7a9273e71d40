import type { GatewayPlugin } from '../pipeline.ts';
import { NoIntrospectionRule } from '../limit/index.ts';

export interface IntrospectionOptions {
  /** Whether `__schema`/`__type` are allowed (INTROSPECTION, default on). When off they get INTROSPECTION_DISABLED. */
  enabled: boolean;
}

export function useIntrospection(options: IntrospectionOptions): GatewayPlugin {
  return { name: 'introspection', validationRules: options.enabled ? [] : [NoIntrospectionRule] };
}
