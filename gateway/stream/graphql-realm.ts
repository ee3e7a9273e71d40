/**
 * graphql-js as the federation libraries load it. graphql 16 ships a CommonJS and an ESM build;
 * @apollo/* and graphql-ws get the CommonJS one, while a bundler-style resolver (vitest's) may give
 * our own `import 'graphql'` the ESM one. graphql-js refuses schema objects "from another realm",
 * and graphql-ws recognises errors with `instanceof`, so whatever touches Apollo's schema or is
 * handed to graphql-ws goes through this instance. Under plain Node both are the same module.
 */
import { createRequire } from 'node:module';
import type { GraphQLError } from 'graphql';

const require = createRequire(import.meta.url);

export const graphql: typeof import('graphql') = require('graphql');

/** The same error, as an instance of the federation libraries' GraphQLError class. */
export function inRealm(error: GraphQLError): GraphQLError {
  if (Object.getPrototypeOf(error) === graphql.GraphQLError.prototype) return error;
  return new graphql.GraphQLError(error.message, {
    nodes: error.nodes,
    source: error.source,
    positions: error.positions,
    path: error.path,
    originalError: error.originalError,
    extensions: error.extensions,
  });
}
