/**
 * Root fields the query planner left out of its plan. The planner drops a root field it finds no
 * way to answer — e.g. one whose type is an interface that no object type implements in the
 * supergraph, only @interfaceObject stand-ins that cannot be resolved (federation-gateway-audit,
 * "non-resolvable-interface-object") — and plans the rest, or nothing at all (`QueryPlan {}`).
 * Stock @apollo/gateway then completes the missing field as a plain `null` with no error, which
 * reads as "there is no such value" when the truth is "this cannot be answered". The engine
 * refuses such an operation instead (see index.ts).
 */
import { Kind, parse, type FieldNode, type FragmentDefinitionNode, type OperationDefinitionNode, type SelectionSetNode } from 'graphql';
import type { PlanNode } from '@apollo/query-planner';

/** Response names of the operation's root fields that no root fetch of the plan selects. */
export function unplannedRootFields(
  operation: OperationDefinitionNode,
  fragments: Readonly<Record<string, FragmentDefinitionNode>>,
  plan: PlanNode | undefined,
): string[] {
  const selected = new Map<string, FieldNode>();
  rootFields(operation.selectionSet, fragments, selected, new Set());
  if (selected.size === 0) return [];
  const fetched = new Set<string>();
  if (plan) fetchedRootFields(plan, fetched);
  return [...selected.keys()].filter((name) => !fetched.has(name));
}

/**
 * The operation's root fields by response name: introspection and `__typename` (answered by the
 * gateway itself) and fields a literal @skip/@include turns off (the planner drops those) left out.
 * A field under a variable condition counts: the planner fetches it under a Condition node.
 */
function rootFields(
  selectionSet: SelectionSetNode,
  fragments: Readonly<Record<string, FragmentDefinitionNode>>,
  into: Map<string, FieldNode>,
  visited: Set<string>,
): void {
  for (const selection of selectionSet.selections) {
    if (literallyOff(selection.directives)) continue;
    if (selection.kind === Kind.FIELD) {
      if (selection.name.value.startsWith('__')) continue;
      into.set(selection.alias?.value ?? selection.name.value, selection);
    } else if (selection.kind === Kind.INLINE_FRAGMENT) {
      rootFields(selection.selectionSet, fragments, into, visited);
    } else {
      const name = selection.name.value;
      const fragment = fragments[name];
      if (!fragment || visited.has(name)) continue;
      visited.add(name);
      rootFields(fragment.selectionSet, fragments, into, visited);
    }
  }
}

function literallyOff(directives: FieldNode['directives']): boolean {
  for (const directive of directives ?? []) {
    const condition = directive.arguments?.find((argument) => argument.name.value === 'if')?.value;
    if (condition?.kind !== Kind.BOOLEAN) continue;
    if (directive.name.value === 'skip' && condition.value) return true;
    if (directive.name.value === 'include' && !condition.value) return true;
  }
  return false;
}

/** Response names the plan's root fetches (fetches not under a Flatten) select at their top level. */
function fetchedRootFields(node: PlanNode, into: Set<string>): void {
  switch (node.kind) {
    case 'Fetch': {
      const document = parse(node.operation, { noLocation: true });
      const fragments: Record<string, FragmentDefinitionNode> = {};
      for (const definition of document.definitions) if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments[definition.name.value] = definition;
      for (const definition of document.definitions) {
        if (definition.kind !== Kind.OPERATION_DEFINITION) continue;
        const fields = new Map<string, FieldNode>();
        rootFields(definition.selectionSet, fragments, fields, new Set());
        for (const name of fields.keys()) into.add(name);
      }
      return;
    }
    case 'Sequence':
    case 'Parallel':
      for (const child of node.nodes) fetchedRootFields(child, into);
      return;
    case 'Condition':
      if (node.ifClause) fetchedRootFields(node.ifClause, into);
      if (node.elseClause) fetchedRootFields(node.elseClause, into);
      return;
    case 'Defer':
      if (node.primary.node) fetchedRootFields(node.primary.node, into);
      for (const deferred of node.deferred) if (deferred.node) fetchedRootFields(deferred.node, into);
      return;
    default:
      // Flatten: entity fetches below the root. Subscription: not checked (its root is the primary).
      return;
  }
}
