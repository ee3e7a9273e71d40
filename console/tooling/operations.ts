/**
 * Build-time tooling (Node, never bundled into the page): the API schema the console is written
 * against — the public schema of schema/supergraph.graphql, as the gateway serves it — and the
 * console's GraphQL operations (console/src/operations/*.graphql). Shared by the type generator
 * and by tests/console/operations.test.ts, so both read the same schema the same way.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DEFAULT_SUPPORTED_SUPERGRAPH_FEATURES, Supergraph } from '@apollo/federation-internals';
import { parse, type DocumentNode, type GraphQLSchema } from 'graphql';

export const CONSOLE_ROOT = resolve(import.meta.dirname, '..');
export const OPERATIONS_DIR = join(CONSOLE_ROOT, 'src', 'operations');
export const SUPERGRAPH_PATH = resolve(CONSOLE_ROOT, '..', 'schema', 'supergraph.graphql');

/**
 * The security features the supergraph links `for: SECURITY`. Federation-internals refuses a
 * supergraph with a security feature it is not told about; the console only needs the API schema
 * (what callers see), where these directives change nothing, so they are simply declared supported.
 */
const SECURITY_FEATURES = ['authenticated', 'requiresScopes', 'policy'].map((name) => `https://specs.apollo.dev/${name}/v0.1`);

/** The API schema (what a client of the gateway sees) of the supergraph at `path`. */
export function loadApiSchema(path = SUPERGRAPH_PATH): GraphQLSchema {
  const supergraph = Supergraph.build(readFileSync(path, 'utf8'), {
    supportedFeatures: new Set([...DEFAULT_SUPPORTED_SUPERGRAPH_FEATURES, ...SECURITY_FEATURES]),
  });
  return supergraph.apiSchema().toGraphQLJSSchema();
}

export interface OperationFile {
  /** File name under console/src/operations. */
  name: string;
  text: string;
  document: DocumentNode;
}

/** Every `.graphql` file of console/src/operations, parsed (a syntax error throws, naming the file). */
export function loadOperations(dir = OPERATIONS_DIR): OperationFile[] {
  return readdirSync(dir)
    .filter((name) => name.endsWith('.graphql'))
    .sort()
    .map((name) => {
      const text = readFileSync(join(dir, name), 'utf8');
      try {
        return { name, text, document: parse(text) };
      } catch (error) {
        throw new Error(`console/src/operations/${name}: ${(error as Error).message}`);
      }
    });
}
