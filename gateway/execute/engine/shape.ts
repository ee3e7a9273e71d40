/**
 * The answer's shape, compiled once per operation: which fields each runtime type contributes, in
 * response order, with their output types unwrapped into a small tree. The walk in `complete.ts`
 * then reads only this — no schema lookups, no `operationFromDocument`, no federation-internals
 * objects per request. Semantics follow @apollo/gateway's `computeResponse` (extra fields fetched
 * for keys and `@requires` dropped, field order re-established, nulls of non-null fields bubbled
 * up, invalid leaves and `__typename`s nulled with an error), so the answers stay the same.
 */
import {
  GraphQLEnumType,
  GraphQLList,
  GraphQLNonNull,
  GraphQLObjectType,
  GraphQLScalarType,
  isAbstractType,
  isCompositeType,
  isEnumType,
  isObjectType,
  Kind,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  type GraphQLOutputType,
  type GraphQLSchema,
  type SelectionSetNode,
  type ValueNode,
} from 'graphql';

/** How one value is completed: the output type unwrapped, with the sub-shape of composites. */
export type ValueShape =
  | { kind: 'nonNull'; inner: ValueShape }
  | { kind: 'list'; inner: ValueShape; typeName: string }
  | { kind: 'leaf'; typeName: string; valid: (value: unknown) => boolean }
  | { kind: 'composite'; typeName: string; selection: SelectionShape };

export interface FieldShape {
  responseName: string;
  /** `__typename`, a schema introspection field (`__schema`, `__type`), or an ordinary field. */
  kind: 'typename' | 'introspection' | 'field';
  value?: ValueShape;
  /** The field node, for introspection fields (run by graphql-js on the API schema). */
  node?: FieldNode;
}

/** The fields a selection contributes for one runtime type. */
export interface ObjectShape {
  /** The type named by the value's `__typename` (or the static type when it has none). */
  typeName: string;
  /** `__typename`'s answer; null when the runtime type is abstract (the object is then nulled, as stock does). */
  typename: string | null;
  fields: FieldShape[];
}

/** Skip/include decisions of one request: `fingerprint` keys the per-type field lists it selects. */
export interface Conditions {
  fingerprint: string;
  values: Readonly<Record<string, unknown>>;
}

const INTROSPECTION_FIELDS = new Set(['__schema', '__type']);

/**
 * A selection set (or several merged, for one response name) on a static type. Field lists per
 * runtime type are made on first use and kept: a union of ten types costs ten lists, once.
 */
export class SelectionShape {
  private readonly byType = new Map<string, ObjectShape | null>();

  constructor(
    private readonly compiler: ShapeCompiler,
    readonly staticType: GraphQLCompositeType,
    readonly selectionSets: readonly SelectionSetNode[],
  ) {}

  /**
   * The shape for an object whose `__typename` is `typename` (undefined: none was fetched). Null
   * when the name is not an API schema composite type (an @inaccessible one, or garbage).
   */
  forType(typename: unknown, conditions: Conditions): ObjectShape | null {
    const name = typeof typename === 'string' && typename !== '' ? typename : this.staticType.name;
    const key = conditions.fingerprint === '' ? name : `${name}\0${conditions.fingerprint}`;
    let shape = this.byType.get(key);
    if (shape === undefined) {
      shape = this.compiler.objectShape(this, name, conditions);
      this.byType.set(key, shape);
    }
    return shape;
  }
}

export class ShapeCompiler {
  /** Whether any selection of the operation carries @skip or @include (else one field list per type). */
  readonly conditional: boolean;

  constructor(
    readonly schema: GraphQLSchema,
    private readonly fragments: Readonly<Record<string, FragmentDefinitionNode>>,
    documentHasConditions: boolean,
  ) {
    this.conditional = documentHasConditions;
  }

  root(type: GraphQLObjectType, selectionSet: SelectionSetNode): SelectionShape {
    return new SelectionShape(this, type, [selectionSet]);
  }

  objectShape(owner: SelectionShape, typeName: string, conditions: Conditions): ObjectShape | null {
    const runtime = this.schema.getType(typeName);
    if (!runtime || !isCompositeType(runtime)) return null;
    const collected = new Map<string, { nodes: FieldNode[]; parent: GraphQLCompositeType }>();
    const visited = new Set<string>();
    for (const selectionSet of owner.selectionSets) this.collect(selectionSet, runtime, owner.staticType, conditions, collected, visited);
    const fields: FieldShape[] = [];
    for (const [responseName, { nodes, parent }] of collected) {
      const first = nodes[0]!;
      const name = first.name.value;
      if (name === '__typename') {
        fields.push({ responseName, kind: 'typename' });
        continue;
      }
      if (INTROSPECTION_FIELDS.has(name)) {
        fields.push({ responseName, kind: 'introspection', node: first });
        continue;
      }
        const definition = fieldOf(parent, name) ?? fieldOf(runtime, name);
      if (!definition) continue;
      const subSets = nodes.flatMap((node) => (node.selectionSet ? [node.selectionSet] : []));
      fields.push({ responseName, kind: 'field', value: this.valueShape(definition.type, subSets) });
    }
    return { typeName, typename: isObjectType(runtime) ? runtime.name : null, fields };
  }

  private valueShape(type: GraphQLOutputType, subSets: SelectionSetNode[]): ValueShape {
    if (type instanceof GraphQLNonNull) return { kind: 'nonNull', inner: this.valueShape(type.ofType as GraphQLOutputType, subSets) };
    if (type instanceof GraphQLList) return { kind: 'list', inner: this.valueShape(type.ofType as GraphQLOutputType, subSets), typeName: String(type.ofType) };
    if (isCompositeType(type)) return { kind: 'composite', typeName: type.name, selection: new SelectionShape(this, type, subSets) };
    return { kind: 'leaf', typeName: type.name, valid: leafValidator(this.schema, type as GraphQLScalarType | GraphQLEnumType) };
  }

  /** graphql-js's CollectFields, for one runtime type, keeping the type each field was selected on. */
  private collect(
    selectionSet: SelectionSetNode,
    runtime: GraphQLCompositeType,
    parent: GraphQLCompositeType,
    conditions: Conditions,
    into: Map<string, { nodes: FieldNode[]; parent: GraphQLCompositeType }>,
    visited: Set<string>,
  ): void {
    for (const selection of selectionSet.selections) {
      if (this.conditional && !included(selection.directives, conditions.values)) continue;
      switch (selection.kind) {
        case Kind.FIELD: {
          const responseName = selection.alias?.value ?? selection.name.value;
          const entry = into.get(responseName);
          if (entry) entry.nodes.push(selection);
          else into.set(responseName, { nodes: [selection], parent });
          break;
        }
        case Kind.INLINE_FRAGMENT: {
          const condition = selection.typeCondition ? this.schema.getType(selection.typeCondition.name.value) : parent;
          if (!condition || !isCompositeType(condition) || !this.applies(condition, runtime)) break;
          this.collect(selection.selectionSet, runtime, condition, conditions, into, visited);
          break;
        }
        case Kind.FRAGMENT_SPREAD: {
          const name = selection.name.value;
          const fragment = this.fragments[name];
          if (!fragment || visited.has(name)) break;
          const condition = this.schema.getType(fragment.typeCondition.name.value);
          if (!condition || !isCompositeType(condition) || !this.applies(condition, runtime)) break;
          // Once per collection, as graphql-js: a fragment spread twice (or fanned out) is expanded once, so this stays linear in the document.
          visited.add(name);
          this.collect(fragment.selectionSet, runtime, condition, conditions, into, visited);
          break;
        }
      }
    }
  }

  /** Whether a fragment on `condition` applies to a value of type `runtime` (federation-internals' isSubtype). */
  private applies(condition: GraphQLCompositeType, runtime: GraphQLCompositeType): boolean {
    if (condition === runtime) return true;
    if (!isAbstractType(condition) || !('getInterfaces' in runtime)) return false;
    return this.schema.isSubType(condition, runtime);
  }
}

function fieldOf(type: GraphQLCompositeType, name: string) {
  return 'getFields' in type ? type.getFields()[name] : undefined;
}

/** @skip / @include on one selection, with this request's variables. */
function included(directives: FieldNode['directives'], variables: Readonly<Record<string, unknown>>): boolean {
  if (!directives || directives.length === 0) return true;
  for (const directive of directives) {
    const name = directive.name.value;
    if (name !== 'skip' && name !== 'include') continue;
    const argument = directive.arguments?.find((arg) => arg.name.value === 'if');
    const value = argument ? valueOf(argument.value, variables) : false;
    if (name === 'skip' && value === true) return false;
    if (name === 'include' && value !== true) return false;
  }
  return true;
}

function valueOf(node: ValueNode, variables: Readonly<Record<string, unknown>>): unknown {
  if (node.kind === Kind.BOOLEAN) return node.value;
  if (node.kind === Kind.VARIABLE) return variables[node.name.value];
  return undefined;
}

/** Every @skip/@include `if` of the document, evaluated: the key of the field lists they select. */
export function conditionsOf(
  conditionVariables: readonly string[],
  variables: Readonly<Record<string, unknown>>,
): Conditions {
  if (conditionVariables.length === 0) return { fingerprint: '', values: variables };
  let fingerprint = '';
  for (const name of conditionVariables) fingerprint += variables[name] === true ? '1' : '0';
  return { fingerprint, values: variables };
}

const INTEGER = /^[+-]?\d+$/;

/** federation-internals' isValidLeafValue, decided once per type. */
function leafValidator(schema: GraphQLSchema, type: GraphQLScalarType | GraphQLEnumType): (value: unknown) => boolean {
  if (isEnumType(type)) {
    const names = new Set(type.getValues().map((value) => value.name));
    return (value) => typeof value === 'string' && names.has(value);
  }
  switch (type.name) {
    case 'Boolean':
      return (value) => typeof value === 'boolean';
    case 'Int':
    case 'ID':
      return type.name === 'ID'
        ? (value) => typeof value === 'string' || (typeof value === 'number' && Number.isFinite(value) && INTEGER.test(String(value)))
        : (value) => typeof value === 'number' && Number.isFinite(value) && INTEGER.test(String(value));
    case 'Float':
      return (value) => typeof value === 'number' && Number.isFinite(value);
    case 'String':
      return (value) => typeof value === 'string';
    default:
      // A custom scalar: anything the subgraph sends is its value.
      void schema;
      return () => true;
  }
}
