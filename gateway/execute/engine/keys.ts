/**
 * Entity fetches whose representations carry only keys the target subgraph declared
 * `resolvable: false`. When a plan comes back to a subgraph for a field that `@requires` something
 * of another subgraph, Apollo's planner (2.14) may re-enter it with the first key the subgraph
 * declares for the type, resolvable or not (federation-gateway-audit "keys-mashup": b declares
 * `A @key(fields: "compositeId { one two }", resolvable: false) @key(fields: "id compositeId { two
 * three }")`, and the plan sends b `{ __typename name compositeId { one two } }`). The subgraph
 * cannot find the entity from that, answers null, and a non-null field comes back null.
 *
 * The repair, done once when the plan is compiled and only where the plan has such a fetch: pick a
 * resolvable key of the target subgraph, add its fields to the representation, and have an earlier
 * fetch of the plan — one to the same subgraph (which can answer its own key fields) that put those
 * entities in the answer — select them too. Where no such earlier fetch exists the plan is left as
 * it is. Plans without the problem are returned unchanged (the same object).
 */
import { Kind, parse, print, stripIgnoredCharacters, type ConstDirectiveNode, type DocumentNode, type GraphQLSchema, type SelectionSetNode } from 'graphql';
import type { FetchNode, PlanNode, QueryPlanFieldNode, QueryPlanInlineFragmentNode, QueryPlanSelectionNode } from '@apollo/query-planner';

interface Key {
  selections: QueryPlanFieldNode[];
  resolvable: boolean;
}

/** A fetch with the answer path its entities are at ([] for a root fetch). */
interface Placed {
  fetch: FetchNode;
  path: readonly (string | number)[];
}

export function repairNonResolvableKeys(node: PlanNode | undefined, supergraph: GraphQLSchema): PlanNode | undefined {
  if (!node) return node;
  const keys = keyReader(supergraph);
  const needs = (fetch: FetchNode) => (fetch.requires ?? []).some((selection) => fragmentNeedsKey(selection, fetch.serviceName, keys) !== undefined);
  if (!someFetch(node, needs)) return node;
  let copy: PlanNode;
  try {
    // The plan is shared with the stock walker and the plan cache: repair a copy.
    copy = structuredClone(node);
  } catch {
    return node;
  }
  walk(copy, [], (target, before) => {
    for (const selection of target.fetch.requires ?? []) {
      const key = fragmentNeedsKey(selection, target.fetch.serviceName, keys);
      if (!key) continue;
      const fragment = selection as QueryPlanInlineFragmentNode;
      const source = [...before].reverse().find((earlier) => earlier.fetch.serviceName === target.fetch.serviceName && selectEntities(earlier, target.path, fragment.typeCondition!, key, true));
      if (!source) continue;
      selectEntities(source, target.path, fragment.typeCondition!, key, false);
      (fragment as { selections: QueryPlanSelectionNode[] }).selections = mergeSelections(fragment.selections, key.selections);
    }
  });
  return copy;
}

/** The resolvable key to add when an inline fragment of `requires` carries none of the subgraph's resolvable keys. */
function fragmentNeedsKey(selection: QueryPlanSelectionNode, subgraph: string, keys: ReturnType<typeof keyReader>): Key | undefined {
  if (selection.kind !== 'InlineFragment' || !selection.typeCondition) return undefined;
  const declared = keys(selection.typeCondition, subgraph);
  if (declared.length === 0 || declared.every((key) => key.resolvable)) return undefined;
  if (declared.some((key) => key.resolvable && covers(selection.selections, key.selections))) return undefined;
  return declared.find((key) => key.resolvable);
}

/** Whether `selections` select every field of `key` (no aliases in either). */
function covers(selections: readonly QueryPlanSelectionNode[], key: readonly QueryPlanFieldNode[]): boolean {
  return key.every((wanted) => {
    const found = selections.find((selection): selection is QueryPlanFieldNode => selection.kind === 'Field' && selection.name === wanted.name && !selection.alias);
    return !!found && (!wanted.selections || (!!found.selections && covers(found.selections, wanted.selections as QueryPlanFieldNode[])));
  });
}

function mergeSelections(selections: QueryPlanSelectionNode[], added: readonly QueryPlanFieldNode[]): QueryPlanSelectionNode[] {
  const out = [...selections];
  for (const field of added) {
    const index = out.findIndex((selection) => selection.kind === 'Field' && selection.name === field.name && !selection.alias);
    const existing = out[index] as QueryPlanFieldNode | undefined;
    if (!existing) out.push(field);
    else if (field.selections) out[index] = { ...existing, selections: mergeSelections([...(existing.selections ?? [])], field.selections as QueryPlanFieldNode[]) };
  }
  return out;
}

/**
 * Finds, in `source`'s operation, the selection sets of the objects at `path` (its entities when
 * `path` goes through them) and, unless `dryRun`, adds `... on <type> { <key> }` to each. False when
 * the operation does not select that path.
 */
function selectEntities(source: Placed, path: readonly (string | number)[], typeName: string, key: Key, dryRun: boolean): boolean {
  const prefix = source.path;
  if (prefix.length > path.length || prefix.some((element, index) => element !== path[index])) return false;
  const rest = path.slice(prefix.length).filter((element) => element !== '@');
  if (rest.some((element) => typeof element !== 'string')) return false;
  let document: DocumentNode;
  try {
    document = parse(source.fetch.operation, { noLocation: true });
  } catch {
    return false;
  }
  const operation = document.definitions.find((definition) => definition.kind === Kind.OPERATION_DEFINITION);
  if (!operation || operation.kind !== Kind.OPERATION_DEFINITION || document.definitions.length !== 1) return false;
  // An entity fetch's objects are the `_entities` field's; a root fetch's, the operation's.
  let start: SelectionSetNode = operation.selectionSet;
  if (source.fetch.requires) {
    const entities = start.selections.find((selection) => selection.kind === Kind.FIELD && selection.name.value === '_entities');
    if (!entities || entities.kind !== Kind.FIELD || !entities.selectionSet) return false;
    start = entities.selectionSet;
  }
  const targets: SelectionSetNode[] = [];
  const descend = (set: SelectionSetNode, at: number): void => {
    if (at === rest.length) {
      targets.push(set);
      return;
    }
    for (const selection of set.selections) {
      if (selection.kind === Kind.INLINE_FRAGMENT) descend(selection.selectionSet, at);
      else if (selection.kind === Kind.FIELD && (selection.alias?.value ?? selection.name.value) === rest[at] && selection.selectionSet) descend(selection.selectionSet, at + 1);
    }
  };
  descend(start, 0);
  if (targets.length === 0) return false;
  if (dryRun) return true;
  const fragment = parse(`{ ... on ${typeName} { ${printKey(key.selections)} } }`, { noLocation: true }).definitions[0]!;
  const addition = (fragment as { selectionSet: SelectionSetNode }).selectionSet.selections[0]!;
  for (const target of targets) (target as { selections: SelectionSetNode['selections'] }).selections = [...target.selections, addition];
  (source.fetch as { operation: string }).operation = stripIgnoredCharacters(print(document));
  // Derived from `operation` by the planner; nothing in the engine reads it, so it must not disagree.
  delete (source.fetch as { operationDocumentNode?: unknown }).operationDocumentNode;
  return true;
}

function printKey(selections: readonly QueryPlanFieldNode[]): string {
  return selections.map((field) => (field.selections ? `${field.name} { ${printKey(field.selections as QueryPlanFieldNode[])} }` : field.name)).join(' ');
}

/** Every fetch of the plan with the fetches certain to have finished before it starts. */
function walk(node: PlanNode, before: readonly Placed[], visit: (target: Placed, before: readonly Placed[]) => void): Placed[] {
  switch (node.kind) {
    case 'Fetch': {
      const placed = { fetch: node, path: [] };
      visit(placed, before);
      return [placed];
    }
    case 'Flatten': {
      if (node.node.kind !== 'Fetch') return walk(node.node, before, visit);
      const placed = { fetch: node.node, path: node.path as (string | number)[] };
      visit(placed, before);
      return [placed];
    }
    case 'Sequence': {
      const done: Placed[] = [];
      for (const child of node.nodes) done.push(...walk(child, [...before, ...done], visit));
      return done;
    }
    case 'Parallel':
      return node.nodes.flatMap((child) => walk(child, before, visit));
    case 'Condition':
      // Either branch may run: neither's fetches are certain to have run for what follows.
      if (node.ifClause) walk(node.ifClause, before, visit);
      if (node.elseClause) walk(node.elseClause, before, visit);
      return [];
    default:
      return [];
  }
}

function someFetch(node: PlanNode, test: (fetch: FetchNode) => boolean): boolean {
  switch (node.kind) {
    case 'Fetch':
      return test(node);
    case 'Flatten':
      return someFetch(node.node, test);
    case 'Sequence':
    case 'Parallel':
      return node.nodes.some((child) => someFetch(child, test));
    case 'Condition':
      return (!!node.ifClause && someFetch(node.ifClause, test)) || (!!node.elseClause && someFetch(node.elseClause, test));
    default:
      return false;
  }
}

/** The keys a subgraph declares for a type (`@join__type(graph:, key:, resolvable:)`), read once per (type, subgraph). */
function keyReader(supergraph: GraphQLSchema): (typeName: string, subgraph: string) => Key[] {
  const memo = new Map<string, Key[]>();
  let graphs: Map<string, string> | undefined;
  return (typeName, subgraph) => {
    const memoKey = `${typeName}\0${subgraph}`;
    let keys = memo.get(memoKey);
    if (keys) return keys;
    graphs ??= graphNames(supergraph);
    keys = [];
    const type = supergraph.getType(typeName);
    const graph = graphs.get(subgraph);
    const directives = type ? [...(type.astNode?.directives ?? []), ...type.extensionASTNodes.flatMap((extension) => extension.directives ?? [])] : [];
    for (const directive of directives) {
      if (directive.name.value !== 'join__type' || argument(directive, 'graph') !== graph) continue;
      const fields = argument(directive, 'key');
      if (typeof fields !== 'string') continue;
      const selections = keySelections(fields);
      if (selections) keys.push({ selections, resolvable: argument(directive, 'resolvable') !== false });
    }
    memo.set(memoKey, keys);
    return keys;
  };
}

/** join__Graph enum value → subgraph name (`@join__graph(name:)`). */
function graphNames(supergraph: GraphQLSchema): Map<string, string> {
  const names = new Map<string, string>();
  const graphs = supergraph.getType('join__Graph');
  const values = graphs?.astNode && 'values' in graphs.astNode ? (graphs.astNode.values ?? []) : [];
  for (const value of values) {
    const directive = value.directives?.find((candidate) => candidate.name.value === 'join__graph');
    const name = directive && argument(directive, 'name');
    if (typeof name === 'string') names.set(name, value.name.value);
  }
  return names;
}

function argument(directive: ConstDirectiveNode, name: string): string | boolean | undefined {
  const value = directive.arguments?.find((candidate) => candidate.name.value === name)?.value;
  if (!value) return undefined;
  if (value.kind === Kind.ENUM || value.kind === Kind.STRING) return value.value;
  if (value.kind === Kind.BOOLEAN) return value.value;
  return undefined;
}

/** A key's field set as plan selections; undefined for keys with fragments or arguments (left alone). */
function keySelections(fields: string): QueryPlanFieldNode[] | undefined {
  let set: SelectionSetNode;
  try {
    set = (parse(`{ ${fields} }`, { noLocation: true }).definitions[0] as { selectionSet: SelectionSetNode }).selectionSet;
  } catch {
    return undefined;
  }
  const convert = (selectionSet: SelectionSetNode): QueryPlanFieldNode[] | undefined => {
    const out: QueryPlanFieldNode[] = [];
    for (const selection of selectionSet.selections) {
      if (selection.kind !== Kind.FIELD || selection.alias || (selection.arguments?.length ?? 0) > 0) return undefined;
      const sub = selection.selectionSet ? convert(selection.selectionSet) : undefined;
      if (selection.selectionSet && !sub) return undefined;
      out.push(sub ? { kind: 'Field', name: selection.name.value, selections: sub } : { kind: 'Field', name: selection.name.value });
    }
    return out;
  };
  return convert(set);
}
