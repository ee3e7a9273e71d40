/**
 * Estimates what an operation will cost before any subgraph is called, from the schema alone.
 *
 * Where it comes from: IBM's GraphQL Cost Directives specification, as Federation 2.9 and Apollo
 * Router's demand control apply it ("static cost"): an object costs 1, a scalar or enum 0, unless
 * `@cost(weight:)` on the field, its type or an argument given says otherwise; a mutation's root
 * field costs 10; a list multiplies what it holds by its expected size — the value of a slicing
 * argument (`first`, given literally or as a variable) named by `@listSize(slicingArguments:)`, else
 * `@listSize(assumedSize:)`, else a `first`/`last`/`limit` argument, else the configured default
 * (DEFAULT_LIST_SIZE). `@listSize(sizedFields:)` moves that size onto the named child lists (a
 * connection's `edges`). The nested lists of issue 7 (`commune { lycees { commune { lycees … } } }`)
 * multiply at every level, so they are refused before anything runs.
 *
 * It is an upper bound: every inline fragment of an abstract type is counted, and a field selected
 * twice is counted twice. Linear in the document: each fragment's cost (per size context) is
 * computed once and remembered, so a fragment spread twice at every level costs one walk.
 * Not a validation rule, since it needs the variables; `useCostLimit` runs it per operation.
 */
import {
  Kind,
  getNamedType,
  isCompositeType,
  isListType,
  isNonNullType,
  isObjectType,
  isInterfaceType,
  type DocumentNode,
  type FieldNode,
  type GraphQLCompositeType,
  type GraphQLSchema,
  type GraphQLType,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type ValueNode,
} from 'graphql';
import type { CostDirectives } from './cost-directives.ts';
import { fragmentsOf } from '../../common/validation/fragments.ts';

export interface CostInput {
  /** The API schema the operation was validated against. */
  schema: GraphQLSchema;
  document: DocumentNode;
  operation: OperationDefinitionNode;
  /** Variables as the client sent them. */
  variables: Readonly<Record<string, unknown>>;
  directives: CostDirectives;
  /** Size of a list nothing else sizes (DEFAULT_LIST_SIZE). */
  defaultListSize: number;
}

/** Mutations do work beyond what they return (Apollo Router's default weight for them). */
const MUTATION_FIELD_WEIGHT = 10;
const FIRST_LIKE = ['first', 'last', 'limit'];

/** Child list fields that take the size of their parent's `@listSize(sizedFields:)`. */
interface Sized {
  fields: readonly string[];
  size: number;
}

export function estimateCost(input: CostInput): number {
  const { schema, document, operation, variables, directives, defaultListSize } = input;
  const fragments = fragmentsOf(document);
  const memo = new Map<string, number>();
  const visiting = new Set<string>();
  const variableDefaults = new Map<string, ValueNode>();
  for (const definition of operation.variableDefinitions ?? []) {
    if (definition.defaultValue) variableDefaults.set(definition.variable.name.value, definition.defaultValue);
  }

  function fragmentCost(name: string, sized: Sized | undefined): number {
    const key = sized ? `${name}|${sized.fields.join(',')}|${sized.size}` : name;
    const known = memo.get(key);
    if (known !== undefined) return known;
    const fragment = fragments.get(name);
    if (!fragment || visiting.has(key)) return 0;
    const type = schema.getType(fragment.typeCondition.name.value);
    if (!type || !isCompositeType(type)) return 0;
    visiting.add(key);
    const cost = selectionSetCost(fragment.selectionSet, type, sized, false);
    visiting.delete(key);
    memo.set(key, cost);
    return cost;
  }

  function selectionSetCost(selectionSet: SelectionSetNode, parent: GraphQLCompositeType, sized: Sized | undefined, mutationRoot: boolean): number {
    let total = 0;
    for (const selection of selectionSet.selections) {
      if (selection.kind === Kind.FIELD) {
        total += fieldCost(selection, parent, sized, mutationRoot);
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        const condition = selection.typeCondition ? schema.getType(selection.typeCondition.name.value) : parent;
        if (condition && isCompositeType(condition)) total += selectionSetCost(selection.selectionSet, condition, sized, mutationRoot);
      } else {
        total += fragmentCost(selection.name.value, sized);
      }
    }
    return total;
  }

  function fieldCost(node: FieldNode, parent: GraphQLCompositeType, sized: Sized | undefined, mutationRoot: boolean): number {
    if (!isObjectType(parent) && !isInterfaceType(parent)) return 0;
    const field = parent.getFields()[node.name.value];
    if (!field) return 0; // __typename, or a field validation already refused
    const coordinate = `${parent.name}.${field.name}`;
    const named = getNamedType(field.type);
    const base =
      directives.weight(coordinate) ??
      directives.weight(named.name) ??
      (mutationRoot ? MUTATION_FIELD_WEIGHT : isCompositeType(named) ? 1 : 0);
    let argumentsCost = 0;
    for (const arg of node.arguments ?? []) argumentsCost += directives.weight(`${coordinate}(${arg.name.value}:)`) ?? 0;

    const listSize = directives.listSize(coordinate);
    const size = slicedSize(node, listSize?.slicingArguments);
    // A connection: the size belongs to its `edges`/`nodes`, not to the connection object itself.
    const childSized = listSize?.sizedFields?.length
      ? { fields: listSize.sizedFields, size: size ?? listSize.assumedSize ?? defaultListSize }
      : undefined;
    let multiplier = 1;
    if (isList(field.type)) {
      if (sized?.fields.includes(field.name)) multiplier = sized.size;
      else if (!childSized) multiplier = size ?? listSize?.assumedSize ?? firstLike(node) ?? defaultListSize;
    }
    const children = node.selectionSet && isCompositeType(named) ? selectionSetCost(node.selectionSet, named, childSized, false) : 0;
    return argumentsCost + multiplier * (base + children);
  }

  /** The largest slicing argument given (`first: 50`, `first: $n`, `page: { first: 50 }` with `page.first`). */
  function slicedSize(node: FieldNode, slicing: readonly string[] | undefined): number | undefined {
    let largest: number | undefined;
    for (const path of slicing ?? []) {
      const value = argumentValue(node, path);
      if (typeof value === 'number' && Number.isFinite(value)) largest = Math.max(largest ?? 0, value);
    }
    return largest;
  }

  function firstLike(node: FieldNode): number | undefined {
    let largest: number | undefined;
    for (const name of FIRST_LIKE) {
      const value = argumentValue(node, name);
      if (typeof value === 'number' && Number.isFinite(value)) largest = Math.max(largest ?? 0, value);
    }
    return largest;
  }

  function argumentValue(node: FieldNode, path: string): unknown {
    const [head, ...rest] = path.split('.');
    const arg = node.arguments?.find((candidate) => candidate.name.value === head);
    let value: unknown = arg ? literal(arg.value) : undefined;
    for (const key of rest) value = value && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined;
    return value;
  }

  function literal(value: ValueNode): unknown {
    switch (value.kind) {
      case Kind.VARIABLE: {
        const name = value.name.value;
        if (name in variables) return variables[name];
        const fallback = variableDefaults.get(name);
        return fallback ? literal(fallback) : undefined;
      }
      case Kind.INT:
      case Kind.FLOAT:
        return Number(value.value);
      case Kind.OBJECT:
        return Object.fromEntries(value.fields.map((field) => [field.name.value, literal(field.value)]));
      default:
        return undefined;
    }
  }

  const root = operation.operation === 'mutation' ? schema.getMutationType() : operation.operation === 'subscription' ? schema.getSubscriptionType() : schema.getQueryType();
  if (!root) return 0;
  return selectionSetCost(operation.selectionSet, root, undefined, operation.operation === 'mutation');
}

function isList(type: GraphQLType): boolean {
  const inner = isNonNullType(type) ? type.ofType : type;
  return isListType(inner);
}
