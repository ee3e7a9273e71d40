/**
 * Limits how deeply selection sets may nest, counting through fragments.
 *
 * Where it comes from: GraphQL lets a client nest as deep as the schema's cycles allow
 * (`commune { lycees { commune { lycees … } } }`), and each level may fan out into every subgraph;
 * OWASP's GraphQL cheat sheet and graphql-armor's max-depth rule bound it before execution.
 * Introspection's own nesting (`__schema`, `__type`) is not counted, so tools keep working.
 */
import {
  GraphQLError,
  Kind,
  type ASTVisitor,
  type FragmentDefinitionNode,
  type SelectionSetNode,
  type ValidationContext,
} from 'graphql';

export function MaxDepthRule(maxDepth: number) {
  return function MaxDepthRuleInstance(context: ValidationContext): ASTVisitor {
    const fragments = new Map<string, FragmentDefinitionNode>();
    for (const definition of context.getDocument().definitions) {
      if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
    }

    function depthOf(selectionSet: SelectionSetNode, visiting: Set<string>): number {
      let deepest = 0;
      for (const selection of selectionSet.selections) {
        if (selection.kind === Kind.FIELD) {
          if (selection.name.value.startsWith('__')) continue;
          const below = selection.selectionSet ? depthOf(selection.selectionSet, visiting) : 0;
          deepest = Math.max(deepest, 1 + below);
        } else if (selection.kind === Kind.INLINE_FRAGMENT) {
          deepest = Math.max(deepest, depthOf(selection.selectionSet, visiting));
        } else {
          const name = selection.name.value;
          const fragment = fragments.get(name);
          // Fragment cycles are reported by NoFragmentCyclesRule; do not loop on them here.
          if (!fragment || visiting.has(name)) continue;
          visiting.add(name);
          deepest = Math.max(deepest, depthOf(fragment.selectionSet, visiting));
          visiting.delete(name);
        }
        if (deepest > maxDepth) return deepest;
      }
      return deepest;
    }

    return {
      OperationDefinition(node) {
        const depth = depthOf(node.selectionSet, new Set());
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
