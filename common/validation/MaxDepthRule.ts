/**
 * Limits how deeply selection sets may nest, counting through fragments. Shared by the gateway
 * (gateway/limit, MAX_DEPTH) and every subgraph (subgraphs/kit, SUBGRAPH_MAX_DEPTH), so a caller
 * that reaches a subgraph directly meets the same rule.
 *
 * Where it comes from: GraphQL lets a client nest as deep as the schema's cycles allow
 * (`commune { lycees { commune { lycees … } } }`), and each level may fan out into every subgraph;
 * OWASP's GraphQL cheat sheet and graphql-armor's max-depth rule bound it before execution.
 * Introspection's own nesting (`__schema`, `__type`) is not counted, so tools keep working.
 *
 * Linear in the document's size: the depth of each fragment is computed once and remembered
 * (as graphql-js's NoFragmentCyclesRule visits each fragment once). A walker that re-entered a
 * fragment at every spread took 33 s on 27 fragments each spreading the next twice (issue 7).
 */
import {
  GraphQLError,
  Kind,
  type ASTVisitor,
  type SelectionSetNode,
  type ValidationContext,
} from 'graphql';
import { fragmentsOf } from './fragments.ts';

export function MaxDepthRule(maxDepth: number) {
  return function MaxDepthRuleInstance(context: ValidationContext): ASTVisitor {
    const fragments = fragmentsOf(context.getDocument());
    // Depth of each fragment's own selection set, computed once per document.
    const fragmentDepths = new Map<string, number>();
    const visiting = new Set<string>();

    function fragmentDepth(name: string): number {
      const known = fragmentDepths.get(name);
      if (known !== undefined) return known;
      const fragment = fragments.get(name);
      // Fragment cycles are reported by NoFragmentCyclesRule; do not loop on them here.
      if (!fragment || visiting.has(name)) return 0;
      visiting.add(name);
      const depth = depthOf(fragment.selectionSet);
      visiting.delete(name);
      fragmentDepths.set(name, depth);
      return depth;
    }

    function depthOf(selectionSet: SelectionSetNode): number {
      let deepest = 0;
      for (const selection of selectionSet.selections) {
        if (selection.kind === Kind.FIELD) {
          if (selection.name.value.startsWith('__')) continue;
          const below = selection.selectionSet ? depthOf(selection.selectionSet) : 0;
          deepest = Math.max(deepest, 1 + below);
        } else if (selection.kind === Kind.INLINE_FRAGMENT) {
          deepest = Math.max(deepest, depthOf(selection.selectionSet));
        } else {
          deepest = Math.max(deepest, fragmentDepth(selection.name.value));
        }
      }
      return deepest;
    }

    return {
      OperationDefinition(node) {
        const depth = depthOf(node.selectionSet);
        if (depth > maxDepth) {
          context.reportError(
            new GraphQLError(`Operation is nested more than ${maxDepth} levels deep.`, {
              nodes: [node],
              extensions: { code: 'MAX_DEPTH_EXCEEDED', limit: maxDepth },
            }),
          );
        }
        return false;
      },
    };
  };
}
