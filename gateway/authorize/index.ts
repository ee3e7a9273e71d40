/**
 * Stage "authorize": the schema's access declarations (`@authenticated`, `@requiresScopes`,
 * `@policy`, read from the supergraph), enforced on each operation before it is planned. Fields
 * the caller may not see are removed from the operation and come back null, each with an
 * UNAUTHORIZED_FIELD_OR_TYPE error at its path; the rest of the answer is returned. The analysis is
 * memoised per (document, operation name, caller's rights) in a bounded LRU, per supergraph.
 */
import { createHash } from 'node:crypto';
import type { DocumentNode, ExecutionResult, GraphQLError, GraphQLSchema, OperationDefinitionNode } from 'graphql';
import { print } from 'graphql';
import type { Principal } from '../pipeline.ts';
import { analyseOperation, type Analysis } from './analyse.ts';
import { meets, rightsOf, type Policies } from './policies.ts';
import { readAccessRules, type AccessRules } from './requirements.ts';
import { refusalErrors, shapeWithRefusals } from './shape.ts';

export { readPolicies, parsePolicies, rightsOf, meets, type Policies, type Policy, type Rights } from './policies.ts';
export { readAccessRules, type AccessRules, type Requirement } from './requirements.ts';
export { analyseOperation, TYPENAME_ALIAS, type Analysis, type RefusedField } from './analyse.ts';

/** What the caller may see of one operation. */
export interface Authorization {
  readonly analysis: Analysis;
  /** The refusal errors, built once per analysis. */
  readonly errors: readonly GraphQLError[];
  /** Nulls and errors put into a result of the rewritten operation. */
  shapeResult(result: ExecutionResult): ExecutionResult;
}

export interface AuthorizerOptions {
  policies: Policies;
  /** Most analyses kept per supergraph (least recently used go first). */
  maxCachedAnalyses: number;
}

export interface AuthorizeInput {
  supergraph: GraphQLSchema;
  apiSchema: GraphQLSchema;
  document: DocumentNode;
  operation: OperationDefinitionNode;
  operationName: string | undefined;
  principal: Principal;
}

export interface Authorizer {
  /** What the caller may see of the operation; null when the supergraph declares no requirement at all. */
  authorize(input: AuthorizeInput): Authorization | null;
  /** The rules read from a supergraph (memoised per supergraph object). */
  rules(supergraph: GraphQLSchema): AccessRules;
}

export function createAuthorizer(options: AuthorizerOptions): Authorizer {
  const perSupergraph = new WeakMap<GraphQLSchema, { rules: AccessRules; cache: Map<string, Authorization> }>();
  const state = (supergraph: GraphQLSchema) => {
    let found = perSupergraph.get(supergraph);
    if (!found) {
      found = { rules: readAccessRules(supergraph), cache: new Map() };
      perSupergraph.set(supergraph, found);
    }
    return found;
  };

  return {
    rules: (supergraph) => state(supergraph).rules,
    authorize(input) {
      const { rules, cache } = state(input.supergraph);
      if (!rules.any) return null;
      const rights = rightsOf(input.principal);
      const key = `${rights.key}\u0000${input.operationName ?? ''}\u0000${documentHash(input.document)}`;
      const cached = cache.get(key);
      if (cached) {
        cache.delete(key);
        cache.set(key, cached);
        return cached;
      }
      const decisions = new Map<string, boolean>();
      const allowed = (parent: string, field: string) => {
        const coordinate = `${parent}.${field}`;
        let decision = decisions.get(coordinate);
        if (decision === undefined) {
          decision = meets(rules.field(parent, field), rights, options.policies);
          decisions.set(coordinate, decision);
        }
        return decision;
      };
      const analysis = analyseOperation(input.apiSchema, input.document, input.operation, allowed);
      const errors = refusalErrors(analysis.refused);
      const authorization: Authorization =
        analysis.refused.length === 0
          ? { analysis, errors, shapeResult: (result) => result }
          : { analysis, errors, shapeResult: (result) => shapeWithRefusals(result, analysis.shape, errors) };
      cache.set(key, authorization);
      if (cache.size > options.maxCachedAnalyses) {
        const oldest = cache.keys().next();
        if (!oldest.done) cache.delete(oldest.value);
      }
      return authorization;
    },
  };
}

// Parsed documents are cached and shared by every request of the same text (plan/document-cache.ts):
// the hash of each is computed once.
const documentHashes = new WeakMap<DocumentNode, string>();

/** The document's source text when it was parsed from one (every transport parses), else its printed form. */
function documentHash(document: DocumentNode): string {
  let hash = documentHashes.get(document);
  if (hash === undefined) {
    const text = document.loc?.source.body ?? print(document);
    hash = createHash('sha256').update(text).digest('base64url');
    documentHashes.set(document, hash);
  }
  return hash;
}
