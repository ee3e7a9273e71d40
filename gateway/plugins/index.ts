export { useDepthLimit, type DepthLimitOptions } from './useDepthLimit.ts';
export { useAliasLimit, type AliasLimitOptions } from './useAliasLimit.ts';
export { useIntrospection, type IntrospectionOptions } from './useIntrospection.ts';
export { useSubgraphTimeout, type SubgraphTimeoutOptions } from './useSubgraphTimeout.ts';
export { useAuthentication, type AuthenticationOptions } from './useAuthentication.ts';
