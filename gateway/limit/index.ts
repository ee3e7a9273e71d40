/** Stage "limit": validation rules that refuse an operation before it is planned. */
export { MaxDepthRule } from './MaxDepthRule.ts';
export { MaxAliasesRule } from './MaxAliasesRule.ts';
export { NoIntrospectionRule } from './NoIntrospectionRule.ts';
