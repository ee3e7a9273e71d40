/**
 * Which fields of an operation the caller may not see, and the operation without them. One pass
 * over the document: the operation's selections once and each fragment definition once, whatever
 * the number of its spreads (a fragment's decisions depend only on its own type condition, so it is
 * rewritten once and its result reused at every spread). `work` counts the selections visited, so
 * a test can prove the pass is linear in the document.
 *
 * What comes out:
 * - the rewritten document: refused fields removed; a selection set left empty gets
 *   `__typename` (under a reserved alias the shaping strips); where a refused field sits under a
 *   type condition narrower than its object's static type, the same alias is added, so the shaping
 *   knows each object's runtime type;
 * - the shape: a tree (a DAG, fragments shared) of the response positions that lead to a refused
 *   field, with each level's nullability, for shape.ts to put nulls there;
 * - one error per refused field node, at its response path from the operation (aliases as
 *   response keys, `@` for each list level, Apollo Router style); a field of a fragment spread in
 *   several places is reported once, at its first spread.
 */
import {
  Kind,
  getNamedType,
  getNullableType,
  isAbstractType,
  isListType,
  isNonNullType,
  isObjectType,
  type DefinitionNode,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  type GraphQLOutputType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionNode,
  type SelectionSetNode,
} from 'graphql';
import { fragmentsOf } from '../../common/validation/fragments.ts';

/** Response key of the `__typename` the rewrite adds; no client alias can be expected to use it. */
export const TYPENAME_ALIAS = 'passerelle__typename';

export type PathSegment = string;

/** A response position under which something was removed. */
export interface ShapeSet {
  readonly fields: ShapeField[];
  /** Fragments and inline fragments on the same object; `when` limits one to those runtime types. */
  readonly parts: { when?: ReadonlySet<string>; set: ShapeSet }[];
}

export interface ShapeField {
  readonly key: string;
  /** The field was removed: null here (or the nearest nullable ancestor, when it is non-null). */
  readonly removed: boolean;
  /** Non-null flag per level, outermost first: `[A!]!` is [true, true], `String` is [false]. */
  readonly nonNull: readonly boolean[];
  readonly set?: ShapeSet;
}

export interface RefusedField {
  /** `Type.field`. */
  readonly coordinate: string;
  readonly path: readonly PathSegment[];
}

export interface Analysis {
  /** The document to plan; the original one when nothing was refused. */
  readonly document: DocumentNode;
  readonly refused: readonly RefusedField[];
  /** Identifies this rewrite of the document (the refused field nodes); '' when nothing was refused. */
  readonly rewriteKey: string;
  readonly shape: ShapeSet | undefined;
  /** A root field was refused (a subscription, which has one, is then refused as a whole). */
  readonly rootFieldRefused: boolean;
  /** Selections visited (linearity). */
  readonly work: number;
}

interface SetResult {
  set: SelectionSetNode;
  shape: ShapeSet | undefined;
}

interface Unit {
  /** Refused fields of this unit (operation or fragment), paths relative to it. */
  refused: RefusedField[];
  /** Fragment spreads of this unit, with the relative path of the object they apply to. */
  spreads: { name: string; path: readonly PathSegment[] }[];
}

interface FragmentResult extends SetResult, Unit {
  definition: FragmentDefinitionNode;
}

/**
 * Analyses `operation` of `document` against the API schema: `allowed(parent, field)` decides each
 * field (the caller's rights are in it; decisions are memoised per coordinate by the caller).
 */
export function analyseOperation(
  schema: GraphQLSchema,
  document: DocumentNode,
  operation: OperationDefinitionNode,
  allowed: (parent: string, field: string) => boolean,
): Analysis {
  const fragments = fragmentsOf(document);
  const done = new Map<string, FragmentResult | null>();
  let work = 0;
  let ordinal = 0;
  const refusedOrdinals: number[] = [];

  function fragment(name: string): FragmentResult | null {
    if (done.has(name)) return done.get(name)!;
    done.set(name, null); // validated documents have no fragment cycles; this only guards against one
    const definition = fragments.get(name);
    const type = definition && schema.getType(definition.typeCondition.name.value);
    if (!definition || !type || !isComposite(type)) return null;
    const unit: Unit = { refused: [], spreads: [] };
    const result = selectionSet(definition.selectionSet, type, [], unit);
    const rewritten = result.set === definition.selectionSet ? definition : { ...definition, selectionSet: result.set };
    const entry: FragmentResult = { ...result, ...unit, definition: rewritten };
    done.set(name, entry);
    return entry;
  }

  function selectionSet(node: SelectionSetNode, parent: GraphQLCompositeType, path: readonly PathSegment[], unit: Unit): SetResult {
    const fields: ShapeField[] = [];
    const parts: ShapeSet['parts'] = [];
    const kept: SelectionNode[] = [];
    let changed = false;
    let needsTypename = false;
    for (const selection of node.selections) {
      work += 1;
      if (selection.kind === Kind.FIELD) {
        const name = selection.name.value;
        const key = selection.alias?.value ?? name;
        ordinal += 1;
        if (name.startsWith('__')) {
          kept.push(selection);
          continue;
        }
        const definition = 'getFields' in parent ? parent.getFields()[name] : undefined;
        if (!definition) {
          kept.push(selection); // unknown to this schema: validation already refused it
          continue;
        }
        if (!allowed(parent.name, name)) {
          changed = true;
          refusedOrdinals.push(ordinal);
          unit.refused.push({ coordinate: `${parent.name}.${name}`, path: [...path, key] });
          fields.push({ key, removed: true, nonNull: nullability(definition.type) });
          continue;
        }
        const returned = getNamedType(definition.type);
        if (!selection.selectionSet || !isComposite(returned)) {
          kept.push(selection);
          continue;
        }
        const nonNull = nullability(definition.type);
        const inner = selectionSet(selection.selectionSet, returned, [...path, key, ...nonNull.slice(1).map(() => '@')], unit);
        if (inner.set !== selection.selectionSet) {
          changed = true;
          kept.push({ ...selection, selectionSet: inner.set } satisfies FieldNode);
        } else kept.push(selection);
        if (inner.shape) fields.push({ key, removed: false, nonNull, set: inner.shape });
        continue;
      }
      const conditionName = selection.kind === Kind.INLINE_FRAGMENT ? selection.typeCondition?.name.value : fragments.get(selection.name.value)?.typeCondition.name.value;
      const conditionType = conditionName ? schema.getType(conditionName) : parent;
      const condition = conditionType && isComposite(conditionType) ? conditionType : parent;
      const when = narrowing(schema, parent, condition);
      if (selection.kind === Kind.INLINE_FRAGMENT) {
        const inner = selectionSet(selection.selectionSet, condition, path, unit);
        if (inner.set !== selection.selectionSet) {
          changed = true;
          kept.push({ ...selection, selectionSet: inner.set });
        } else kept.push(selection);
        if (inner.shape) {
          parts.push(when ? { when, set: inner.shape } : { set: inner.shape });
          if (when) needsTypename = true;
        }
        continue;
      }
      kept.push(selection);
      const spread = fragment(selection.name.value);
      unit.spreads.push({ name: selection.name.value, path });
      if (spread?.shape) {
        parts.push(when ? { when, set: spread.shape } : { set: spread.shape });
        if (when) needsTypename = true;
      }
    }
    const shape = fields.length > 0 || parts.length > 0 ? { fields, parts } : undefined;
    if (!changed && !needsTypename) return { set: node, shape };
    if (kept.length === 0 || needsTypename) kept.push(typenameField());
    return { set: { ...node, selections: kept }, shape };
  }

  const root = schema.getRootType(operation.operation);
  if (!root) throw new Error(`The schema has no ${operation.operation} type`);
  const unit: Unit = { refused: [], spreads: [] };
  const result = selectionSet(operation.selectionSet, root, [], unit);
  const refused = collectRefused(unit, done);
  if (refused.length === 0) {
    return { document, refused, rewriteKey: '', shape: undefined, rootFieldRefused: false, work };
  }
  // Only what runs: this operation and the fragments it still reaches (a fragment spread only under
  // refused fields would be unused, which the planner need not see), each rewritten.
  const definitions: DefinitionNode[] = [{ ...operation, selectionSet: result.set }];
  for (const entry of done.values()) if (entry) definitions.push(entry.definition);
  return {
    document: { ...document, definitions },
    refused,
    rewriteKey: refusedOrdinals.join(','),
    shape: result.shape,
    rootFieldRefused: refused.some((field) => field.path.length === 1),
    work,
  };
}

/**
 * The refused fields with their paths from the operation: each unit's own, then its spreads',
 * each fragment once (at its first spread), so the walk is linear too.
 */
function collectRefused(operation: Unit, fragments: ReadonlyMap<string, FragmentResult | null>): RefusedField[] {
  const out: RefusedField[] = [];
  const reported = new Set<string>();
  // Depth first, in document order; a fragment counts as reported when it is popped, so its paths
  // are those of its first spread. Each unit is expanded once, so each spread node is pushed once.
  const stack: { name?: string; unit: Unit; prefix: readonly PathSegment[] }[] = [{ unit: operation, prefix: [] }];
  while (stack.length > 0) {
    const { name, unit, prefix } = stack.pop()!;
    if (name !== undefined) {
      if (reported.has(name)) continue;
      reported.add(name);
    }
    for (const refused of unit.refused) out.push(prefix.length === 0 ? refused : { ...refused, path: [...prefix, ...refused.path] });
    for (let index = unit.spreads.length - 1; index >= 0; index -= 1) {
      const spread = unit.spreads[index]!;
      const fragment = fragments.get(spread.name);
      if (fragment && !reported.has(spread.name)) stack.push({ name: spread.name, unit: fragment, prefix: [...prefix, ...spread.path] });
    }
  }
  return out;
}

function typenameField(): FieldNode {
  return { kind: Kind.FIELD, alias: { kind: Kind.NAME, value: TYPENAME_ALIAS }, name: { kind: Kind.NAME, value: '__typename' } };
}

/** The runtime types a type condition limits a selection to; undefined when it applies to every object of `parent`. */
function narrowing(schema: GraphQLSchema, parent: GraphQLCompositeType, condition: GraphQLCompositeType): ReadonlySet<string> | undefined {
  if (condition === parent || isObjectType(parent)) return undefined;
  const possible = isAbstractType(condition) ? schema.getPossibleTypes(condition) : [condition];
  return new Set(possible.map((type) => type.name));
}

/** Non-null flag per list level, outermost first. */
function nullability(type: GraphQLOutputType): boolean[] {
  const flags: boolean[] = [];
  let current: GraphQLOutputType = type;
  for (;;) {
    flags.push(isNonNullType(current));
    const nullable = getNullableType(current);
    if (!isListType(nullable)) return flags;
    current = nullable.ofType as GraphQLOutputType;
  }
}

function isComposite(type: unknown): type is GraphQLCompositeType {
  return isObjectType(type) || isAbstractType(type);
}
