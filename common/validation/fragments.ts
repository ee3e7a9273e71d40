import { Kind, type DocumentNode, type FragmentDefinitionNode } from 'graphql';

/** The document's fragment definitions by name, for rules that follow spreads (each memoises per fragment). */
export function fragmentsOf(document: DocumentNode): Map<string, FragmentDefinitionNode> {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  }
  return fragments;
}
